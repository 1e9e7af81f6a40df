use sea_orm::entity::prelude::*;

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
    pub dispatched_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
