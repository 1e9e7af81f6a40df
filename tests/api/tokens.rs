use chrono::{DateTime, Duration, Utc};
use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{person, spawn_app, spawn_app_with, token};

const CREATE: &str = r#"
mutation Create($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id prefix role label active agency { code } } }
}"#;
const REVOKE: &str =
    "mutation Revoke($id: ID!) { revokeApiToken(id: $id) { id active revokedAt } }";
const ME: &str = "{ me { role agency { code } } }";

const INTEGRATION: &str = r#"
mutation Integration($input: CreateIntegrationInput!) {
  createIntegration(input: $input) { id name role agency { code } }
}"#;
const WHO: &str = "{ me { role via tokenId user { id email } integration { id name } } }";

#[tokio::test]
async fn an_admin_gives_an_agency_integration_a_token_that_works_at_once_and_is_shown_once() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let integration = app
        .admin(
            INTEGRATION,
            json!({ "input": { "name": "Alpha's dialler", "agencyId": agency.id.to_string() } }),
        )
        .await;
    let integration = integration.data()["createIntegration"].clone();
    assert_eq!(integration["role"], "AGENCY");
    assert_eq!(integration["agency"]["code"], "ALPHA");
    let created = app
        .admin(
            CREATE,
            json!({ "input": { "integrationId": integration["id"], "label": "reporting" } }),
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
    let who = app.gql(Some(secret), WHO, json!({})).await;
    let who = &who.data()["me"];
    assert_eq!(who["via"], "API_TOKEN");
    assert_eq!(who["user"], Value::Null);
    assert_eq!(who["integration"]["name"], "Alpha's dialler");
    assert_eq!(who["tokenId"], created["apiToken"]["id"]);

    let listed = app
        .admin(
            "{ apiTokens { edges { node { id prefix label integration { name } } } } }",
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
async fn a_person_makes_personal_tokens_that_act_as_them_with_their_role() {
    let app = spawn_app().await;
    let (id, finance) = person(&app.db, Role::Finance, None).await;
    let created = app
        .gql(
            Some(&finance),
            CREATE,
            json!({ "input": { "label": "my spreadsheet" } }),
        )
        .await;
    let created = &created.data()["createApiToken"];
    assert_eq!(created["apiToken"]["role"], "FINANCE");
    let second = created["token"].as_str().unwrap();
    let who = app.gql(Some(second), WHO, json!({})).await;
    assert_eq!(who.data()["me"]["role"], "FINANCE");
    assert_eq!(who.data()["me"]["user"]["id"], id.to_string());
    assert_eq!(who.data()["me"]["integration"], Value::Null);

    // Only an ADMIN gives integrations tokens, and no integration makes "personal" ones.
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    let integration = app
        .admin(
            INTEGRATION,
            json!({ "input": { "name": "dialler", "agencyId": agency.id.to_string() } }),
        )
        .await;
    let integration_id = integration.data()["createIntegration"]["id"].clone();
    let refused = app
        .gql(
            Some(&finance),
            CREATE,
            json!({ "input": { "integrationId": integration_id, "label": "x" } }),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"), "{}", refused.body);
    let system = app
        .admin(
            CREATE,
            json!({ "input": { "integrationId": integration_id, "label": "dialler" } }),
        )
        .await;
    let system = system.data()["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .gql(Some(&system), CREATE, json!({ "input": { "label": "x" } }))
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"), "{}", refused.body);
}

#[tokio::test]
async fn bad_token_and_integration_requests_get_clear_codes() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "label": "  " }), "BAD_USER_INPUT", Some("label")),
        (
            json!({ "label": "x", "expiresAt": "2001-01-01T00:00:00Z" }),
            "BAD_USER_INPUT",
            Some("expiresAt"),
        ),
        (
            json!({ "integrationId": "999", "label": "x" }),
            "NOT_FOUND",
            None,
        ),
        (
            json!({ "integrationId": "abc", "label": "x" }),
            "BAD_USER_INPUT",
            Some("integrationId"),
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
    let unknown_agency = app
        .admin(
            INTEGRATION,
            json!({ "input": { "name": "x", "agencyId": "999" } }),
        )
        .await;
    assert_eq!(unknown_agency.code(), Some("NOT_FOUND"));
    let blank = app
        .admin(
            INTEGRATION,
            json!({ "input": { "name": " ", "agencyId": "1" } }),
        )
        .await;
    assert_eq!(blank.code(), Some("BAD_USER_INPUT"));
    let manager = token(&app.db, Role::VendorManager, None).await;
    let forbidden = app
        .gql(
            Some(&manager),
            INTEGRATION,
            json!({ "input": { "name": "x", "agencyId": "1" } }),
        )
        .await;
    assert_eq!(forbidden.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_cannot_be_revoked_twice() {
    let app = spawn_app().await;
    let finance = token(&app.db, Role::Finance, None).await;
    let created = app
        .gql(
            Some(&finance),
            CREATE,
            json!({ "input": { "label": "finance" } }),
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

    // Someone else's token is theirs to revoke, or an ADMIN's.
    let other = token(&app.db, Role::Finance, None).await;
    assert_eq!(
        app.gql(Some(&other), REVOKE, json!({ "id": id }))
            .await
            .code(),
        Some("FORBIDDEN")
    );
    let revoked = app.gql(Some(&finance), REVOKE, json!({ "id": id })).await;
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
        .admin(expiry, json!({ "input": { "label": "default lifetime" } }))
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
        json!({ "input": { "label": "x", "expiresAt": at_most } }),
    )
    .await
    .data();
    let too_late = (Utc::now() + Duration::days(101)).to_rfc3339();
    let refused = app
        .admin(
            expiry,
            json!({ "input": { "label": "x", "expiresAt": too_late } }),
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
    let secret = token(&app.db, Role::Auditor, None).await;
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
