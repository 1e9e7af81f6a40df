use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};

use crate::api::context::db;
use crate::api::guard::{LENDER, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::portfolio::Portfolio;
use crate::domain::portfolios;

#[derive(Default)]
pub struct PortfolioQuery;

#[Object]
impl PortfolioQuery {
    /// Portfolios, oldest first (lender staff only).
    #[graphql(guard = "RoleGuard::new(LENDER)")]
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
