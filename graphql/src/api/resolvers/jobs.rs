use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{job, job_run};

use crate::api::context::{caller, db, now};
use crate::api::cost;
use crate::api::guard::{ADMIN, JOB_READERS, MANAGERS, RoleGuard};
use crate::api::ids::to_id;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{JobRunStatus, JobRunTrigger, to_stored};
use crate::domain::jobs::runner::{self, JobContext};
use crate::domain::jobs::store::{self, RunFilter};
use crate::domain::jobs::{JobName, schedule};
use crate::error::AppResult;

#[derive(Default)]
pub struct JobQuery;

#[derive(Default)]
pub struct JobMutation;

/// A scheduled job.
#[derive(SimpleObject)]
pub struct Job {
    pub name: String,
    /// Cron expression with seconds, in UTC, e.g. `0 30 1 * * *`.
    pub cron: String,
    pub enabled: bool,
    /// The next tick, if enabled.
    pub next_run_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Job {
    /// The job as of `now` (its next tick is after it).
    fn new(model: job::Model, now: DateTime<Utc>) -> AppResult<Self> {
        let next_run_at = if model.enabled {
            schedule::next(&schedule::parse("cron", &model.cron)?, now)
        } else {
            None
        };
        Ok(Self {
            name: model.name,
            cron: model.cron,
            enabled: model.enabled,
            next_run_at,
            updated_at: model.updated_at,
            updated_by: model.updated_by,
        })
    }
}

/// One run of a job.
#[derive(SimpleObject)]
pub struct JobRun {
    pub id: ID,
    pub job: String,
    pub trigger: JobRunTrigger,
    /// The tick the run is for (for a manual run: when it was asked for).
    pub scheduled_for: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: JobRunStatus,
    /// What the run did, e.g. counts.
    pub summary: Option<Json<serde_json::Value>>,
    pub error: Option<String>,
    /// The process that ran it.
    pub runner: String,
}

impl JobRun {
    pub(crate) fn new(model: job_run::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(model.id),
            job: model.job,
            trigger: model.trigger.into(),
            scheduled_for: model.scheduled_for,
            started_at: model.started_at,
            finished_at: model.finished_at,
            status: model.status.into(),
            summary: model.summary.map(Json),
            error: model.error,
            runner: model.runner,
        })
    }
}

#[derive(InputObject, Default)]
pub struct JobRunsFilter {
    pub job: Option<String>,
    pub status: Option<Vec<JobRunStatus>>,
}

#[Object]
impl JobQuery {
    /// The scheduled jobs, by name.
    #[graphql(
        guard = "RoleGuard::new(JOB_READERS)",
        complexity = "cost::list(child_complexity)"
    )]
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Job>> {
        Ok(store::list(db(ctx))
            .await?
            .into_iter()
            .map(|job| Job::new(job, now(ctx)))
            .collect::<AppResult<_>>()?)
    }

    /// Runs of the jobs, newest first.
    #[graphql(
        guard = "RoleGuard::new(JOB_READERS)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn job_runs(
        &self,
        ctx: &Context<'_>,
        filter: Option<JobRunsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, JobRun>> {
        let filter = filter.unwrap_or_default();
        let filter = RunFilter {
            job: filter
                .job
                .map(|name| JobName::parse_field("filter.job", &name))
                .transpose()?,
            status: filter.status.as_deref().map(to_stored),
        };
        let page = store::runs(db(ctx), filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |r| r.id, JobRun::new)?)
    }
}

#[Object]
impl JobMutation {
    /// Changes a job's cron expression (with seconds, UTC) and/or whether it runs. Every
    /// service process follows the change within 30 seconds.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn update_job(
        &self,
        ctx: &Context<'_>,
        name: String,
        cron: Option<String>,
        enabled: Option<bool>,
    ) -> async_graphql::Result<Job> {
        let caller = caller(ctx)?;
        let job = store::update(db(ctx), &caller, name.parse()?, cron, enabled).await?;
        Ok(Job::new(job, caller.now)?)
    }

    /// Runs a job now, as the caller, and answers its run (CONFLICT while the job is
    /// running): what it does is recorded as the caller's (a manager who runs the
    /// reassignment review made its decisions).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_job(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<JobRun> {
        let jobs = ctx.data_unchecked::<JobContext>();
        let run = runner::run_now(jobs, name.parse()?, &caller(ctx)?).await?;
        Ok(JobRun::new(run)?)
    }
}
