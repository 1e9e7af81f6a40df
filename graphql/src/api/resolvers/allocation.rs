use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};
use entity::allocation_strategy::Segment;

use crate::api::context::{caller, db, settings};
use crate::api::cost;
use crate::api::guard::{LENDER, MANAGERS, RoleGuard};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::allocation::{
    AllocationResult, AllocationRun, AllocationStrategy, excluded, per_agency, reason_counts,
};
use crate::api::types::enums::{KindOfWork, PlacementLevel, Product, SplitMethod, to_stored};
use crate::api::types::money::Amount;
use crate::domain::allocation::run::{self, RunRequest};
use crate::domain::allocation::runs;
use crate::domain::allocation::strategies::{self, StrategyInput};
use crate::error::AppResult;

#[derive(Default)]
pub struct AllocationQuery;

#[derive(Default)]
pub struct AllocationMutation;

/// Which accounts a strategy takes; leave a list empty (or a bound out) to match everything.
#[derive(InputObject)]
pub struct SegmentInput {
    /// DPD bucket names from the configuration (default M1, M2, M3, M4-6, WRITE_OFF).
    #[graphql(default)]
    pub dpd_buckets: Vec<String>,
    /// Outstanding balance at least this, in the portfolio's currency.
    pub min_balance: Option<Amount>,
    /// Outstanding balance below this.
    pub max_balance: Option<Amount>,
    #[graphql(default)]
    pub regions: Vec<String>,
    #[graphql(default)]
    pub products: Vec<Product>,
}

#[derive(InputObject)]
pub struct AllocationStrategyInput {
    pub name: String,
    pub kind_of_work: KindOfWork,
    pub level: PlacementLevel,
    pub segment: SegmentInput,
    /// The agencies that may receive work; leave out for every agency doing this kind of work.
    pub pool_agency_ids: Option<Vec<ID>>,
    #[graphql(default = 90)]
    pub period_days: i32,
    /// Days before the due-back date when the agency is warned of the coming recall.
    #[graphql(default = 7)]
    pub pending_recall_warning_days: i32,
    pub split_method: SplitMethod,
    /// Required for CHAMPION_CHALLENGER.
    pub champion_agency_id: Option<ID>,
    /// The champion's share in basis points (7000 = 70%).
    #[graphql(default = 7000)]
    pub champion_share_bp: i32,
    /// The share of each agency without performance history, in basis points.
    #[graphql(default = 1000)]
    pub floor_share_bp: i32,
    /// Never place an account again with an agency that held it before.
    #[graphql(default = true)]
    pub exclude_previous_holders: bool,
}

impl AllocationStrategyInput {
    fn into_domain(self) -> AppResult<StrategyInput> {
        Ok(StrategyInput {
            name: self.name,
            kind_of_work: self.kind_of_work.into(),
            level: self.level.into(),
            segment: Segment {
                dpd_buckets: self.segment.dpd_buckets,
                min_balance: self.segment.min_balance.map(|a| a.0.to_string()),
                max_balance: self.segment.max_balance.map(|a| a.0.to_string()),
                regions: self.segment.regions,
                products: to_stored(&self.segment.products),
            },
            pool_agency_ids: self
                .pool_agency_ids
                .map(|ids| {
                    ids.iter()
                        .map(|id| ids::parse("poolAgencyIds", id))
                        .collect::<AppResult<_>>()
                })
                .transpose()?,
            period_days: self.period_days,
            pending_recall_warning_days: self.pending_recall_warning_days,
            split_method: self.split_method.into(),
            champion_agency_id: self
                .champion_agency_id
                .as_ref()
                .map(|id| ids::parse("championAgencyId", id))
                .transpose()?,
            champion_share_bp: self.champion_share_bp,
            floor_share_bp: self.floor_share_bp,
            exclude_previous_holders: self.exclude_previous_holders,
        })
    }
}

#[Object]
impl AllocationQuery {
    /// Strategies, oldest first; by default only the current version of each.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn allocation_strategies(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] active_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, AllocationStrategy>> {
        let page = strategies::list(db(ctx), active_only, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |s| s.id, |s| Ok(s.into()))?)
    }

    /// Allocation runs, newest first.
    #[graphql(
        guard = "RoleGuard::new(LENDER)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn allocation_runs(
        &self,
        ctx: &Context<'_>,
        portfolio_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, AllocationRun>> {
        let portfolio_id = portfolio_id
            .as_ref()
            .map(|id| ids::parse("portfolioId", id))
            .transpose()?;
        let page = runs::list(db(ctx), portfolio_id, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |r| r.id, AllocationRun::from_model)?)
    }

    #[graphql(guard = "RoleGuard::new(LENDER)")]
    async fn allocation_run(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AllocationRun> {
        Ok(AllocationRun::from_model(
            runs::get(db(ctx), ids::parse("id", &id)?).await?,
        )?)
    }
}

#[Object]
impl AllocationMutation {
    /// Creates version 1 of a strategy.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn create_allocation_strategy(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: AllocationStrategyInput,
    ) -> async_graphql::Result<AllocationStrategy> {
        let buckets = &settings(ctx).dpd_buckets;
        let created =
            strategies::create(db(ctx), &caller(ctx)?, buckets, &code, input.into_domain()?)
                .await?;
        Ok(created.into())
    }

    /// Adds the next version of a strategy; the previous version is retired.
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn revise_allocation_strategy(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: AllocationStrategyInput,
    ) -> async_graphql::Result<AllocationStrategy> {
        let buckets = &settings(ctx).dpd_buckets;
        let revised =
            strategies::revise(db(ctx), &caller(ctx)?, buckets, &code, input.into_domain()?)
                .await?;
        Ok(revised.into())
    }

    /// Places every unplaced eligible account of the strategy's segment in the portfolio.
    /// A dry run writes nothing. The same inputs and seed give the same result; the same
    /// idempotency key returns the earlier run (with a different request: CONFLICT).
    #[graphql(guard = "RoleGuard::new(MANAGERS)")]
    async fn run_allocation(
        &self,
        ctx: &Context<'_>,
        strategy_id: ID,
        portfolio_id: ID,
        #[graphql(default)] dry_run: bool,
        #[graphql(default)] seed: i64,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<AllocationResult> {
        let request = RunRequest {
            strategy_id: ids::parse("strategyId", &strategy_id)?,
            portfolio_id: ids::parse("portfolioId", &portfolio_id)?,
            dry_run,
            seed,
            idempotency_key,
            reassign: None,
        };
        let outcome = run::run(db(ctx), &caller(ctx)?, &settings(ctx).dpd_buckets, request).await?;
        let currency = outcome.summary.currency.clone();
        Ok(AllocationResult {
            dry_run,
            replayed: outcome.replayed,
            run: outcome.run.map(AllocationRun::from_model).transpose()?,
            placed_count: outcome.placed_count,
            unplaced_count: outcome.unplaced_count,
            per_agency: per_agency(outcome.summary.per_agency, &currency)?,
            unplaced_by_reason: reason_counts(outcome.summary.unplaced_by_reason),
            excluded_agencies: excluded(outcome.summary.excluded),
            placements: outcome.placements.into_iter().map(Into::into).collect(),
            unplaced: outcome.unplaced.into_iter().map(Into::into).collect(),
        })
    }
}
