//! What operators see: request ids, log lines, readiness, and a database that drops its
//! connections.

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::spawn_app;

/// Terminates every connection the server holds to its PostgreSQL test database, as a
/// database restart or failover does.
async fn drop_server_connections(database_url: &str) {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect("a PostgreSQL test run");
    let name = database_url
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .expect("a database name");
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test]
async fn a_dropped_database_connection_is_retried_for_the_token_lookup() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    app.admin("{ me { role } }", json!({})).await.data();
    drop_server_connections(&app.database_url).await;
    let me = app.admin("{ me { role } }", json!({})).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.data()["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn a_caller_request_id_is_kept_only_when_short_and_plain() {
    let app = spawn_app().await;
    let id_for = async |sent: &str| {
        let response = app
            .client
            .get(format!("{}/healthz", app.base))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(id_for("trace-me.42_A").await, "trace-me.42_A");
    let fit = "a".repeat(64);
    assert_eq!(id_for(&fit).await, fit);
    for unfit in ["x".repeat(10_000), "a".repeat(65), "two words".into(), "a;b".into()] {
        let given = id_for(&unfit).await;
        assert_ne!(given, unfit);
        assert!(
            given.len() <= 64 && !given.is_empty(),
            "a generated id, not {} bytes",
            given.len()
        );
    }
}
