use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::api::context::{caller, db};
use crate::api::cost;
use crate::api::guard::{ADMIN, ANY_ROLE, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::token::{ApiToken, CreatedApiToken};
use crate::domain::tokens::{self, NewToken, TokenLifetime, TokenOwner};
use crate::error::AppError;

#[derive(Default)]
pub struct TokenQuery;

#[derive(Default)]
pub struct TokenMutation;

/// A personal token (no `integrationId`) has the caller's role and acts as the caller; an
/// ADMIN gives an integration a token by naming it.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// The integration the token is for (ADMIN); the caller themself when absent.
    pub integration_id: Option<ID>,
    /// What the token is for, e.g. "reporting from the dialer".
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

    /// The caller's own personal tokens (never the secrets), newest first, revoked and
    /// expired ones too; an integration's token has none.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn my_api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ApiToken>> {
        let page = page_request(ctx, first, after)?;
        let Some(user_id) = caller(ctx)?.actor.user_id() else {
            return Ok(Connection::new(false, false));
        };
        let page = tokens::list_of_user(db(ctx), user_id, page).await?;
        Ok(connection(page, |t| t.id, |t| Ok(t.into()))?)
    }
}

#[Object]
impl TokenMutation {
    /// Creates a token for the caller (a person) or, for an ADMIN, for an integration; the
    /// answer carries the secret, which is never shown again.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreatedApiToken> {
        let caller = caller(ctx)?;
        let owner = match input.integration_id {
            Some(id) => TokenOwner::Integration(ids::parse("integrationId", &id)?),
            None => TokenOwner::User(caller.actor.user_id().ok_or_else(|| {
                AppError::Forbidden(
                    "an integration's tokens are made by an ADMIN, naming the integration".into(),
                )
            })?),
        };
        let new = NewToken {
            owner,
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

    /// Revokes a token at once; it authenticates no further request. An ADMIN revokes any
    /// token, a person their own.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiToken> {
        let caller = caller(ctx)?;
        Ok(tokens::revoke(db(ctx), &caller, ids::parse("id", &id)?)
            .await?
            .into())
    }
}
