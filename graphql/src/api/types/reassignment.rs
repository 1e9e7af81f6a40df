use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::reassignment_policy::{self, Trigger};
use entity::{reassignment_decision, reassignment_run};

use super::agency::Agency;
use super::enums::{
    JobRunTrigger, ReassignmentAction, ReassignmentDecisionStatus, ReassignmentTrigger, ScoreWindow,
};
use crate::api::cost;
use crate::api::ids::to_id;

/// One rule of a policy: a trigger with its thresholds, and the action it calls for.
#[derive(SimpleObject)]
pub struct ReassignmentRule {
    pub trigger: ReassignmentTrigger,
    pub action: ReassignmentAction,
    pub window: Option<ScoreWindow>,
    /// Basis points: of the peer median (recovery) or of the accounts held (idle share).
    pub threshold_bp: Option<i32>,
    pub min_accounts: Option<i64>,
    /// HIGH incidents in 30 days.
    pub count: Option<i64>,
}

impl From<&reassignment_policy::Rule> for ReassignmentRule {
    fn from(rule: &reassignment_policy::Rule) -> Self {
        let mut out = Self {
            trigger: ReassignmentTrigger::CriticalIncident,
            action: rule.action.into(),
            window: None,
            threshold_bp: None,
            min_accounts: None,
            count: None,
        };
        match &rule.trigger {
            Trigger::RecoveryBelowPeerMedian {
                window,
                percent_bp,
                min_accounts,
            } => {
                out.trigger = ReassignmentTrigger::RecoveryBelowPeerMedian;
                out.window = Some((*window).into());
                out.threshold_bp = Some(*percent_bp);
                out.min_accounts = Some(*min_accounts);
            }
            Trigger::IdleShareAbove {
                share_bp,
                min_accounts,
            } => {
                out.trigger = ReassignmentTrigger::IdleShareAbove;
                out.threshold_bp = Some(*share_bp);
                out.min_accounts = Some(*min_accounts);
            }
            Trigger::HighIncidents { count } => {
                out.trigger = ReassignmentTrigger::HighIncidents;
                out.count = Some(*count);
            }
            Trigger::CriticalIncident => {}
            Trigger::QualificationLapsed => out.trigger = ReassignmentTrigger::QualificationLapsed,
        }
        out
    }
}

/// One version of a segment's reassignment policy.
#[derive(SimpleObject)]
pub struct ReassignmentPolicy {
    pub id: ID,
    /// An allocation strategy code, or `*` for segments without a policy of their own.
    pub segment: String,
    pub version: i32,
    pub active: bool,
    pub grace_hours: i32,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub rules: Vec<ReassignmentRule>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<reassignment_policy::Model> for ReassignmentPolicy {
    fn from(p: reassignment_policy::Model) -> Self {
        Self {
            id: to_id(p.id),
            rules: p.rules.0.iter().map(ReassignmentRule::from).collect(),
            segment: p.segment,
            version: p.version,
            active: p.active,
            grace_hours: p.grace_hours,
            created_by: p.created_by,
            created_at: p.created_at,
        }
    }
}

/// What a review decided for one agency in one segment, why, and what became of it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReassignmentDecision {
    pub id: ID,
    pub run_id: ID,
    pub policy_id: ID,
    pub agency_id: ID,
    pub segment: String,
    pub currency: String,
    pub action: ReassignmentAction,
    pub status: ReassignmentDecisionStatus,
    /// Each rule that fired: trigger, window, measured figure, threshold, action.
    pub findings: Json<serde_json::Value>,
    pub decided_at: DateTime<Utc>,
    /// When it executes unless overridden.
    pub execute_after: DateTime<Utc>,
    pub executed_at: Option<DateTime<Utc>>,
    /// Accounts recalled, where they went, and the allocation runs that placed them.
    pub outcome: Option<Json<serde_json::Value>>,
    pub override_reason: Option<String>,
    pub overridden_by: Option<String>,
    /// Why a vendor manager held it (`holdReassignment`), who and when.
    pub hold_reason: Option<String>,
    pub held_by: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
    /// A vendor manager's approval to execute it at once (`approveReassignment`).
    pub approval_note: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub agency: i64,
}

impl From<reassignment_decision::Model> for ReassignmentDecision {
    fn from(d: reassignment_decision::Model) -> Self {
        Self {
            id: to_id(d.id),
            run_id: to_id(d.run_id),
            policy_id: to_id(d.policy_id),
            agency_id: to_id(d.agency_id),
            segment: d.segment,
            currency: d.currency,
            action: d.action.into(),
            status: d.status.into(),
            findings: Json(d.findings),
            decided_at: d.decided_at,
            execute_after: d.execute_after,
            executed_at: d.executed_at,
            outcome: d.outcome.map(Json),
            override_reason: d.override_reason,
            overridden_by: d.overridden_by,
            hold_reason: d.hold_reason,
            held_by: d.held_by,
            held_at: d.held_at,
            approval_note: d.approval_note,
            approved_by: d.approved_by,
            approved_at: d.approved_at,
            agency: d.agency_id,
        }
    }
}

#[ComplexObject]
impl ReassignmentDecision {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency).await?)
    }
}

/// One review of every agency against the policies.
#[derive(SimpleObject)]
pub struct ReassignmentRun {
    pub id: ID,
    pub trigger: JobRunTrigger,
    pub dry_run: bool,
    pub as_of: NaiveDate,
    /// Counts of what it decided.
    pub summary: Json<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub decisions: Vec<ReassignmentDecision>,
}

impl ReassignmentRun {
    pub fn new(run: reassignment_run::Model, decisions: Vec<reassignment_decision::Model>) -> Self {
        Self {
            id: to_id(run.id),
            trigger: run.trigger.into(),
            dry_run: run.dry_run,
            as_of: run.as_of,
            summary: Json(run.summary),
            created_by: run.created_by,
            created_at: run.created_at,
            decisions: decisions.into_iter().map(Into::into).collect(),
        }
    }
}
