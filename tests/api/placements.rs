//! Ending placements: recall, return on the due-back date, the pending-recall warning,
//! and what agencies see of it.

use chrono::Duration;
use entity::api_token::Role;
use entity::outbox_event;
use entity::placement::{self, PlacementStatus};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures::{self, Book};
use crate::helpers::{TestApp, spawn_app, token};

const RECALL: &str = r#"
mutation Recall($input: RecallPlacementsInput!) {
  recallPlacements(input: $input) { count placements { id status endReason endedAt } }
}"#;
const EXPIRY: &str = "mutation { runPlacementExpiry { returned { count placements { id status } } warned { count } } }";

async fn status_of(app: &TestApp, id: i64) -> placement::Model {
    placement::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn outbox(app: &TestApp, topic: &str) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Topic.eq(topic))
        .all(&app.db)
        .await
        .unwrap()
}

async fn set_due_back(app: &TestApp, book: &Book, index: usize, days_from_today: i64) {
    let mut changed: placement::ActiveModel = book.placements[index].clone().into();
    changed.due_back_on = Set(fixtures::today() + Duration::days(days_from_today));
    changed.update(&app.db).await.unwrap();
}

#[tokio::test]
async fn a_recall_by_id_ends_the_placement_audits_it_and_tells_the_agency() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let id = book.placements[0].id;
    let recalled = app
        .admin(RECALL, json!({ "input": { "ids": [id.to_string()], "reason": "complaint under investigation" } }))
        .await;
    let recalled = &recalled.data()["recallPlacements"];
    assert_eq!(recalled["count"], 1);
    assert_eq!(recalled["placements"][0]["status"], "RECALLED");
    assert_eq!(
        recalled["placements"][0]["endReason"],
        "complaint under investigation"
    );
    assert_eq!(status_of(&app, id).await.status, PlacementStatus::Recalled);
    assert_eq!(
        status_of(&app, book.placements[1].id).await.status,
        PlacementStatus::Active
    );

    let events = outbox(&app, "placement.recalled").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].agency_id, Some(book.agency_a.id));
    assert_eq!(events[0].payload["placements"][0]["placementId"], json!(id));

    let audit = app
        .admin(r#"{ auditEvents(filter: { action: "placement.recall" }) { edges { node { entityId before after } } } }"#, json!({}))
        .await;
    let node = &audit.data()["auditEvents"]["edges"][0]["node"];
    assert_eq!(node["entityId"], id.to_string());
    assert_eq!(node["before"]["status"], "ACTIVE");
    assert_eq!(node["after"]["status"], "RECALLED");

    let again = app
        .admin(
            RECALL,
            json!({ "input": { "ids": [id.to_string()], "reason": "again" } }),
        )
        .await;
    assert_eq!(
        again.data()["recallPlacements"]["count"],
        0,
        "only ACTIVE placements are recalled"
    );
}

#[tokio::test]
async fn a_recall_by_agency_takes_back_all_of_its_work_and_frees_the_account() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let recalled = app
        .admin(
            RECALL,
            json!({ "input": { "agencyId": book.agency_b.id.to_string(), "reason": "agency suspended" } }),
        )
        .await;
    assert_eq!(recalled.data()["recallPlacements"]["count"], 1);
    assert_eq!(
        status_of(&app, book.placements[1].id).await.status,
        PlacementStatus::Recalled
    );
    assert_eq!(
        status_of(&app, book.placements[0].id).await.status,
        PlacementStatus::Active
    );
    // The account is free to be placed again.
    fixtures::active_placement(&book.accounts[1], book.agency_a.id)
        .insert(&app.db)
        .await
        .expect("a recalled account can be placed again");
}

#[tokio::test]
async fn bad_recalls_are_refused_and_only_managers_recall() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let cases = [
        (json!({ "reason": "everything" }), "filter"),
        (json!({ "ids": [], "reason": "x" }), "ids"),
        (
            json!({ "ids": [book.placements[0].id.to_string()], "reason": "  " }),
            "reason",
        ),
        (
            json!({ "ids": ["1"], "agencyId": "1", "reason": "x" }),
            "ids",
        ),
    ];
    for (input, field) in cases {
        let answer = app.admin(RECALL, json!({ "input": input })).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{input}");
        assert_eq!(
            answer.body["errors"][0]["extensions"]["field"], field,
            "{input}"
        );
    }
    for role in [Role::Finance, Role::Auditor] {
        let secret = token(&app.db, role, None).await;
        let answer = app
            .gql(
                Some(&secret),
                RECALL,
                json!({ "input": { "agencyId": "1", "reason": "x" } }),
            )
            .await;
        assert_eq!(answer.code(), Some("FORBIDDEN"));
    }
    let agency = token(&app.db, Role::Agency, Some(book.agency_a.id)).await;
    assert_eq!(
        app.gql(Some(&agency), EXPIRY, json!({})).await.code(),
        Some("FORBIDDEN")
    );
}

#[tokio::test]
async fn placements_past_due_are_returned_once_and_warned_before() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    set_due_back(&app, &book, 0, -1).await;
    set_due_back(&app, &book, 1, 3).await;

    let first = app.admin(EXPIRY, json!({})).await;
    let first = &first.data()["runPlacementExpiry"];
    assert_eq!(first["returned"]["count"], 1);
    assert_eq!(
        first["returned"]["placements"][0]["id"],
        book.placements[0].id.to_string()
    );
    assert_eq!(first["returned"]["placements"][0]["status"], "RETURNED");
    assert_eq!(
        first["warned"]["count"], 1,
        "due in 3 days, within the default 7"
    );
    assert_eq!(
        status_of(&app, book.placements[0].id).await.status,
        PlacementStatus::Returned
    );
    assert!(
        status_of(&app, book.placements[1].id)
            .await
            .recall_warned_at
            .is_some()
    );
    assert_eq!(outbox(&app, "placement.returned").await.len(), 1);
    assert_eq!(outbox(&app, "placement.pending_recall").await.len(), 1);

    let second = app.admin(EXPIRY, json!({})).await;
    assert_eq!(
        second.data()["runPlacementExpiry"],
        json!({ "returned": { "count": 0, "placements": [] }, "warned": { "count": 0 } }),
        "a second run changes nothing"
    );
    assert_eq!(outbox(&app, "placement.pending_recall").await.len(), 1);
}

#[tokio::test]
async fn an_agency_polls_its_changes_and_reads_its_own_history_of_an_account() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let alpha = token(&app.db, Role::Agency, Some(book.agency_a.id)).await;
    let before_recall = chrono::Utc::now();
    app.admin(
        RECALL,
        json!({ "input": { "ids": [book.placements[0].id.to_string()], "reason": "paid in full elsewhere" } }),
    )
    .await
    .data();

    let poll = "query($since: DateTime) { myPlacements(since: $since) { edges { node { id status account { id } } } } }";
    let changed = app
        .gql(
            Some(&alpha),
            poll,
            json!({ "since": before_recall.to_rfc3339() }),
        )
        .await;
    let edges = changed.data()["myPlacements"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["status"], "RECALLED");
    assert_eq!(
        edges[0]["node"]["account"],
        Value::Null,
        "no debtor data after the recall"
    );
    let later = app
        .gql(
            Some(&alpha),
            poll,
            json!({ "since": (chrono::Utc::now() + Duration::seconds(5)).to_rfc3339() }),
        )
        .await;
    assert_eq!(later.data()["myPlacements"]["edges"], json!([]));

    let manager = token(&app.db, Role::VendorManager, None).await;
    assert_eq!(
        app.gql(Some(&manager), poll, json!({})).await.code(),
        Some("FORBIDDEN")
    );

    // A flag the lender sets on an account B holds reaches B at its next poll.
    let bravo = token(&app.db, Role::Agency, Some(book.agency_b.id)).await;
    let before_flag = chrono::Utc::now();
    let flag = r#"mutation($input: UpdateAccountFlagsInput!) { updateAccountFlags(input: $input) { flags } }"#;
    app.gql(
        Some(&manager),
        flag,
        json!({ "input": { "accountId": book.accounts[1].id.to_string(), "add": ["CEASE_CONTACT"], "reason": "the debtor wrote to the lender" } }),
    )
    .await
    .data();
    let flagged = app
        .gql(
            Some(&bravo),
            "query($since: DateTime) { myPlacements(since: $since) { edges { node { status account { id flags } } } } }",
            json!({ "since": before_flag.to_rfc3339() }),
        )
        .await;
    assert_eq!(
        flagged.data()["myPlacements"]["edges"],
        json!([{ "node": { "status": "ACTIVE", "account": { "id": book.accounts[1].id.to_string(), "flags": ["CEASE_CONTACT"] } } }])
    );

    // The account goes to agency B; each side sees its own part of the history.
    fixtures::active_placement(&book.accounts[0], book.agency_b.id)
        .insert(&app.db)
        .await
        .unwrap();
    let history = "query($id: ID!) { account(id: $id) { placements { status agency { code } } } }";
    let id = json!({ "id": book.accounts[0].id.to_string() });
    let lender = app.gql(Some(&manager), history, id.clone()).await;
    assert_eq!(
        lender.data()["account"]["placements"],
        json!([{ "status": "RECALLED", "agency": { "code": "ALPHA" } }, { "status": "ACTIVE", "agency": { "code": "BRAVO" } }])
    );
    let own = app.gql(Some(&bravo), history, id.clone()).await;
    assert_eq!(
        own.data()["account"]["placements"],
        json!([{ "status": "ACTIVE", "agency": { "code": "BRAVO" } }])
    );
    assert_eq!(
        app.gql(Some(&alpha), history, id).await.code(),
        Some("NOT_FOUND")
    );
}
