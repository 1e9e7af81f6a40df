use chrono::{DateTime, Duration, Utc};
use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{spawn_app, spawn_app_with};

const CREATE: &str = r#"
mutation Create($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id prefix role label active agency { code } } }
}"#;
const REVOKE: &str =
    "mutation Revoke($id: ID!) { revokeApiToken(id: $id) { id active revokedAt } }";
const ME: &str = "{ me { role agency { code } } }";

#[tokio::test]
async fn an_admin_creates_a_token_that_works_at_once_and_is_shown_once() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let created = app
        .admin(
            CREATE,
            json!({ "input": { "role": "AGENCY", "agencyId": agency.id.to_string(), "label": "Alpha's dialler" } }),
        )
        .await;
    let created = &created.data()["createApiToken"];
    let secret = created["token"].as_str().unwrap();
    assert!(secret.starts_with(created["apiToken"]["prefix"].as_str().unwrap()));
    assert_eq!(created["apiToken"]["agency"]["code"], "ALPHA");
    assert_eq!(created["apiToken"]["active"], true);

    let me = app.gql(Some(secret), ME, json!({})).await;
    assert_eq!(
        me.data()["me"],
        json!({ "role": "AGENCY", "agency": { "code": "ALPHA" } })
    );

    let listed = app
        .admin(
            "{ apiTokens { edges { node { id prefix label } } } }",
            json!({}),
        )
        .await;
    let listed = listed.data()["apiTokens"]["edges"].to_string();
    assert!(listed.contains("Alpha's dialler"));
    assert!(
        !listed.contains(secret),
        "the registry never shows a secret"
    );
}

#[tokio::test]
async fn bad_token_requests_get_clear_codes() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "role": "AGENCY", "label": "x" }),
            "BAD_USER_INPUT",
            Some("agencyId"),
        ),
        (
            json!({ "role": "ADMIN", "agencyId": "1", "label": "x" }),
            "BAD_USER_INPUT",
            Some("agencyId"),
        ),
        (
            json!({ "role": "ADMIN", "label": "  " }),
            "BAD_USER_INPUT",
            Some("label"),
        ),
        (
            json!({ "role": "ADMIN", "label": "x", "expiresAt": "2001-01-01T00:00:00Z" }),
            "BAD_USER_INPUT",
            Some("expiresAt"),
        ),
        (
            json!({ "role": "AGENCY", "agencyId": "999", "label": "x" }),
            "NOT_FOUND",
            None,
        ),
        (
            json!({ "role": "AGENCY", "agencyId": "abc", "label": "x" }),
            "BAD_USER_INPUT",
            Some("agencyId"),
        ),
    ];
    for (input, code, field) in cases {
        let answer = app.admin(CREATE, json!({ "input": input })).await;
        assert_eq!(answer.code(), Some(code), "{input}");
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"].as_str(),
            field,
            "{input}"
        );
    }
    let unknown_role = app
        .admin(CREATE, json!({ "input": { "role": "KING", "label": "x" } }))
        .await;
    assert_eq!(unknown_role.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_cannot_be_revoked_twice() {
    let app = spawn_app().await;
    let created = app
        .admin(
            CREATE,
            json!({ "input": { "role": "FINANCE", "label": "finance" } }),
        )
        .await;
    let secret = created.data()["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = created.data()["createApiToken"]["apiToken"]["id"].clone();
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.data()["me"]["role"],
        "FINANCE"
    );

    let revoked = app.admin(REVOKE, json!({ "id": id })).await;
    assert_eq!(revoked.data()["revokeApiToken"]["active"], false);
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );

    assert_eq!(
        app.admin(REVOKE, json!({ "id": id })).await.code(),
        Some("CONFLICT")
    );
    assert_eq!(
        app.admin(REVOKE, json!({ "id": "424242" })).await.code(),
        Some("NOT_FOUND")
    );
}

#[tokio::test]
async fn a_token_expires_after_the_default_lifetime_and_never_past_the_maximum() {
    let app = spawn_app_with(|settings| {
        settings.security.token_lifetime_days = 30;
        settings.security.max_token_lifetime_days = 100;
    })
    .await;
    let expiry = r#"
    mutation Create($input: CreateApiTokenInput!) {
      createApiToken(input: $input) { apiToken { createdAt expiresAt } }
    }"#;
    let created = app
        .admin(
            expiry,
            json!({ "input": { "role": "AUDITOR", "label": "default lifetime" } }),
        )
        .await;
    let token = &created.data()["createApiToken"]["apiToken"];
    let at = |field: &str| {
        token[field]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    assert_eq!(at("expiresAt") - at("createdAt"), Duration::days(30));

    let at_most = (Utc::now() + Duration::days(99)).to_rfc3339();
    app.admin(
        expiry,
        json!({ "input": { "role": "AUDITOR", "label": "x", "expiresAt": at_most } }),
    )
    .await
    .data();
    let too_late = (Utc::now() + Duration::days(101)).to_rfc3339();
    let refused = app
        .admin(
            expiry,
            json!({ "input": { "role": "AUDITOR", "label": "x", "expiresAt": too_late } }),
        )
        .await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{}", refused.body);
    assert_eq!(
        refused.body["errors"][0]["extensions"]["field"],
        "expiresAt"
    );
}

#[tokio::test]
async fn a_token_records_when_it_was_last_used() {
    let app = spawn_app().await;
    let secret = crate::helpers::token(&app.db, Role::Auditor, None).await;
    let last_used = async || {
        let listed = app
            .admin(
                "{ apiTokens { edges { node { role lastUsedAt } } } }",
                json!({}),
            )
            .await;
        listed.data()["apiTokens"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|edge| edge["node"]["role"] == "AUDITOR")
            .map(|edge| edge["node"]["lastUsedAt"].clone())
            .unwrap()
    };
    assert_eq!(last_used().await, Value::Null);

    app.gql(Some(&secret), ME, json!({})).await.data();
    // Written in the background, after the answer.
    let mut recorded = Value::Null;
    for _ in 0..50 {
        recorded = last_used().await;
        if !recorded.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let at = recorded
        .as_str()
        .unwrap_or_else(|| panic!("lastUsedAt stays null"))
        .parse::<DateTime<Utc>>()
        .unwrap();
    assert!((Utc::now() - at).num_seconds().abs() < 60, "{at}");

    // Within the minute a second use writes nothing new.
    app.gql(Some(&secret), ME, json!({})).await.data();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(last_used().await, recorded);
}
