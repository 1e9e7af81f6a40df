//! End-to-end tests: the real server on a random port, spoken to over HTTP.
//! One test binary (modules below) so the server is compiled and linked once.

mod agencies;
mod allocation;
mod audit;
mod auth;
mod cli;
mod clock;
mod commissions;
mod demo;
mod eligibility;
mod expiry;
mod fixtures;
mod helpers;
mod http_spec;
mod idle_watch;
mod incidents;
mod intake;
mod list_limits;
mod nul_bytes;
mod ops;
mod pagination;
mod placements;
mod qualifications;
mod reassignment;
mod reconciliation;
mod reporting;
mod scheduler;
mod schema;
mod schema_sweep;
mod scoping;
mod simulate;
mod storage;
mod timeline;
mod tokens;
mod webhooks;
