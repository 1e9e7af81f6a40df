use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token;

use super::agency::Agency;
use super::enums::Role;
use super::user::{Integration, User};
use crate::api::context::{db, now};
use crate::api::ids::to_id;
use crate::domain::identity::{integrations, records};

/// A bearer token as the registry keeps it: never the secret.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ApiToken {
    pub id: ID,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub role: Role,
    pub label: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the token last authenticated a request, to the minute; null if never.
    pub last_used_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub agency_id: Option<i64>,
    #[graphql(skip)]
    pub user_id: Option<i64>,
    #[graphql(skip)]
    pub integration_id: Option<i64>,
}

impl From<api_token::Model> for ApiToken {
    fn from(model: api_token::Model) -> Self {
        Self {
            id: to_id(model.id),
            prefix: model.token_prefix,
            role: model.role.into(),
            label: model.label,
            created_by: model.created_by,
            created_at: model.created_at,
            expires_at: model.expires_at,
            revoked_at: model.revoked_at,
            last_used_at: model.last_used_at,
            agency_id: model.agency_id,
            user_id: model.user_id,
            integration_id: model.integration_id,
        }
    }
}

#[ComplexObject]
impl ApiToken {
    /// Whether the token authenticates now (on the service clock): not revoked and not
    /// expired.
    async fn active(&self, ctx: &Context<'_>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now(ctx))
    }

    /// The agency an AGENCY token acts for.
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        let Some(agency_id) = self.agency_id else {
            return Ok(None);
        };
        Ok(Some(Agency::load(ctx, agency_id).await?))
    }

    /// The person whose personal token this is.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.user_id else {
            return Ok(None);
        };
        Ok(Some(records::get(db(ctx), id).await?.into()))
    }

    /// The integration whose token this is.
    async fn integration(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Integration>> {
        let Some(id) = self.integration_id else {
            return Ok(None);
        };
        Ok(Some(integrations::get(db(ctx), id).await?.into()))
    }
}

/// A new token. `token` is the secret: it is shown here once and never again.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    pub token: String,
    pub api_token: ApiToken,
}
