use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One agency's figures in one segment over one window, as of a day. Figures are counts
/// and minor units; the rates are computed from them when read, so nothing here rounds.
/// `(as_of, segment, window, currency, agency_id)` is unique: a day's rerun replaces it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "performance_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub as_of: Date,
    pub agency_id: i64,
    /// The allocation strategy code the placements came through, or `*` for all.
    pub segment: String,
    pub window: ScoreWindow,
    pub currency: String,
    pub computed_at: DateTimeUtc,
    /// The agency's first placement in the segment, ever (how long it has worked it).
    pub first_placed_at: DateTimeUtc,
    pub accounts_placed: i64,
    pub balance_placed_minor: i64,
    pub collected_minor: i64,
    /// Placements with at least one right-party contact.
    pub accounts_contacted: i64,
    /// Median time from placement to the first contact attempt; `None` without attempts.
    pub median_first_attempt_secs: Option<i64>,
    pub accounts_promised: i64,
    pub promises_due: i64,
    pub promises_kept: i64,
    pub complaints: i64,
    pub incidents_low: i64,
    pub incidents_medium: i64,
    pub incidents_high: i64,
    pub incidents_critical: i64,
    /// Placements of the window still held on the day.
    pub accounts_held: i64,
    pub idle_accounts: i64,
    /// Commission statements paid on the window's placements (net of clawbacks); `None`
    /// until one has.
    pub commission_minor: Option<i64>,
    /// Composite score in basis points; `None`: no verdict (thin data).
    pub score_bp: Option<i32>,
}

/// The window a figure covers: placements made in the last 30 or 90 days (cohort basis)
/// or every placement (cumulative).
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScoreWindow {
    #[sea_orm(string_value = "LAST_30_DAYS")]
    Last30Days,
    #[sea_orm(string_value = "LAST_90_DAYS")]
    Last90Days,
    #[sea_orm(string_value = "SINCE_PLACEMENT")]
    SincePlacement,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
