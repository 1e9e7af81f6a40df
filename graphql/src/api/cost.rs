//! What a field costs in async-graphql's complexity check (`graphql.max_complexity`).
//! A field costs 1 plus its selection; a list costs its selection once per item it may
//! return, so a page of `first` accounts with their placements costs what it fetches.
//! Every field that returns a list of objects names one of these two functions.

/// Items a connection is costed at when `first` is absent: the largest
/// `graphql.default_page_size` the configuration accepts.
pub const MAX_DEFAULT_PAGE_SIZE: u64 = 50;

/// Items a list without `first` (an agency's qualifications, an account's placements, a
/// statement's lines) is costed at.
pub const LIST_ITEMS: usize = 10;

/// A connection: `first` items (or the default page), each of `child` cost.
pub fn page(first: Option<i32>, child: usize) -> usize {
    let items = first.map_or(MAX_DEFAULT_PAGE_SIZE as usize, |n| n.max(1) as usize);
    items.saturating_mul(child).saturating_add(1)
}

/// A list whose length the query does not set.
pub fn list(child: usize) -> usize {
    LIST_ITEMS.saturating_mul(child).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use async_graphql::OutputType;
    use async_graphql::registry::{MetaType, MetaTypeName, Registry};

    use super::*;
    use crate::api::{Mutation, Query};

    #[test]
    fn pages_cost_in_proportion_to_first() {
        assert_eq!(page(Some(500), 4), 2001);
        assert_eq!(page(None, 4), 201);
        assert_eq!(page(Some(-3), 4), 5);
        assert_eq!(list(3), 31);
        assert_eq!(page(Some(i32::MAX), usize::MAX), usize::MAX);
    }

    /// The rule holds for every field of the schema, not only those someone remembered:
    /// a field that returns a list of objects, or a connection, has a cost function.
    /// A connection's own `edges` are costed by the field that returns the connection.
    #[test]
    fn every_list_and_connection_field_is_costed_per_item() {
        let mut registry = Registry::default();
        Query::create_type_info(&mut registry);
        Mutation::create_type_info(&mut registry);
        let is_object = |name: &str| {
            matches!(
                registry.types.get(name),
                Some(MetaType::Object { .. } | MetaType::Interface { .. } | MetaType::Union { .. })
            )
        };
        // The types a client can reach: the registry also holds the merged roots' parts.
        let mut reachable = vec!["Query", "Mutation"];
        let mut uncosted = Vec::new();
        let mut i = 0;
        while let Some(type_name) = reachable.get(i).copied() {
            i += 1;
            let Some(MetaType::Object { fields, .. }) = registry.types.get(type_name) else {
                continue;
            };
            for (field_name, field) in fields {
                let item = MetaTypeName::concrete_typename(&field.ty);
                if !reachable.contains(&item) {
                    reachable.push(item);
                }
                let is_connection = type_name.ends_with("Connection");
                let returns_many = (field.ty.contains('[') && is_object(item) && !is_connection)
                    || item.ends_with("Connection");
                if returns_many && field.compute_complexity.is_none() {
                    uncosted.push(format!("{type_name}.{field_name}"));
                }
            }
        }
        assert!(
            uncosted.is_empty(),
            "lists without a per-item cost:\n{}",
            uncosted.join("\n")
        );
    }
}
