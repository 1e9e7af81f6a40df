use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A payment an agency reports on an account it holds (or held, within the tail period).
/// `(agency_id, external_id)` is unique: a repeated report is recognised.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: i64,
    pub account_id: i64,
    /// The agency's placement the payment is attributed to.
    pub placement_id: i64,
    pub external_id: String,
    /// SHA-256 (hex) of the item as reported, to tell a replay from a conflicting reuse.
    pub payload_hash: String,
    pub amount_minor: i64,
    pub currency: String,
    pub paid_at: DateTimeUtc,
    pub method: PaymentMethod,
    pub paid_to: PaidTo,
    pub agency_reference: Option<String>,
    /// The account's outstanding balance once this payment was applied.
    pub balance_after_minor: i64,
    pub reported_at: DateTimeUtc,
    pub reported_by: String,
    pub request_id: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentMethod {
    #[sea_orm(string_value = "CARD")]
    Card,
    #[sea_orm(string_value = "BANK_TRANSFER")]
    BankTransfer,
    #[sea_orm(string_value = "DIRECT_DEBIT")]
    DirectDebit,
    #[sea_orm(string_value = "CHEQUE")]
    Cheque,
    #[sea_orm(string_value = "CASH")]
    Cash,
    #[sea_orm(string_value = "WALLET")]
    Wallet,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Who received the money.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaidTo {
    #[sea_orm(string_value = "AGENCY")]
    Agency,
    #[sea_orm(string_value = "LENDER_DIRECT")]
    LenderDirect,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
