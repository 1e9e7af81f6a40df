use async_graphql::{Context, ID, Object, SimpleObject};

use crate::api::context::actor;
use crate::api::guard::{ANY_ROLE, RoleGuard};
use crate::api::ids::to_id;
use crate::api::types::agency::Agency;
use crate::api::types::enums::Role;
use crate::domain::actor::Principal;

#[derive(Default)]
pub struct MeQuery;

/// The caller, as the bearer token identifies them.
#[derive(SimpleObject)]
pub struct Me {
    pub role: Role,
    /// The agency an AGENCY caller acts for.
    pub agency: Option<Agency>,
    pub token_id: Option<ID>,
}

#[Object]
impl MeQuery {
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let actor = actor(ctx)?;
        let agency = match actor.agency_id {
            Some(agency_id) => Some(Agency::load(ctx, agency_id).await?),
            None => None,
        };
        let token_id = match actor.principal {
            Principal::Token(id) => Some(to_id(id)),
            Principal::System(_) => None,
        };
        Ok(Me {
            role: actor.role.into(),
            agency,
            token_id,
        })
    }
}
