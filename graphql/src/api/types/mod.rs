//! GraphQL output types: thin views over the entity models.

pub mod account;
pub mod agency;
pub mod allocation;
pub mod audit;
pub mod commission;
pub mod eligibility;
pub mod enums;
pub mod finance;
pub mod incident;
pub mod intake;
pub mod money;
pub mod placement;
pub mod portfolio;
pub mod qualification;
pub mod reassignment;
pub mod report;
pub mod scorecard;
pub mod token;
pub mod user;
