//! Query and mutation roots, one module per area.

pub mod accounts;
pub mod agencies;
pub mod allocation;
pub mod audit;
pub mod clock;
pub mod commissions;
pub mod finance;
pub mod incidents;
pub mod intake;
pub mod jobs;
pub mod me;
pub mod performance;
pub mod placements;
pub mod portfolios;
pub mod qualifications;
pub mod reassignment;
pub mod reporting;
pub mod timeline;
pub mod tokens;
pub mod users;
pub mod webhooks;
