use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::performance_snapshot;
use rust_decimal::Decimal;

use super::agency::Agency;
use super::enums::ScoreWindow;
use super::money::{Amount, Money};
use crate::api::ids::to_id;
use crate::domain::performance::figures::{fixed, percent};
use crate::error::AppResult;

/// Incidents counted in a window, by severity.
#[derive(SimpleObject)]
pub struct IncidentCounts {
    pub low: i64,
    pub medium: i64,
    pub high: i64,
    pub critical: i64,
}

/// One agency's performance in a segment over a window, as of a day, measured as
/// DOMAIN.md defines it. Rates are percentages with two decimals; `null` where the
/// denominator is 0.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AgencyScorecard {
    pub as_of: NaiveDate,
    pub agency_id: ID,
    /// The allocation strategy code the placements came through; `*` for all segments.
    pub segment: String,
    pub window: ScoreWindow,
    pub currency: String,
    /// Place in the league table among agencies with a verdict (league tables only).
    pub rank: Option<i32>,
    /// Composite score, 0 to 100 with two decimals; `null`: no verdict (thin data).
    pub score: Option<Amount>,
    pub accounts_placed: i64,
    pub balance_placed: Money,
    pub collected: Money,
    /// Collected ÷ balance at placement.
    pub recovery_rate: Option<Amount>,
    pub accounts_contacted: i64,
    /// Accounts with a right-party contact ÷ accounts placed.
    pub contact_rate: Option<Amount>,
    /// Median days from placement to the first attempt, one decimal.
    pub median_days_to_first_contact: Option<Amount>,
    /// Accounts with a promise to pay ÷ accounts with a right-party contact.
    pub ptp_rate: Option<Amount>,
    pub promises_due: i64,
    pub promises_kept: i64,
    /// Kept promises ÷ promises due.
    pub ptp_kept_rate: Option<Amount>,
    pub complaints: i64,
    /// Complaints per 1,000 accounts placed, two decimals.
    pub complaints_per_1000: Option<Amount>,
    pub incidents: IncidentCounts,
    /// Accounts of the window still held on the day.
    pub accounts_held: i64,
    /// Held at least the idle days with no reported activity in them.
    pub idle_accounts: i64,
    pub idle_share: Option<Amount>,
    /// Commissions (from commission statements, net of clawbacks) ÷ collected; `null`
    /// until a statement paid on the window's placements.
    pub cost_of_collection: Option<Amount>,
    /// The agency's first placement in the segment.
    pub first_placed_at: DateTime<Utc>,
    pub computed_at: DateTime<Utc>,
    #[graphql(skip)]
    pub agency: i64,
}

fn pct(numerator: i64, denominator: i64) -> Option<Amount> {
    percent(numerator, denominator).map(Amount)
}

impl AgencyScorecard {
    pub fn new(row: performance_snapshot::Model, rank: Option<i32>) -> AppResult<Self> {
        let per_1000 = (row.accounts_placed > 0).then(|| {
            Amount(fixed(
                Decimal::from(row.complaints) * Decimal::from(1000)
                    / Decimal::from(row.accounts_placed),
                2,
            ))
        });
        let days = row
            .median_first_attempt_secs
            .map(|secs| Amount(fixed(Decimal::from(secs) / Decimal::from(86_400), 1)));
        Ok(Self {
            as_of: row.as_of,
            agency_id: to_id(row.agency_id),
            segment: row.segment.clone(),
            window: row.window.into(),
            rank,
            score: row
                .score_bp
                .map(|bp| Amount(Decimal::new(i64::from(bp), 2))),
            accounts_placed: row.accounts_placed,
            balance_placed: Money::from_minor(row.balance_placed_minor, &row.currency)?,
            collected: Money::from_minor(row.collected_minor, &row.currency)?,
            recovery_rate: pct(row.collected_minor, row.balance_placed_minor),
            accounts_contacted: row.accounts_contacted,
            contact_rate: pct(row.accounts_contacted, row.accounts_placed),
            median_days_to_first_contact: days,
            ptp_rate: pct(row.accounts_promised, row.accounts_contacted),
            promises_due: row.promises_due,
            promises_kept: row.promises_kept,
            ptp_kept_rate: pct(row.promises_kept, row.promises_due),
            complaints: row.complaints,
            complaints_per_1000: per_1000,
            incidents: IncidentCounts {
                low: row.incidents_low,
                medium: row.incidents_medium,
                high: row.incidents_high,
                critical: row.incidents_critical,
            },
            accounts_held: row.accounts_held,
            idle_accounts: row.idle_accounts,
            idle_share: pct(row.idle_accounts, row.accounts_held),
            cost_of_collection: row
                .commission_minor
                .and_then(|commission| pct(commission, row.collected_minor)),
            first_placed_at: row.first_placed_at,
            computed_at: row.computed_at,
            currency: row.currency,
            agency: row.agency_id,
        })
    }
}

#[ComplexObject]
impl AgencyScorecard {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency).await?)
    }
}
