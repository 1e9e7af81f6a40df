//! The expiry workflow (`runQualificationExpiry`) and the `expiringQualifications` watch list.

use chrono::{Duration, NaiveDate};
use entity::agency_qualification::{self, QualificationStatus};
use entity::api_token::Role;
use entity::outbox_event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::fixtures::{self, today};
use crate::helpers::{Answer, TestApp, spawn_app, token};

const RUN: &str =
    "mutation { runQualificationExpiry { expiredCount expired { id status agency { code } } } }";
const EXPIRING: &str = r#"
query($within: Int!, $first: Int, $after: String) {
  expiringQualifications(withinDays: $within, first: $first, after: $after) {
    edges { node { id expiresOn status } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Inserts a qualification of the agency with `status`, expiring `expires_in` days from
/// today (`None`: never), and returns its id.
async fn paper(
    app: &TestApp,
    agency_id: i64,
    kind: &str,
    status: QualificationStatus,
    expires_in: Option<i64>,
) -> String {
    let region = (kind == "COLLECTION_LICENSE").then_some("US-TX");
    let mut row = fixtures::qualification(agency_id, kind, region);
    row.status = Set(status);
    row.issued_on = Set(today() - Duration::days(400));
    row.expires_on = Set(expires_in.map(|days| today() + Duration::days(days)));
    row.insert(&app.db)
        .await
        .expect("insert qualification")
        .id
        .to_string()
}

async fn run(app: &TestApp, token: &str) -> Answer {
    app.gql(Some(token), RUN, json!({})).await
}

/// Every qualification's status, by id.
async fn statuses(app: &TestApp) -> Vec<(String, QualificationStatus)> {
    agency_qualification::Entity::find()
        .order_by_asc(agency_qualification::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|q| (q.id.to_string(), q.status))
        .collect()
}

async fn expiry_events(app: &TestApp) -> Vec<Value> {
    let events = app
        .admin(
            r#"{ auditEvents(filter: { action: "qualification.expire" }) { edges { node { actor entityType entityId before after } } } }"#,
            json!({}),
        )
        .await;
    events.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn outbox(app: &TestApp) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .order_by_asc(outbox_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn expiring(app: &TestApp, within: i64) -> Answer {
    app.admin(EXPIRING, json!({ "within": within })).await
}

fn expiring_ids(answer: &Answer) -> Vec<String> {
    answer.data()["expiringQualifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lapsed_qualifications_expire_once_with_an_audit_event_and_a_notification_each() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    let bravo = fixtures::agency(&app.db, "BRAVO").await;
    use QualificationStatus::*;
    let lapsed_verified = paper(&app, alpha.id, "DATA_PROTECTION_CERT", Verified, Some(-1)).await;
    let lapsed_pending = paper(
        &app,
        bravo.id,
        "COLLECTION_LICENSE",
        PendingReview,
        Some(-30),
    )
    .await;
    let untouched = [
        paper(&app, alpha.id, "PCI_DSS", Rejected, Some(-5)).await,
        paper(&app, alpha.id, "ANNUAL_AUDIT", Revoked, Some(-5)).await,
        paper(&app, alpha.id, "COLLECTION_LICENSE", Verified, Some(0)).await,
        paper(&app, bravo.id, "STAFF_BACKGROUND_CHECKS", Verified, None).await,
        paper(&app, bravo.id, "ANNUAL_AUDIT", PendingReview, Some(10)).await,
    ];
    let before = statuses(&app).await;
    let manager = token(&app.db, Role::VendorManager, None).await;

    let first = run(&app, &manager).await;
    let first = &first.data()["runQualificationExpiry"];
    assert_eq!(first["expiredCount"], 2);
    assert_eq!(
        first["expired"],
        json!([
            { "id": lapsed_verified, "status": "EXPIRED", "agency": { "code": "ALPHA" } },
            { "id": lapsed_pending, "status": "EXPIRED", "agency": { "code": "BRAVO" } },
        ])
    );

    let after = statuses(&app).await;
    for ((id, was), (_, now)) in before.iter().zip(&after) {
        if [&lapsed_verified, &lapsed_pending].contains(&id) {
            assert_eq!(*now, Expired, "{id}");
        } else {
            assert!(untouched.contains(id));
            assert_eq!(now, was, "{id} is left alone");
        }
    }

    let events = expiry_events(&app).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let mut audited: Vec<&str> = events
        .iter()
        .map(|e| e["entityId"].as_str().unwrap())
        .collect();
    audited.sort_unstable();
    let mut expected = vec![lapsed_verified.as_str(), lapsed_pending.as_str()];
    expected.sort_unstable();
    assert_eq!(audited, expected);
    let me = app
        .gql(Some(&manager), "{ me { user { id } } }", json!({}))
        .await;
    let actor = format!("user:{}", me.data()["me"]["user"]["id"].as_str().unwrap());
    for event in &events {
        assert_eq!(event["entityType"], "qualification");
        assert_eq!(event["actor"], actor.as_str());
        assert_eq!(event["after"]["status"], "EXPIRED");
        let was = if event["entityId"] == lapsed_verified.as_str() {
            "VERIFIED"
        } else {
            "PENDING_REVIEW"
        };
        assert_eq!(event["before"]["status"], was);
    }

    let notifications = outbox(&app).await;
    let expired_topic: Vec<_> = notifications
        .iter()
        .filter(|e| e.topic == "qualification.expired")
        .collect();
    assert_eq!(expired_topic.len(), 2);
    assert_eq!(notifications.len(), 2, "nothing else was queued");
    for (event, (id, agency_id)) in expired_topic
        .iter()
        .zip([(&lapsed_verified, alpha.id), (&lapsed_pending, bravo.id)])
    {
        assert_eq!(&event.entity_id, id);
        assert_eq!(event.entity_type, "qualification");
        assert_eq!(event.agency_id, Some(agency_id));
        assert_eq!(event.payload["qualificationId"].to_string(), *id);
        assert_eq!(event.dispatched_at, None);
    }

    let second = run(&app, &app.admin_token).await;
    assert_eq!(
        second.data()["runQualificationExpiry"],
        json!({ "expiredCount": 0, "expired": [] })
    );
    assert_eq!(expiry_events(&app).await.len(), 2);
    assert_eq!(outbox(&app).await, notifications);
    assert_eq!(statuses(&app).await, after);
}

#[tokio::test]
async fn only_vendor_managers_and_admins_run_the_expiry() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    let lapsed = paper(
        &app,
        alpha.id,
        "DATA_PROTECTION_CERT",
        QualificationStatus::Verified,
        Some(-3),
    )
    .await;
    for (role, agency_id) in [
        (Role::Agency, Some(alpha.id)),
        (Role::Finance, None),
        (Role::Auditor, None),
    ] {
        let caller = token(&app.db, role, agency_id).await;
        assert_eq!(
            run(&app, &caller).await.code(),
            Some("FORBIDDEN"),
            "{role:?}"
        );
    }
    assert_eq!(
        statuses(&app).await,
        vec![(lapsed.clone(), QualificationStatus::Verified)]
    );
    assert!(outbox(&app).await.is_empty());

    let by_admin = run(&app, &app.admin_token).await;
    assert_eq!(by_admin.data()["runQualificationExpiry"]["expiredCount"], 1);
    assert_eq!(
        statuses(&app).await,
        vec![(lapsed, QualificationStatus::Expired)]
    );
}

#[tokio::test]
async fn the_watch_list_shows_verified_qualifications_expiring_within_the_window() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    use QualificationStatus::*;
    let in_60_days = paper(&app, alpha.id, "PCI_DSS", Verified, Some(60)).await;
    let in_10_days = paper(&app, alpha.id, "DATA_PROTECTION_CERT", Verified, Some(10)).await;
    let today_last = paper(&app, alpha.id, "ANNUAL_AUDIT", Verified, Some(0)).await;
    paper(
        &app,
        alpha.id,
        "STAFF_BACKGROUND_CHECKS",
        PendingReview,
        Some(10),
    )
    .await;
    paper(&app, alpha.id, "COLLECTION_LICENSE", Verified, Some(-1)).await;
    paper(&app, alpha.id, "INFORMATION_SECURITY_CERT", Verified, None).await;
    paper(&app, alpha.id, "LEGAL_PRACTICE_LICENSE", Revoked, Some(5)).await;

    let month = expiring(&app, 30).await;
    assert_eq!(
        expiring_ids(&month),
        vec![today_last.clone(), in_10_days.clone()],
        "soonest first"
    );
    let edges = &month.data()["expiringQualifications"]["edges"];
    assert_eq!(
        edges[1]["node"]["expiresOn"],
        (today() + Duration::days(10)).to_string()
    );
    assert_eq!(edges[1]["node"]["status"], "VERIFIED");

    assert_eq!(
        expiring_ids(&expiring(&app, 0).await),
        vec![today_last.clone()]
    );
    assert_eq!(
        expiring_ids(&expiring(&app, 365).await),
        vec![today_last, in_10_days, in_60_days]
    );

    for within in [-1, 366, 400] {
        let refused = expiring(&app, within).await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{within}");
        assert_eq!(
            refused.body["errors"][0]["extensions"]["field"], "withinDays",
            "{within}"
        );
    }
}

#[tokio::test]
async fn the_watch_list_pages_through_every_qualification_soonest_first() {
    let app = spawn_app().await;
    let alpha = fixtures::agency(&app.db, "ALPHA").await;
    // Inserted latest-expiring first, so ids and expiry dates run in opposite orders.
    let mut expected = Vec::new();
    for (kind, days) in [
        ("PCI_DSS", 20),
        ("DATA_PROTECTION_CERT", 15),
        ("ANNUAL_AUDIT", 10),
        ("STAFF_BACKGROUND_CHECKS", 5),
    ] {
        let id = paper(
            &app,
            alpha.id,
            kind,
            QualificationStatus::Verified,
            Some(days),
        )
        .await;
        expected.insert(0, (id, today() + Duration::days(days)));
    }

    let mut seen: Vec<(String, NaiveDate)> = Vec::new();
    let mut after = Value::Null;
    for _ in 0..expected.len() + 1 {
        let page = app
            .admin(
                EXPIRING,
                json!({ "within": 30, "first": 1, "after": after }),
            )
            .await;
        let connection = &page.data()["expiringQualifications"];
        for edge in connection["edges"].as_array().unwrap() {
            seen.push((
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["node"]["expiresOn"].as_str().unwrap().parse().unwrap(),
            ));
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, expected);
}
