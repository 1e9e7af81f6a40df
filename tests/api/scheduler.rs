//! The scheduler with a set clock: each tick runs once across processes, a restart
//! catches up once, a job never overlaps itself; jobs over GraphQL.

use agencyflow::app::job_context;
use agencyflow::db;
use agencyflow_graphql::domain::jobs::JobName;
use agencyflow_graphql::domain::jobs::runner::{self, JobContext};
use chrono::{DateTime, Duration, DurationRound, Utc};
use entity::api_token::Role;
use entity::job_run::{self, RunStatus, RunTrigger};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, test_settings, token};

const UPDATE: &str = "mutation($name: String!, $cron: String, $enabled: Boolean) { \
    updateJob(name: $name, cron: $cron, enabled: $enabled) { name cron enabled nextRunAt } }";

/// A separate "process": its own connection pool to the app's database.
async fn process(app: &TestApp, name: &str) -> JobContext {
    let mut settings = test_settings(&app.database_url);
    settings.scheduler.stale_after_secs = 30 * 60;
    let db = db::connect(&settings.database).await.unwrap();
    job_context(&settings, db, reqwest::Client::new(), name.to_owned()).unwrap()
}

/// Only qualification_expiry runs, every minute; returns the first whole minute after now.
async fn every_minute(app: &TestApp) -> DateTime<Utc> {
    for job in JobName::ALL
        .iter()
        .map(|job| job.as_str())
        .filter(|job| *job != "qualification_expiry")
    {
        app.admin(UPDATE, json!({ "name": job, "enabled": false }))
            .await
            .data();
    }
    let answer = app
        .admin(
            UPDATE,
            json!({ "name": "qualification_expiry", "cron": "0 * * * * *", "enabled": true }),
        )
        .await;
    assert_eq!(answer.data()["updateJob"]["cron"], "0 * * * * *");
    Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::minutes(1)
}

async fn scheduled_runs(app: &TestApp) -> Vec<job_run::Model> {
    job_run::Entity::find()
        .filter(job_run::Column::Job.eq("qualification_expiry"))
        .filter(job_run::Column::Trigger.eq(RunTrigger::Schedule))
        .order_by_asc(job_run::Column::ScheduledFor)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_every_minute_job_runs_once_per_tick_with_two_processes() {
    let app = spawn_app().await;
    let base = every_minute(&app).await;
    let (one, two) = (process(&app, "one").await, process(&app, "two").await);
    for minute in 0..3 {
        let now = base + Duration::minutes(minute) + Duration::seconds(5);
        let (a, b) = tokio::join!(runner::run_due(&one, now), runner::run_due(&two, now));
        let made = a.unwrap().len() + b.unwrap().len();
        assert_eq!(made, 1, "minute {minute}: one process runs the tick");
        // A second look within the same minute finds nothing due.
        assert!(
            runner::run_due(&one, now + Duration::seconds(30))
                .await
                .unwrap()
                .is_empty()
        );
    }
    let runs = scheduled_runs(&app).await;
    let ticks: Vec<DateTime<Utc>> = runs.iter().map(|r| r.scheduled_for).collect();
    assert_eq!(
        ticks,
        (0..3)
            .map(|m| base + Duration::minutes(m))
            .collect::<Vec<_>>()
    );
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
}

#[tokio::test]
async fn after_downtime_the_missed_ticks_run_once() {
    let app = spawn_app().await;
    let base = every_minute(&app).await;
    let jobs = process(&app, "one").await;
    runner::run_due(&jobs, base).await.unwrap();
    // Down for ten minutes: on restart the job runs once, for the latest tick.
    let later = base + Duration::minutes(10) + Duration::seconds(20);
    let made = runner::run_due(&jobs, later).await.unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].scheduled_for, base + Duration::minutes(10));
    assert!(runner::run_due(&jobs, later).await.unwrap().is_empty());
    assert_eq!(scheduled_runs(&app).await.len(), 2);
}

#[tokio::test]
async fn a_job_still_running_is_not_started_again_until_it_is_abandoned() {
    let app = spawn_app().await;
    let base = every_minute(&app).await;
    let jobs = process(&app, "one").await;
    // Another process is in the middle of the job.
    let running = job_run::ActiveModel {
        job: Set("qualification_expiry".into()),
        trigger: Set(RunTrigger::Schedule),
        scheduled_for: Set(base),
        started_at: Set(base),
        finished_at: Set(None),
        status: Set(RunStatus::Running),
        summary: Set(None),
        error: Set(None),
        runner: Set("slow".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let next = base + Duration::minutes(1);
    let made = runner::run_due(&jobs, next).await.unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].status, RunStatus::Skipped);
    // runJob refuses too.
    let manual = app
        .admin(
            "mutation { runJob(name: \"qualification_expiry\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(manual.code(), Some("CONFLICT"));
    // Past the stale limit the old run counts as abandoned and the tick runs.
    let much_later = base + Duration::minutes(45);
    let made = runner::run_due(&jobs, much_later).await.unwrap();
    assert_eq!(made[0].status, RunStatus::Succeeded);
    let old = job_run::Entity::find_by_id(running.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, RunStatus::Failed);
    assert!(old.error.unwrap().contains("abandoned"));
}

#[tokio::test]
async fn jobs_are_listed_changed_and_run_over_graphql() {
    let app = spawn_app().await;
    let jobs = app
        .admin("{ jobs { name cron enabled nextRunAt } }", json!({}))
        .await;
    let names: Vec<&str> = jobs.data()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "commission_statements",
            "idle_watch",
            "performance_snapshot",
            "placement_expiry",
            "qualification_expiry",
            "reassignment_review",
            "reconciliation",
            "webhook_dispatch"
        ]
    );
    let bad = app
        .admin(
            UPDATE,
            json!({ "name": "idle_watch", "cron": "*/5 * * * *" }),
        )
        .await;
    assert_eq!(bad.code(), Some("BAD_USER_INPUT"));
    assert_eq!(bad.body["errors"][0]["extensions"]["field"], "cron");
    let unknown = app
        .admin(UPDATE, json!({ "name": "nope", "enabled": false }))
        .await;
    assert_eq!(unknown.code(), Some("BAD_USER_INPUT"));
    let finance = token(&app.db, Role::Finance, None).await;
    let refused = app
        .gql(
            Some(&finance),
            "mutation { runJob(name: \"idle_watch\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));

    let run = app
        .admin(
            "mutation { runJob(name: \"idle_watch\") { job trigger status summary finishedAt } }",
            json!({}),
        )
        .await;
    let run = &run.data()["runJob"];
    assert_eq!(run["trigger"], "MANUAL");
    assert_eq!(run["status"], "SUCCEEDED");
    assert_eq!(run["summary"], json!({ "incidentsRaised": 0 }));
    let runs = app
        .admin(
            "{ jobRuns(filter: { job: \"idle_watch\" }) { edges { node { job status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        runs.data()["jobRuns"]["edges"][0]["node"],
        json!({ "job": "idle_watch", "status": "SUCCEEDED" })
    );
}

#[tokio::test]
async fn a_stored_monthly_statements_schedule_moves_to_daily() {
    use migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    // Back to before the migration, whatever migrations come after it.
    let all = Migrator::migrations();
    let position = all
        .iter()
        .position(|m| m.name() == "m20261203_000006_daily_commission_statements")
        .unwrap();
    let steps = u32::try_from(all.len() - position).unwrap();
    let job = |cron: &str| entity::job::ActiveModel {
        name: sea_orm::ActiveValue::Unchanged("commission_statements".into()),
        cron: sea_orm::ActiveValue::Set(cron.into()),
        ..Default::default()
    };
    let cron = async || {
        entity::job::Entity::find_by_id("commission_statements")
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .cron
    };
    assert_eq!(cron().await, "0 0 5 * * *", "the new default");
    // A database seeded with the former default.
    Migrator::down(&app.db, Some(steps)).await.unwrap();
    job("0 0 5 7 * *").update(&app.db).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(cron().await, "0 0 5 * * *");
    // A schedule someone chose is kept.
    Migrator::down(&app.db, Some(steps)).await.unwrap();
    job("0 30 6 9 * *").update(&app.db).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(cron().await, "0 30 6 9 * *");
}
