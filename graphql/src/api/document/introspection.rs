//! Whether a document asks for the schema: `__schema` or `__type` among the root fields
//! of a query, directly or through fragments. `__typename` is not introspection of the
//! schema and is always allowed.

use std::collections::HashSet;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

pub fn asks_for_schema(document: &ExecutableDocument) -> bool {
    let mut seen = HashSet::new();
    document.operations.iter().any(|(_, operation)| {
        operation.node.ty == OperationType::Query
            && at_root(document, &operation.node.selection_set.node, &mut seen)
    })
}

/// Each fragment is looked into once, so a cycle ends and the cost stays linear.
fn at_root<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a Name>,
) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => matches!(field.node.name.node.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(inline) => {
            at_root(document, &inline.node.selection_set.node, seen)
        }
        Selection::FragmentSpread(spread) => {
            let name = &spread.node.fragment_name.node;
            seen.insert(name)
                && document.fragments.get(name).is_some_and(|fragment| {
                    at_root(document, &fragment.node.selection_set.node, seen)
                })
        }
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn asks(query: &str) -> bool {
        asks_for_schema(&parse_query(query).unwrap())
    }

    #[test]
    fn finds_schema_and_type_at_the_root() {
        assert!(asks("{ __schema { types { name } } }"));
        assert!(asks(
            r#"query Q { me { role } __type(name: "Agency") { name } }"#
        ));
        assert!(asks("{ ... on Query { __schema { queryType { name } } } }"));
        assert!(asks(
            "{ ...Q } fragment Q on Query { ...R } fragment R on Query { __schema { description } }"
        ));
    }

    #[test]
    fn typename_and_ordinary_fields_are_not_introspection() {
        assert!(!asks("{ __typename me { role __typename } }"));
        assert!(!asks("mutation { __typename }"));
        assert!(!asks("{ ...A } fragment A on Query { ...A }"));
    }
}
