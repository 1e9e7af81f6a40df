use chrono::{Duration, Utc};
use entity::api_token::{self, Role};
use reqwest::header::AUTHORIZATION;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{answer, spawn_app, token};

const ME: &str = "{ me { role agency { id code } } }";

#[tokio::test]
async fn the_admin_token_identifies_an_admin() {
    let app = spawn_app().await;
    let answer = app.admin(ME, json!({})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.data()["me"],
        json!({ "role": "ADMIN", "agency": null })
    );
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let app = spawn_app().await;
    let answer = app.gql(None, ME, json!({})).await;
    assert_eq!(answer.code(), Some("UNAUTHENTICATED"));
    assert_eq!(answer.body["data"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_bogus_or_malformed_token_is_unauthenticated() {
    let app = spawn_app().await;
    for bogus in ["af_notarealtokenatall", "hello", ""] {
        let answer = app.gql(Some(bogus), ME, json!({})).await;
        assert_eq!(answer.code(), Some("UNAUTHENTICATED"), "token {bogus:?}");
    }
    let response = app
        .client
        .post(&app.url)
        .header("content-type", "application/json")
        .header(AUTHORIZATION, format!("Basic {}", app.admin_token))
        .body(json!({ "query": ME }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await.code(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = spawn_app().await;
    let secret = token(&app.db, Role::Auditor, None).await;
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.data()["me"]["role"],
        "AUDITOR"
    );
    let stored = api_token::Entity::find()
        .filter(api_token::Column::Role.eq(Role::Auditor))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut expired: api_token::ActiveModel = stored.into();
    expired.expires_at = Set(Some(Utc::now() - Duration::seconds(1)));
    expired.update(&app.db).await.unwrap();
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.code(),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test]
async fn a_role_without_the_right_is_forbidden() {
    let app = spawn_app().await;
    let create = r#"mutation { createIntegration(input: { name: "x", agencyId: "1" }) { id } }"#;
    let audit = "{ auditEvents { edges { node { id } } } }";
    let tokens = "{ apiTokens { edges { node { id } } } }";
    let portfolios = "{ portfolios { edges { node { id } } } }";
    let cases = [
        (Role::VendorManager, create),
        (Role::Finance, create),
        (Role::Auditor, create),
        (Role::VendorManager, audit),
        (Role::Finance, audit),
        (Role::Auditor, tokens),
    ];
    for (role, query) in cases {
        let secret = token(&app.db, role, None).await;
        let answer = app.gql(Some(&secret), query, json!({})).await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{role:?} on {query}");
    }
    for role in [Role::VendorManager, Role::Finance, Role::Auditor] {
        let secret = token(&app.db, role, None).await;
        app.gql(Some(&secret), portfolios, json!({})).await.data();
    }
    let auditor = token(&app.db, Role::Auditor, None).await;
    app.gql(Some(&auditor), audit, json!({})).await.data();
}

#[tokio::test]
async fn the_scheme_is_case_insensitive_and_the_messages_tell_missing_from_wrong() {
    let app = spawn_app().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = app
            .client
            .post(&app.url)
            .header("content-type", "application/json")
            .header(AUTHORIZATION, format!("{scheme} {}", app.admin_token))
            .body(json!({ "query": ME }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer(response).await.data()["me"]["role"],
            "ADMIN",
            "{scheme}"
        );
    }
    let missing = app.gql(None, ME, json!({})).await;
    let wrong = app.gql(Some("af_unknown"), ME, json!({})).await;
    let message =
        |a: &crate::helpers::Answer| a.body["errors"][0]["message"].as_str().unwrap().to_owned();
    assert!(
        message(&missing).contains("Authorization"),
        "{}",
        message(&missing)
    );
    assert!(
        message(&wrong).contains("unknown, revoked or expired"),
        "{}",
        message(&wrong)
    );
}
