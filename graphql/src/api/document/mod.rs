//! Checks on a parsed document before async-graphql validates it. Its validation expands
//! fragment spreads without memoising them, so these run first and cost one pass over
//! the document text: its size and who may introspect.

mod introspection;
mod selections;

use async_graphql::parser::types::ExecutableDocument;

use crate::error::AppError;

pub use introspection::asks_for_schema;
pub use selections::{FragmentCycle, expanded_selections};

/// What every document must satisfy before it is validated.
#[derive(Clone, Copy, Debug)]
pub struct DocumentRules {
    /// The most fields validation may visit once fragment spreads are expanded.
    pub max_selections: usize,
    /// Whether `__schema` and `__type` answer callers without a valid token.
    pub anonymous_introspection: bool,
}

impl DocumentRules {
    /// Refuses a document that is too large once expanded or has a fragment cycle
    /// (BAD_USER_INPUT), then introspection by an unauthenticated caller
    /// (UNAUTHENTICATED) unless the rules allow it.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        authenticated: bool,
    ) -> Result<(), AppError> {
        let count = expanded_selections(document).map_err(|FragmentCycle(name)| {
            AppError::bad_input("query", format!("fragment {name} spreads itself"))
        })?;
        if count > self.max_selections {
            return Err(AppError::bad_input(
                "query",
                format!(
                    "the document selects {count} fields once its fragments are expanded; \
                     at most {} are accepted",
                    self.max_selections
                ),
            ));
        }
        if !authenticated && !self.anonymous_introspection && asks_for_schema(document) {
            return Err(AppError::Unauthenticated(
                "introspection needs a valid 'Authorization: Bearer <token>' header",
            ));
        }
        Ok(())
    }
}
