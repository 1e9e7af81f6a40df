//! The service clock: a manual clock stands still until an ADMIN advances it, the jobs run
//! at the ticks it crosses, and the API stamps and judges by it.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_at, spawn_app_with, token};
use crate::reporting::{call, held, report, utc};

const CLOCK: &str = "{ clock { now manual } }";

const ADVANCE: &str = "mutation($to: DateTime!) {
  advanceClock(to: $to) { from to jobRuns { job trigger scheduledFor startedAt status } }
}";

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("not an instant: {value}"))
}

async fn now_of(app: &TestApp, token: &str) -> DateTime<Utc> {
    let answer = app.gql(Some(token), CLOCK, json!({})).await;
    assert_eq!(answer.data()["clock"]["manual"], true);
    instant(&answer.data()["clock"]["now"])
}

async fn advance(app: &TestApp, to: DateTime<Utc>) -> Value {
    app.admin(ADVANCE, json!({ "to": to })).await.data()["advanceClock"].clone()
}

/// Every job but `keep` off, so an advance runs only what a test looks at.
async fn only(app: &TestApp, keep: &[&str]) {
    let jobs = app.admin("{ jobs { name } }", json!({})).await;
    for job in jobs.data()["jobs"].as_array().unwrap() {
        let name = job["name"].as_str().unwrap();
        app.admin(
            "mutation($name: String!, $on: Boolean!) { updateJob(name: $name, enabled: $on) { name } }",
            json!({ "name": name, "on": keep.contains(&name) }),
        )
        .await
        .data();
    }
}

#[tokio::test]
async fn a_manual_clock_from_the_settings_moves_only_forward_and_is_audited() {
    let start = utc(2026, 10, 1, 0, 0);
    let app = spawn_app_with(|settings| {
        settings.clock.manual = true;
        settings.clock.start = Some("2026-10-01T00:00:00Z".into());
    })
    .await;
    // Every role reads it.
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let agency_token = token(&app.db, Role::Agency, Some(agency.id)).await;
    assert_eq!(now_of(&app, &agency_token).await, start);
    assert_eq!(now_of(&app, &app.admin_token).await, start);
    only(&app, &[]).await;

    let to = start + Duration::hours(5) + Duration::milliseconds(250);
    let advanced = advance(&app, to).await;
    assert_eq!(instant(&advanced["from"]), start);
    assert_eq!(instant(&advanced["to"]), to);
    assert_eq!(advanced["jobRuns"], json!([]));
    assert_eq!(now_of(&app, &agency_token).await, to);

    let back = app.admin(ADVANCE, json!({ "to": start })).await;
    assert_eq!(back.code(), Some("BAD_USER_INPUT"));
    assert_eq!(back.body["errors"][0]["extensions"]["field"], "to");
    assert_eq!(now_of(&app, &app.admin_token).await, to);

    // Standing still is not going back.
    let same = advance(&app, to).await;
    assert_eq!((instant(&same["from"]), instant(&same["to"])), (to, to));

    let events = app
        .admin(
            r#"{ auditEvents(filter: { action: "clock.advance" }) { edges { node { occurredAt before after } } } }"#,
            json!({}),
        )
        .await;
    let edges = events.data()["auditEvents"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "{edges:?}");
    let first = &edges[1]["node"];
    assert_eq!(instant(&first["occurredAt"]), start);
    assert_eq!(instant(&first["before"]["now"]), start);
    assert_eq!(instant(&first["after"]["now"]), to);
}

#[tokio::test]
async fn only_an_admin_advances_and_only_a_manual_clock() {
    let app = spawn_app_at(utc(2026, 10, 1, 0, 0)).await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let refused = app
        .gql(
            Some(&manager),
            ADVANCE,
            json!({ "to": utc(2026, 10, 2, 0, 0) }),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    assert_eq!(now_of(&app, &manager).await, utc(2026, 10, 1, 0, 0));

    let system = spawn_app().await;
    let clock = system.admin(CLOCK, json!({})).await;
    assert_eq!(clock.data()["clock"]["manual"], false);
    let real = Utc::now() - instant(&clock.data()["clock"]["now"]);
    assert!(real.abs() < Duration::minutes(1), "{real}");
    let conflict = system
        .admin(ADVANCE, json!({ "to": Utc::now() + Duration::days(1) }))
        .await;
    assert_eq!(conflict.code(), Some("CONFLICT"));
    let message = conflict.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("clock.manual = true") && message.contains("AGENCYFLOW__CLOCK__MANUAL"),
        "{message}"
    );
}

#[tokio::test]
async fn an_advance_runs_each_job_once_per_tick_it_visits() {
    let start = utc(2026, 10, 1, 2, 59);
    let app = spawn_app_at(start).await;
    only(&app, &["performance_snapshot", "webhook_dispatch"]).await;
    let three = utc(2026, 10, 1, 3, 0);
    let to = three + Duration::seconds(35);
    let advanced = advance(&app, to).await;
    let runs: Vec<(String, DateTime<Utc>, DateTime<Utc>, String)> = advanced["jobRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            assert_eq!(run["trigger"], "SCHEDULE");
            (
                run["job"].as_str().unwrap().to_owned(),
                instant(&run["scheduledFor"]),
                instant(&run["startedAt"]),
                run["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected = vec![
        (
            "performance_snapshot".to_owned(),
            three,
            three,
            "SUCCEEDED".to_owned(),
        ),
        (
            "webhook_dispatch".to_owned(),
            three,
            three,
            "SUCCEEDED".to_owned(),
        ),
    ];
    let mut at_three: Vec<_> = runs[..2].to_vec();
    at_three.sort();
    expected.sort();
    assert_eq!(at_three, expected, "{runs:?}");
    // The dispatcher's 10-second ticks between 03:00:00 and 03:00:35 collapse into the last.
    let last = three + Duration::seconds(30);
    assert_eq!(
        runs[2..],
        [(
            "webhook_dispatch".to_owned(),
            last,
            last,
            "SUCCEEDED".to_owned()
        )]
    );
    assert_eq!(now_of(&app, &app.admin_token).await, to);

    // The snapshot ran at its tick, on the clock's day.
    let snapshot = app
        .admin(
            r#"{ jobRuns(filter: { job: "performance_snapshot" }) { edges { node { summary } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        snapshot.data()["jobRuns"]["edges"][0]["node"]["summary"]["asOf"]
            .as_str()
            .map(|day| day.starts_with("2026-10-01")),
        Some(true),
        "{}",
        snapshot.body
    );
}

#[tokio::test]
async fn reports_are_judged_by_the_clock() {
    // Two weeks after the placement, and well before real time.
    let now = utc(2026, 6, 15, 18, 0);
    let app = spawn_app_at(now).await;
    let texan = held(
        &app,
        "TEX",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let answer = report(
        &app,
        &texan.token,
        json!([
            call(
                "before",
                texan.account.id,
                "2026-06-15T17:00:00Z",
                "NO_ANSWER"
            ),
            call(
                "after",
                texan.account.id,
                "2026-06-15T19:00:00Z",
                "NO_ANSWER"
            ),
        ]),
    )
    .await;
    let codes: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["OK", "OCCURRED_IN_FUTURE"], "{answer}");
}

#[tokio::test]
async fn an_allocation_places_at_the_clocks_now() {
    // Three days ago: the fixtures' papers and delinquencies, set from real today, hold.
    let now = (Utc::now() - Duration::days(3)).trunc_subsecs(0);
    let app = spawn_app_at(now).await;
    let agency = fixtures::qualified_agency(&app.db, "ALPHA", "US-TX", &[]).await;
    let portfolio = fixtures::portfolio(&app.db, "P1").await;
    fixtures::delinquent_account(&app.db, portfolio.id, "ACC-1", "US-TX", 10).await;
    let strategy = app
        .admin(
            "mutation($input: AllocationStrategyInput!) {
               createAllocationStrategy(code: \"TX\", input: $input) { id } }",
            json!({ "input": {
                "name": "Texas early stage",
                "kindOfWork": "EARLY_STAGE",
                "level": "PRIMARY",
                "segment": { "dpdBuckets": ["M1"], "regions": ["US-TX"] },
                "splitMethod": "EQUAL",
            } }),
        )
        .await;
    let run = app
        .admin(
            "mutation($strategyId: ID!, $portfolioId: ID!) {
               runAllocation(strategyId: $strategyId, portfolioId: $portfolioId, seed: 1) {
                 placedCount run { id } } }",
            json!({
                "strategyId": strategy.data()["createAllocationStrategy"]["id"],
                "portfolioId": portfolio.id.to_string(),
            }),
        )
        .await;
    assert_eq!(run.data()["runAllocation"]["placedCount"], 1);
    let stored = app
        .admin(
            "query($id: ID!) { allocationRun(id: $id) {
               placements { edges { node { placedAt dueBackOn agency { id } } } } } }",
            json!({ "id": run.data()["runAllocation"]["run"]["id"] }),
        )
        .await;
    let placement = &stored.data()["allocationRun"]["placements"]["edges"][0]["node"];
    assert_eq!(placement["agency"]["id"], agency.id.to_string());
    assert_eq!(instant(&placement["placedAt"]), now);
    assert_eq!(now_of(&app, &app.admin_token).await, now);
}

#[tokio::test]
async fn a_job_run_by_hand_twice_at_one_instant_says_to_advance_the_clock() {
    let app = spawn_app_at(utc(2026, 11, 2, 9, 0)).await;
    let run = "mutation { runJob(name: \"idle_watch\") { status } }";
    assert_eq!(
        app.admin(run, json!({})).await.data()["runJob"]["status"],
        "SUCCEEDED"
    );
    let again = app.admin(run, json!({})).await;
    assert_eq!(again.code(), Some("CONFLICT"));
    let message = again.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("advance it first"), "{message}");

    advance(&app, utc(2026, 11, 2, 9, 1)).await;
    assert_eq!(
        app.admin(run, json!({})).await.data()["runJob"]["status"],
        "SUCCEEDED"
    );
}
