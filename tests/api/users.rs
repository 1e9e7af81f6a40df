//! Users through GraphQL: who may create, read and change them, the checks on what they
//! are given, set-password links, changing one's own password, and what a new role or a
//! disabled account does to sessions and tokens.

use entity::api_token::Role;
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, token};
use crate::people::{CREATE_USER, SET_PASSWORD, as_session, make_person, sign_in, signed_in};

const UPDATE: &str = r#"
mutation Update($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { id displayName role language timeZone agency { code } }
}"#;
const CHANGE: &str = r#"
mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { id }
}"#;
const ME: &str = "{ me { role user { id email displayName language timeZone } } }";

async fn create(app: &TestApp, input: Value) -> crate::helpers::Answer {
    app.admin(CREATE_USER, json!({ "input": input })).await
}

fn user(email: &str, role: &str) -> Value {
    json!({ "email": email, "displayName": "Ana López", "role": role })
}

#[tokio::test]
async fn an_admin_creates_users_and_the_checks_name_their_field() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ACME").await;
    let created = create(
        &app,
        json!({ "email": " Ana.Lopez@Lender.Example ", "displayName": "Ana López", "role": "FINANCE",
                "language": "zh-CN", "timeZone": "Asia/Shanghai" }),
    )
    .await;
    let created = &created.data()["createUser"];
    assert_eq!(created["user"]["email"], "ana.lopez@lender.example");
    assert_eq!(created["user"]["status"], "ACTIVE");
    let link = &created["setPassword"];
    assert!(
        link["path"]
            .as_str()
            .unwrap()
            .starts_with("/set-password?token=afpw_")
    );

    let cases = [
        (
            user("ANA.LOPEZ@lender.example", "FINANCE"),
            "CONFLICT",
            None,
        ),
        (
            user("not an address", "FINANCE"),
            "BAD_USER_INPUT",
            Some("email"),
        ),
        (
            user("x@lender.example", "AGENCY"),
            "BAD_USER_INPUT",
            Some("agencyId"),
        ),
        (
            json!({ "email": "y@lender.example", "displayName": "Y", "role": "FINANCE", "agencyId": agency.id.to_string() }),
            "BAD_USER_INPUT",
            Some("agencyId"),
        ),
        (
            json!({ "email": "z@lender.example", "displayName": "Z", "role": "AGENCY", "agencyId": "999" }),
            "NOT_FOUND",
            None,
        ),
        (
            json!({ "email": "t@lender.example", "displayName": "T", "role": "AUDITOR", "timeZone": "Mars/Olympus" }),
            "BAD_USER_INPUT",
            Some("timeZone"),
        ),
        (
            json!({ "email": "l@lender.example", "displayName": "L", "role": "AUDITOR", "language": "tlh" }),
            "BAD_USER_INPUT",
            Some("language"),
        ),
        (
            user("n@lender.example", "AUDITOR")
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("displayName".into(), json!(" "));
                    Value::Object(o)
                })
                .unwrap(),
            "BAD_USER_INPUT",
            Some("displayName"),
        ),
    ];
    for (input, code, field) in cases {
        let answer = create(&app, input.clone()).await;
        assert_eq!(answer.code(), Some(code), "{input}: {}", answer.body);
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"].as_str(),
            field,
            "{input}"
        );
    }

    // Reading users is for ADMIN and AUDITOR; creating them for ADMIN.
    let auditor = token(&app.db, Role::Auditor, None).await;
    let listed = app
        .gql(
            Some(&auditor),
            "{ users(first: 100) { edges { node { email hasPassword mfaEnabled } } } }",
            json!({}),
        )
        .await;
    assert!(
        listed.data()["users"]
            .to_string()
            .contains("ana.lopez@lender.example")
    );
    for role in [Role::Finance, Role::VendorManager] {
        let secret = token(&app.db, role, None).await;
        let refused = app
            .gql(
                Some(&secret),
                "{ users { edges { node { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(refused.code(), Some("FORBIDDEN"), "{role:?}");
    }
    let refused = app
        .gql(
            Some(&auditor),
            CREATE_USER,
            json!({ "input": user("w@lender.example", "ADMIN") }),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_set_password_link_works_once_and_checks_the_password() {
    let app = spawn_app().await;
    let created = create(&app, user("bo@lender.example", "AUDITOR")).await;
    let id = created.data()["createUser"]["user"]["id"].clone();
    let link = created.data()["createUser"]["setPassword"]["token"].clone();
    for (weak, says) in [
        ("short", "at least 12"),
        ("bo@lender.example", "e-mail"),
        ("qwerty123456", "common"),
    ] {
        let refused = app
            .gql(
                None,
                SET_PASSWORD,
                json!({ "token": link, "password": weak }),
            )
            .await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{weak}");
        assert_eq!(
            refused.body["errors"][0]["extensions"]["field"],
            "newPassword"
        );
        assert!(
            refused.body.to_string().contains(says),
            "{weak}: {}",
            refused.body
        );
    }
    let password = "a long and memorable phrase";
    app.gql(
        None,
        SET_PASSWORD,
        json!({ "token": link, "password": password }),
    )
    .await
    .data();
    let reused = app
        .gql(
            None,
            SET_PASSWORD,
            json!({ "token": link, "password": "another long phrase" }),
        )
        .await;
    assert_eq!(reused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(reused.body["errors"][0]["extensions"]["field"], "token");
    assert_eq!(
        sign_in(&app, "bo@lender.example", password, None)
            .await
            .status(),
        303
    );

    // A reset issues a new link; the earlier unused one stops working.
    let first = app
        .admin(
            "mutation($id: ID!) { resetUserPassword(id: $id) { token expiresAt } }",
            json!({ "id": id }),
        )
        .await;
    let first = first.data()["resetUserPassword"]["token"].clone();
    let second = app
        .admin(
            "mutation($id: ID!) { resetUserPassword(id: $id) { token } }",
            json!({ "id": id }),
        )
        .await;
    let second = second.data()["resetUserPassword"]["token"].clone();
    let stale = app
        .gql(
            None,
            SET_PASSWORD,
            json!({ "token": first, "password": "yet another long phrase" }),
        )
        .await;
    assert_eq!(stale.code(), Some("BAD_USER_INPUT"));
    app.gql(
        None,
        SET_PASSWORD,
        json!({ "token": second, "password": "yet another long phrase" }),
    )
    .await
    .data();
    assert_eq!(
        sign_in(&app, "bo@lender.example", password, None)
            .await
            .status(),
        401
    );
    assert_eq!(
        sign_in(&app, "bo@lender.example", "yet another long phrase", None)
            .await
            .status(),
        303
    );
    let audited = app
        .admin(
            "query($f: AuditEventsFilter) { auditEvents(filter: $f) { edges { node { action after } } } }",
            json!({ "f": { "entityType": "user", "entityId": id } }),
        )
        .await;
    let text = audited.body.to_string();
    assert!(text.contains("user.set_password") && text.contains("user.issue_password_link"));
    assert!(
        !text.contains("yet another long phrase") && !text.contains("argon2"),
        "no password, no hash"
    );
}

#[tokio::test]
async fn a_person_changes_their_own_password_and_their_other_sessions_end() {
    let app = spawn_app().await;
    let person = make_person(&app, "AUDITOR", None).await;
    let here = signed_in(&app, &person).await;
    let elsewhere = signed_in(&app, &person).await;
    let wrong = as_session(
        &app,
        &here,
        CHANGE,
        json!({ "current": "not my password", "new": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(wrong.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        wrong.body["errors"][0]["extensions"]["field"],
        "currentPassword"
    );
    as_session(
        &app,
        &here,
        CHANGE,
        json!({ "current": person.password, "new": "a brand new passphrase" }),
    )
    .await
    .data();
    as_session(&app, &here, ME, json!({})).await.data();
    assert_eq!(
        as_session(&app, &elsewhere, ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        sign_in(&app, &person.email, &person.password, None)
            .await
            .status(),
        401
    );
    assert_eq!(
        sign_in(&app, &person.email, "a brand new passphrase", None)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn people_change_their_own_details_and_only_an_admin_changes_a_role() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ACME").await;
    let person = make_person(&app, "VENDOR_MANAGER", None).await;
    let cookie = signed_in(&app, &person).await;
    let own = as_session(
        &app,
        &cookie,
        UPDATE,
        json!({ "id": person.id, "input": { "displayName": "Mei Chen", "language": "zh-CN", "timeZone": "Asia/Shanghai" } }),
    )
    .await;
    assert_eq!(own.data()["updateUser"]["language"], "zh-CN");
    let promote = as_session(
        &app,
        &cookie,
        UPDATE,
        json!({ "id": person.id, "input": { "role": "ADMIN" } }),
    )
    .await;
    assert_eq!(promote.code(), Some("FORBIDDEN"));
    let other = make_person(&app, "AUDITOR", None).await;
    let theirs = as_session(
        &app,
        &cookie,
        UPDATE,
        json!({ "id": other.id, "input": { "displayName": "x" } }),
    )
    .await;
    assert_eq!(theirs.code(), Some("FORBIDDEN"));

    // A new role ends the person's sessions and revokes their tokens, which carry the old one.
    let token = as_session(
        &app,
        &cookie,
        r#"mutation { createApiToken(input: { label: "mine" }) { token } }"#,
        json!({}),
    )
    .await;
    let token = token.data()["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = app
        .admin(UPDATE, json!({ "id": person.id, "input": { "role": "AGENCY", "agencyId": agency.id.to_string() } }))
        .await;
    assert_eq!(moved.data()["updateUser"]["agency"]["code"], "ACME");
    assert_eq!(
        as_session(&app, &cookie, ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        app.gql(Some(&token), ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
    let cookie = signed_in(&app, &person).await;
    assert_eq!(
        as_session(&app, &cookie, ME, json!({})).await.data()["me"]["role"],
        "AGENCY"
    );
}

#[tokio::test]
async fn the_last_admin_stays_and_nobody_disables_themself() {
    let app = spawn_app().await;
    let me = app.admin("{ me { user { id } } }", json!({})).await;
    let admin_id = me.data()["me"]["user"]["id"].clone();
    let refused = app
        .admin(
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({ "id": admin_id }),
        )
        .await;
    assert_eq!(refused.code(), Some("CONFLICT"));
    let demote = app
        .admin(
            UPDATE,
            json!({ "id": admin_id, "input": { "role": "AUDITOR" } }),
        )
        .await;
    assert_eq!(demote.code(), Some("CONFLICT"), "{}", demote.body);
    assert!(demote.body.to_string().contains("last active ADMIN"));

    let second = make_person(&app, "ADMIN", None).await;
    let cookie = signed_in(&app, &second).await;
    as_session(
        &app,
        &cookie,
        "mutation($id: ID!) { disableUser(id: $id) { status } }",
        json!({ "id": admin_id }),
    )
    .await
    .data();
    let last = as_session(
        &app,
        &cookie,
        "mutation($id: ID!) { disableUser(id: $id) { id } }",
        json!({ "id": second.id }),
    )
    .await;
    assert_eq!(last.code(), Some("CONFLICT"));
    let twice = as_session(
        &app,
        &cookie,
        "mutation($id: ID!) { disableUser(id: $id) { id } }",
        json!({ "id": admin_id }),
    )
    .await;
    assert_eq!(twice.code(), Some("CONFLICT"));
}
