use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One delinquent debt (a "case").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub portfolio_id: i64,
    #[sea_orm(unique)]
    pub lender_reference: String,
    pub debtor_name: String,
    pub debtor_phones: Phones,
    pub debtor_email: Option<String>,
    /// Keyed hash (HMAC-SHA256, hex) of the national ID; the ID itself is never stored.
    pub national_id_hash: Option<String>,
    pub national_id_last4: Option<String>,
    pub region: String,
    /// IANA time zone of the debtor, e.g. `America/Chicago`.
    pub time_zone: String,
    pub product: Product,
    pub principal_minor: i64,
    pub outstanding_minor: i64,
    pub currency: String,
    pub delinquency_start: Date,
    pub charge_off_date: Option<Date>,
    pub flags: AccountFlags,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Product {
    #[sea_orm(string_value = "CARD")]
    Card,
    #[sea_orm(string_value = "INSTALMENT_LOAN")]
    InstalmentLoan,
    #[sea_orm(string_value = "BNPL")]
    Bnpl,
    #[sea_orm(string_value = "AUTO")]
    Auto,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountFlag {
    Disputed,
    CeaseContact,
    Bankruptcy,
    Deceased,
    Vulnerable,
}

/// Flags on an account, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct AccountFlags(pub Vec<AccountFlag>);

/// The debtor's phone numbers in E.164, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Phones(pub Vec<String>);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::portfolio::Entity",
        from = "Column::PortfolioId",
        to = "super::portfolio::Column::Id"
    )]
    Portfolio,
    #[sea_orm(has_many = "super::placement::Entity")]
    Placements,
}

impl Related<super::portfolio::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Portfolio.def()
    }
}

impl Related<super::placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placements.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
