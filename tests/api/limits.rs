//! Documents that would cost more than they are worth are refused before they run: by
//! their size once fragments are expanded, and by their complexity, which grows with the
//! page size and the lists nested under it.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::json;

use crate::helpers::{answer, spawn_app};

/// 1.2 KB: `fragment F0 on Query { ...F1 ...F1 } … fragment F30 on Query { me { role } }`,
/// about 2^31 fields once expanded.
pub fn fragment_bomb() -> String {
    let mut query = "query Bomb { ...F0 }\n".to_owned();
    for i in 0..30 {
        query.push_str(&format!(
            "fragment F{i} on Query {{ ...F{j} ...F{j} }}\n",
            j = i + 1
        ));
    }
    query.push_str("fragment F30 on Query { me { role } }\n");
    query
}

// Several workers, as in the service: a request that pinned one would not stop the test
// from timing it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_is_refused_in_milliseconds_and_health_still_answers() {
    let app = spawn_app().await;
    let bomb = app
        .client
        .post(&app.url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/graphql-response+json")
        .header(AUTHORIZATION, format!("Bearer {}", app.admin_token))
        .timeout(Duration::from_secs(5))
        .body(json!({ "query": fragment_bomb() }).to_string());
    let started = Instant::now();
    let bomb = tokio::spawn(bomb.send());
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .expect("/healthz answers while the bomb is handled");
    assert_eq!(health.status(), 200);

    let refused = answer(bomb.await.unwrap().expect("the bomb is answered")).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "answered after {took:?}");
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("at most 2000"), "{message}");
}

#[tokio::test]
async fn a_fragment_cycle_is_refused_by_name() {
    let app = spawn_app().await;
    let refused = app
        .admin(
            "{ ...A } fragment A on Query { me { role } ...B } fragment B on Query { ...A }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("spreads itself"), "{message}");
}

#[tokio::test]
async fn complexity_grows_with_first_and_the_lists_under_it() {
    let app = spawn_app().await;
    let nested = "edges { node { id placements { id agency { code qualifications { id } } } } }";
    let aliases: Vec<String> = (0..20)
        .map(|i| format!("a{i}: accounts(first: 500) {{ {nested} }}"))
        .collect();
    let refused = app
        .admin(&format!("{{ {} }}", aliases.join(" ")), json!({}))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    let message = refused.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("too complex"), "{message}");
    // `first` passed as a variable counts the same.
    let by_variable = app
        .admin(
            &format!("query($n: Int) {{ accounts(first: $n) {{ {nested} }} }}"),
            json!({ "n": 500 }),
        )
        .await;
    assert_eq!(by_variable.code(), Some("BAD_USER_INPUT"));

    // A normal page is accepted, with its nested lists, and so is a full page of scalars.
    app.admin(
        &format!("{{ accounts(first: 50) {{ {nested} }} }}"),
        json!({}),
    )
    .await
    .data();
    app.admin(
        "{ accounts(first: 500) { edges { cursor node { id lenderReference daysPastDue flags } } pageInfo { hasNextPage endCursor } } }",
        json!({}),
    )
    .await
    .data();
}
