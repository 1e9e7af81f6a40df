use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::api::context::{actor, db};
use crate::api::guard::{ANY_ROLE, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::agency::Agency;
use crate::api::types::enums::{AgencyStatus, KindOfWork, to_stored};
use crate::domain::agencies::{self, AgencyFilter};

#[derive(Default)]
pub struct AgencyQuery;

#[derive(InputObject, Default)]
pub struct AgenciesFilter {
    /// Any of these statuses.
    pub status: Option<Vec<AgencyStatus>>,
    pub kind_of_work: Option<KindOfWork>,
    /// A region the agency serves, e.g. US-TX.
    pub region: Option<String>,
    pub code: Option<String>,
}

#[Object]
impl AgencyQuery {
    /// Agencies, oldest first. An AGENCY caller sees only its own.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn agencies(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgenciesFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Agency>> {
        let scope = actor(ctx)?.scope();
        let filter = filter.unwrap_or_default();
        let filter = AgencyFilter {
            status: filter.status.as_deref().map(to_stored),
            kind_of_work: filter.kind_of_work.map(Into::into),
            region: filter.region,
            code: filter.code,
        };
        let page = agencies::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |a| a.id, Agency::from_model)?)
    }

    /// One agency. An AGENCY caller asking for another agency is FORBIDDEN.
    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn agency(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Agency> {
        let scope = actor(ctx)?.scope();
        let model = agencies::get(db(ctx), scope, ids::parse("id", &id)?).await?;
        Ok(Agency::from_model(model)?)
    }
}
