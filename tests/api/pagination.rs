use serde_json::json;

use crate::fixtures;
use crate::helpers::{spawn_app, spawn_app_with};

const ACCOUNTS: &str = r#"
query($first: Int, $after: String) {
  accounts(first: $first, after: $after) {
    edges { cursor node { lenderReference } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

#[tokio::test]
async fn connections_page_with_cursors_and_bounded_sizes() {
    let app = spawn_app().await;
    fixtures::book(&app.db).await;
    let first = app.admin(ACCOUNTS, json!({ "first": 2 })).await;
    let page = &first.data()["accounts"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .admin(
            ACCOUNTS,
            json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let page = &second.data()["accounts"];
    assert_eq!(
        page["edges"],
        json!([{ "cursor": page["edges"][0]["cursor"], "node": { "lenderReference": "ACC-3" } }])
    );
    assert_eq!(page["pageInfo"]["hasNextPage"], false);

    for first in [0, -1, 501] {
        let refused = app.admin(ACCOUNTS, json!({ "first": first })).await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "first: {first}");
        assert_eq!(refused.body["errors"][0]["extensions"]["field"], "first");
    }
    let bad_cursor = app
        .admin(ACCOUNTS, json!({ "after": "definitely-not-a-cursor" }))
        .await;
    assert_eq!(bad_cursor.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn lists_without_first_get_the_default_page_size() {
    let app = spawn_app_with(|settings| settings.graphql.default_page_size = 2).await;
    fixtures::book(&app.db).await;
    let page = app.admin(ACCOUNTS, json!({})).await;
    assert_eq!(
        page.data()["accounts"]["edges"].as_array().unwrap().len(),
        2
    );
}
