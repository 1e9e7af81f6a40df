//! Tracked imports: `startAccountImport` answers at once, the import runs in the
//! background, and `accountImport` follows it to its end (counts as it goes, the refused
//! rows as a CSV file after).

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::account_import::{self, ImportStatus};
use entity::api_token::Role;
use entity::audit_event;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token};
use crate::intake::{csv, csv_line, portfolio};

const START: &str = "mutation($portfolioId: ID!, $file: Upload!, $atomic: Boolean) { \
    startAccountImport(portfolioId: $portfolioId, file: $file, atomic: $atomic) { id status fileName } }";

const IMPORT: &str = "query($id: ID!) { accountImport(id: $id) { id portfolioId fileName atomic \
    status failure startedBy startedAt finishedAt rejectedRowsCsv \
    report { rowsRead created updated rejected errorCount errors { row field message } } } }";

const IMPORTS: &str = "query($portfolioId: ID!) { accountImports(portfolioId: $portfolioId) { \
    edges { node { id status report { rowsRead } } } } }";

async fn start(app: &TestApp, token: &str, portfolio: &str, file: Vec<u8>, atomic: bool) -> String {
    let answer = app
        .upload(
            Some(token),
            START,
            json!({ "portfolioId": portfolio, "atomic": atomic }),
            file,
        )
        .await;
    let started = &answer.data()["startAccountImport"];
    assert_eq!(started["status"], "RUNNING", "{started}");
    assert_eq!(started["fileName"], "accounts.csv");
    started["id"].as_str().unwrap().to_owned()
}

async fn import_of(app: &TestApp, id: &str) -> Value {
    app.admin(IMPORT, json!({ "id": id })).await.data()["accountImport"].clone()
}

/// Polls the import until it is over; returns every answer read on the way.
async fn follow(app: &TestApp, id: &str) -> Vec<Value> {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let import = import_of(app, id).await;
        let over = import["status"] != "RUNNING";
        seen.push(import);
        if over {
            return seen;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn counts(import: &Value) -> [i64; 5] {
    let report = &import["report"];
    ["rowsRead", "created", "updated", "rejected", "errorCount"]
        .map(|k| report[k].as_i64().unwrap())
}

#[tokio::test]
async fn a_started_import_is_followed_to_its_end_and_hands_back_its_refused_rows() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let mut lines: Vec<String> = (1..=12_000).map(|i| csv_line(&format!("T-{i}"))).collect();
    lines[4_999] = csv_line("T-5000").replace("US-TX", "Texas");
    lines.push(csv_line("T-1"));
    let id = start(&app, &app.admin_token, &p, csv(&lines), false).await;

    let seen = follow(&app, &id).await;
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "SUCCEEDED", "{last}");
    assert_eq!(counts(last), [12_001, 11_999, 0, 2, 2]);
    assert_eq!(last["portfolioId"], p);
    assert_eq!(last["atomic"], false);
    assert!(last["finishedAt"].is_string());
    assert!(last["failure"].is_null());
    let errors = last["report"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["row"], 5_000);
    assert_eq!(errors[0]["field"], "region");
    assert_eq!(errors[1]["row"], 12_001);
    assert_eq!(errors[1]["field"], "lender_reference");
    // The refused rows as sent, the national ID left out, with why.
    let rejected = last["rejectedRowsCsv"].as_str().unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), 3, "{rejected}");
    assert!(lines[0].starts_with("lender_reference,") && lines[0].ends_with(",error"));
    assert!(lines[1].starts_with("T-5000,Pat Doe,") && lines[1].contains(",Texas,"));
    assert!(lines[1].contains("pat@example.com,,Texas"), "{}", lines[1]);
    assert!(lines[2].starts_with("T-1,") && lines[2].contains("repeats an earlier row"));
    assert!(!rejected.contains("123-45-6789"));

    // While it ran, the counts only grew, a chunk at a time.
    let running: Vec<[i64; 5]> = seen
        .iter()
        .filter(|i| i["status"] == "RUNNING")
        .map(counts)
        .collect();
    assert!(
        running.windows(2).all(|w| w[0][0] <= w[1][0]),
        "{running:?}"
    );
    assert!(
        running.iter().all(|c| c[0] % 1_000 == 0 || c[0] == 12_001),
        "{running:?}"
    );
    assert!(
        running.iter().any(|c| c[0] > 0 && c[0] < 12_001),
        "no progress was seen between the start and the end: {running:?}"
    );

    let accounts = entity::account::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 11_999);
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("account_import"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["account_import.start", "account_import.finish"]);
    assert_eq!(events[1].before.as_ref().unwrap()["status"], "RUNNING");
    assert_eq!(events[1].after.as_ref().unwrap()["status"], "SUCCEEDED");
    assert_eq!(events[1].after.as_ref().unwrap()["created"], 11_999);
    assert_eq!(events[0].actor, events[1].actor);
    assert!(events[0].request_id.is_some());

    let listed = app.admin(IMPORTS, json!({ "portfolioId": p })).await;
    let nodes = &listed.data()["accountImports"]["edges"];
    assert_eq!(nodes[0]["node"]["id"], id);
    assert_eq!(nodes[0]["node"]["report"]["rowsRead"], 12_001);
}

#[tokio::test]
async fn an_atomic_import_with_a_refused_row_lands_nothing_and_still_lists_the_row() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let file = csv(&[csv_line("A-1"), csv_line("A-2").replace("USD", "EUR")]);
    let id = start(&app, &app.admin_token, &p, file, true).await;
    let last = follow(&app, &id).await.pop().unwrap();
    assert_eq!(last["status"], "SUCCEEDED");
    assert_eq!(counts(&last), [2, 0, 0, 2, 1]);
    let rejected = last["rejectedRowsCsv"].as_str().unwrap();
    assert_eq!(rejected.lines().count(), 2, "{rejected}");
    assert!(rejected.lines().nth(1).unwrap().starts_with("A-2,"));
    assert_eq!(
        entity::account::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    let clean = start(&app, &app.admin_token, &p, csv(&[csv_line("A-1")]), true).await;
    let last = follow(&app, &clean).await.pop().unwrap();
    assert_eq!(counts(&last), [1, 1, 0, 0, 0]);
    assert!(last["rejectedRowsCsv"].is_null());
}

#[tokio::test]
async fn a_bad_file_is_refused_before_anything_starts() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let bad_header = b"lender_reference,shoe_size\nA-1,44\n".to_vec();
    let refused = app
        .upload(
            Some(&app.admin_token),
            START,
            json!({ "portfolioId": p }),
            bad_header,
        )
        .await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "file");
    let missing = app
        .upload(
            Some(&app.admin_token),
            START,
            json!({ "portfolioId": "999" }),
            csv(&[csv_line("A-1")]),
        )
        .await;
    assert_eq!(missing.code(), Some("NOT_FOUND"));
    assert_eq!(
        account_import::Entity::find().count(&app.db).await.unwrap(),
        0
    );

    let unknown = app.admin(IMPORT, json!({ "id": "77" })).await;
    assert_eq!(unknown.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn only_lender_managers_start_imports_and_agencies_cannot_read_them() {
    let app = spawn_app().await;
    let p = portfolio(&app, "P-US", "USD").await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let id = start(&app, &manager, &p, csv(&[csv_line("A-1")]), false).await;
    follow(&app, &id).await;

    let agency = crate::fixtures::agency(&app.db, "ACME").await;
    let agency = token(&app.db, Role::Agency, Some(agency.id)).await;
    let auditor = token(&app.db, Role::Auditor, None).await;
    for (who, refused) in [(&agency, true), (&auditor, false)] {
        let read = app.gql(Some(who), IMPORT, json!({ "id": id })).await;
        assert_eq!(read.code() == Some("FORBIDDEN"), refused, "{}", read.body);
        let started = app
            .upload(
                Some(who),
                START,
                json!({ "portfolioId": p }),
                csv(&[csv_line("A-2")]),
            )
            .await;
        assert_eq!(started.code(), Some("FORBIDDEN"));
    }
}

#[tokio::test]
async fn an_import_whose_process_stopped_reads_as_failed_and_landed_nothing() {
    let app = spawn_app().await;
    let p: i64 = portfolio(&app, "P-US", "USD").await.parse().unwrap();
    let long_ago = Utc::now() - chrono::Duration::minutes(10);
    let recent = Utc::now();
    let mut ids = Vec::new();
    for heartbeat in [long_ago, recent] {
        let row = account_import::Entity::insert(account_import::ActiveModel {
            portfolio_id: Set(p),
            file_name: Set("lost.csv".into()),
            atomic: Set(false),
            status: Set(ImportStatus::Running),
            rows_read: Set(3_000),
            created: Set(3_000),
            updated: Set(0),
            rejected: Set(0),
            error_count: Set(0),
            errors: Set(None),
            rejected_rows_csv: Set(None),
            failure: Set(None),
            started_by: Set("user:1".into()),
            started_by_name: Set("Someone".into()),
            started_at: Set(long_ago),
            heartbeat_at: Set(heartbeat),
            finished_at: Set(None),
            runner: Set("elsewhere:42".into()),
            ..Default::default()
        })
        .exec_with_returning(&app.db)
        .await
        .unwrap();
        ids.push(row.id.to_string());
    }
    let lost = import_of(&app, &ids[0]).await;
    assert_eq!(lost["status"], "FAILED");
    let failure = lost["failure"].as_str().unwrap();
    assert!(failure.contains("elsewhere:42") && failure.contains("nothing from it was written"));
    // Another process, beating: still running, with the counts it wrote.
    let live = import_of(&app, &ids[1]).await;
    assert_eq!(live["status"], "RUNNING");
    assert_eq!(live["report"]["rowsRead"], 3_000);
}

/// On PostgreSQL the process running an import writes its progress for every other
/// process: with an account of the second chunk locked, the import waits there, and its
/// row shows the first chunk done.
#[tokio::test]
async fn on_postgresql_the_progress_reaches_the_stored_row_while_the_import_waits() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let p = portfolio(&app, "P-US", "USD").await;
    let lines: Vec<String> = (1..=3_000).map(|i| csv_line(&format!("W-{i}"))).collect();
    let first = start(&app, &app.admin_token, &p, csv(&lines), false).await;
    follow(&app, &first).await;

    let blocker = app.db.begin().await.unwrap();
    blocker
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id FROM accounts WHERE lender_reference = 'W-1500' FOR UPDATE",
        ))
        .await
        .unwrap();
    let id = start(&app, &app.admin_token, &p, csv(&lines), false).await;
    let started = Instant::now();
    let stored = loop {
        let row = account_import::Entity::find_by_id(id.parse::<i64>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if row.rows_read > 0 {
            break row;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no progress stored"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stored.status, ImportStatus::Running);
    assert_eq!((stored.rows_read, stored.updated), (1_000, 1_000));
    assert!(stored.heartbeat_at > stored.started_at);
    blocker.rollback().await.unwrap();
    let last = follow(&app, &id).await.pop().unwrap();
    assert_eq!(counts(&last), [3_000, 0, 3_000, 0, 0]);
}
