use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::reassignment_policy::Action;

/// What a review decided for one agency in one segment, why, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reassignment_decisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub policy_id: i64,
    pub agency_id: i64,
    pub segment: String,
    pub currency: String,
    pub action: Action,
    pub status: DecisionStatus,
    /// Each rule that fired: the figure measured, the threshold, the action it calls for.
    pub findings: Json,
    pub decided_at: DateTimeUtc,
    /// The end of the grace period, when the decision executes unless overridden.
    pub execute_after: DateTimeUtc,
    /// The placements it recalls, fixed when execution starts (so a resumed execution
    /// moves the same ones).
    pub placement_ids: Option<PlacementIds>,
    /// What the execution did: accounts recalled and where they went.
    pub outcome: Option<Json>,
    pub executed_at: Option<DateTimeUtc>,
    pub override_reason: Option<String>,
    pub overridden_by: Option<String>,
    /// Why a vendor manager held it, who and when.
    pub hold_reason: Option<String>,
    pub held_by: Option<String>,
    pub held_at: Option<DateTimeUtc>,
    /// A vendor manager's approval to execute it before its grace period ends.
    pub approval_note: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct PlacementIds(pub Vec<i64>);

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DecisionStatus {
    /// From a dry run: never executes.
    #[sea_orm(string_value = "PROPOSED")]
    Proposed,
    /// Waiting out its grace period.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// A vendor manager held it: it does not execute until approved (or is overridden).
    #[sea_orm(string_value = "HELD")]
    Held,
    /// Execution started; a later pass finishes it if the process stopped.
    #[sea_orm(string_value = "EXECUTING")]
    Executing,
    #[sea_orm(string_value = "EXECUTED")]
    Executed,
    /// A vendor manager stopped it.
    #[sea_orm(string_value = "OVERRIDDEN")]
    Overridden,
    /// A later review decided a stronger action for the same agency and segment.
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
