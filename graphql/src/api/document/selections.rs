//! The number of fields a document selects once every fragment spread is expanded: what
//! async-graphql's validation visits. Fragment sizes are memoised and computed without
//! recursing through spreads, so a deep or exponential document costs one pass.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// A fragment that spreads itself, directly or through others.
#[derive(Debug, PartialEq, Eq)]
pub struct FragmentCycle(pub Name);

/// Fields of every operation and every fragment definition, spreads expanded (validation
/// visits both). Saturates rather than overflows. A spread of an unknown fragment counts
/// nothing: validation reports it.
pub fn expanded_selections(document: &ExecutableDocument) -> Result<usize, FragmentCycle> {
    let sizes = fragment_sizes(document)?;
    let fragments = sizes
        .values()
        .fold(0, |sum: usize, n| sum.saturating_add(*n));
    Ok(document
        .operations
        .iter()
        .map(|(_, operation)| size(&operation.node.selection_set.node, &sizes))
        .fold(fragments, usize::saturating_add))
}

enum Visit<'a> {
    Enter(&'a Name),
    Exit(&'a Name),
}

/// Each fragment's expanded size, by a depth-first walk with an explicit stack: a fragment
/// is sized on exit, when every fragment it spreads has been.
fn fragment_sizes(document: &ExecutableDocument) -> Result<HashMap<&Name, usize>, FragmentCycle> {
    let mut sizes = HashMap::with_capacity(document.fragments.len());
    let mut entered = std::collections::HashSet::new();
    let mut stack: Vec<Visit> = document.fragments.keys().map(Visit::Enter).collect();
    while let Some(visit) = stack.pop() {
        match visit {
            Visit::Enter(name) => {
                if sizes.contains_key(name) {
                    continue;
                }
                // Entered but not yet sized: the fragment is on the path to this spread.
                if !entered.insert(name) {
                    return Err(FragmentCycle(name.clone()));
                }
                stack.push(Visit::Exit(name));
                let mut spreads = Vec::new();
                spread_names(
                    &document.fragments[name].node.selection_set.node,
                    &mut spreads,
                );
                stack.extend(
                    spreads
                        .into_iter()
                        .filter(|spread| document.fragments.contains_key(*spread))
                        .map(Visit::Enter),
                );
            }
            Visit::Exit(name) => {
                let n = size(&document.fragments[name].node.selection_set.node, &sizes);
                sizes.insert(name, n);
            }
        }
    }
    Ok(sizes)
}

/// The fragments a selection set spreads, at any nesting (the parser bounds the nesting).
fn spread_names<'a>(set: &'a SelectionSet, out: &mut Vec<&'a Name>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => spread_names(&field.node.selection_set.node, out),
            Selection::InlineFragment(inline) => spread_names(&inline.node.selection_set.node, out),
            Selection::FragmentSpread(spread) => out.push(&spread.node.fragment_name.node),
        }
    }
}

/// A selection set's expanded size, given the sizes of the fragments it spreads.
fn size(set: &SelectionSet, fragments: &HashMap<&Name, usize>) -> usize {
    set.items.iter().fold(0, |sum: usize, item| {
        sum.saturating_add(match &item.node {
            Selection::Field(field) => {
                1usize.saturating_add(size(&field.node.selection_set.node, fragments))
            }
            Selection::InlineFragment(inline) => size(&inline.node.selection_set.node, fragments),
            Selection::FragmentSpread(spread) => fragments
                .get(&spread.node.fragment_name.node)
                .copied()
                .unwrap_or(0),
        })
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use async_graphql::parser::parse_query;

    use super::*;

    fn count(query: &str) -> Result<usize, FragmentCycle> {
        expanded_selections(&parse_query(query).unwrap())
    }

    /// `fragment F0 on Query { ...F1 ...F1 } … fragment F{n} on Query { me { role } }`.
    fn doubling(n: usize) -> String {
        let mut query = "query { ...F0 }\n".to_owned();
        for i in 0..n {
            query.push_str(&format!(
                "fragment F{i} on Query {{ ...F{j} ...F{j} }}\n",
                j = i + 1
            ));
        }
        query.push_str(&format!("fragment F{n} on Query {{ me {{ role }} }}\n"));
        query
    }

    #[test]
    fn counts_fields_inline_fragments_and_spreads() {
        assert_eq!(count("{ me { role agency { id } } }"), Ok(4));
        assert_eq!(count("{ me { ... on Me { role } } }"), Ok(2));
        // The fragment is counted where it is defined and where it is spread.
        assert_eq!(
            count("{ a: me { ...R } b: me { ...R } } fragment R on Me { role agency { id } }"),
            Ok(3 + 2 * 4)
        );
        assert_eq!(count("{ me { ...Unknown } }"), Ok(1));
    }

    #[test]
    fn the_doubling_bomb_is_counted_in_a_moment() {
        let started = Instant::now();
        let n = count(&doubling(30)).unwrap();
        assert!(started.elapsed() < Duration::from_millis(100));
        // F30 has 2 fields, F(i) twice F(i+1): F0 alone expands to 2^31 fields.
        assert!(n > 1 << 31, "{n}");
        assert_eq!(count(&doubling(200)), Ok(usize::MAX));
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_recurse() {
        let mut query = "query { ...F0 }\n".to_owned();
        let n = 50_000;
        for i in 0..n {
            query.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        query.push_str(&format!("fragment F{n} on Query {{ __typename }}\n"));
        assert_eq!(count(&query), Ok(n + 2));
    }

    #[test]
    fn cycles_are_found() {
        assert_eq!(
            count("{ ...A } fragment A on Query { ...B } fragment B on Query { me { ...C } } fragment C on Me { ... on Me { ...B } }")
                .map_err(|FragmentCycle(name)| ["A", "B", "C"].contains(&name.as_str())),
            Err(true)
        );
        assert!(count("{ ...A } fragment A on Query { ...A }").is_err());
        // A fragment spread twice is no cycle.
        assert_eq!(
            count("{ ...A ...B } fragment A on Query { ...B } fragment B on Query { me { role } }"),
            Ok(2 + 2 + 2 + 2)
        );
    }
}
