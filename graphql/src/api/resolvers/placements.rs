use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::api::context::{actor, db};
use crate::api::guard::{ANY_ROLE, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{PlacementStatus, to_stored};
use crate::api::types::placement::Placement;
use crate::domain::placements::{self, PlacementFilter};

#[derive(Default)]
pub struct PlacementQuery;

#[derive(InputObject, Default)]
pub struct PlacementsFilter {
    pub agency_id: Option<ID>,
    pub account_id: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<PlacementStatus>>,
}

#[Object]
impl PlacementQuery {
    /// Placements, oldest first. An AGENCY caller sees only its own; asking for another
    /// agency's is FORBIDDEN.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        filter: Option<PlacementsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Placement>> {
        let scope = actor(ctx)?.scope();
        let filter = filter.unwrap_or_default();
        let filter = PlacementFilter {
            agency_id: filter
                .agency_id
                .as_ref()
                .map(|id| ids::parse("filter.agencyId", id))
                .transpose()?,
            account_id: filter
                .account_id
                .as_ref()
                .map(|id| ids::parse("filter.accountId", id))
                .transpose()?,
            status: filter.status.as_deref().map(to_stored),
        };
        let page =
            placements::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |p| p.id, Placement::from_model)?)
    }
}
