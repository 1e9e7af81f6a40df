use sea_orm::entity::prelude::*;

/// A reported payment or a ledger entry that a period's latest reconciliation run matched
/// (a MATCHED or AMOUNT_MISMATCH line). Each is unique: a record is matched at most once
/// across all runs, whatever periods they cover.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_matches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    #[sea_orm(unique)]
    pub payment_id: Option<i64>,
    #[sea_orm(unique)]
    pub ledger_entry_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
