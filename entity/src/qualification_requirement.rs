use sea_orm::entity::prelude::*;

/// Matches every kind of work or every region.
pub const ANY: &str = "*";

/// A rule: work of `kind_of_work` in `region` needs a qualification of `qualification_type`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qualification_requirements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub qualification_type: String,
    /// A kind of work (`LEGAL`) or [`ANY`].
    pub kind_of_work: String,
    /// A region code (`US-TX`) or [`ANY`].
    pub region: String,
    /// The qualification must cover the debtor's region (collection licences).
    pub region_scoped: bool,
    /// The qualification must have been issued within this many months (annual audits).
    pub max_age_months: Option<i32>,
    pub active: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
