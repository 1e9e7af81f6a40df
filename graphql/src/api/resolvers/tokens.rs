use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::api::context::{caller, db};
use crate::api::cost;
use crate::api::guard::{ADMIN, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::Role;
use crate::api::types::token::{ApiToken, CreatedApiToken};
use crate::domain::tokens::{self, NewToken, TokenLifetime};

#[derive(Default)]
pub struct TokenQuery;

#[derive(Default)]
pub struct TokenMutation;

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub role: Role,
    /// Required for AGENCY tokens, refused for every other role.
    pub agency_id: Option<ID>,
    /// What the token is for, e.g. "Acme Recoveries reporting system".
    pub label: String,
    /// When the token stops working: at most `security.max_token_lifetime_days` (365)
    /// from now; `security.token_lifetime_days` (90) from now if absent.
    pub expires_at: Option<DateTime<Utc>>,
}

#[Object]
impl TokenQuery {
    /// Every API token (never the secrets), oldest first.
    #[graphql(
        guard = "RoleGuard::new(ADMIN)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ApiToken>> {
        let page = tokens::list(db(ctx), page_request(ctx, first, after)?).await?;
        Ok(connection(page, |t| t.id, |t| Ok(t.into()))?)
    }
}

#[Object]
impl TokenMutation {
    /// Creates a token; the answer carries the secret, which is never shown again.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreatedApiToken> {
        let caller = caller(ctx)?;
        let new = NewToken {
            role: input.role.into(),
            agency_id: input
                .agency_id
                .as_ref()
                .map(|id| ids::parse("agencyId", id))
                .transpose()?,
            label: input.label,
            expires_at: input.expires_at,
        };
        let lifetime = *ctx.data_unchecked::<TokenLifetime>();
        let created = tokens::create(db(ctx), &caller, new, lifetime).await?;
        Ok(CreatedApiToken {
            token: created.secret,
            api_token: created.token.into(),
        })
    }

    /// Revokes a token at once; it authenticates no further request.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiToken> {
        let caller = caller(ctx)?;
        Ok(tokens::revoke(db(ctx), &caller, ids::parse("id", &id)?)
            .await?
            .into())
    }
}
