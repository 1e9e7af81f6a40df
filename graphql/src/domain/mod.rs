//! Workflows: plain async functions over a connection. Every write runs in one
//! transaction together with its audit event.

pub mod accounts;
pub mod actor;
pub mod agencies;
pub mod audit;
pub mod money;
pub mod page;
pub mod placements;
pub mod portfolios;
pub mod tokens;
pub mod tx;

pub use actor::{Actor, Caller, Scope};
