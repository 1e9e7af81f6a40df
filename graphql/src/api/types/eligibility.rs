use async_graphql::{Enum, SimpleObject};

use super::money::Money;
use crate::api::cost;
use crate::domain::eligibility;
use crate::error::AppResult;

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::eligibility::ReasonCode")]
pub enum EligibilityReasonCode {
    AgencyStatus,
    KindNotOffered,
    RegionNotServed,
    Missing,
    PendingReview,
    Expired,
    ExpiresBeforePlacementEnds,
    Outdated,
    OutOfCapacity,
}

/// One reason an agency may not receive the work.
#[derive(SimpleObject)]
pub struct EligibilityReason {
    pub code: EligibilityReasonCode,
    pub qualification_type: Option<String>,
    pub message: String,
}

/// How much more work the agency may take; `null` fields mean no limit of that kind.
#[derive(SimpleObject)]
pub struct RemainingCapacity {
    pub accounts: Option<i64>,
    pub balance: Option<Money>,
}

/// Whether an agency may receive a kind of work in a region for a period, and every
/// reason it may not.
#[derive(SimpleObject)]
pub struct Eligibility {
    pub eligible: bool,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub reasons: Vec<EligibilityReason>,
    pub remaining_capacity: RemainingCapacity,
}

impl Eligibility {
    pub fn new(result: eligibility::Eligibility, capacity_currency: &str) -> AppResult<Self> {
        Ok(Self {
            eligible: result.eligible,
            reasons: result
                .reasons
                .into_iter()
                .map(|r| EligibilityReason {
                    code: r.code.into(),
                    qualification_type: r.qualification_type,
                    message: r.message,
                })
                .collect(),
            remaining_capacity: RemainingCapacity {
                accounts: result.remaining_accounts,
                balance: result
                    .remaining_balance_minor
                    .map(|minor| Money::from_minor(minor, capacity_currency))
                    .transpose()?,
            },
        })
    }
}
