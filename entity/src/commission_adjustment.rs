use sea_orm::entity::prelude::*;

/// A manual correction (signed), carried by the agency's next generated statement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_adjustments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    /// The statement that carries it, once one does.
    pub statement_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
