//! The `Viewer` operation: who the signed-in person is, as every page needs it, and the
//! roles the API names.

use graphql_client::GraphQLQuery;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/viewer.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct Viewer;

pub use viewer::Role;
