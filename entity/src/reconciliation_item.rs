use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One line of a reconciliation: the reported payments and ledger entries it pairs, and
/// how they compare.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reconciliation_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub class: MatchClass,
    pub account_id: i64,
    /// The agency the money is attributed to, if any.
    pub agency_id: Option<i64>,
    pub placement_id: Option<i64>,
    pub payment_ids: Ids,
    pub ledger_entry_ids: Ids,
    pub reported_minor: i64,
    pub received_minor: i64,
    pub currency: String,
    pub detail: String,
    /// Finance's decision on an exception; carried to the same line of the period's
    /// next run.
    pub resolution: Option<Resolution>,
    pub resolution_note: Option<String>,
    /// The principal that resolved it (`user:<id>`, …) and their name.
    pub resolved_by: Option<String>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
}

/// How finance settled an exception.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    /// The agency owes the money it reported (or the difference): it is asked to remit.
    #[sea_orm(string_value = "AGENCY_TO_REMIT")]
    AgencyToRemit,
    /// The agency's report was wrong and is corrected.
    #[sea_orm(string_value = "AGENCY_REPORT_CORRECTED")]
    AgencyReportCorrected,
    /// The lender's ledger was wrong and is corrected.
    #[sea_orm(string_value = "LEDGER_CORRECTED")]
    LedgerCorrected,
    /// Money received without a report is the attributed agency's recovery.
    #[sea_orm(string_value = "ATTRIBUTION_CONFIRMED")]
    AttributionConfirmed,
    /// Money received without a report is no agency's work (the debtor paid the lender).
    #[sea_orm(string_value = "NOT_AN_AGENCY_RECOVERY")]
    NotAnAgencyRecovery,
    /// Accepted as it stands; nothing more is done.
    #[sea_orm(string_value = "WRITTEN_OFF")]
    WrittenOff,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Ids(pub Vec<i64>);

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
pub enum MatchClass {
    /// Reported and received, for the same amount (one to one, or split).
    #[sea_orm(string_value = "MATCHED")]
    Matched,
    /// Reported by the agency, never received.
    #[sea_orm(string_value = "AGENCY_ONLY")]
    AgencyOnly,
    /// Received, never reported: attributed to the agency holding the account then.
    #[sea_orm(string_value = "LEDGER_ONLY")]
    LedgerOnly,
    /// Reported and received within the window, for different amounts.
    #[sea_orm(string_value = "AMOUNT_MISMATCH")]
    AmountMismatch,
    /// Received, then reversed.
    #[sea_orm(string_value = "REVERSED")]
    Reversed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
