//! The agencyflow API and the workflows behind it.
//!
//! - [`domain`]: workflows as plain async functions over a connection; pure rules
//!   in their own modules. Agency scoping is enforced here, in the queries.
//! - [`api`]: the GraphQL schema: thin resolvers, guards, DataLoaders, pagination.
//! - [`error`]: the one error type, mapped to `extensions.code`.

pub mod api;
pub mod domain;
pub mod error;

pub use api::{AppSchema, RequestMeta, SchemaSettings, build_schema, sdl};
pub use error::AppError;
