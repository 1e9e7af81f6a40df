//! An agency sees only its own work.

use entity::api_token::Role;
use serde_json::json;

use crate::fixtures;
use crate::helpers::{spawn_app, token};

#[tokio::test]
async fn an_agency_sees_only_its_own_profile_placements_and_accounts() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let alpha = token(&app.db, Role::Agency, Some(book.agency_a.id)).await;
    let (a_id, b_id) = (book.agency_a.id.to_string(), book.agency_b.id.to_string());

    let agencies = app
        .gql(
            Some(&alpha),
            "{ agencies { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        agencies.data()["agencies"]["edges"],
        json!([{ "node": { "code": "ALPHA" } }])
    );

    let own = app
        .gql(
            Some(&alpha),
            "query($id: ID!) { agency(id: $id) { code } }",
            json!({ "id": a_id }),
        )
        .await;
    assert_eq!(own.data()["agency"]["code"], "ALPHA");
    let other = app
        .gql(
            Some(&alpha),
            "query($id: ID!) { agency(id: $id) { code } }",
            json!({ "id": b_id }),
        )
        .await;
    assert_eq!(other.code(), Some("FORBIDDEN"));

    let placements = app
        .gql(
            Some(&alpha),
            "{ placements { edges { node { id agency { code } account { lenderReference } } } } }",
            json!({}),
        )
        .await;
    let edges = placements.data()["placements"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["agency"]["code"], "ALPHA");
    assert_eq!(edges[0]["node"]["account"]["lenderReference"], "ACC-1");

    let asked_for_other = app
        .gql(
            Some(&alpha),
            "query($a: ID!) { placements(filter: { agencyId: $a }) { edges { node { id } } } }",
            json!({ "a": b_id }),
        )
        .await;
    assert_eq!(asked_for_other.code(), Some("FORBIDDEN"));

    let accounts = app
        .gql(
            Some(&alpha),
            "{ accounts { edges { node { lenderReference } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        accounts.data()["accounts"]["edges"],
        json!([{ "node": { "lenderReference": "ACC-1" } }])
    );

    let account =
        "query($id: ID!) { account(id: $id) { lenderReference outstanding { amount currency } } }";
    let held = app
        .gql(
            Some(&alpha),
            account,
            json!({ "id": book.accounts[0].id.to_string() }),
        )
        .await;
    assert_eq!(
        held.data()["account"]["outstanding"],
        json!({ "amount": "1234.56", "currency": "USD" })
    );
    for not_held in [&book.accounts[1], &book.accounts[2]] {
        let answer = app
            .gql(
                Some(&alpha),
                account,
                json!({ "id": not_held.id.to_string() }),
            )
            .await;
        assert_eq!(answer.code(), Some("NOT_FOUND"));
    }

    let portfolio = app
        .gql(
            Some(&alpha),
            "query($id: ID!) { account(id: $id) { portfolio { code } } }",
            json!({ "id": book.accounts[0].id.to_string() }),
        )
        .await;
    assert_eq!(portfolio.code(), Some("FORBIDDEN"));
    let portfolios = app
        .gql(
            Some(&alpha),
            "{ portfolios { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(portfolios.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn lender_staff_see_every_agency_and_placement() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let manager = token(&app.db, Role::VendorManager, None).await;
    let placements = app
        .gql(
            Some(&manager),
            "{ placements { edges { node { agency { code } account { lenderReference activePlacement { id } portfolio { code } } } } } }",
            json!({}),
        )
        .await;
    let edges = placements.data()["placements"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), book.placements.len());
    assert_eq!(edges[1]["node"]["agency"]["code"], "BRAVO");
    assert_eq!(
        edges[1]["node"]["account"]["portfolio"]["code"],
        book.portfolio.code
    );

    let accounts = app
        .gql(Some(&manager), "{ accounts { edges { node { lenderReference activePlacement { agency { code } } } } } }", json!({}))
        .await;
    let accounts = &accounts.data()["accounts"]["edges"];
    assert_eq!(accounts.as_array().unwrap().len(), 3);
    assert_eq!(
        accounts[2]["node"]["activePlacement"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn an_agency_no_longer_sees_the_debtor_once_a_placement_ends() {
    use entity::placement::{self, PlacementStatus};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let alpha = token(&app.db, Role::Agency, Some(book.agency_a.id)).await;
    let query =
        "{ placements { edges { node { status account { lenderReference debtor { name } } } } } }";
    let held = app.gql(Some(&alpha), query, json!({})).await;
    assert_eq!(
        held.data()["placements"]["edges"][0]["node"]["account"]["lenderReference"],
        "ACC-1"
    );

    let mut returned: placement::ActiveModel = book.placements[0].clone().into();
    returned.status = Set(PlacementStatus::Returned);
    returned.update(&app.db).await.unwrap();
    let ended = app.gql(Some(&alpha), query, json!({})).await;
    let node = &ended.data()["placements"]["edges"][0]["node"];
    assert_eq!(node["status"], "RETURNED");
    assert_eq!(node["account"], serde_json::Value::Null);

    let manager = token(&app.db, Role::VendorManager, None).await;
    let lender = app.gql(Some(&manager), query, json!({})).await;
    assert_eq!(
        lender.data()["placements"]["edges"][0]["node"]["account"]["lenderReference"],
        "ACC-1"
    );
}
