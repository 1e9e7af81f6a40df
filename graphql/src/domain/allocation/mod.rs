//! Allocation: versioned strategies, segments, the split among agencies, and runs.

pub mod run;
pub mod runs;
pub mod segment;
pub mod split;
pub mod strategies;
pub mod weights;
