//! `agencyflow bench …`: measurements of the real workflows on generated data, on any
//! database. Not tests: they print figures, which the README's "Measured" section reports.

pub mod allocation;
pub mod console;
pub mod reporting;
