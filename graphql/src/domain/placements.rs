//! Reading placements. An agency sees only its own.

use chrono::{DateTime, Utc};
use entity::placement::{self, PlacementStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::actor::Scope;
use super::any_of::any_of;
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::validate::{self, MAX_LIST};
use crate::error::AppResult;

#[derive(Clone, Debug, Default)]
pub struct PlacementFilter {
    pub agency_id: Option<i64>,
    pub account_id: Option<i64>,
    pub status: Option<Vec<PlacementStatus>>,
    /// Placements created or changed at or after this instant.
    pub changed_since: Option<DateTime<Utc>>,
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: PlacementFilter,
    page: PageRequest,
) -> AppResult<Page<placement::Model>> {
    use placement::Column;
    let mut select = placement::Entity::find();
    if let Some(asked) = filter.agency_id {
        scope.allows_agency(asked, "placements")?;
    }
    if let Scope::Agency(own) = scope {
        select = select.filter(Column::AgencyId.eq(own));
    }
    if let Some(agency_id) = filter.agency_id {
        select = select.filter(Column::AgencyId.eq(agency_id));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(Column::AccountId.eq(account_id));
    }
    if let Some(statuses) = validate::optional_list("filter.status", filter.status, MAX_LIST)? {
        select = select.filter(any_of(
            conn.get_database_backend(),
            Column::Status,
            statuses,
        ));
    }
    if let Some(since) = filter.changed_since {
        select = select.filter(Column::UpdatedAt.gte(since));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}
