//! The exported SDL, GraphiQL's introspection, and the query limits.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

/// graphql-js `getIntrospectionQuery()` as GraphiQL sends it.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

#[test]
fn the_committed_sdl_is_what_the_service_serves() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/graphql/schema.graphql"
    ))
    .expect("graphql/schema.graphql exists");
    assert!(
        committed == agencyflow_graphql::sdl(),
        "graphql/schema.graphql is stale: run `cargo run -- schema > graphql/schema.graphql`"
    );
}

#[tokio::test]
async fn graphiql_introspection_passes_the_depth_and_complexity_limits() {
    let app = spawn_app().await;
    let answer = app.admin(INTROSPECTION, json!({})).await;
    assert_eq!(answer.status, 200);
    let types = answer.data()["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Agency"));
}

#[tokio::test]
async fn introspection_needs_a_token_unless_configured_otherwise() {
    let app = spawn_app().await;
    for query in [
        INTROSPECTION,
        r#"{ __type(name: "Agency") { fields { name } } }"#,
        "{ ...Root } fragment Root on Query { ... on Query { __schema { mutationType { name } } } }",
    ] {
        for token in [None, Some("af_unknown")] {
            let refused = app.gql(token, query, json!({})).await;
            assert_eq!(refused.status, 400, "{}", refused.body);
            assert_eq!(refused.code(), Some("UNAUTHENTICATED"));
            assert!(refused.body.get("data").is_none());
        }
    }
    // __typename is no introspection of the schema.
    assert_eq!(
        app.gql(None, "{ __typename }", json!({})).await.data()["__typename"],
        "Query"
    );

    let open = spawn_app_with(|settings| settings.graphql.anonymous_introspection = true).await;
    let answer = open.gql(None, INTROSPECTION, json!({})).await;
    assert!(answer.data()["__schema"]["types"].is_array());
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_refused() {
    let app = spawn_app().await;
    let mut selection = "id".to_owned();
    for _ in 0..10 {
        selection = format!("activePlacement {{ account {{ {selection} }} }}");
    }
    let query = format!("{{ accounts {{ edges {{ node {{ {selection} }} }} }} }}");
    let answer = app.admin(&query, json!({})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"));
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested too deep")
    );
}
