//! Reading portfolios (lender staff only; an agency sees accounts, not portfolios).

use entity::portfolio;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::page::{Direction, Page, PageRequest, fetch_page};
use crate::error::{AppError, AppResult};

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<portfolio::Model> {
    portfolio::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio", id))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    page: PageRequest,
) -> AppResult<Page<portfolio::Model>> {
    fetch_page(
        conn,
        portfolio::Entity::find(),
        portfolio::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}
