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
