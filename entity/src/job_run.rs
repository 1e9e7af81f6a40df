use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One run of a job. `(job, scheduled_for)` is unique: a scheduled tick runs once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job: String,
    pub trigger: RunTrigger,
    /// The tick the run is for (for a manual run: when it was asked for).
    pub scheduled_for: DateTimeUtc,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub status: RunStatus,
    /// What the run did, e.g. counts.
    pub summary: Option<Json>,
    pub error: Option<String>,
    /// The process that ran it (host and process id).
    pub runner: String,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunTrigger {
    #[sea_orm(string_value = "SCHEDULE")]
    Schedule,
    #[sea_orm(string_value = "MANUAL")]
    Manual,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    #[sea_orm(string_value = "RUNNING")]
    Running,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// The job was still running from an earlier tick: this tick was skipped.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
