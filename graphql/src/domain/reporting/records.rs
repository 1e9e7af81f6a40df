//! Reading reported activities and payments. An agency reads only its own; naming
//! another agency is FORBIDDEN.

use chrono::{DateTime, Utc};
use entity::{activity, payment};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::actor::Scope;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::error::AppResult;

#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    pub agency_id: Option<i64>,
    pub account_id: Option<i64>,
    /// Occurred (activities) or paid (payments) at or after this instant…
    pub from: Option<DateTime<Utc>>,
    /// …and before this one.
    pub until: Option<DateTime<Utc>>,
}

/// The agency the caller may read: its own for an agency, any (or the one named) for
/// the lender.
fn agency_in_scope(scope: Scope, asked: Option<i64>) -> AppResult<Option<i64>> {
    if let Some(asked) = asked {
        scope.allows_agency(asked, "reports")?;
    }
    Ok(match scope {
        Scope::Lender => asked,
        Scope::Agency(own) => Some(own),
    })
}

/// Activities, oldest report first.
pub async fn activities<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: RecordFilter,
    page: PageRequest,
) -> AppResult<Page<activity::Model>> {
    use activity::Column;
    let mut select = activity::Entity::find();
    if let Some(agency_id) = agency_in_scope(scope, filter.agency_id)? {
        select = select.filter(Column::AgencyId.eq(agency_id));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(Column::AccountId.eq(account_id));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(Column::OccurredAt.lt(until));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}

/// Payments, oldest report first.
pub async fn payments<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: RecordFilter,
    page: PageRequest,
) -> AppResult<Page<payment::Model>> {
    use payment::Column;
    let mut select = payment::Entity::find();
    if let Some(agency_id) = agency_in_scope(scope, filter.agency_id)? {
        select = select.filter(Column::AgencyId.eq(agency_id));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(Column::AccountId.eq(account_id));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::PaidAt.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(Column::PaidAt.lt(until));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}
