//! The exported SDL, GraphiQL's introspection, and the query limits.

use serde_json::json;

use crate::helpers::spawn_app;

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
    for token in [None, Some(app.admin_token.as_str())] {
        let answer = app.gql(token, INTROSPECTION, json!({})).await;
        assert_eq!(answer.status, 200);
        let types = answer.data()["__schema"]["types"]
            .as_array()
            .unwrap()
            .clone();
        assert!(types.iter().any(|t| t["name"] == "Agency"));
    }
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
