use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Money the lender actually received: an agency's remittance or a debtor's direct
/// payment; or the reversal of an earlier entry. `reference` (the ledger's own) is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reference: String,
    pub account_id: i64,
    pub channel: LedgerChannel,
    /// The remitting agency (remittances only).
    pub agency_id: Option<i64>,
    /// What reached the lender.
    pub amount_minor: i64,
    /// What the debtor paid: the amount plus the fee an agency withheld (NET remittance);
    /// otherwise the amount.
    pub gross_minor: i64,
    pub currency: String,
    pub received_at: DateTimeUtc,
    /// Set on a reversal: the entry it takes back (each entry is reversed at most once).
    pub reverses_id: Option<i64>,
    pub payload_hash: String,
    pub imported_by: String,
    pub imported_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerChannel {
    /// An agency remitted everything it collected (the lender pays its invoice).
    #[sea_orm(string_value = "AGENCY_REMITTANCE_GROSS")]
    AgencyRemittanceGross,
    /// An agency remitted what it collected less its fee.
    #[sea_orm(string_value = "AGENCY_REMITTANCE_NET")]
    AgencyRemittanceNet,
    /// The debtor paid the lender directly.
    #[sea_orm(string_value = "LENDER_DIRECT")]
    LenderDirect,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
