//! Portfolios: created by lender staff before their accounts are imported, read by
//! lender staff only (an agency sees accounts, not portfolios).

use entity::portfolio;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::actor::Caller;
use super::audit::{self, Change};
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::tx::begin_write;
use super::{money, validate};
use crate::error::{AppError, AppResult};

pub struct NewPortfolio {
    pub code: String,
    pub name: String,
    pub currency: String,
}

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

/// Creates an empty portfolio; its accounts come with the intake workflow.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewPortfolio,
) -> AppResult<portfolio::Model> {
    let code = validate::code("code", &new.code)?;
    let model = portfolio::ActiveModel {
        code: Set(code.clone()),
        name: Set(validate::text("name", &new.name, 200)?),
        currency: Set(money::currency(&new.currency)?.code().to_owned()),
        created_at: Set(caller.now),
        ..Default::default()
    };
    let tx = begin_write(db).await?;
    if portfolio::Entity::find()
        .filter(portfolio::Column::Code.eq(code.as_str()))
        .one(&tx)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "a portfolio with code {code} exists"
        )));
    }
    let portfolio = model.insert(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "portfolio.create",
            entity_type: "portfolio",
            entity_id: portfolio.id.to_string(),
            before: None,
            after: Some(json!({
                "code": portfolio.code,
                "name": portfolio.name,
                "currency": portfolio.currency,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(portfolio)
}
