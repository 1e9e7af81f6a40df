//! Webhook delivery to a real local receiver: signed per Standard Webhooks, retried after a
//! failure, given up on 410, and visible in `webhookDeliveries`.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use entity::agency;
use entity::api_token::Role;
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_with, token};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const DISPATCH: &str = "mutation { dispatchWebhooks { delivered retrying dead noEndpoint } }";
const DELIVERIES: &str = r#"
query($filter: WebhookDeliveriesFilter) {
  webhookDeliveries(filter: $filter) {
    edges { node { id topic status attempts lastResponseStatus lastError deliveredAt payload agency { code } } }
  }
}"#;

/// A local endpoint that answers with the given statuses in turn (the last one repeats)
/// and keeps what it received.
#[derive(Clone, Default)]
struct Receiver {
    answers: Arc<Mutex<Vec<StatusCode>>>,
    received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(answers: Vec<StatusCode>) -> (Self, String) {
        let receiver = Self {
            answers: Arc::new(Mutex::new(answers)),
            ..Self::default()
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.received.lock().unwrap().push((headers, body));
                    let mut answers = state.answers.lock().unwrap();
                    if answers.len() > 1 {
                        answers.remove(0)
                    } else {
                        answers[0]
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn received(&self) -> Vec<(HeaderMap, String)> {
        self.received.lock().unwrap().clone()
    }
}

/// What a receiver must do to trust a delivery: recompute the signature itself.
fn signature_is_valid(headers: &HeaderMap, body: &str) -> bool {
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            header("webhook-id"),
            header("webhook-timestamp"),
            body
        )
        .as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    header("webhook-signature")
        .split(' ')
        .any(|s| s == format!("v1,{expected}"))
}

async fn point_webhook(app: &TestApp, agency_id: i64, url: &str) {
    app.admin(
        "mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(id: $id, input: $input) { id } }",
        json!({ "id": agency_id.to_string(), "input": { "webhookUrl": url, "webhookSecret": SECRET } }),
    )
    .await
    .data();
}

async fn recall(app: &TestApp, placement_id: i64) {
    app.admin(
        "mutation($input: RecallPlacementsInput!) { recallPlacements(input: $input) { count } }",
        json!({ "input": { "ids": [placement_id.to_string()], "reason": "agency asked to stop" } }),
    )
    .await
    .data();
}

async fn deliveries(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let answer = app
        .gql(Some(token), DELIVERIES, json!({ "filter": filter }))
        .await;
    answer.data()["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_signed_event_is_retried_after_a_500_then_delivered() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let (receiver, url) =
        Receiver::start(vec![StatusCode::INTERNAL_SERVER_ERROR, StatusCode::OK]).await;
    point_webhook(&app, book.agency_a.id, &url).await;
    recall(&app, book.placements[0].id).await;

    let first = app.admin(DISPATCH, json!({})).await;
    assert_eq!(
        first.data()["dispatchWebhooks"],
        json!({ "delivered": 0, "retrying": 1, "dead": 0, "noEndpoint": 0 })
    );
    let pending = &deliveries(
        &app,
        &app.admin_token,
        json!({ "topic": "placement.recalled" }),
    )
    .await[0];
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["attempts"], 1);
    assert_eq!(pending["lastResponseStatus"], 500);

    let second = app.admin(DISPATCH, json!({})).await;
    assert_eq!(second.data()["dispatchWebhooks"]["delivered"], 1);
    let delivered = &deliveries(
        &app,
        &app.admin_token,
        json!({ "topic": "placement.recalled" }),
    )
    .await[0];
    assert_eq!(delivered["status"], "DELIVERED");
    assert_eq!(delivered["attempts"], 2);
    assert!(delivered["deliveredAt"].is_string());

    let received = receiver.received();
    assert_eq!(received.len(), 2, "one failed attempt, one delivery");
    let (headers, body) = &received[1];
    assert!(signature_is_valid(headers, body), "the signature verifies");
    assert_eq!(
        headers["webhook-id"],
        format!("evt_{}", delivered["id"].as_str().unwrap())
    );
    assert_eq!(
        received[0].0["webhook-id"], headers["webhook-id"],
        "a retry keeps the id"
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "placement.recalled");
    assert_eq!(
        event["data"]["placements"][0]["placementId"],
        json!(book.placements[0].id)
    );
    let mut tampered = body.clone();
    tampered.push(' ');
    assert!(
        !signature_is_valid(headers, &tampered),
        "a changed body does not verify"
    );

    let again = app.admin(DISPATCH, json!({})).await;
    assert_eq!(
        again.data()["dispatchWebhooks"],
        json!({ "delivered": 0, "retrying": 0, "dead": 0, "noEndpoint": 0 })
    );
}

#[tokio::test]
async fn gone_endpoints_and_agencies_without_one_are_not_retried() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let (receiver, url) = Receiver::start(vec![StatusCode::GONE]).await;
    point_webhook(&app, book.agency_a.id, &url).await;
    recall(&app, book.placements[0].id).await;
    recall(&app, book.placements[1].id).await;

    let dispatched = app.admin(DISPATCH, json!({})).await;
    assert_eq!(
        dispatched.data()["dispatchWebhooks"],
        json!({ "delivered": 0, "retrying": 0, "dead": 1, "noEndpoint": 1 })
    );
    assert_eq!(receiver.received().len(), 1);
    let dead = deliveries(&app, &app.admin_token, json!({ "status": ["DEAD"] })).await;
    assert_eq!(dead[0]["agency"]["code"], "ALPHA");
    assert_eq!(dead[0]["lastResponseStatus"], 410);
    let skipped = deliveries(&app, &app.admin_token, json!({ "status": ["NO_ENDPOINT"] })).await;
    assert_eq!(skipped[0]["agency"]["code"], "BRAVO");

    app.admin(DISPATCH, json!({})).await.data();
    assert_eq!(
        receiver.received().len(),
        1,
        "a dead event is not sent again"
    );
}

#[tokio::test]
async fn an_agency_sees_only_its_own_deliveries_and_cannot_dispatch() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    recall(&app, book.placements[0].id).await;
    recall(&app, book.placements[1].id).await;
    let alpha = token(&app.db, Role::Agency, Some(book.agency_a.id)).await;
    let own = deliveries(&app, &alpha, Value::Null).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["agency"]["code"], "ALPHA");
    let other = app
        .gql(
            Some(&alpha),
            DELIVERIES,
            json!({ "filter": { "agencyId": book.agency_b.id.to_string() } }),
        )
        .await;
    assert_eq!(other.code(), Some("FORBIDDEN"));
    assert_eq!(
        app.gql(Some(&alpha), DISPATCH, json!({})).await.code(),
        Some("FORBIDDEN")
    );
}

/// Webhook endpoints as the strict (production) rules see them: no host exempt.
async fn strict_app() -> TestApp {
    spawn_app_with(|settings| {
        settings.webhooks.allow_http_hosts.clear();
        settings.webhooks.allow_private_hosts.clear();
    })
    .await
}

async fn register(app: &TestApp, agency_id: i64, url: &str) -> crate::helpers::Answer {
    app.admin(
        "mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(id: $id, input: $input) { webhookUrl } }",
        json!({ "id": agency_id.to_string(), "input": { "webhookUrl": url, "webhookSecret": SECRET } }),
    )
    .await
}

#[tokio::test]
async fn registration_refuses_http_and_internal_addresses() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "HOOKS").await;
    for url in [
        "http://hooks.agency.example/agencyflow",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/latest",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
    ] {
        let answer = register(&app, agency.id, url).await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{url}: {}",
            answer.body
        );
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"],
            "webhookUrl"
        );
    }
    let listed = register(&app, agency.id, "http://localhost:9000/hook").await;
    assert_eq!(
        listed.data()["updateAgency"]["webhookUrl"],
        "http://localhost:9000/hook"
    );
}

#[tokio::test]
async fn registration_refuses_loopback_and_names_resolving_to_it_unless_listed() {
    let app = strict_app().await;
    let agency = fixtures::agency(&app.db, "LOOP").await;
    for url in [
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "http://127.0.0.1:9000/hook",
    ] {
        let answer = register(&app, agency.id, url).await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{url}: {}",
            answer.body
        );
    }
    let resolved = register(&app, agency.id, "https://localhost/hook").await;
    let message = resolved.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("resolves to"), "{message}");
}

#[tokio::test]
async fn delivery_to_a_now_private_address_is_refused_and_recorded_as_failed() {
    // Plain http stays allowed so that only the address check stands in the way.
    let app = spawn_app_with(|settings| settings.webhooks.allow_private_hosts.clear()).await;
    let book = fixtures::book(&app.db).await;
    let (receiver, url) = Receiver::start(vec![StatusCode::OK]).await;
    let by_name = url.replace("127.0.0.1", "localhost");
    // As if the names had resolved to public addresses when they were registered.
    for (agency, url) in [(&book.agency_a, &url), (&book.agency_b, &by_name)] {
        let mut row: agency::ActiveModel = (*agency).clone().into();
        row.webhook_url = Set(Some(url.clone()));
        row.webhook_secret = Set(Some(SECRET.into()));
        row.update(&app.db).await.unwrap();
    }
    recall(&app, book.placements[0].id).await;
    recall(&app, book.placements[1].id).await;

    let dispatched = app.admin(DISPATCH, json!({})).await;
    assert_eq!(
        dispatched.data()["dispatchWebhooks"],
        json!({ "delivered": 0, "retrying": 2, "dead": 0, "noEndpoint": 0 })
    );
    let failed = deliveries(
        &app,
        &app.admin_token,
        json!({ "topic": "placement.recalled" }),
    )
    .await;
    assert_eq!(failed.len(), 2);
    for delivery in &failed {
        assert_eq!(delivery["status"], "PENDING", "{delivery}");
        assert_eq!(delivery["attempts"], 1, "{delivery}");
        let error = delivery["lastError"].as_str().unwrap();
        assert!(error.contains("loopback address"), "{error}");
    }
    assert!(receiver.received().is_empty(), "nothing was sent");
}
