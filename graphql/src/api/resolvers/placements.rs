use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::api_token::Role;

use crate::api::context::{actor, caller, db};
use crate::api::cost;
use crate::api::guard::{ANY_ROLE, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::{PlacementLevel, PlacementStatus, to_stored};
use crate::api::types::placement::Placement;
use crate::domain::placement_lifecycle::{self, Outcome, RecallTarget};
use crate::domain::placements::{self, PlacementFilter};
use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct PlacementQuery;

#[derive(Default)]
pub struct PlacementMutation;

#[derive(InputObject, Default)]
pub struct PlacementsFilter {
    pub agency_id: Option<ID>,
    pub account_id: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<PlacementStatus>>,
    /// Placements created or changed at or after this instant.
    pub changed_since: Option<DateTime<Utc>>,
    /// Only these placements (at most 100).
    pub ids: Option<Vec<ID>>,
    /// Placements of this portfolio's accounts.
    pub portfolio_id: Option<ID>,
    pub level: Option<PlacementLevel>,
    /// Due back on or before this day.
    pub due_back_by: Option<NaiveDate>,
}

/// Which placements to recall: by id, or every ACTIVE one of an agency and/or portfolio.
#[derive(InputObject)]
pub struct RecallPlacementsInput {
    /// Up to 10,000 placement ids.
    pub ids: Option<Vec<ID>>,
    pub agency_id: Option<ID>,
    pub portfolio_id: Option<ID>,
    /// Why: performance, compliance, dispute, paid, agency suspended, manual, …
    pub reason: String,
}

/// Placements changed by one call.
#[derive(SimpleObject)]
pub struct PlacementChanges {
    pub count: i32,
    /// The first 100 placements changed.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub placements: Vec<Placement>,
}

impl PlacementChanges {
    fn new(outcome: Outcome) -> AppResult<Self> {
        Ok(Self {
            count: i32::try_from(outcome.count).unwrap_or(i32::MAX),
            placements: outcome
                .sample
                .into_iter()
                .map(Placement::from_model)
                .collect::<AppResult<_>>()?,
        })
    }
}

/// What one run of the placement expiry workflow did.
#[derive(SimpleObject)]
pub struct PlacementExpiryRun {
    /// Placements past their due-back date, now RETURNED.
    pub returned: PlacementChanges,
    /// Placements whose agencies were warned of the coming return.
    pub warned: PlacementChanges,
}

fn parse_filter(filter: PlacementsFilter) -> AppResult<PlacementFilter> {
    Ok(PlacementFilter {
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
        changed_since: filter.changed_since,
        ids: filter
            .ids
            .as_ref()
            .map(|ids| {
                ids.iter()
                    .map(|id| ids::parse("filter.ids", id))
                    .collect::<AppResult<Vec<i64>>>()
            })
            .transpose()?,
        portfolio_id: filter
            .portfolio_id
            .as_ref()
            .map(|id| ids::parse("filter.portfolioId", id))
            .transpose()?,
        level: filter.level.map(Into::into),
        due_back_by: filter.due_back_by,
    })
}

#[Object]
impl PlacementQuery {
    /// Placements, oldest first. An AGENCY caller sees only its own; asking for another
    /// agency's is FORBIDDEN.
    #[graphql(
        guard = "RoleGuard::new(ANY_ROLE)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        filter: Option<PlacementsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Placement>> {
        let scope = actor(ctx)?.scope();
        let filter = parse_filter(filter.unwrap_or_default())?;
        let page =
            placements::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |p| p.id, Placement::from_model)?)
    }

    /// For an agency's system: its placements created, recalled, returned or warned since
    /// an instant, or whose account's flags changed (a dispute or a cease-contact request
    /// reported by anyone, or set by the lender), oldest first. Poll with the time of the
    /// previous poll.
    #[graphql(
        guard = "RoleGuard::new(&[Role::Agency])",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn my_placements(
        &self,
        ctx: &Context<'_>,
        since: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Placement>> {
        let scope = actor(ctx)?.scope();
        let filter = PlacementFilter {
            changed_since: since,
            ..Default::default()
        };
        let page =
            placements::list(db(ctx), scope, filter, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |p| p.id, Placement::from_model)?)
    }
}

#[Object]
impl PlacementMutation {
    /// Takes placements back early (RECALLED), with the reason; each agency is told.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn recall_placements(
        &self,
        ctx: &Context<'_>,
        input: RecallPlacementsInput,
    ) -> async_graphql::Result<PlacementChanges> {
        let target = match (input.ids, input.agency_id, input.portfolio_id) {
            (Some(ids), None, None) => RecallTarget::Ids(
                ids.iter()
                    .map(|id| ids::parse("ids", id))
                    .collect::<AppResult<_>>()?,
            ),
            (None, agency_id, portfolio_id) => RecallTarget::Filter {
                agency_id: agency_id
                    .as_ref()
                    .map(|id| ids::parse("agencyId", id))
                    .transpose()?,
                portfolio_id: portfolio_id
                    .as_ref()
                    .map(|id| ids::parse("portfolioId", id))
                    .transpose()?,
            },
            _ => {
                return Err(
                    AppError::bad_input("ids", "name placement ids or a filter, not both").into(),
                );
            }
        };
        let outcome =
            placement_lifecycle::recall(db(ctx), &caller(ctx)?, target, input.reason).await?;
        Ok(PlacementChanges::new(outcome)?)
    }

    /// Runs the daily placement workflow now: placements past their due-back date are
    /// RETURNED, and agencies are warned of returns within the warning days.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_placement_expiry(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<PlacementExpiryRun> {
        let caller = caller(ctx)?;
        let today = caller.now.date_naive();
        let returned = placement_lifecycle::return_due(db(ctx), &caller, today).await?;
        let warned = placement_lifecycle::warn_due(db(ctx), &caller, today).await?;
        Ok(PlacementExpiryRun {
            returned: PlacementChanges::new(returned)?,
            warned: PlacementChanges::new(warned)?,
        })
    }
}
