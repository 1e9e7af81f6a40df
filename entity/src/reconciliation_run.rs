use sea_orm::entity::prelude::*;

use super::job_run::RunTrigger;

/// One reconciliation of a period: agency-reported payments against the ledger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub period_start: Date,
    pub period_end: Date,
    pub trigger: RunTrigger,
    /// Days a ledger entry may be received before or after the reported payment.
    pub window_days: i32,
    /// Counts and amounts per class, and what changed since the period's previous run.
    pub summary: Json,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
