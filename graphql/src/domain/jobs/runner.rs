//! Running jobs: every due tick of every enabled job (what the scheduler loop calls), one
//! job now (`runJob`), or every tick a manual clock crosses as it is advanced
//! (`advanceClock`). A scheduled run calls its domain workflow as `system:scheduler`; a
//! run asked for by hand acts as whoever asked, so the four-eyes rules see the person (a
//! manager who runs the reassignment review made its decisions, and overrides none).

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use cron::Schedule;
use entity::commission_statement::StatementStatus;
use entity::job;
use entity::job_run::{self, RunTrigger};
use futures_util::future::join_all;
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::store::{self, Claim};
use super::{JobName, schedule};
use crate::domain::actor::Caller;
use crate::domain::allocation::segment::DpdBucket;
use crate::domain::audit::{self, Change};
use crate::domain::clock::{self, Clock, ManualClock};
use crate::domain::finance::reconciliation::{self, ReconcileSettings};
use crate::domain::finance::statements;
use crate::domain::performance::{ScoreSettings, snapshot};
use crate::domain::reassignment::review;
use crate::domain::tx::begin_write;
use crate::domain::webhooks::{self, DispatchSettings};
use crate::domain::{expiry, idle_watch, metrics, placement_lifecycle};
use crate::error::{AppError, AppResult};

/// What jobs need to run.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub http: reqwest::Client,
    pub dispatch: DispatchSettings,
    pub idle_days: u32,
    pub scores: ScoreSettings,
    /// The DPD buckets strategies' segments name (reassignment allocates).
    pub buckets: Vec<DpdBucket>,
    pub reconcile: ReconcileSettings,
    /// A RUNNING run older than this is taken as abandoned.
    pub stale_after: Duration,
    /// Finished runs older than this are forgotten.
    pub keep_runs: Duration,
    /// This process, as runs record it.
    pub runner: String,
}

/// The enabled jobs this version knows, with their schedules.
async fn enabled(ctx: &JobContext) -> AppResult<Vec<(JobName, Schedule, job::Model)>> {
    let mut enabled = Vec::new();
    for job in store::list(&ctx.db).await? {
        if !job.enabled {
            continue;
        }
        let Ok(name) = job.name.parse::<JobName>() else {
            tracing::warn!(job = %job.name, "a stored job this version does not know");
            continue;
        };
        enabled.push((name, schedule::parse("cron", &job.cron)?, job));
    }
    Ok(enabled)
}

/// Runs, concurrently, the latest due tick of every enabled job not yet run by any
/// process. Returns the runs this process made or skipped.
pub async fn run_due(ctx: &JobContext, now: DateTime<Utc>) -> AppResult<Vec<job_run::Model>> {
    let mut due = Vec::new();
    for (name, schedule, job) in enabled(ctx).await? {
        let since = store::last_tick(&ctx.db, name)
            .await?
            .map_or(job.updated_at, |tick| tick.max(job.updated_at));
        if let Some(tick) = schedule::latest_due(&schedule, since, now) {
            due.push((name, tick));
        }
    }
    let runs = join_all(due.into_iter().map(|(name, tick)| {
        claim_and_run(
            ctx,
            name,
            (RunTrigger::Schedule, tick),
            Caller::system("scheduler", now),
        )
    }))
    .await;
    let mut made = Vec::new();
    for run in runs {
        made.extend(run?);
    }
    Ok(made)
}

/// Runs one job now, whatever its schedule, as `caller` (a CONFLICT if it is running).
pub async fn run_now(
    ctx: &JobContext,
    name: JobName,
    caller: &Caller,
) -> AppResult<job_run::Model> {
    store::get(&ctx.db, name).await?;
    let now = caller.now;
    match claim_and_run(ctx, name, (RunTrigger::Manual, now), caller.clone()).await? {
        Some(run) if run.status != job_run::RunStatus::Skipped => Ok(run),
        Some(_) => Err(AppError::Conflict(format!(
            "job {name} is running: try again when it has finished"
        ))),
        None => Err(AppError::Conflict(format!(
            "job {name} already has a run at {now}, one run per instant: on a manual clock, \
             advance it first"
        ))),
    }
}

/// The earliest next tick of the enabled jobs: when the scheduler should look again.
pub async fn next_tick(ctx: &JobContext, now: DateTime<Utc>) -> AppResult<Option<DateTime<Utc>>> {
    Ok(enabled(ctx)
        .await?
        .iter()
        .filter_map(|(_, schedule, _)| schedule::next(schedule, now))
        .min())
}

/// What an advance of the manual clock did.
#[derive(Debug)]
pub struct ClockAdvance {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The runs made or skipped at the ticks crossed, in tick order.
    pub runs: Vec<job_run::Model>,
}

/// Moves the manual clock forward to `to`, running the jobs as the scheduler would have:
/// each enabled job's latest tick in `(from, to]` is visited in time order, the clock set
/// to it and every job due then run (the scheduler's claim, so runs are recorded as
/// scheduled runs, once per tick); then the clock is set to `to`. Jobs that fail are
/// recorded as failed runs. One advance at a time; going backwards is BAD_USER_INPUT.
/// Audited as `clock.advance`.
#[tracing::instrument(skip_all, fields(%to), err)]
pub async fn advance_clock(
    ctx: &JobContext,
    clock: &ManualClock,
    caller: &Caller,
    to: DateTime<Utc>,
) -> AppResult<ClockAdvance> {
    let _one_at_a_time = clock.exclusive().await;
    let from = clock.now();
    clock::refuse_backwards(from, to)?;
    let ticks: BTreeSet<DateTime<Utc>> = enabled(ctx)
        .await?
        .iter()
        .filter_map(|(_, schedule, _)| schedule::latest_due(schedule, from, to))
        .collect();
    let mut runs = Vec::new();
    for tick in ticks {
        clock.advance_to(tick)?;
        runs.extend(run_due(ctx, tick).await?);
    }
    clock.advance_to(to)?;
    let tx = begin_write(&ctx.db).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "clock.advance",
            entity_type: "clock",
            entity_id: "service".into(),
            before: Some(json!({ "now": from })),
            after: Some(json!({
                "now": to,
                "jobRunIds": runs.iter().map(|run| run.id.to_string()).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ClockAdvance { from, to, runs })
}

async fn claim_and_run(
    ctx: &JobContext,
    name: JobName,
    (trigger, tick): (RunTrigger, DateTime<Utc>),
    caller: Caller,
) -> AppResult<Option<job_run::Model>> {
    let now = caller.now;
    let claim = store::claim(
        &ctx.db,
        name,
        trigger,
        tick,
        now,
        &ctx.runner,
        ctx.stale_after,
    )
    .await?;
    let run = match claim {
        Claim::Run(run) => run,
        Claim::Skipped(run) => {
            tracing::warn!(job = %name, %tick, "still running from an earlier tick: skipped");
            metrics::job_run(name, run.status, None);
            return Ok(Some(run));
        }
        Claim::Taken => return Ok(None),
    };
    let started = Instant::now();
    let outcome = execute(ctx, name, trigger, &caller).await.map_err(|err| {
        tracing::warn!(job = %name, error = ?err, "job failed; the next tick tries again");
        err.to_string()
    });
    let took = started.elapsed();
    // The run's instant on the service clock, moved on by the real time it took.
    let finished_at = now + Duration::from_std(took).unwrap_or_default();
    let finished = store::finish(&ctx.db, run, finished_at, outcome).await?;
    metrics::job_run(name, finished.status, Some(took));
    store::prune(&ctx.db, name, now - ctx.keep_runs).await?;
    // Recorded in job_runs; the log only at debug level (webhook_dispatch runs every 10 s).
    tracing::debug!(job = %name, status = ?finished.status, "job run finished");
    Ok(Some(finished))
}

/// One run of the job's workflow, as `caller`; its summary.
async fn execute(
    ctx: &JobContext,
    name: JobName,
    trigger: RunTrigger,
    caller: &Caller,
) -> AppResult<serde_json::Value> {
    let now = caller.now;
    let today = now.date_naive();
    Ok(match name {
        JobName::QualificationExpiry => {
            let outcome = expiry::expire_lapsed(&ctx.db, caller, today).await?;
            json!({ "expired": outcome.expired_count })
        }
        JobName::PlacementExpiry => {
            let returned = placement_lifecycle::return_due(&ctx.db, caller, today).await?;
            let warned = placement_lifecycle::warn_due(&ctx.db, caller, today).await?;
            json!({ "returned": returned.count, "warned": warned.count })
        }
        JobName::IdleWatch => {
            let outcome = idle_watch::watch(&ctx.db, caller, now, ctx.idle_days).await?;
            json!({ "incidentsRaised": outcome.count })
        }
        JobName::WebhookDispatch => {
            let outcome = webhooks::dispatch_due(&ctx.db, &ctx.http, &ctx.dispatch, now).await?;
            json!({
                "delivered": outcome.delivered,
                "retrying": outcome.retrying,
                "dead": outcome.dead,
                "noEndpoint": outcome.no_endpoint,
            })
        }
        JobName::PerformanceSnapshot => {
            let outcome = snapshot::take(&ctx.db, now, &ctx.scores).await?;
            json!({
                "asOf": outcome.as_of,
                "rows": outcome.rows,
                "scored": outcome.scored,
            })
        }
        JobName::ReassignmentReview => {
            let outcome = review::review(
                &ctx.db,
                caller,
                now,
                (trigger, false),
                &ctx.scores,
                &ctx.buckets,
            )
            .await?;
            json!({
                "reassignmentRunId": outcome.run.id.to_string(),
                "decided": outcome.decisions.len(),
                "failedDecisions": outcome
                    .failed
                    .iter()
                    .map(|(id, error)| json!({ "decisionId": id.to_string(), "error": error }))
                    .collect::<Vec<_>>(),
            })
        }
        JobName::Reconciliation => {
            let mut runs = Vec::new();
            for period in reconciliation::scheduled_periods(today, ctx.reconcile.window) {
                let outcome =
                    reconciliation::run(&ctx.db, caller, period, trigger, &ctx.reconcile).await?;
                runs.push(json!({
                    "reconciliationRunId": outcome.run.id.to_string(),
                    "periodStart": period.0,
                    "lines": outcome.items.len(),
                }));
            }
            json!({ "runs": runs })
        }
        JobName::CommissionStatements => {
            let close_day = ctx.reconcile.close_day;
            let mut drafted = Vec::new();
            for period in statements::undrafted_months(&ctx.db, today, close_day).await? {
                let made =
                    statements::generate(&ctx.db, caller, period, &ctx.buckets, close_day).await?;
                drafted.push(json!({
                    "periodStart": period.0,
                    "periodEnd": period.1,
                    "statements": made.len(),
                    "drafts": made
                        .iter()
                        .filter(|statement| statement.status == StatementStatus::Draft)
                        .count(),
                }));
            }
            let last = reconciliation::previous_month(today);
            let waiting = statements::still_open(last, today, close_day).map(|why| {
                json!({
                    "periodStart": last.0,
                    "periodEnd": last.1,
                    "waitingUntil": statements::closes_on(last.1, close_day),
                    "message": why,
                })
            });
            let unreconciled = statements::unreconciled_close(&ctx.db, today, close_day)
                .await?
                .map(|(start, end)| {
                    let message = format!(
                        "no reconciliation of {start} to {end}, whose books have closed: \
                         reconcile the period and the next run drafts its statements"
                    );
                    tracing::warn!(%message, "commission statements cannot be drafted");
                    json!({ "periodStart": start, "periodEnd": end, "message": message })
                });
            json!({
                "drafted": drafted,
                "statements": drafted.iter().filter_map(|d| d["statements"].as_u64()).sum::<u64>(),
                "waiting": waiting,
                "unreconciled": unreconciled,
            })
        }
    })
}
