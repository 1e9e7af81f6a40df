//! The outbox: events for agencies' webhooks and the lender's notifications, written
//! in the same transaction as the change they report.

use chrono::{DateTime, Utc};
use entity::outbox_event::{self, DeliveryStatus};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::actor::Scope;
use super::any_of::any_of;
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::validate::{self, MAX_LIST};

use crate::error::AppResult;

pub struct Event<'a> {
    pub topic: &'a str,
    pub agency_id: Option<i64>,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

/// Writes `event` as created at `now` (the caller's instant).
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    event: Event<'_>,
) -> AppResult<()> {
    outbox_event::Entity::insert(outbox_event::ActiveModel {
        topic: Set(event.topic.to_owned()),
        agency_id: Set(event.agency_id),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id),
        payload: Set(event.payload),
        created_at: Set(now),
        dispatched_at: Set(None),
        delivery_status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(None),
        last_response_status: Set(None),
        last_error: Set(None),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    pub agency_id: Option<i64>,
    pub status: Option<Vec<DeliveryStatus>>,
    pub topic: Option<String>,
}

/// Events, newest first. An agency sees only its own; asking for another's is FORBIDDEN.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: OutboxFilter,
    page: PageRequest,
) -> AppResult<Page<outbox_event::Model>> {
    use outbox_event::Column;
    let mut select = outbox_event::Entity::find();
    if let Some(asked) = filter.agency_id {
        scope.allows_agency(asked, "events")?;
    }
    if let Scope::Agency(own) = scope {
        select = select.filter(Column::AgencyId.eq(own));
    }
    if let Some(agency_id) = filter.agency_id {
        select = select.filter(Column::AgencyId.eq(agency_id));
    }
    if let Some(statuses) = validate::optional_list("filter.status", filter.status, MAX_LIST)? {
        select = select.filter(any_of(
            conn.get_database_backend(),
            Column::DeliveryStatus,
            statuses,
        ));
    }
    if let Some(topic) = validate::filter_text("filter.topic", filter.topic)? {
        select = select.filter(Column::Topic.eq(topic));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Descending).await
}
