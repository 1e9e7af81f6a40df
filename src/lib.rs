//! The agencyflow service: CLI, configuration, telemetry, HTTP server and demo data.
//! The API and workflows live in the `agencyflow-graphql` crate, the tables in `entity`,
//! the schema history in `migration`.

// The merged GraphQL roots nest deeply: computing their futures' layout needs more
// than the default 128 levels.
#![recursion_limit = "256"]

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod http;
pub mod i18n;
pub mod scheduler;
pub mod simulate;
pub mod telemetry;
