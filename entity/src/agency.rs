use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agencies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub legal_name: String,
    pub status: AgencyStatus,
    pub kinds_of_work: KindsOfWork,
    pub channels: Channels,
    pub regions: Regions,
    pub max_active_accounts: Option<i64>,
    pub max_active_balance_minor: Option<i64>,
    pub capacity_currency: String,
    pub remittance_mode: RemittanceMode,
    pub status_reason: Option<String>,
    pub status_changed_at: Option<DateTimeUtc>,
    pub webhook_url: Option<String>,
    /// Standard Webhooks signing secret (`whsec_…`). Write-only through the API.
    pub webhook_secret: Option<String>,
    pub contacts: Option<Contacts>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgencyStatus {
    #[sea_orm(string_value = "ONBOARDING")]
    Onboarding,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PROBATION")]
    Probation,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
    #[sea_orm(string_value = "TERMINATED")]
    Terminated,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KindOfWork {
    #[sea_orm(string_value = "EARLY_STAGE")]
    EarlyStage,
    #[sea_orm(string_value = "LATE_STAGE")]
    LateStage,
    #[sea_orm(string_value = "CHARGED_OFF")]
    ChargedOff,
    #[sea_orm(string_value = "LEGAL")]
    Legal,
    #[sea_orm(string_value = "DIGITAL")]
    Digital,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "LETTER")]
    Letter,
    #[sea_orm(string_value = "FIELD_VISIT")]
    FieldVisit,
    #[sea_orm(string_value = "LEGAL_ACTION")]
    LegalAction,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RemittanceMode {
    #[sea_orm(string_value = "GROSS")]
    Gross,
    #[sea_orm(string_value = "NET")]
    Net,
}

/// The kinds of work an agency takes, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct KindsOfWork(pub Vec<KindOfWork>);

/// The contact channels an agency uses, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Channels(pub Vec<Channel>);

/// The region codes an agency serves (e.g. `US-CA`, `UK`, `CN-31`), stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Regions(pub Vec<String>);

/// A person at the agency the lender deals with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The agency's contacts, stored as a JSON array.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Contacts(pub Vec<Contact>);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::agency_qualification::Entity")]
    Qualifications,
    #[sea_orm(has_many = "super::placement::Entity")]
    Placements,
}

impl Related<super::agency_qualification::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Qualifications.def()
    }
}

impl Related<super::placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placements.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
