//! The outbox: events for agencies' webhooks and the lender's notifications, written
//! in the same transaction as the change they report.

use chrono::Utc;
use entity::outbox_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::error::AppResult;

pub struct Event<'a> {
    pub topic: &'a str,
    pub agency_id: Option<i64>,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

pub async fn enqueue<C: ConnectionTrait>(conn: &C, event: Event<'_>) -> AppResult<()> {
    outbox_event::Entity::insert(outbox_event::ActiveModel {
        topic: Set(event.topic.to_owned()),
        agency_id: Set(event.agency_id),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id),
        payload: Set(event.payload),
        created_at: Set(Utc::now()),
        dispatched_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
