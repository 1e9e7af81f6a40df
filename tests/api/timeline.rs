//! accountTimeline: every placement, activity, payment and incident of an account in
//! time order, page by page; an agency sees only its own part.

use entity::api_token::Role;
use entity::placement::{self, PlacementStatus};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, token};
use crate::reporting::{REPORT_PAYMENTS, call, held, place, report, utc};

const TIMELINE: &str = r#"
query($id: ID!, $first: Int, $after: String) {
  accountTimeline(accountId: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { at kind event {
      __typename
      ... on Placement { id status }
      ... on Activity { externalId }
      ... on Payment { externalId }
      ... on ComplianceIncident { rule }
    } } }
  }
}"#;

fn kinds(answer: &Value) -> Vec<String> {
    answer["accountTimeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn timeline(app: &TestApp, token: &str, id: i64, first: i64, after: Value) -> Value {
    app.gql(
        Some(token),
        TIMELINE,
        json!({ "id": id.to_string(), "first": first, "after": after }),
    )
    .await
    .data()
    .clone()
}

#[tokio::test]
async fn the_timeline_lists_everything_in_time_order_page_by_page() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let id = a.account.id;
    report(
        &app,
        &a.token,
        json!([
            call("late-call", id, "2026-06-03T03:00:00Z", "NO_ANSWER"),
            call("call", id, "2026-06-02T15:00:00Z", "RIGHT_PARTY_CONTACT"),
        ]),
    )
    .await;
    app.gql(
        Some(&a.token),
        REPORT_PAYMENTS,
        json!({ "payments": [{
            "externalId": "pay", "accountId": id.to_string(), "amount": "1000.00",
            "currency": "USD", "paidAt": "2026-06-04T12:00:00Z", "method": "CARD", "paidTo": "AGENCY",
        }] }),
    )
    .await
    .data();
    let manager = token(&app.db, Role::VendorManager, None).await;
    let first = timeline(&app, &manager, id, 3, Value::Null).await;
    assert_eq!(kinds(&first), ["PLACED", "ACTIVITY", "ACTIVITY"]);
    assert_eq!(
        first["accountTimeline"]["edges"][1]["node"]["event"]["externalId"],
        "call"
    );
    assert_eq!(first["accountTimeline"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["accountTimeline"]["pageInfo"]["endCursor"].clone();
    let rest = timeline(&app, &manager, id, 10, cursor).await;
    // The late call (22:00 local, the day after a conversation) broke two rules: its
    // incidents follow it, then the payment that paid the account off and the end.
    assert_eq!(
        kinds(&rest),
        ["INCIDENT", "INCIDENT", "PAYMENT", "PLACEMENT_ENDED"]
    );
    assert_eq!(
        rest["accountTimeline"]["edges"][3]["node"]["event"]["status"],
        "PAID"
    );
    assert_eq!(rest["accountTimeline"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn an_agency_sees_only_its_own_part_of_an_account_it_held() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let b = held(
        &app,
        "AGB",
        "US-TX",
        "America/Chicago",
        utc(2026, 6, 1, 0, 0),
    )
    .await;
    let id = a.account.id;
    report(
        &app,
        &a.token,
        json!([call("a-call", id, "2026-06-02T15:00:00Z", "NO_ANSWER")]),
    )
    .await;
    // B never held A's account: for B it does not exist.
    let refused = app
        .gql(Some(&b.token), TIMELINE, json!({ "id": id.to_string() }))
        .await;
    assert_eq!(refused.code(), Some("NOT_FOUND"));
    // Once A's placement has ended and B holds the account, B sees its own part only.
    let mut ended: placement::ActiveModel = a.placement.clone().into();
    ended.status = Set(PlacementStatus::Returned);
    ended.ended_at = Set(Some(utc(2026, 6, 30, 0, 0)));
    ended.update(&app.db).await.unwrap();
    place(&app, &a.account, b.agency.id, utc(2026, 7, 1, 0, 0)).await;
    let own = timeline(&app, &b.token, id, 10, Value::Null).await;
    assert_eq!(kinds(&own), ["PLACED"]);
    let all = timeline(&app, &app.admin_token, id, 10, Value::Null).await;
    assert_eq!(
        kinds(&all),
        ["PLACED", "ACTIVITY", "PLACEMENT_ENDED", "PLACED"]
    );
}
