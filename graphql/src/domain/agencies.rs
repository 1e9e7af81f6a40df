//! Reading agencies. An agency's own staff see only their own agency.

use entity::agency::{self, AgencyStatus, KindOfWork};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::actor::Scope;
use super::page::{Direction, Page, PageRequest, fetch_page};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct AgencyFilter {
    pub status: Option<Vec<AgencyStatus>>,
    pub kind_of_work: Option<KindOfWork>,
    pub region: Option<String>,
    pub code: Option<String>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, scope: Scope, id: i64) -> AppResult<agency::Model> {
    if let Scope::Agency(own) = scope
        && own != id
    {
        return Err(AppError::Forbidden(
            "an agency may only read its own profile".to_owned(),
        ));
    }
    agency::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

/// Kinds of work and regions live in small JSON arrays; agencies number in the
/// dozens, so those two filters are applied to the page in memory while the
/// page is read with keyset SQL.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: AgencyFilter,
    page: PageRequest,
) -> AppResult<Page<agency::Model>> {
    use agency::Column;
    let mut select = agency::Entity::find();
    if let Scope::Agency(own) = scope {
        select = select.filter(Column::Id.eq(own));
    }
    if let Some(statuses) = filter.status {
        select = select.filter(Column::Status.is_in(statuses));
    }
    if let Some(code) = filter.code {
        select = select.filter(Column::Code.eq(code));
    }
    let needs_memory_filter = filter.kind_of_work.is_some() || filter.region.is_some();
    if !needs_memory_filter {
        return fetch_page(conn, select, Column::Id, page, Direction::Ascending).await;
    }
    let everything = fetch_page(
        conn,
        select,
        Column::Id,
        PageRequest {
            after: page.after,
            limit: u64::from(u32::MAX),
        },
        Direction::Ascending,
    )
    .await?;
    let mut items: Vec<_> = everything
        .items
        .into_iter()
        .filter(|a| {
            filter
                .kind_of_work
                .is_none_or(|k| a.kinds_of_work.0.contains(&k))
        })
        .filter(|a| {
            filter
                .region
                .as_ref()
                .is_none_or(|r| a.regions.0.contains(r))
        })
        .collect();
    let has_next_page = items.len() as u64 > page.limit;
    items.truncate(page.limit as usize);
    Ok(Page {
        items,
        has_next_page,
    })
}
