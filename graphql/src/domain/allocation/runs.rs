//! Reading allocation runs, their placements and the accounts they left unplaced.

use entity::{allocation_run, allocation_unplaced, placement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::run::UnplacedReason;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::error::{AppError, AppResult};

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<allocation_run::Model> {
    allocation_run::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("allocation run", id))
}

/// Runs, newest first, optionally of one portfolio.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    portfolio_id: Option<i64>,
    page: PageRequest,
) -> AppResult<Page<allocation_run::Model>> {
    let mut select = allocation_run::Entity::find();
    if let Some(portfolio_id) = portfolio_id {
        select = select.filter(allocation_run::Column::PortfolioId.eq(portfolio_id));
    }
    fetch_page(
        conn,
        select,
        allocation_run::Column::Id,
        page,
        Direction::Descending,
    )
    .await
}

pub async fn placements<C: ConnectionTrait>(
    conn: &C,
    run_id: i64,
    page: PageRequest,
) -> AppResult<Page<placement::Model>> {
    let select = placement::Entity::find().filter(placement::Column::AllocationRunId.eq(run_id));
    fetch_page(
        conn,
        select,
        placement::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}

pub async fn unplaced<C: ConnectionTrait>(
    conn: &C,
    run_id: i64,
    page: PageRequest,
) -> AppResult<Page<allocation_unplaced::Model>> {
    let select =
        allocation_unplaced::Entity::find().filter(allocation_unplaced::Column::RunId.eq(run_id));
    fetch_page(
        conn,
        select,
        allocation_unplaced::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}

/// The text an unplaced row stores for a reason: its SCREAMING_SNAKE_CASE name.
pub fn code(reason: UnplacedReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The reason stored as text on an unplaced row.
pub fn reason(code: &str) -> AppResult<UnplacedReason> {
    serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|_| AppError::Internal(anyhow::anyhow!("unknown unplaced reason '{code}'")))
}
