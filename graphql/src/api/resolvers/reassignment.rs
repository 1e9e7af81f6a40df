use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use entity::job_run::RunTrigger;
use entity::reassignment_policy::{Rule, Trigger};

use crate::api::context::{caller, db};
use crate::api::cost;
use crate::api::guard::{LENDER, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{ReassignmentAction, ReassignmentTrigger, ScoreWindow};
use crate::api::types::reassignment::{ReassignmentDecision, ReassignmentPolicy, ReassignmentRun};
use crate::domain::jobs::runner::JobContext;
use crate::domain::reassignment::decisions::{self, Act};
use crate::domain::reassignment::policies::{self, PolicyInput};
use crate::domain::reassignment::{execute, review};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct ReassignmentQuery;

#[derive(Default)]
pub struct ReassignmentMutation;

/// One rule: a trigger, its thresholds and the action it calls for.
#[derive(InputObject)]
pub struct ReassignmentRuleInput {
    pub trigger: ReassignmentTrigger,
    pub action: ReassignmentAction,
    /// RECOVERY_BELOW_PEER_MEDIAN: the window compared (default LAST_90_DAYS).
    pub window: Option<ScoreWindow>,
    /// RECOVERY_BELOW_PEER_MEDIAN: share of the peer median, e.g. 6000 for 60%;
    /// IDLE_SHARE_ABOVE: share of the accounts held, e.g. 2000 for 20%.
    pub threshold_bp: Option<i32>,
    /// The fewest accounts placed (recovery) or held (idle share) for a verdict
    /// (default 50).
    pub min_accounts: Option<i64>,
    /// HIGH_INCIDENTS: how many in 30 days.
    pub count: Option<i64>,
}

#[derive(InputObject)]
pub struct ReassignmentPolicyInput {
    /// An allocation strategy code, or `*` for every segment without its own policy.
    pub segment: String,
    /// Hours a decision waits for an override (default 48; CRITICAL: none).
    #[graphql(default = 48)]
    pub grace_hours: i32,
    pub rules: Vec<ReassignmentRuleInput>,
}

/// The fewest accounts for a verdict when a rule does not say (DOMAIN's thin-data floor).
const DEFAULT_MIN_ACCOUNTS: i64 = 50;

fn rule(index: usize, input: ReassignmentRuleInput) -> AppResult<Rule> {
    let threshold = || {
        input.threshold_bp.ok_or_else(|| {
            AppError::bad_input(
                &format!("rules.{index}.thresholdBp"),
                "this trigger needs a threshold",
            )
        })
    };
    let min_accounts = input.min_accounts.unwrap_or(DEFAULT_MIN_ACCOUNTS);
    let trigger = match input.trigger {
        ReassignmentTrigger::RecoveryBelowPeerMedian => Trigger::RecoveryBelowPeerMedian {
            window: input.window.unwrap_or(ScoreWindow::Last90Days).into(),
            percent_bp: threshold()?,
            min_accounts,
        },
        ReassignmentTrigger::IdleShareAbove => Trigger::IdleShareAbove {
            share_bp: threshold()?,
            min_accounts,
        },
        ReassignmentTrigger::HighIncidents => Trigger::HighIncidents {
            count: input.count.ok_or_else(|| {
                AppError::bad_input(
                    &format!("rules.{index}.count"),
                    "say how many HIGH incidents",
                )
            })?,
        },
        ReassignmentTrigger::CriticalIncident => Trigger::CriticalIncident,
        ReassignmentTrigger::QualificationLapsed => Trigger::QualificationLapsed,
    };
    Ok(Rule {
        trigger,
        action: input.action.into(),
    })
}

#[Object]
impl ReassignmentQuery {
    /// Reassignment policies, oldest first; by default only each segment's current one.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn reassignment_policies(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] active_only: bool,
    ) -> async_graphql::Result<Vec<ReassignmentPolicy>> {
        Ok(policies::list(db(ctx), active_only)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Reviews, newest first.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn reassignment_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ReassignmentRun>> {
        let conn = db(ctx);
        let page = decisions::runs(conn, page_request(ctx, first, after)?).await?;
        let mut with_decisions = Vec::new();
        for run in page.items {
            let of_run = decisions::of_run(conn, run.id).await?;
            with_decisions.push((run, of_run));
        }
        let page = crate::domain::page::Page {
            items: with_decisions,
            has_next_page: page.has_next_page,
        };
        Ok(connection(
            page,
            |(run, _)| run.id,
            |(run, of_run)| Ok(ReassignmentRun::new(run, of_run)),
        )?)
    }

    /// One review with its decisions.
    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn reassignment_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ReassignmentRun> {
        let conn = db(ctx);
        let run = decisions::run(conn, ids::parse("id", &id)?).await?;
        let of_run = decisions::of_run(conn, run.id).await?;
        Ok(ReassignmentRun::new(run, of_run))
    }
}

#[Object]
impl ReassignmentMutation {
    /// Sets a segment's policy: adds its next version and retires the current one.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn set_reassignment_policy(
        &self,
        ctx: &Context<'_>,
        input: ReassignmentPolicyInput,
    ) -> async_graphql::Result<ReassignmentPolicy> {
        let rules = input
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| rule(i, r))
            .collect::<AppResult<_>>()?;
        let policy = policies::set(
            db(ctx),
            &caller(ctx)?,
            PolicyInput {
                segment: input.segment.trim().to_owned(),
                grace_hours: input.grace_hours,
                rules,
            },
        )
        .await?;
        Ok(policy.into())
    }

    /// Reviews every agency against the policies now and executes the decisions whose
    /// grace period has ended. A dry run records what it would decide (PROPOSED) and
    /// executes nothing.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_reassignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] dry_run: bool,
    ) -> async_graphql::Result<ReassignmentRun> {
        let jobs = ctx.data_unchecked::<JobContext>();
        let caller = caller(ctx)?;
        let outcome = review::review(
            db(ctx),
            &caller,
            caller.now,
            (RunTrigger::Manual, dry_run),
            &jobs.scores,
            &jobs.buckets,
        )
        .await?;
        Ok(ReassignmentRun::new(outcome.run, outcome.decisions))
    }

    /// Stops a PENDING or HELD decision, with the reason on record (CONFLICT once it has
    /// executed or been stopped; FORBIDDEN to whoever ran the review that made it).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn override_reassignment(
        &self,
        ctx: &Context<'_>,
        decision_id: ID,
        reason: String,
    ) -> async_graphql::Result<ReassignmentDecision> {
        act(ctx, &decision_id, Act::Override, &reason).await
    }

    /// Holds a PENDING decision: it does not execute, whatever its grace period, until it
    /// is approved or overridden. The reason is on record.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn hold_reassignment(
        &self,
        ctx: &Context<'_>,
        decision_id: ID,
        reason: String,
    ) -> async_graphql::Result<ReassignmentDecision> {
        act(ctx, &decision_id, Act::Hold, &reason).await
    }

    /// Approves a PENDING or HELD decision and executes it now, before its grace period
    /// ends; the answer is the decision as the execution left it (EXECUTED, or PENDING and
    /// due if the execution failed: the next review finishes it).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn approve_reassignment(
        &self,
        ctx: &Context<'_>,
        decision_id: ID,
        note: String,
    ) -> async_graphql::Result<ReassignmentDecision> {
        let approved = act(ctx, &decision_id, Act::Approve, &note).await?;
        let jobs = ctx.data_unchecked::<JobContext>();
        let id = ids::parse("decisionId", &decision_id)?;
        let caller = caller(ctx)?;
        let buckets = (jobs.buckets.as_slice(), jobs.scores.idle_days);
        match execute::execute_now(db(ctx), &caller, id, buckets).await {
            Ok(Some(done)) => Ok(done.into()),
            Ok(None) => Ok(approved),
            Err(err) => {
                tracing::warn!(decision = id, error = %err, "an approved reassignment did not execute; the next review finishes it");
                Ok(approved)
            }
        }
    }
}

async fn act(
    ctx: &Context<'_>,
    decision_id: &ID,
    act: Act,
    reason: &str,
) -> async_graphql::Result<ReassignmentDecision> {
    let decision = decisions::act(
        db(ctx),
        &caller(ctx)?,
        ids::parse("decisionId", decision_id)?,
        act,
        reason,
    )
    .await?;
    Ok(decision.into())
}
