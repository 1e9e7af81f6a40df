//! Finance: the lender's ledger and the reconciliation of what agencies reported
//! against it.

pub mod commission;
pub mod export;
pub mod ledger;
pub mod matching;
pub mod plans;
pub mod reconciliation;
pub mod resolution;
pub mod statements;
