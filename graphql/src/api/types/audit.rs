use async_graphql::{ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_event;

use crate::api::ids::to_id;

/// One recorded state change: who did what to which record, when, and how it looked before and after.
#[derive(SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    /// Who acted: `user:<id>` (a person), `integration:<id>` (a system principal) or
    /// `system:<component>` (the service itself); `token:<id>` on events from before people.
    pub actor: String,
    /// The actor's name when it acted: a person's display name and e-mail, an integration's name.
    pub actor_name: Option<String>,
    /// How the actor acted: `session:<id>`, `token:<id>` or `internal`.
    pub actor_via: Option<String>,
    pub actor_role: Option<String>,
    pub actor_agency_id: Option<ID>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Json<serde_json::Value>>,
    pub after: Option<Json<serde_json::Value>>,
    pub request_id: Option<String>,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(model: audit_event::Model) -> Self {
        Self {
            id: to_id(model.id),
            occurred_at: model.occurred_at,
            actor: model.actor,
            actor_name: model.actor_name,
            actor_via: model.actor_via,
            actor_role: model.actor_role,
            actor_agency_id: model.actor_agency_id.map(to_id),
            action: model.action,
            entity_type: model.entity_type,
            entity_id: model.entity_id,
            before: model.before.map(Json),
            after: model.after.map(Json),
            request_id: model.request_id,
        }
    }
}
