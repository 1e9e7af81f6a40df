//! The audit log: written in the same transaction as the change it records, read by
//! ADMIN and AUDITOR, never changed (database triggers refuse UPDATE and DELETE).

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use sea_orm::ActiveEnum;

use super::actor::Caller;
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::validate;
use crate::error::AppResult;

/// One state change to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    change: Change<'_>,
) -> AppResult<()> {
    audit_event::Entity::insert(event(caller, change))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Records many changes set-based: one multi-row insert per [`EVENTS_PER_STATEMENT`].
pub async fn record_many<'a, C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    changes: impl IntoIterator<Item = Change<'a>>,
) -> AppResult<()> {
    let mut events: Vec<_> = changes
        .into_iter()
        .map(|change| event(caller, change))
        .collect();
    while !events.is_empty() {
        let rest = events.split_off(events.len().min(EVENTS_PER_STATEMENT));
        audit_event::Entity::insert_many(std::mem::replace(&mut events, rest))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// An event binds 12 values: 2,500 events bind 30,000 parameters, within SQLite's
/// 32,766 (and PostgreSQL's 65,535).
const EVENTS_PER_STATEMENT: usize = 2_500;

fn event(caller: &Caller, change: Change<'_>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        occurred_at: Set(caller.now),
        actor: Set(caller.actor.audit_name()),
        actor_name: Set(Some(caller.actor.display_name().to_owned())),
        actor_via: Set(Some(caller.actor.via_name())),
        actor_role: Set(Some(caller.actor.role.to_value())),
        actor_agency_id: Set(caller.actor.agency_id),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(caller.request_id.clone()),
        ..Default::default()
    }
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: AuditFilter,
    page: PageRequest,
) -> AppResult<Page<audit_event::Model>> {
    use audit_event::Column;
    let mut select = audit_event::Entity::find();
    if let Some(entity_type) = validate::filter_text("filter.entityType", filter.entity_type)? {
        select = select.filter(Column::EntityType.eq(entity_type));
    }
    if let Some(entity_id) = validate::filter_text("filter.entityId", filter.entity_id)? {
        select = select.filter(Column::EntityId.eq(entity_id));
    }
    if let Some(actor) = validate::filter_text("filter.actor", filter.actor)? {
        select = select.filter(Column::Actor.eq(actor));
    }
    if let Some(action) = validate::filter_text("filter.action", filter.action)? {
        select = select.filter(Column::Action.eq(action));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Descending).await
}
