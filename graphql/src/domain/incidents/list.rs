//! Reading incidents: one, or a filtered page, newest raised first. An agency sees only
//! its own: asking for another agency's list is FORBIDDEN, another agency's incident is,
//! for it, not found.

use chrono::{DateTime, Utc};
use entity::compliance_incident::{self, IncidentSource, IncidentStatus, Severity};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};

use crate::domain::actor::Scope;
use crate::domain::any_of::any_of;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::validate::{self, MAX_LIST};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct IncidentFilter {
    pub agency_id: Option<i64>,
    pub account_id: Option<i64>,
    /// Any of these statuses.
    pub status: Option<Vec<IncidentStatus>>,
    /// Any of these severities.
    pub severity: Option<Vec<Severity>>,
    pub source: Option<IncidentSource>,
    pub rule: Option<String>,
    /// Incidents that occurred at or after this instant.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Incidents that occurred before this instant.
    pub occurred_to: Option<DateTime<Utc>>,
}

/// The incidents `scope` may see.
pub(super) fn scoped(scope: Scope) -> Select<compliance_incident::Entity> {
    let select = compliance_incident::Entity::find();
    match scope {
        Scope::Lender => select,
        Scope::Agency(own) => select.filter(compliance_incident::Column::AgencyId.eq(own)),
    }
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    id: i64,
) -> AppResult<compliance_incident::Model> {
    scoped(scope)
        .filter(compliance_incident::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("compliance incident", id))
}

/// Newest raised first (ids descending).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: IncidentFilter,
    page: PageRequest,
) -> AppResult<Page<compliance_incident::Model>> {
    use compliance_incident::Column;
    if let Some(asked) = filter.agency_id {
        scope.allows_agency(asked, "incidents")?;
    }
    if let (Some(from), Some(to)) = (filter.occurred_from, filter.occurred_to)
        && to < from
    {
        return Err(AppError::bad_input(
            "filter.occurredTo",
            "occurredTo must not be before occurredFrom",
        ));
    }
    let mut select = scoped(scope);
    if let Some(agency_id) = filter.agency_id {
        select = select.filter(Column::AgencyId.eq(agency_id));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(Column::AccountId.eq(account_id));
    }
    let backend = conn.get_database_backend();
    if let Some(statuses) = validate::optional_list("filter.status", filter.status, MAX_LIST)? {
        select = select.filter(any_of(backend, Column::Status, statuses));
    }
    if let Some(severities) = validate::optional_list("filter.severity", filter.severity, MAX_LIST)?
    {
        select = select.filter(any_of(backend, Column::Severity, severities));
    }
    if let Some(source) = filter.source {
        select = select.filter(Column::Source.eq(source));
    }
    if let Some(rule) = validate::filter_text("filter.rule", filter.rule)? {
        select = select.filter(Column::Rule.eq(rule));
    }
    if let Some(from) = filter.occurred_from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.occurred_to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Descending).await
}
