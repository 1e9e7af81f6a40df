//! Agencies report what they did (activities) and what they collected (payments), in
//! batches of items that each carry the agency's own `externalId`.
//!
//! One call is one transaction. Every item gets its own outcome: ACCEPTED (stored, and
//! checked against the contact rules: a breach raises an incident but the fact is kept),
//! DUPLICATE (the same externalId and payload again: the original is returned, nothing is
//! stored twice) or REJECTED (with a code; not stored, so it may be corrected and sent
//! again). A bad item never drops the good ones.

pub mod activities;
mod batch;
mod held;
mod history;
pub mod payments;
pub mod records;

use chrono::{DateTime, Duration, Utc};
use entity::compliance_incident::{self, IncidentSource};
use sha2::{Digest, Sha256};

use super::actor::{Caller, Scope};
use super::compliance::Policies;
use super::validate;
use crate::error::{AppError, AppResult};

/// Rows per multi-row insert: activities bind 20 values, payments 16, so 1,000 rows stay
/// within SQLite's 32,766 bind parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Limits and rules the reporting workflows apply.
#[derive(Clone, Debug)]
pub struct ReportingSettings {
    /// Items per call.
    pub max_batch: usize,
    /// How long after a placement ends its agency may still report payments on it.
    pub payment_tail: Duration,
    /// How far in the future a reported time may lie (agencies' clocks drift).
    pub clock_skew: Duration,
    pub policies: Policies,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    Accepted,
    Duplicate,
    Rejected,
}

/// Why an item ended as it did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ItemCode {
    /// Accepted, no rule broken.
    Ok,
    /// Accepted and stored, but it broke a contact rule: see its incidents.
    ComplianceBreach,
    /// Reported before with the same payload: the original is returned.
    Duplicate,
    /// The externalId was used before for a different payload.
    Conflict,
    /// A field is missing or malformed (the outcome names it).
    InvalidField,
    /// The agency does not hold the account (or it does not exist).
    AccountNotHeld,
    OccurredInFuture,
    OccurredBeforePlacement,
    AmountExceedsBalance,
    CurrencyMismatch,
    PaidInFuture,
    PaidBeforePlacement,
    /// Paid after the agency's placement ended and its tail period passed.
    OutsideTailPeriod,
}

impl ItemCode {
    /// The code as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::ComplianceBreach => "COMPLIANCE_BREACH",
            Self::Duplicate => "DUPLICATE",
            Self::Conflict => "CONFLICT",
            Self::InvalidField => "INVALID_FIELD",
            Self::AccountNotHeld => "ACCOUNT_NOT_HELD",
            Self::OccurredInFuture => "OCCURRED_IN_FUTURE",
            Self::OccurredBeforePlacement => "OCCURRED_BEFORE_PLACEMENT",
            Self::AmountExceedsBalance => "AMOUNT_EXCEEDS_BALANCE",
            Self::CurrencyMismatch => "CURRENCY_MISMATCH",
            Self::PaidInFuture => "PAID_IN_FUTURE",
            Self::PaidBeforePlacement => "PAID_BEFORE_PLACEMENT",
            Self::OutsideTailPeriod => "OUTSIDE_TAIL_PERIOD",
        }
    }
}

/// A rejected item's code, the field at fault if one is, and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemError {
    pub code: ItemCode,
    pub field: Option<&'static str>,
    pub message: String,
}

impl ItemError {
    pub fn new(code: ItemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: ItemCode::InvalidField,
            field: Some(field),
            message: message.into(),
        }
    }

    /// An input check's error, kept as this item's INVALID_FIELD.
    fn from_app(field: &'static str, err: AppError) -> Self {
        Self::field(field, err.to_string())
    }
}

/// What became of one item of a batch.
#[derive(Clone, Debug)]
pub struct ItemOutcome<T> {
    /// Position in the batch, from 0.
    pub index: usize,
    pub external_id: String,
    pub status: ItemStatus,
    pub code: ItemCode,
    pub field: Option<&'static str>,
    pub message: String,
    /// The stored record (ACCEPTED, or the original of a DUPLICATE).
    pub record: Option<T>,
    /// Incidents the item raised (for a DUPLICATE: those the original raised).
    pub incidents: Vec<compliance_incident::Model>,
}

impl<T> ItemOutcome<T> {
    fn rejected(index: usize, external_id: String, error: ItemError) -> Self {
        Self {
            index,
            external_id,
            status: ItemStatus::Rejected,
            code: error.code,
            field: error.field,
            message: error.message,
            record: None,
            incidents: Vec::new(),
        }
    }

    fn accepted(
        index: usize,
        external_id: String,
        record: T,
        incidents: Vec<compliance_incident::Model>,
    ) -> Self {
        // A reported complaint raises an incident too, but breaks no rule.
        let broken: Vec<&str> = incidents
            .iter()
            .filter(|i| i.source == IncidentSource::Automatic)
            .map(|i| i.rule.as_str())
            .collect();
        let (code, message) = if broken.is_empty() {
            (ItemCode::Ok, "accepted".to_owned())
        } else {
            (
                ItemCode::ComplianceBreach,
                format!("accepted; it broke {}", broken.join(", ")),
            )
        };
        Self {
            index,
            external_id,
            status: ItemStatus::Accepted,
            code,
            field: None,
            message,
            record: Some(record),
            incidents,
        }
    }

    fn duplicate(
        index: usize,
        external_id: String,
        record: T,
        incidents: Vec<compliance_incident::Model>,
    ) -> Self {
        Self {
            index,
            external_id,
            status: ItemStatus::Duplicate,
            code: ItemCode::Duplicate,
            field: None,
            message: "reported before with the same payload: the original is returned".into(),
            record: Some(record),
            incidents,
        }
    }
}

/// The agency a caller reports for: only agencies report.
fn reporting_agency(caller: &Caller) -> AppResult<i64> {
    match caller.actor.scope() {
        Scope::Agency(agency_id) => Ok(agency_id),
        Scope::Lender => Err(AppError::Forbidden(
            "only an agency reports activities and payments".into(),
        )),
    }
}

fn check_batch_size(field: &str, len: usize, max: usize) -> AppResult<()> {
    if len == 0 || len > max {
        return Err(AppError::bad_input(
            field,
            format!("send 1 to {max} items per call, not {len}"),
        ));
    }
    Ok(())
}

/// SHA-256 (hex) of an item's canonical JSON: tells a replay from a conflicting reuse.
fn payload_hash(item: &impl serde::Serialize) -> String {
    let json = serde_json::to_vec(item).unwrap_or_default();
    hex::encode(Sha256::digest(json))
}

fn external_id(value: &str) -> Result<String, ItemError> {
    validate::text("externalId", value, 128).map_err(|e| ItemError::from_app("externalId", e))
}

fn account_id(value: &str) -> Result<i64, ItemError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ItemError::field("accountId", format!("'{value}' is not a valid id")))
}

/// A reported time may not lie in the future (beyond the allowed clock skew).
fn not_in_future(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    settings: &ReportingSettings,
    code: ItemCode,
) -> Result<(), ItemError> {
    if at > now + settings.clock_skew {
        return Err(ItemError::new(
            code,
            format!("{at} is in the future (now {now})"),
        ));
    }
    Ok(())
}
