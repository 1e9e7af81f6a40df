//! Jobs and their runs in the database: seeding, changing, claiming a tick, recording
//! the outcome.

use chrono::{DateTime, Duration, Utc};
use entity::job;
use entity::job_run::{self, RunStatus, RunTrigger};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};
use serde_json::json;

use super::{JobName, schedule};
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tx::begin_write;
use crate::domain::validate::{self, MAX_LIST};
use crate::error::{AppError, AppResult};

/// A job's schedule as configured.
#[derive(Clone, Debug)]
pub struct JobDefault {
    pub job: JobName,
    pub cron: String,
    pub enabled: bool,
}

/// Adds the configured jobs the database does not have yet, as of `now` on the service
/// clock (their first due tick is after it); a job changed through the API keeps its
/// stored schedule.
pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    defaults: &[JobDefault],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for default in defaults {
        schedule::parse("cron", &default.cron)?;
        job::Entity::insert(job::ActiveModel {
            name: Set(default.job.as_str().to_owned()),
            cron: Set(default.cron.trim().to_owned()),
            enabled: Set(default.enabled),
            created_at: Set(now),
            updated_at: Set(now),
            updated_by: Set("system:config".to_owned()),
        })
        .on_conflict_do_nothing_on([job::Column::Name])
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

pub async fn list<C: ConnectionTrait>(conn: &C) -> AppResult<Vec<job::Model>> {
    Ok(job::Entity::find()
        .order_by_asc(job::Column::Name)
        .all(conn)
        .await?)
}

pub async fn get<C: ConnectionTrait>(conn: &C, name: JobName) -> AppResult<job::Model> {
    job::Entity::find_by_id(name.as_str())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("job", name))
}

/// Changes a job's cron expression and/or whether it runs. Audited.
pub async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    name: JobName,
    cron: Option<String>,
    enabled: Option<bool>,
) -> AppResult<job::Model> {
    if let Some(cron) = &cron {
        schedule::parse("cron", cron)?;
    }
    let tx = begin_write(db).await?;
    let before = job::Entity::find_by_id(name.as_str())
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("job", name))?;
    let mut changed = before.clone().into_active_model();
    if let Some(cron) = cron {
        changed.cron = Set(cron.trim().to_owned());
    }
    if let Some(enabled) = enabled {
        changed.enabled = Set(enabled);
    }
    changed.updated_at = Set(caller.now);
    changed.updated_by = Set(caller.actor.audit_name());
    let after = changed.update(&tx).await?;
    let view = |j: &job::Model| json!({ "cron": j.cron, "enabled": j.enabled });
    audit::record(
        &tx,
        caller,
        Change {
            action: "job.update",
            entity_type: "job",
            entity_id: name.to_string(),
            before: Some(view(&before)),
            after: Some(view(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The newest scheduled tick recorded for the job.
pub async fn last_tick<C: ConnectionTrait>(
    conn: &C,
    name: JobName,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(job_run::Entity::find()
        .select_only()
        .column(job_run::Column::ScheduledFor)
        .filter(job_run::Column::Job.eq(name.as_str()))
        .filter(job_run::Column::Trigger.eq(RunTrigger::Schedule))
        .order_by_desc(job_run::Column::ScheduledFor)
        .into_tuple::<DateTime<Utc>>()
        .one(conn)
        .await?)
}

/// What a claim got.
#[derive(Debug)]
pub enum Claim {
    /// This process runs the tick: the RUNNING run.
    Run(job_run::Model),
    /// The job was still running: the tick is recorded as SKIPPED.
    Skipped(job_run::Model),
    /// Another process claimed the tick first.
    Taken,
}

/// Claims `scheduled_for` of the job for this process. The job's row lock serialises
/// claimers; a RUNNING run younger than `stale_after` means the job is still going, an
/// older one is taken as abandoned (its process stopped) and marked FAILED.
pub async fn claim(
    db: &DatabaseConnection,
    name: JobName,
    trigger: RunTrigger,
    scheduled_for: DateTime<Utc>,
    now: DateTime<Utc>,
    runner: &str,
    stale_after: Duration,
) -> AppResult<Claim> {
    let tx = begin_write(db).await?;
    job::Entity::find_by_id(name.as_str())
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("job", name))?;
    let running = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(name.as_str()))
        .filter(job_run::Column::Status.eq(RunStatus::Running))
        .all(&tx)
        .await?;
    let (stale, live): (Vec<_>, Vec<_>) = running
        .into_iter()
        .partition(|run| run.started_at <= now - stale_after);
    if !stale.is_empty() {
        job_run::Entity::update_many()
            .set(job_run::ActiveModel {
                status: Set(RunStatus::Failed),
                finished_at: Set(Some(now)),
                error: Set(Some(
                    "abandoned: its process stopped before it finished".into(),
                )),
                ..Default::default()
            })
            .filter(any_of(
                tx.get_database_backend(),
                job_run::Column::Id,
                stale.iter().map(|run| run.id),
            ))
            .exec(&tx)
            .await?;
    }
    let status = if live.is_empty() {
        RunStatus::Running
    } else {
        RunStatus::Skipped
    };
    let inserted = job_run::Entity::insert(job_run::ActiveModel {
        job: Set(name.as_str().to_owned()),
        trigger: Set(trigger),
        scheduled_for: Set(scheduled_for),
        started_at: Set(now),
        finished_at: Set((status == RunStatus::Skipped).then_some(now)),
        status: Set(status),
        summary: Set(None),
        error: Set((status == RunStatus::Skipped)
            .then(|| format!("run {} of the job was still going", live[0].id))),
        runner: Set(runner.to_owned()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([job_run::Column::Job, job_run::Column::ScheduledFor])
    .exec_with_returning_many(&tx)
    .await?;
    tx.commit().await?;
    let inserted = match inserted {
        TryInsertResult::Inserted(rows) => rows.into_iter().next(),
        _ => None,
    };
    Ok(match inserted {
        Some(run) if run.status == RunStatus::Running => Claim::Run(run),
        Some(run) => Claim::Skipped(run),
        None => Claim::Taken,
    })
}

/// Records how a run ended.
pub async fn finish(
    db: &DatabaseConnection,
    run: job_run::Model,
    now: DateTime<Utc>,
    outcome: Result<serde_json::Value, String>,
) -> AppResult<job_run::Model> {
    let mut finished = run.into_active_model();
    finished.finished_at = Set(Some(now));
    match outcome {
        Ok(summary) => {
            finished.status = Set(RunStatus::Succeeded);
            finished.summary = Set(Some(summary));
        }
        Err(error) => {
            finished.status = Set(RunStatus::Failed);
            finished.error = Set(Some(error));
        }
    }
    Ok(finished.update(db).await?)
}

/// Forgets finished runs of the job older than `keep`.
pub async fn prune<C: ConnectionTrait>(
    conn: &C,
    name: JobName,
    before: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(job_run::Entity::delete_many()
        .filter(job_run::Column::Job.eq(name.as_str()))
        .filter(job_run::Column::Status.ne(RunStatus::Running))
        .filter(job_run::Column::StartedAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}

#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub job: Option<JobName>,
    pub status: Option<Vec<RunStatus>>,
}

/// Runs, newest first.
pub async fn runs<C: ConnectionTrait>(
    conn: &C,
    filter: RunFilter,
    page: PageRequest,
) -> AppResult<Page<job_run::Model>> {
    let mut select = job_run::Entity::find();
    if let Some(job) = filter.job {
        select = select.filter(job_run::Column::Job.eq(job.as_str()));
    }
    if let Some(status) = validate::optional_list("filter.status", filter.status, MAX_LIST)? {
        select = select.filter(any_of(
            conn.get_database_backend(),
            job_run::Column::Status,
            status,
        ));
    }
    fetch_page(
        conn,
        select,
        job_run::Column::Id,
        page,
        Direction::Descending,
    )
    .await
}
