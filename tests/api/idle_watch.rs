//! The idle watch: placements without reported activity a week after placement raise one
//! LOW incident each, once.

use chrono::{DateTime, Duration, Utc};
use entity::account;
use entity::activity::{self, ActivityKind, ContactChannel, ContactResult, Direction};
use entity::api_token::Role;
use entity::compliance_incident;
use entity::placement::{self, PlacementStatus};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::fixtures;
use crate::helpers::{TestApp, spawn_app, spawn_app_with, token};

const RUN: &str = r#"
mutation {
  runIdleWatch {
    count
    incidents { id agency { code } accountId placementId source rule severity status summary evidence occurredAt }
  }
}"#;

/// An ACTIVE placement of a new account with the agency, placed `days_ago` days ago.
async fn placed(app: &TestApp, agency_id: i64, reference: &str, days_ago: i64) -> placement::Model {
    let portfolio = fixtures::portfolio(&app.db, reference).await;
    let account = fixtures::account(&app.db, portfolio.id, reference, 10_000).await;
    let mut row = fixtures::active_placement(&account, agency_id);
    row.placed_at = Set(Utc::now() - Duration::days(days_ago));
    row.insert(&app.db).await.expect("insert placement")
}

/// A call the agency reports on its placement (inserted directly: reporting is not an API yet).
async fn call(app: &TestApp, placement: &placement::Model, at: DateTime<Utc>) {
    activity::ActiveModel {
        agency_id: Set(placement.agency_id),
        account_id: Set(placement.account_id),
        placement_id: Set(placement.id),
        external_id: Set(format!("CALL-{}", placement.id)),
        payload_hash: Set("0".repeat(64)),
        kind: Set(ActivityKind::ContactAttempt),
        channel: Set(Some(ContactChannel::Call)),
        direction: Set(Some(Direction::Outbound)),
        result: Set(Some(ContactResult::NoAnswer)),
        occurred_at: Set(at),
        contact_point: Set(Some("+15125550100".into())),
        agent_reference: Set(None),
        promise_amount_minor: Set(None),
        promise_currency: Set(None),
        promise_due_on: Set(None),
        note: Set(None),
        reported_at: Set(at),
        reported_by: Set("system:test".into()),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("insert activity");
}

async fn run(app: &TestApp) -> Value {
    app.admin(RUN, json!({})).await.data()["runIdleWatch"].clone()
}

#[tokio::test]
async fn only_placements_idle_for_a_week_raise_an_incident_and_only_once() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    let idle = placed(&app, alpha.id, "IDLE", 8).await;
    let worked = placed(&app, alpha.id, "WORKED", 8).await;
    call(&app, &worked, Utc::now() - Duration::days(6)).await;
    placed(&app, alpha.id, "FRESH", 3).await;
    let ended = placed(&app, alpha.id, "ENDED", 8).await;
    let mut returned: placement::ActiveModel = ended.into();
    returned.status = Set(PlacementStatus::Returned);
    returned.ended_at = Set(Some(Utc::now()));
    returned.update(&app.db).await.unwrap();

    let first = run(&app).await;
    assert_eq!(first["count"], 1);
    let incident = &first["incidents"][0];
    assert_eq!(incident["placementId"], idle.id.to_string());
    assert_eq!(incident["accountId"], idle.account_id.to_string());
    assert_eq!(incident["agency"]["code"], "ALPHA");
    assert_eq!(incident["source"], "AUTOMATIC");
    assert_eq!(incident["rule"], "IDLE_PLACEMENT");
    assert_eq!(incident["severity"], "LOW");
    assert_eq!(incident["status"], "OPEN");
    assert_eq!(incident["evidence"]["placementId"], idle.id.to_string());
    assert_eq!(incident["evidence"]["idleDays"], 7);
    let placed_at: DateTime<Utc> = incident["evidence"]["placedAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let occurred_at: DateTime<Utc> = incident["occurredAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(occurred_at - placed_at, Duration::days(7));
    assert!((placed_at - idle.placed_at).num_seconds().abs() < 1);

    let stored = compliance_incident::Entity::find()
        .filter(compliance_incident::Column::DedupeKey.eq(format!("IDLE:{}", idle.id)))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);

    let second = run(&app).await;
    assert_eq!(
        second,
        json!({ "count": 0, "incidents": [] }),
        "a second run raises nothing new"
    );
    assert_eq!(
        compliance_incident::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        1
    );
    let raised_events = app
        .admin(
            r#"{ auditEvents(filter: { action: "incident.raise" }) { edges { node { entityId after } } } }"#,
            json!({}),
        )
        .await;
    let edges = raised_events.data()["auditEvents"]["edges"].clone();
    assert_eq!(edges.as_array().unwrap().len(), 1);
    assert_eq!(edges[0]["node"]["after"]["rule"], "IDLE_PLACEMENT");
}

#[tokio::test]
async fn the_idle_threshold_comes_from_configuration() {
    let app = spawn_app_with(|settings| settings.compliance.idle_days = 2).await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    let fresh = placed(&app, alpha.id, "FRESH", 3).await;
    placed(&app, alpha.id, "NEW", 1).await;
    let answer = run(&app).await;
    assert_eq!(answer["count"], 1);
    assert_eq!(answer["incidents"][0]["placementId"], fresh.id.to_string());
    assert_eq!(answer["incidents"][0]["evidence"]["idleDays"], 2);
}

#[tokio::test]
async fn the_watch_works_through_every_batch_and_lists_the_first_hundred() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    let portfolio = fixtures::portfolio(&app.db, "BIG").await;
    let placed_at = Utc::now() - Duration::days(10);
    let template = fixtures::account(&app.db, portfolio.id, "BIG-0", 10_000).await;
    let accounts = account::Entity::insert_many((1..501).map(|i| {
        let mut row: account::ActiveModel = template.clone().into();
        row.id = NotSet;
        row.lender_reference = Set(format!("BIG-{i}"));
        row
    }))
    .exec_with_returning(&app.db)
    .await
    .unwrap();
    let placements = std::iter::once(&template).chain(&accounts).map(|account| {
        let mut row = fixtures::active_placement(account, alpha.id);
        row.placed_at = Set(placed_at);
        row
    });
    placement::Entity::insert_many(placements)
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    let answer = run(&app).await;
    assert_eq!(answer["count"], 501, "more than one batch of 500");
    assert_eq!(answer["incidents"].as_array().unwrap().len(), 100);
    assert_eq!(run(&app).await["count"], 0);
}

#[tokio::test]
async fn only_vendor_managers_and_admins_run_the_watch() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    for (role, agency_id) in [
        (Role::Agency, Some(alpha.id)),
        (Role::Finance, None),
        (Role::Auditor, None),
    ] {
        let secret = token(&app.db, role, agency_id).await;
        let answer = app.gql(Some(&secret), RUN, json!({})).await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{role:?}");
    }
    let manager = token(&app.db, Role::VendorManager, None).await;
    let answer = app.gql(Some(&manager), RUN, json!({})).await;
    assert_eq!(answer.data()["runIdleWatch"]["count"], 0);
}
