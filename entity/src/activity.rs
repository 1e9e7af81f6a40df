use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One thing an agency reports having done or heard on an account: a contact attempt,
/// a promise to pay, a dispute, a cease-contact request, a complaint or a note.
///
/// Facts are kept even when they break a contact rule (the breach becomes a compliance
/// incident). `(agency_id, external_id)` is unique: a repeated report is recognised.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency_id: i64,
    pub account_id: i64,
    /// The agency's placement of the account the activity belongs to.
    pub placement_id: i64,
    /// The agency's own id for the report item.
    pub external_id: String,
    /// SHA-256 (hex) of the item as reported, to tell a replay from a conflicting reuse.
    pub payload_hash: String,
    pub kind: ActivityKind,
    pub channel: Option<ContactChannel>,
    pub direction: Option<Direction>,
    pub result: Option<ContactResult>,
    pub occurred_at: DateTimeUtc,
    /// The number or address used.
    pub contact_point: Option<String>,
    pub agent_reference: Option<String>,
    pub promise_amount_minor: Option<i64>,
    pub promise_currency: Option<String>,
    pub promise_due_on: Option<Date>,
    pub note: Option<String>,
    pub reported_at: DateTimeUtc,
    /// The audit name of the reporter, e.g. `token:7`.
    pub reported_by: String,
    pub request_id: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    /// An attempt to reach the debtor, or a contact the debtor started.
    #[sea_orm(string_value = "CONTACT_ATTEMPT")]
    ContactAttempt,
    #[sea_orm(string_value = "PROMISE_TO_PAY")]
    PromiseToPay,
    #[sea_orm(string_value = "DISPUTE")]
    Dispute,
    #[sea_orm(string_value = "CEASE_CONTACT")]
    CeaseContact,
    #[sea_orm(string_value = "COMPLAINT")]
    Complaint,
    #[sea_orm(string_value = "NOTE")]
    Note,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactChannel {
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "LETTER")]
    Letter,
    #[sea_orm(string_value = "VISIT")]
    Visit,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    #[sea_orm(string_value = "OUTBOUND")]
    Outbound,
    #[sea_orm(string_value = "INBOUND")]
    Inbound,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactResult {
    #[sea_orm(string_value = "NO_ANSWER")]
    NoAnswer,
    #[sea_orm(string_value = "LEFT_MESSAGE")]
    LeftMessage,
    #[sea_orm(string_value = "RIGHT_PARTY_CONTACT")]
    RightPartyContact,
    #[sea_orm(string_value = "THIRD_PARTY")]
    ThirdParty,
    #[sea_orm(string_value = "WRONG_NUMBER")]
    WrongNumber,
    #[sea_orm(string_value = "REFUSED")]
    Refused,
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
