//! Agencies report activities and payments; every report is checked for compliance.

use chrono::{DateTime, TimeZone, Utc};
use entity::account::{self, AccountFlag};
use entity::api_token::Role;
use entity::placement::{self, PlacementStatus};
use entity::{activity, agency, compliance_incident, outbox_event, payment};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, token};

pub const REPORT_ACTIVITIES: &str = r#"
mutation Report($activities: [ActivityInput!]!) {
  reportActivities(activities: $activities) {
    accepted duplicates rejected incidentsRaised
    items {
      index externalId status code field message
      activity { id type occurredAt contactPoint }
      incidents { id rule severity source status evidence }
    }
  }
}"#;

pub const REPORT_PAYMENTS: &str = r#"
mutation Pay($payments: [PaymentInput!]!) {
  reportPayments(payments: $payments) {
    accepted duplicates rejected
    items {
      index externalId status code field message
      payment { id amount { amount currency } balanceAfter { amount } placementId }
    }
  }
}"#;

/// An agency holding one account since `placed_at`, with its token.
pub struct Held {
    pub agency: agency::Model,
    pub account: account::Model,
    pub placement: placement::Model,
    pub token: String,
}

/// An account in `region` / `time_zone` placed with a new agency at `placed_at`.
pub async fn held(
    app: &TestApp,
    code: &str,
    region: &str,
    time_zone: &str,
    placed_at: DateTime<Utc>,
) -> Held {
    let agency = fixtures::agency(&app.db, code).await;
    let portfolio = fixtures::portfolio(&app.db, &format!("P{code}")).await;
    let account = fixtures::account(&app.db, portfolio.id, &format!("L-{code}"), 100_000).await;
    let mut changed: account::ActiveModel = account.into();
    changed.region = Set(region.to_owned());
    changed.time_zone = Set(time_zone.to_owned());
    let account = changed.update(&app.db).await.unwrap();
    let placement = place(app, &account, agency.id, placed_at).await;
    let token = token(&app.db, Role::Agency, Some(agency.id)).await;
    Held {
        agency,
        account,
        placement,
        token,
    }
}

pub async fn place(
    app: &TestApp,
    account: &account::Model,
    agency_id: i64,
    placed_at: DateTime<Utc>,
) -> placement::Model {
    let mut placement = fixtures::active_placement(account, agency_id);
    placement.placed_at = Set(placed_at);
    placement.insert(&app.db).await.unwrap()
}

/// An account in Texas placed with a new agency on 2026-06-01.
async fn texan(app: &TestApp, code: &str) -> Held {
    held(app, code, "US-TX", "America/Chicago", utc(2026, 6, 1, 0, 0)).await
}

/// Two Shanghai accounts of one debtor (the same national ID), placed with two agencies.
async fn one_debtor_two_agencies(app: &TestApp) -> (Held, Held) {
    let mut pair = Vec::new();
    for code in ["AGA", "AGB"] {
        let held = held(app, code, "CN-31", "Asia/Shanghai", utc(2026, 6, 1, 0, 0)).await;
        let mut changed: account::ActiveModel = held.account.clone().into();
        changed.national_id_hash = Set(Some("same-debtor".into()));
        changed.update(&app.db).await.unwrap();
        pair.push(held);
    }
    let b = pair.pop().expect("two");
    (pair.pop().expect("two"), b)
}

/// Unanswered calls on the account, one an hour from 2026-02-01 15:00Z, ids `<prefix><n>`.
fn hourly_calls(prefix: &str, account_id: i64, count: i64) -> impl Iterator<Item = (i64, Value)> {
    let prefix = prefix.to_owned();
    (0..count).map(move |n| {
        let at = utc(2026, 2, 1, 15, 0) + chrono::Duration::hours(n);
        (
            n,
            call(
                &format!("{prefix}{n}"),
                account_id,
                &at.to_rfc3339(),
                "NO_ANSWER",
            ),
        )
    })
}

pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub fn call(id: &str, account_id: i64, at: &str, result: &str) -> Value {
    json!({
        "externalId": id,
        "accountId": account_id.to_string(),
        "type": "CONTACT_ATTEMPT",
        "occurredAt": at,
        "channel": "CALL",
        "result": result,
        "contactPoint": "+1 (512) 555-0100",
    })
}

pub async fn report(app: &TestApp, token: &str, activities: Value) -> Value {
    app.gql(
        Some(token),
        REPORT_ACTIVITIES,
        json!({ "activities": activities }),
    )
    .await
    .data()["reportActivities"]
        .clone()
}

fn rules_of(item: &Value) -> Vec<String> {
    item["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn contact_hours_end_at_21_00_in_the_debtors_time_zone() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    // Agents report in their own offset: 20:59 and 21:00 in Chicago (CDT, -05:00).
    let answer = report(
        &app,
        &a.token,
        json!([
            call(
                "c-2059",
                a.account.id,
                "2026-06-15T21:59:00-04:00",
                "NO_ANSWER"
            ),
            call("c-2100", a.account.id, "2026-06-16T02:00:00Z", "NO_ANSWER"),
        ]),
    )
    .await;
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["incidentsRaised"], 1);
    let items = answer["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "OK");
    assert!(rules_of(&items[0]).is_empty());
    assert_eq!(items[1]["status"], "ACCEPTED");
    assert_eq!(items[1]["code"], "COMPLIANCE_BREACH");
    assert_eq!(rules_of(&items[1]), ["CONTACT_HOURS"]);
    let incident = &items[1]["incidents"][0];
    assert_eq!(incident["severity"], "MEDIUM");
    assert_eq!(incident["source"], "AUTOMATIC");
    assert_eq!(
        incident["evidence"]["activityIds"][0],
        items[1]["activity"]["id"]
    );
    // The number is stored in one form, whatever the agent typed.
    assert_eq!(items[0]["activity"]["contactPoint"], "+15125550100");
    // Facts are never dropped: both calls are stored.
    assert_eq!(activity::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[tokio::test]
async fn contact_hours_follow_daylight_saving_on_the_change_day() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-NY",
        "America/New_York",
        utc(2026, 3, 1, 0, 0),
    )
    .await;
    // 2026-03-08 clocks spring forward at 02:00 in New York: 12:30Z is 08:30 EDT
    // (permitted) and 11:45Z is 07:45 EDT (too early); with the winter offset both would
    // be an hour earlier. 00:59Z on the 9th is 20:59 EDT, 01:00Z is 21:00 EDT.
    let answer = report(
        &app,
        &a.token,
        json!([
            call(
                "dst-0830",
                a.account.id,
                "2026-03-08T12:30:00Z",
                "NO_ANSWER"
            ),
            call(
                "dst-0745",
                a.account.id,
                "2026-03-08T11:45:00Z",
                "NO_ANSWER"
            ),
            call(
                "dst-2059",
                a.account.id,
                "2026-03-09T00:59:00Z",
                "NO_ANSWER"
            ),
            call(
                "dst-2100",
                a.account.id,
                "2026-03-09T01:00:00Z",
                "NO_ANSWER"
            ),
        ]),
    )
    .await;
    let rules: Vec<Vec<String>> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(rules_of)
        .collect();
    assert_eq!(
        rules,
        [
            vec![],
            vec!["CONTACT_HOURS".to_owned()],
            vec![],
            vec!["CONTACT_HOURS".to_owned()]
        ]
    );
}

#[tokio::test]
async fn the_eighth_call_in_seven_days_breaks_the_weekly_cap() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    // Seven calls on seven days (one report each), then an eighth on the seventh day.
    for day in 1..=7 {
        let at = format!("2026-06-{day:02}T15:00:00Z");
        let answer = report(
            &app,
            &a.token,
            json!([call(&format!("w{day}"), a.account.id, &at, "NO_ANSWER")]),
        )
        .await;
        assert_eq!(answer["items"][0]["code"], "OK", "call {day}");
    }
    let answer = report(
        &app,
        &a.token,
        json!([call(
            "w8",
            a.account.id,
            "2026-06-07T18:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    let item = &answer["items"][0];
    assert_eq!(rules_of(item), ["WEEKLY_CALL_CAP"]);
    assert_eq!(item["incidents"][0]["evidence"]["measured"], 8);
    assert_eq!(item["incidents"][0]["evidence"]["limit"], 7);
    assert_eq!(
        item["incidents"][0]["evidence"]["activityIds"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}

#[tokio::test]
async fn the_fourth_connected_call_of_a_debtor_in_a_day_across_two_agencies_breaks_the_joint_cap() {
    let app = spawn_app().await;
    let (a, b) = one_debtor_two_agencies(&app).await;
    let from_a = report(
        &app,
        &a.token,
        json!([
            call("a1", a.account.id, "2026-06-10T09:00:00+08:00", "REFUSED"),
            call(
                "a2",
                a.account.id,
                "2026-06-10T10:00:00+08:00",
                "RIGHT_PARTY_CONTACT"
            ),
        ]),
    )
    .await;
    assert_eq!(from_a["incidentsRaised"], 0);
    let from_b = report(
        &app,
        &b.token,
        json!([
            call(
                "b1",
                b.account.id,
                "2026-06-10T11:00:00+08:00",
                "RIGHT_PARTY_CONTACT"
            ),
            call(
                "b2",
                b.account.id,
                "2026-06-10T12:00:00+08:00",
                "RIGHT_PARTY_CONTACT"
            ),
            call("b3", b.account.id, "2026-06-10T13:00:00+08:00", "NO_ANSWER"),
        ]),
    )
    .await;
    let items = from_b["items"].as_array().unwrap();
    assert!(rules_of(&items[0]).is_empty(), "the third call is allowed");
    assert_eq!(rules_of(&items[1]), ["DAILY_EFFECTIVE_CALL_CAP"]);
    assert_eq!(items[1]["incidents"][0]["evidence"]["measured"], 4);
    assert!(
        rules_of(&items[2]).is_empty(),
        "an unanswered call is not effective"
    );
    // The incident is the second agency's: it made the fourth call.
    let incident = compliance_incident::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.agency_id, b.agency.id);
}

#[tokio::test]
async fn a_call_after_cease_contact_is_a_high_incident_and_the_lender_is_told() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let answer = report(
        &app,
        &a.token,
        json!([
            call("before", a.account.id, "2026-06-10T15:00:00Z", "NO_ANSWER"),
            {
                "externalId": "cease",
                "accountId": a.account.id.to_string(),
                "type": "CEASE_CONTACT",
                "occurredAt": "2026-06-10T16:00:00Z",
                "channel": "LETTER",
                "direction": "INBOUND",
                "note": "debtor wrote asking us to stop",
            },
            call("after", a.account.id, "2026-06-12T15:00:00Z", "NO_ANSWER"),
        ]),
    )
    .await;
    let items = answer["items"].as_array().unwrap();
    assert!(rules_of(&items[0]).is_empty());
    assert_eq!(items[1]["code"], "OK");
    assert_eq!(rules_of(&items[2]), ["CONTACT_AFTER_CEASE"]);
    assert_eq!(items[2]["incidents"][0]["severity"], "HIGH");
    let account = account::Entity::find_by_id(a.account.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(account.flags.0.contains(&AccountFlag::CeaseContact));
    let notices = outbox_event::Entity::find()
        .filter(outbox_event::Column::Topic.eq("account.contact_status_changed"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].agency_id, None, "a notice for the lender side");
    // A later report is checked against the stored request too.
    let later = report(
        &app,
        &a.token,
        json!([call(
            "later",
            a.account.id,
            "2026-06-20T15:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    assert_eq!(rules_of(&later["items"][0]), ["CONTACT_AFTER_CEASE"]);
}

#[tokio::test]
async fn a_dispute_flags_the_account_and_stops_contact() {
    let app = spawn_app().await;
    let a = held(&app, "AGA", "UK", "Europe/London", utc(2026, 6, 1, 0, 0)).await;
    let answer = report(
        &app,
        &a.token,
        json!([
            {
                "externalId": "d1",
                "accountId": a.account.id.to_string(),
                "type": "DISPUTE",
                "occurredAt": "2026-06-10T10:00:00+01:00",
                "note": "debtor says the debt was paid",
            },
            call("d2", a.account.id, "2026-06-11T10:00:00+01:00", "NO_ANSWER"),
        ]),
    )
    .await;
    assert_eq!(rules_of(&answer["items"][1]), ["CONTACT_WHILE_DISPUTED"]);
    let query = app
        .admin(
            "query($id: ID!) { account(id: $id) { flags } }",
            json!({ "id": a.account.id.to_string() }),
        )
        .await;
    assert_eq!(query.data()["account"]["flags"], json!(["DISPUTED"]));
}

#[tokio::test]
async fn a_thousand_item_batch_replays_as_duplicates_without_storing_twice() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-TX",
        "America/Chicago",
        utc(2026, 1, 1, 0, 0),
    )
    .await;
    // 1,000 notes and attempts spread over 1,000 hours, all within permitted hours or not:
    // the point is the replay.
    let batch: Vec<Value> = hourly_calls("item-", a.account.id, 1000)
        .map(|(n, call)| {
            if n % 2 == 0 {
                call
            } else {
                json!({
                    "externalId": call["externalId"],
                    "accountId": a.account.id.to_string(),
                    "type": "NOTE",
                    "occurredAt": call["occurredAt"],
                    "note": format!("note {n}"),
                })
            }
        })
        .collect();
    let first = report(&app, &a.token, json!(batch)).await;
    assert_eq!(first["accepted"], 1000);
    let incidents = compliance_incident::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    let again = report(&app, &a.token, json!(batch)).await;
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 1000);
    assert_eq!(again["incidentsRaised"], 0);
    for (n, item) in again["items"].as_array().unwrap().iter().enumerate() {
        assert_eq!(item["status"], "DUPLICATE");
        assert_eq!(item["index"], n);
        assert_eq!(
            item["activity"]["id"], first["items"][n]["activity"]["id"],
            "the original is returned"
        );
        assert_eq!(item["incidents"], first["items"][n]["incidents"]);
    }
    assert_eq!(activity::Entity::find().count(&app.db).await.unwrap(), 1000);
    assert_eq!(
        compliance_incident::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        incidents
    );
}

#[tokio::test]
async fn a_mixed_batch_keeps_the_good_items_and_names_each_fault() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let b = texan(&app, "AGB").await;
    report(
        &app,
        &a.token,
        json!([call(
            "used",
            a.account.id,
            "2026-06-10T15:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    let account = a.account.id.to_string();
    let answer = report(
        &app,
        &a.token,
        json!([
            call("good", a.account.id, "2026-06-11T15:00:00Z", "RIGHT_PARTY_CONTACT"),
            call("used", a.account.id, "2026-06-10T16:00:00Z", "NO_ANSWER"),
            call("theirs", b.account.id, "2026-06-11T15:00:00Z", "NO_ANSWER"),
            call("early", a.account.id, "2026-05-01T15:00:00Z", "NO_ANSWER"),
            call("future", a.account.id, "2099-01-01T15:00:00Z", "NO_ANSWER"),
            { "externalId": "no-channel", "accountId": account, "type": "CONTACT_ATTEMPT",
              "occurredAt": "2026-06-11T15:00:00Z", "result": "NO_ANSWER" },
            { "externalId": "ptp", "accountId": account, "type": "PROMISE_TO_PAY",
              "occurredAt": "2026-06-11T15:05:00Z",
              "promise": { "amount": "250.00", "currency": "USD", "dueOn": "2026-06-30" } },
            { "externalId": "ptp-eur", "accountId": account, "type": "PROMISE_TO_PAY",
              "occurredAt": "2026-06-11T15:05:00Z",
              "promise": { "amount": "250.00", "currency": "EUR", "dueOn": "2026-06-30" } },
            { "externalId": "bad-id", "accountId": "x1", "type": "NOTE",
              "occurredAt": "2026-06-11T15:00:00Z", "note": "hello" },
            call("good", a.account.id, "2026-06-11T15:00:00Z", "RIGHT_PARTY_CONTACT"),
        ]),
    )
    .await;
    let outcomes: Vec<(String, String, Value)> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["status"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
                i["field"].clone(),
            )
        })
        .collect();
    let expected = [
        ("ACCEPTED", "OK", Value::Null),
        ("REJECTED", "CONFLICT", Value::Null),
        ("REJECTED", "ACCOUNT_NOT_HELD", Value::Null),
        ("REJECTED", "OCCURRED_BEFORE_PLACEMENT", Value::Null),
        ("REJECTED", "OCCURRED_IN_FUTURE", Value::Null),
        ("REJECTED", "INVALID_FIELD", json!("channel")),
        ("ACCEPTED", "OK", Value::Null),
        ("REJECTED", "CURRENCY_MISMATCH", Value::Null),
        ("REJECTED", "INVALID_FIELD", json!("accountId")),
        ("DUPLICATE", "DUPLICATE", Value::Null),
    ];
    let expected: Vec<(String, String, Value)> = expected
        .into_iter()
        .map(|(s, c, f)| (s.to_owned(), c.to_owned(), f))
        .collect();
    assert_eq!(outcomes, expected);
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 7);
    assert_eq!(answer["duplicates"], 1);
    assert_eq!(
        activity::Entity::find()
            .filter(activity::Column::AgencyId.eq(a.agency.id))
            .count(&app.db)
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn agencies_report_and_read_only_their_own_work() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let b = texan(&app, "AGB").await;
    report(
        &app,
        &a.token,
        json!([call(
            "a-1",
            a.account.id,
            "2026-06-10T15:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    // B cannot report on A's account…
    let answer = report(
        &app,
        &b.token,
        json!([call(
            "b-1",
            a.account.id,
            "2026-06-10T15:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    assert_eq!(answer["items"][0]["code"], "ACCOUNT_NOT_HELD");
    // …nor read A's reports.
    let list =
        "query($f: ReportsFilter) { activities(filter: $f) { edges { node { externalId } } } }";
    let own = app.gql(Some(&b.token), list, json!({})).await;
    assert_eq!(own.data()["activities"]["edges"], json!([]));
    let theirs = app
        .gql(
            Some(&b.token),
            list,
            json!({ "f": { "agencyId": a.agency.id.to_string() } }),
        )
        .await;
    assert_eq!(theirs.code(), Some("FORBIDDEN"));
    let payments = app
        .gql(
            Some(&b.token),
            "query($f: ReportsFilter) { payments(filter: $f) { edges { node { id } } } }",
            json!({ "f": { "agencyId": a.agency.id.to_string() } }),
        )
        .await;
    assert_eq!(payments.code(), Some("FORBIDDEN"));
    // The lender reads everything but does not report.
    let manager = token(&app.db, Role::VendorManager, None).await;
    let all = app.gql(Some(&manager), list, json!({})).await;
    assert_eq!(
        all.data()["activities"]["edges"][0]["node"]["externalId"],
        "a-1"
    );
    let refused = app
        .gql(
            Some(&manager),
            REPORT_ACTIVITIES,
            json!({ "activities": [call("m-1", a.account.id, "2026-06-10T15:00:00Z", "NO_ANSWER")] }),
        )
        .await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn batches_above_the_limit_are_refused_whole() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let batch: Vec<Value> = (0..1001)
        .map(|n| {
            call(
                &format!("x{n}"),
                a.account.id,
                "2026-06-10T15:00:00Z",
                "NO_ANSWER",
            )
        })
        .collect();
    let answer = app
        .gql(
            Some(&a.token),
            REPORT_ACTIVITIES,
            json!({ "activities": batch }),
        )
        .await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        answer.body["errors"][0]["extensions"]["field"],
        "activities"
    );
    assert_eq!(activity::Entity::find().count(&app.db).await.unwrap(), 0);
}

fn pay(id: &str, account_id: i64, amount: &str, currency: &str, at: &str) -> Value {
    json!({
        "externalId": id,
        "accountId": account_id.to_string(),
        "amount": amount,
        "currency": currency,
        "paidAt": at,
        "method": "CARD",
        "paidTo": "AGENCY",
    })
}

#[tokio::test]
async fn payments_reduce_the_balance_and_a_full_payment_closes_the_placement() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let b = texan(&app, "AGB").await;
    let id = a.account.id;
    // The account owes 1,000.00 USD.
    let answer = app
        .gql(
            Some(&a.token),
            REPORT_PAYMENTS,
            json!({ "payments": [
                pay("p1", id, "250.50", "USD", "2026-06-10T12:00:00Z"),
                pay("p2", id, "800.00", "USD", "2026-06-11T12:00:00Z"),
                pay("p3", id, "10.00", "EUR", "2026-06-11T12:00:00Z"),
                pay("p4", id, "10.00", "USD", "2099-06-11T12:00:00Z"),
                pay("p5", id, "10.00", "USD", "2026-05-11T12:00:00Z"),
                pay("p6", b.account.id, "10.00", "USD", "2026-06-11T12:00:00Z"),
                pay("p7", id, "-5", "USD", "2026-06-11T12:00:00Z"),
                pay("p8", id, "0.001", "USD", "2026-06-11T12:00:00Z"),
            ] }),
        )
        .await;
    let report = &answer.data()["reportPayments"];
    let codes: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "OK",
            "AMOUNT_EXCEEDS_BALANCE",
            "CURRENCY_MISMATCH",
            "PAID_IN_FUTURE",
            "PAID_BEFORE_PLACEMENT",
            "ACCOUNT_NOT_HELD",
            "INVALID_FIELD",
            "INVALID_FIELD",
        ]
    );
    assert_eq!(
        report["items"][0]["payment"]["balanceAfter"]["amount"],
        "749.50"
    );
    let pay_off = app
        .gql(
            Some(&a.token),
            REPORT_PAYMENTS,
            json!({ "payments": [
                pay("p9", id, "749.50", "USD", "2026-06-12T12:00:00Z"),
                pay("p1", id, "250.50", "USD", "2026-06-10T12:00:00Z"),
            ] }),
        )
        .await;
    let items = &pay_off.data()["reportPayments"]["items"];
    assert_eq!(items[0]["code"], "OK");
    assert_eq!(items[0]["payment"]["balanceAfter"]["amount"], "0.00");
    assert_eq!(items[1]["status"], "DUPLICATE");
    let account = account::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.outstanding_minor, 0);
    let placement = placement::Entity::find_by_id(a.placement.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(placement.status, PlacementStatus::Paid);
    assert_eq!(payment::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[tokio::test]
async fn payments_are_accepted_during_the_tail_period_only() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-TX",
        "America/Chicago",
        utc(2026, 1, 1, 0, 0),
    )
    .await;
    let mut ended: placement::ActiveModel = a.placement.clone().into();
    ended.status = Set(PlacementStatus::Returned);
    ended.ended_at = Set(Some(utc(2026, 6, 1, 0, 0)));
    ended.update(&app.db).await.unwrap();
    let answer = app
        .gql(
            Some(&a.token),
            REPORT_PAYMENTS,
            json!({ "payments": [
                pay("t1", a.account.id, "10.00", "USD", "2026-06-30T12:00:00Z"),
                pay("t2", a.account.id, "10.00", "USD", "2026-07-02T12:00:00Z"),
            ] }),
        )
        .await;
    let items = &answer.data()["reportPayments"]["items"];
    assert_eq!(items[0]["code"], "OK");
    assert_eq!(
        items[0]["payment"]["placementId"],
        a.placement.id.to_string()
    );
    assert_eq!(items[1]["code"], "OUTSIDE_TAIL_PERIOD");
    // But no activity once the account is gone.
    let late = report(
        &app,
        &a.token,
        json!([call(
            "late",
            a.account.id,
            "2026-06-10T15:00:00Z",
            "NO_ANSWER"
        )]),
    )
    .await;
    assert_eq!(late["items"][0]["code"], "ACCOUNT_NOT_HELD");
}

#[tokio::test]
async fn the_lender_lifts_a_verified_dispute_and_contact_may_resume() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let id = a.account.id.to_string();
    report(
        &app,
        &a.token,
        json!([{ "externalId": "d", "accountId": id, "type": "DISPUTE",
                 "occurredAt": "2026-06-10T15:00:00Z" }]),
    )
    .await;
    let lift = r#"mutation($input: UpdateAccountFlagsInput!) { updateAccountFlags(input: $input) { flags } }"#;
    let input =
        json!({ "input": { "accountId": id, "remove": ["DISPUTED"], "reason": "debt validated" } });
    let refused = app.gql(Some(&a.token), lift, input.clone()).await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    let manager = token(&app.db, Role::VendorManager, None).await;
    let lifted = app.gql(Some(&manager), lift, input).await;
    assert_eq!(lifted.data()["updateAccountFlags"]["flags"], json!([]));
    let both = app
        .gql(
            Some(&manager),
            lift,
            json!({ "input": { "accountId": id, "add": ["DECEASED"], "remove": ["DECEASED"], "reason": "x" } }),
        )
        .await;
    assert_eq!(both.code(), Some("BAD_USER_INPUT"));
    // The agency holding the account hears of it, as does the lender side.
    let told = outbox_event::Entity::find()
        .filter(outbox_event::Column::Topic.eq("account.contact_status_changed"))
        .filter(outbox_event::Column::AgencyId.eq(a.agency.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(told, 1);
    // A call made while the dispute was open still breaks the rule when reported after
    // the lift; one made after the lift is fine.
    let after_lift = (Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let calls = report(
        &app,
        &a.token,
        json!([
            call("during", a.account.id, "2026-06-20T15:00:00Z", "NO_ANSWER"),
            call("after-lift", a.account.id, &after_lift, "NO_ANSWER"),
        ]),
    )
    .await;
    assert_eq!(rules_of(&calls["items"][0]), ["CONTACT_WHILE_DISPUTED"]);
    // (Whatever the time of day now, so only this rule is asserted.)
    assert!(
        !rules_of(&calls["items"][1]).contains(&"CONTACT_WHILE_DISPUTED".to_owned()),
        "{}",
        calls["items"][1]
    );
}

#[tokio::test]
async fn an_earlier_call_reported_late_still_breaks_the_joint_cap_and_evidence_stays_scoped() {
    let app = spawn_app().await;
    let (a, b) = one_debtor_two_agencies(&app).await;
    report(
        &app,
        &a.token,
        json!([
            call("a10", a.account.id, "2026-06-10T10:00:00+08:00", "REFUSED"),
            call(
                "a11",
                a.account.id,
                "2026-06-10T11:00:00+08:00",
                "RIGHT_PARTY_CONTACT"
            ),
            call("a12", a.account.id, "2026-06-10T12:00:00+08:00", "REFUSED"),
        ]),
    )
    .await;
    // B's 09:00 call arrives after A's later ones: still the fourth of the day.
    let late = report(
        &app,
        &b.token,
        json!([call(
            "b09",
            b.account.id,
            "2026-06-10T09:00:00+08:00",
            "RIGHT_PARTY_CONTACT"
        )]),
    )
    .await;
    let item = &late["items"][0];
    assert_eq!(rules_of(item), ["DAILY_EFFECTIVE_CALL_CAP"]);
    let evidence = &item["incidents"][0]["evidence"];
    assert_eq!(evidence["measured"], 4);
    // B sees its own activity by id and only a count of A's.
    assert_eq!(evidence["activityIds"], json!([item["activity"]["id"]]));
    assert_eq!(evidence["otherAgenciesContacts"], 3);
}

#[tokio::test]
async fn a_reported_complaint_raises_an_incident_but_breaks_no_rule() {
    let app = spawn_app().await;
    let a = texan(&app, "AGA").await;
    let answer = report(
        &app,
        &a.token,
        json!([{ "externalId": "c1", "accountId": a.account.id.to_string(), "type": "COMPLAINT",
                 "occurredAt": "2026-06-10T15:00:00Z", "note": "debtor says the agent was rude" }]),
    )
    .await;
    let item = &answer["items"][0];
    assert_eq!(item["code"], "OK");
    assert_eq!(item["incidents"][0]["source"], "COMPLAINT");
    assert_eq!(item["incidents"][0]["rule"], "COMPLAINT_REPORTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_racing_its_original_answers_duplicate_not_conflict() {
    let app = spawn_app().await;
    let a = held(
        &app,
        "AGA",
        "US-TX",
        "America/Chicago",
        utc(2026, 1, 1, 0, 0),
    )
    .await;
    let batch: Vec<Value> = hourly_calls("r", a.account.id, 300)
        .map(|(_, call)| call)
        .collect();
    let variables = json!({ "activities": batch });
    let (first, second) = tokio::join!(
        app.gql(Some(&a.token), REPORT_ACTIVITIES, variables.clone()),
        app.gql(Some(&a.token), REPORT_ACTIVITIES, variables.clone()),
    );
    let mut counts: Vec<(i64, i64)> = [first, second]
        .iter()
        .map(|answer| {
            let report = &answer.data()["reportActivities"];
            (
                report["accepted"].as_i64().unwrap(),
                report["duplicates"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(counts, [(0, 300), (300, 0)]);
    assert_eq!(activity::Entity::find().count(&app.db).await.unwrap(), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agencies_reporting_at_once_on_one_debtor_cannot_both_miss_the_joint_cap() {
    let app = spawn_app().await;
    let (a, b) = one_debtor_two_agencies(&app).await;
    // Four connected calls in one local day, two from each agency, sent at the same time:
    // whichever report commits second sees the other's calls, so exactly one breaches.
    let from_a = json!([
        call("a09", a.account.id, "2026-06-10T09:00:00+08:00", "REFUSED"),
        call("a11", a.account.id, "2026-06-10T11:00:00+08:00", "REFUSED"),
    ]);
    let from_b = json!([
        call("b10", b.account.id, "2026-06-10T10:00:00+08:00", "REFUSED"),
        call("b12", b.account.id, "2026-06-10T12:00:00+08:00", "REFUSED"),
    ]);
    let (one, two) = tokio::join!(
        report(&app, &a.token, from_a),
        report(&app, &b.token, from_b)
    );
    assert_eq!(one["accepted"], 2);
    assert_eq!(two["accepted"], 2);
    let raised =
        one["incidentsRaised"].as_i64().unwrap() + two["incidentsRaised"].as_i64().unwrap();
    assert_eq!(raised, 1, "{one} {two}");
}
