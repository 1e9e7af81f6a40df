//! The daily cap of unanswered calls per number, counted across agencies and service
//! processes: two servers on one database, many agencies calling one number at once.

use agencyflow::app::Application;
use agencyflow::db;
use futures_util::future::join_all;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, spawn_app, test_settings};
use crate::reporting::{REPORT_ACTIVITIES, call, held, utc};

/// A second service process on the app's database; its GraphQL URL.
async fn second_server(app: &TestApp) -> String {
    let settings = test_settings(&app.database_url);
    let db = db::connect(&settings.database).await.expect("connect");
    let server = Application::with_database(&settings, db)
        .await
        .expect("build the second server");
    let url = format!("http://{}/graphql", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
    url
}

async fn report_to(app: &TestApp, url: &str, token: &str, activity: Value) -> Value {
    let response = app
        .client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/graphql-response+json")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(
            json!({ "query": REPORT_ACTIVITIES, "variables": { "activities": [activity] } })
                .to_string(),
        )
        .send()
        .await
        .expect("the server answers");
    answer(response).await.data()["reportActivities"]["items"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_calling_one_number_at_once_accept_exactly_the_cap() {
    let app = spawn_app().await;
    let other = second_server(&app).await;
    // Sixteen debtors in Shanghai sharing one number, each held by an agency of its own:
    // CN allows 6 unanswered calls to a number a day, whoever makes them.
    let mut held_accounts = Vec::new();
    for n in 0..16 {
        let code = format!("AG{n:02}");
        held_accounts
            .push(held(&app, &code, "CN-31", "Asia/Shanghai", utc(2026, 6, 1, 0, 0)).await);
    }
    // One call each, all at once, half to each process.
    let calls = held_accounts.iter().enumerate().map(|(n, held)| {
        let at = format!("2026-06-10T{:02}:00:00+08:00", 9 + n / 2);
        let url = if n % 2 == 0 { &app.url } else { &other };
        let activity = call(&format!("c{n}"), held.account.id, &at, "NO_ANSWER");
        report_to(&app, url, &held.token, activity)
    });
    let items = join_all(calls).await;
    let codes = |code: &str| items.iter().filter(|item| item["code"] == code).count();
    assert!(
        items.iter().all(|item| item["status"] == "ACCEPTED"),
        "{items:?}"
    );
    assert_eq!(codes("OK"), 6, "{items:?}");
    assert_eq!(codes("COMPLIANCE_BREACH"), 10, "{items:?}");
    assert!(
        items
            .iter()
            .filter(|item| item["code"] == "COMPLIANCE_BREACH")
            .all(|item| item["incidents"][0]["rule"] == "UNANSWERED_CALLS_PER_NUMBER")
    );
}
