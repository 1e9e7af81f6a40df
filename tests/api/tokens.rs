use serde_json::json;

use crate::fixtures;
use crate::helpers::spawn_app;

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
