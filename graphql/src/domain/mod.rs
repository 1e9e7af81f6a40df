//! Workflows: plain async functions over a connection. Every write runs in one
//! transaction together with its audit event.

pub mod accounts;
pub mod actor;
pub mod agencies;
pub mod allocation;
pub mod any_of;
pub mod audit;
pub mod clock;
pub mod compliance;
pub mod eligibility;
pub mod expiry;
pub mod finance;
pub mod identity;
pub mod idle_watch;
pub mod incidents;
pub mod intake;
pub mod jobs;
pub mod lifecycle;
pub mod metrics;
pub mod money;
pub mod outbox;
pub mod page;
pub mod performance;
pub mod placement_lifecycle;
pub mod placements;
pub mod portfolios;
pub mod qualifications;
pub mod reassignment;
pub mod reporting;
pub mod timeline;
pub mod tokens;
pub mod tx;
pub mod validate;
pub mod webhook_targets;
pub mod webhooks;

pub use actor::{Actor, Caller, Scope};
