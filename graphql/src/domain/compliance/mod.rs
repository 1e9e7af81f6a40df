//! Contact compliance: per-region policies and the pure rules every reported contact is
//! checked against.

pub mod policy;
pub mod rules;

pub use policy::{Policies, Policy};
