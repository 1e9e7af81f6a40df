//! Reading placements. An agency sees only its own.

use chrono::{DateTime, NaiveDate, Utc};
use entity::account;
use entity::placement::{self, PlacementLevel, PlacementStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

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
    /// Only these placements (at most `MAX_LIST`).
    pub ids: Option<Vec<i64>>,
    /// Of accounts of this portfolio.
    pub portfolio_id: Option<i64>,
    pub level: Option<PlacementLevel>,
    /// Due back on or before this day.
    pub due_back_by: Option<NaiveDate>,
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
    if let Some(ids) = validate::optional_list("filter.ids", filter.ids, MAX_LIST)? {
        select = select.filter(any_of(conn.get_database_backend(), Column::Id, ids));
    }
    if let Some(portfolio_id) = filter.portfolio_id {
        let accounts = account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .filter(account::Column::PortfolioId.eq(portfolio_id))
            .into_query();
        select = select.filter(Column::AccountId.in_subquery(accounts));
    }
    if let Some(level) = filter.level {
        select = select.filter(Column::Level.eq(level));
    }
    if let Some(day) = filter.due_back_by {
        select = select.filter(Column::DueBackOn.lte(day));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}
