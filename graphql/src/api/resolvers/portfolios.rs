use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::api::context::{caller, db};
use crate::api::cost;
use crate::api::guard::{LENDER, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::portfolio::Portfolio;
use crate::domain::portfolios::{self, NewPortfolio};

#[derive(Default)]
pub struct PortfolioQuery;

#[derive(Default)]
pub struct PortfolioMutation;

#[derive(InputObject)]
pub struct CreatePortfolioInput {
    /// 2–32 of A–Z, 0–9, _ and -; unique.
    pub code: String,
    pub name: String,
    /// ISO 4217 code; every account of the portfolio is in this currency.
    pub currency: String,
}

#[Object]
impl PortfolioQuery {
    /// Portfolios, oldest first (lender staff only).
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn portfolios(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Portfolio>> {
        let page = portfolios::list(db(ctx), page_request(ctx, first, after)?).await?;
        Ok(connection(page, |p| p.id, |p| Ok(p.into()))?)
    }

    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn portfolio(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Portfolio> {
        Ok(portfolios::get(db(ctx), ids::parse("id", &id)?)
            .await?
            .into())
    }
}

#[Object]
impl PortfolioMutation {
    /// Creates an empty portfolio to import accounts into. A taken code is a CONFLICT.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn create_portfolio(
        &self,
        ctx: &Context<'_>,
        input: CreatePortfolioInput,
    ) -> async_graphql::Result<Portfolio> {
        let new = NewPortfolio {
            code: input.code,
            name: input.name,
            currency: input.currency,
        };
        Ok(portfolios::create(db(ctx), &caller(ctx)?, new)
            .await?
            .into())
    }
}
