use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An event for agencies' webhooks or the lender's notifications, written in the same
/// transaction as the change it reports and dispatched later.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// e.g. `qualification.expired`.
    pub topic: String,
    /// The agency the event concerns, if any.
    pub agency_id: Option<i64>,
    pub entity_type: String,
    pub entity_id: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
    /// When the agency's endpoint accepted it.
    pub dispatched_at: Option<DateTimeUtc>,
    pub delivery_status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Given up: too many failed attempts, or the endpoint answered 410 Gone.
    #[sea_orm(string_value = "DEAD")]
    Dead,
    /// Not for a webhook: a lender notification, or the agency has no endpoint.
    #[sea_orm(string_value = "NO_ENDPOINT")]
    NoEndpoint,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
