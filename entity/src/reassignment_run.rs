use sea_orm::entity::prelude::*;

use super::job_run::RunTrigger;

/// One review of every agency against the reassignment policies.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reassignment_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub trigger: RunTrigger,
    /// A dry run's decisions are PROPOSED and never execute.
    pub dry_run: bool,
    /// The day of the performance snapshot it judged by.
    pub as_of: Date,
    /// Counts of what it decided and executed.
    pub summary: Json,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
