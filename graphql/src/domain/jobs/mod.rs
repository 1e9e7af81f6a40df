//! Scheduled jobs: which there are, what each runs (always a domain workflow), when
//! (cron expressions stored in `jobs`, seeded from configuration, changeable at run time),
//! and the runs they made (`job_runs`).
//!
//! With several processes on one database each scheduled tick runs once: the claim locks
//! the job's row, refuses to start while a run of the job is still going (a job never
//! overlaps itself) and inserts the run under the unique `(job, scheduled_for)`. After
//! downtime the missed ticks collapse into the latest one. A failed run is recorded; the
//! next tick tries again.

pub mod runner;
pub mod schedule;
pub mod store;

use std::fmt;
use std::str::FromStr;

use crate::error::AppError;

/// The jobs the service knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobName {
    /// Qualifications past their expiry date become EXPIRED.
    QualificationExpiry,
    /// Placements past their due-back date are returned; agencies are warned before.
    PlacementExpiry,
    /// Placements without reported activity raise an IDLE_PLACEMENT incident.
    IdleWatch,
    /// Due webhook events are sent.
    WebhookDispatch,
    /// Every agency's performance figures and score are stored for the day.
    PerformanceSnapshot,
    /// Agencies are judged against the reassignment policies; due decisions execute.
    ReassignmentReview,
    /// The month to date is reconciled against the ledger.
    Reconciliation,
    /// Once the previous month's books close (`finance.close_day`), its DRAFT commission
    /// statements are generated; before then the run waits and says until when.
    CommissionStatements,
}

impl JobName {
    pub const ALL: [JobName; 8] = [
        Self::QualificationExpiry,
        Self::PlacementExpiry,
        Self::IdleWatch,
        Self::WebhookDispatch,
        Self::PerformanceSnapshot,
        Self::ReassignmentReview,
        Self::Reconciliation,
        Self::CommissionStatements,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::QualificationExpiry => "qualification_expiry",
            Self::PlacementExpiry => "placement_expiry",
            Self::IdleWatch => "idle_watch",
            Self::WebhookDispatch => "webhook_dispatch",
            Self::PerformanceSnapshot => "performance_snapshot",
            Self::ReassignmentReview => "reassignment_review",
            Self::Reconciliation => "reconciliation",
            Self::CommissionStatements => "commission_statements",
        }
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JobName {
    /// The job `name` names, or BAD_USER_INPUT on `field`.
    pub fn parse_field(field: &str, name: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|job| job.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|j| j.as_str()).collect();
                AppError::bad_input(
                    field,
                    format!("no job '{name}'; the jobs are {}", known.join(", ")),
                )
            })
    }
}

impl FromStr for JobName {
    type Err = AppError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse_field("name", name)
    }
}
