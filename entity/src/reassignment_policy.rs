use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::performance_snapshot::ScoreWindow;

/// One version of the rules that judge agencies in a segment (`*`: every segment without
/// a policy of its own). A change adds the next version; decisions keep pointing at the
/// version that made them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reassignment_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub segment: String,
    pub version: i32,
    pub active: bool,
    /// Hours a decision waits for a person's override before it executes (0 for a
    /// decision a CRITICAL incident triggered).
    pub grace_hours: i32,
    pub rules: Rules,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Rules(pub Vec<Rule>);

/// A trigger and the action it calls for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub trigger: Trigger,
    pub action: Action,
}

/// What makes a rule fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    /// Recovery rate below `percent_bp` of the segment's peer median over `window`, for
    /// an agency with at least `min_accounts` placed in it (no verdict on fewer).
    #[serde(rename_all = "camelCase")]
    RecoveryBelowPeerMedian {
        window: ScoreWindow,
        percent_bp: i32,
        min_accounts: i64,
    },
    /// Idle accounts above `share_bp` of the accounts held, with at least `min_accounts`
    /// held.
    #[serde(rename_all = "camelCase")]
    IdleShareAbove { share_bp: i32, min_accounts: i64 },
    /// At least `count` HIGH incidents in the last 30 days.
    #[serde(rename_all = "camelCase")]
    HighIncidents { count: i64 },
    /// A CRITICAL incident in the last 30 days, not yet resolved or waived.
    CriticalIncident,
    /// The agency holds accounts in the segment it is no longer qualified for.
    QualificationLapsed,
}

/// What a decision does, in escalating order: each includes what the ones before do.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// Tell the agency (webhook and audit).
    #[sea_orm(string_value = "WARN")]
    Warn,
    /// Put the agency on probation: its allocation share is halved.
    #[sea_orm(string_value = "PROBATION")]
    Probation,
    /// Probation, and recall its idle accounts in the segment to other agencies.
    #[sea_orm(string_value = "RECALL_IDLE")]
    RecallIdle,
    /// Suspend the agency and recall all its accounts to other agencies.
    #[sea_orm(string_value = "RECALL_ALL")]
    RecallAll,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
