use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::api::context::db;
use crate::api::cost;
use crate::api::guard::{AUDIT_READERS, RoleGuard};
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::audit::AuditEvent;
use crate::domain::audit::{self, AuditFilter};

#[derive(Default)]
pub struct AuditQuery;

#[derive(InputObject, Default)]
pub struct AuditEventsFilter {
    /// e.g. api_token, agency, placement.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// e.g. token:12 or system:demo.
    pub actor: Option<String>,
    /// e.g. api_token.create.
    pub action: Option<String>,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant.
    pub to: Option<DateTime<Utc>>,
}

#[Object]
impl AuditQuery {
    /// The audit trail, newest first (ADMIN and AUDITOR).
    #[graphql(
        guard = "RoleGuard::new(AUDIT_READERS)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, AuditEvent>> {
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            entity_type: filter.entity_type,
            entity_id: filter.entity_id,
            actor: filter.actor,
            action: filter.action,
            from: filter.from,
            to: filter.to,
        };
        let page = audit::list(db(ctx), filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |e| e.id, |e| Ok(e.into()))?)
    }
}
