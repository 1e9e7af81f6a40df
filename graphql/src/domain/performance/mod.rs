//! Agency performance on one yardstick: the DOMAIN figures per agency, segment (the
//! allocation strategy code the placements came through) and window, as of a day, with
//! the composite score. The daily `performance_snapshot` job stores them; scorecards,
//! PERFORMANCE_WEIGHTED allocation and the reassignment review read them.

pub mod facts;
pub mod figures;
pub mod scorecards;
pub mod snapshot;

use std::collections::BTreeMap;

use serde::Deserialize;

/// The segment key of figures over all of an agency's segments.
pub const ALL_SEGMENTS: &str = "*";

/// How figures become a score; from the `[performance]` configuration.
#[derive(Clone, Debug, Deserialize)]
pub struct ScoreSettings {
    /// The recovery rate (basis points) that earns the whole recovery part of the score,
    /// by segment code; `*` for segments not named.
    pub recovery_targets_bp: BTreeMap<String, u32>,
    pub weights: Weights,
    pub incident_points: IncidentPoints,
    /// Penalty points per 1,000 accounts placed at which the compliance part reaches 0.
    pub compliance_tolerance_per_1000: u32,
    /// No verdict for fewer accounts placed in the window than this...
    pub min_accounts: i64,
    /// ...or for an agency that has worked the segment fewer days than this.
    pub min_days: i64,
    /// An account held this many days without activity is idle.
    pub idle_days: i64,
}

/// Relative weights of the score's parts (DOMAIN default 50 / 15 / 10 / 25).
#[derive(Clone, Debug, Deserialize)]
pub struct Weights {
    pub recovery: u32,
    pub promises_kept: u32,
    pub contact: u32,
    pub compliance: u32,
}

/// Penalty points per incident by severity, and per complaint.
#[derive(Clone, Debug, Deserialize)]
pub struct IncidentPoints {
    pub low: u32,
    pub medium: u32,
    pub high: u32,
    pub critical: u32,
    pub complaint: u32,
}

impl ScoreSettings {
    /// The recovery target of a segment, in basis points.
    pub fn recovery_target_bp(&self, segment: &str) -> u32 {
        self.recovery_targets_bp
            .get(segment)
            .or_else(|| self.recovery_targets_bp.get(ALL_SEGMENTS))
            .copied()
            .unwrap_or(10_000)
    }

    /// Settings that make sense, or what is wrong with them.
    pub fn check(&self) -> Result<(), String> {
        if !self.recovery_targets_bp.contains_key(ALL_SEGMENTS) {
            return Err("recovery_targets_bp: name a target for \"*\"".into());
        }
        if let Some((segment, _)) = self
            .recovery_targets_bp
            .iter()
            .find(|(_, bp)| !(1..=10_000).contains(*bp))
        {
            return Err(format!(
                "recovery_targets_bp.{segment}: must be 1 to 10000 basis points"
            ));
        }
        let w = &self.weights;
        if w.recovery + w.promises_kept + w.contact + w.compliance == 0 {
            return Err("weights: at least one must be above 0".into());
        }
        if self.compliance_tolerance_per_1000 == 0 {
            return Err("compliance_tolerance_per_1000: must be at least 1".into());
        }
        if self.min_accounts < 1 || self.min_days < 0 || self.idle_days < 1 {
            return Err(
                "min_accounts and idle_days must be at least 1, min_days at least 0".into(),
            );
        }
        Ok(())
    }
}
