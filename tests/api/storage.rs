//! What the store itself guarantees, on SQLite and PostgreSQL alike.

use entity::placement::{self, PlacementStatus};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::fixtures;
use crate::helpers::spawn_app;

#[tokio::test]
async fn one_account_can_never_hold_two_active_placements() {
    let app = spawn_app().await;
    let book = fixtures::book(&app.db).await;
    let held = &book.accounts[0];

    let second = fixtures::active_placement(held, book.agency_b.id)
        .insert(&app.db)
        .await;
    assert!(
        second.is_err(),
        "a second ACTIVE placement must be refused by the database"
    );

    let mut first: placement::ActiveModel = book.placements[0].clone().into();
    first.status = Set(PlacementStatus::Returned);
    first.update(&app.db).await.unwrap();
    fixtures::active_placement(held, book.agency_b.id)
        .insert(&app.db)
        .await
        .expect("once returned, the account can be placed again");
    assert_eq!(
        placement::Entity::find().all(&app.db).await.unwrap().len(),
        3
    );
}

#[tokio::test]
async fn money_is_exact_at_any_size() {
    let app = spawn_app().await;
    let portfolio = fixtures::book(&app.db).await.portfolio;
    // 9,007,199,254,740,993 minor units: a float would lose the last digit.
    let huge = fixtures::account(&app.db, portfolio.id, "HUGE", 9_007_199_254_740_993).await;
    let answer = app
        .admin(
            "query($id: ID!) { account(id: $id) { outstanding { amount currency } } }",
            json!({ "id": huge.id.to_string() }),
        )
        .await;
    assert_eq!(
        answer.data()["account"]["outstanding"]["amount"],
        "90071992547409.93"
    );
}

#[tokio::test]
async fn database_failures_are_internal_with_a_request_id_and_no_sql() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared("ALTER TABLE portfolios RENAME TO portfolios_moved")
        .await
        .unwrap();
    let answer = app
        .admin("{ portfolios { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(answer.code(), Some("INTERNAL"));
    let error = &answer.body["errors"][0];
    assert_eq!(error["message"], "internal error");
    assert!(
        error["extensions"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let text = answer.body.to_string().to_lowercase();
    assert!(
        !text.contains("select") && !text.contains("portfolios_moved"),
        "{text}"
    );
}
