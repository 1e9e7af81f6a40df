use entity::api_token::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{person, spawn_app, token};

const EVENTS: &str = r#"
query Events($filter: AuditEventsFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id actor actorName actorVia actorRole action entityType entityId before after requestId occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

#[tokio::test]
async fn every_mutation_leaves_an_audit_event_with_actor_before_after_and_request_id() {
    let app = spawn_app().await;
    let (finance_id, finance) = person(&app.db, Role::Finance, None).await;
    let created = app
        .client
        .post(&app.url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {finance}"))
        .header("x-request-id", "req-audit-1")
        .body(
            json!({ "query": r#"mutation { createApiToken(input: { label: "books" }) { token apiToken { id } } }"# })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.headers()["x-request-id"], "req-audit-1");
    let created: serde_json::Value = created.json().await.unwrap();
    let secret = created["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let token_id = created["data"]["createApiToken"]["apiToken"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.admin(
        "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
        json!({ "id": token_id }),
    )
    .await
    .data();

    let auditor = token(&app.db, Role::Auditor, None).await;
    let events = app
        .gql(
            Some(&auditor),
            EVENTS,
            json!({ "filter": { "entityType": "api_token", "entityId": token_id } }),
        )
        .await;
    let edges = events.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 2, "{edges:?}");
    let (revoke, create) = (&edges[0]["node"], &edges[1]["node"]);
    assert_eq!(create["action"], "api_token.create");
    assert_eq!(create["actorRole"], "FINANCE");
    assert_eq!(create["actor"], format!("user:{finance_id}"));
    assert!(
        create["actorName"]
            .as_str()
            .unwrap()
            .contains("@people.test"),
        "{create}"
    );
    assert!(create["actorVia"].as_str().unwrap().starts_with("token:"));

    assert_eq!(create["requestId"], "req-audit-1");
    assert_eq!(create["before"], serde_json::Value::Null);
    assert_eq!(create["after"]["role"], "FINANCE");
    assert_eq!(create["after"]["label"], "books");
    assert!(
        !events.body.to_string().contains(&secret),
        "no secret in the audit log"
    );
    assert_eq!(revoke["action"], "api_token.revoke");
    assert_eq!(revoke["actorRole"], "ADMIN");
    assert_eq!(revoke["before"]["revokedAt"], serde_json::Value::Null);
    assert!(revoke["after"]["revokedAt"].is_string());
    assert!(
        revoke["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "a generated request id is recorded"
    );

    let by_action = app
        .gql(
            Some(&auditor),
            EVENTS,
            json!({ "filter": { "action": "api_token.revoke" } }),
        )
        .await;
    assert_eq!(
        by_action.data()["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let app = spawn_app().await;
    for label in ["one", "two", "three"] {
        app.admin(
            "mutation($l: String!) { createApiToken(input: { label: $l }) { token } }",
            json!({ "l": label }),
        )
        .await
        .data();
    }
    let filter = json!({ "action": "api_token.create", "actor": null });
    let first = app
        .admin(EVENTS, json!({ "filter": filter, "first": 2 }))
        .await;
    let page = &first.data()["auditEvents"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let labels: Vec<_> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["after"]["label"].clone())
        .collect();
    assert_eq!(labels, vec![json!("three"), json!("two")]);
    let second = app
        .admin(
            EVENTS,
            json!({ "filter": filter, "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let page = &second.data()["auditEvents"];
    // The admin token of the test harness itself was created first.
    let labels: Vec<_> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["after"]["label"].clone())
        .collect();
    assert_eq!(labels, vec![json!("one"), json!("test")]);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted() {
    let app = spawn_app().await;
    let mutations = app
        .admin(
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let names = mutations.data()["__schema"]["mutationType"]["fields"]
        .to_string()
        .to_lowercase();
    assert!(
        !names.contains("audit"),
        "no mutation touches the audit log: {names}"
    );

    for statement in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ] {
        let refused = app.db.execute_unprepared(statement).await;
        assert!(
            refused.is_err(),
            "{statement} must be refused by the database"
        );
    }
    let events = app
        .admin("{ auditEvents { edges { node { action } } } }", json!({}))
        .await;
    assert_eq!(
        events.data()["auditEvents"]["edges"][0]["node"]["action"],
        "api_token.create"
    );
}
