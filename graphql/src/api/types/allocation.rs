use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, ID, Json, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{allocation_run, allocation_strategy};

use super::agency::Agency;
use super::enums::{KindOfWork, PlacementLevel, Product, SplitMethod, UnplacedReason};
use super::money::Money;
use super::placement::Placement;
use super::portfolio::Portfolio;
use crate::api::context::db;
use crate::api::cost;
use crate::api::ids::to_id;
use crate::api::loaders::{Loaders, loader_error};
use crate::api::pagination::{Cursor, connection, page_request};
use crate::domain::allocation::run::{self, AgencyTotal, Left, Proposed, ReasonCount, Summary};
use crate::domain::allocation::runs;
use crate::error::{AppError, AppResult};

/// Which accounts a strategy takes; empty lists match everything.
#[derive(SimpleObject)]
pub struct SegmentView {
    pub dpd_buckets: Vec<String>,
    pub min_balance: Option<String>,
    pub max_balance: Option<String>,
    pub regions: Vec<String>,
    pub products: Vec<Product>,
}

/// One version of a rule for sharing a segment's accounts among agencies.
#[derive(SimpleObject)]
pub struct AllocationStrategy {
    pub id: ID,
    pub code: String,
    pub version: i32,
    pub name: String,
    pub kind_of_work: KindOfWork,
    pub level: PlacementLevel,
    pub segment: SegmentView,
    /// `null`: every agency doing this kind of work.
    pub pool_agency_ids: Option<Vec<ID>>,
    pub period_days: i32,
    pub pending_recall_warning_days: i32,
    pub split_method: SplitMethod,
    pub champion_agency_id: Option<ID>,
    pub champion_share_bp: i32,
    pub floor_share_bp: i32,
    pub exclude_previous_holders: bool,
    /// Only the latest version is active.
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<allocation_strategy::Model> for AllocationStrategy {
    fn from(m: allocation_strategy::Model) -> Self {
        Self {
            id: to_id(m.id),
            code: m.code,
            version: m.version,
            name: m.name,
            kind_of_work: m.kind_of_work.into(),
            level: m.level.into(),
            segment: SegmentView {
                dpd_buckets: m.segment.dpd_buckets,
                min_balance: m.segment.min_balance,
                max_balance: m.segment.max_balance,
                regions: m.segment.regions,
                products: m.segment.products.into_iter().map(Into::into).collect(),
            },
            pool_agency_ids: m
                .pool_agency_ids
                .map(|ids| ids.0.into_iter().map(to_id).collect()),
            period_days: m.period_days,
            pending_recall_warning_days: m.pending_recall_warning_days,
            split_method: m.split_method.into(),
            champion_agency_id: m.champion_agency_id.map(to_id),
            champion_share_bp: m.champion_share_bp,
            floor_share_bp: m.floor_share_bp,
            exclude_previous_holders: m.exclude_previous_holders,
            active: m.active,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

/// How much one agency received.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AgencyAllocation {
    pub accounts: i64,
    pub balance: Money,
    #[graphql(skip)]
    pub agency_id: i64,
}

#[ComplexObject]
impl AgencyAllocation {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

/// An agency of the strategy's pool that the run could place nothing with, and why:
/// another kind of work, or refused in every region of the segment (papers, status).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ExcludedAgency {
    /// Each reason, e.g. "US-TX: no verified COLLECTION_LICENSE for US-TX".
    pub reasons: Vec<String>,
    #[graphql(skip)]
    pub agency_id: i64,
}

#[ComplexObject]
impl ExcludedAgency {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

pub fn excluded(list: Vec<run::ExcludedAgency>) -> Vec<ExcludedAgency> {
    list.into_iter()
        .map(|e| ExcludedAgency {
            reasons: e.reasons,
            agency_id: e.agency_id,
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct UnplacedCount {
    pub reason: UnplacedReason,
    pub count: i64,
}

/// A placement a run made or (dry run) would make, and why.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProposedPlacement {
    pub account_id: ID,
    /// Checks passed, the agency's target share and score, the strategy applied.
    pub explanation: Json<serde_json::Value>,
    #[graphql(skip)]
    pub agency_id: i64,
}

#[ComplexObject]
impl ProposedPlacement {
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Agency> {
        Ok(Agency::load(ctx, self.agency_id).await?)
    }
}

#[derive(SimpleObject)]
pub struct UnplacedAccount {
    pub account_id: ID,
    pub reason: UnplacedReason,
    pub detail: String,
}

impl From<Left> for UnplacedAccount {
    fn from(left: Left) -> Self {
        Self {
            account_id: to_id(left.account_id),
            reason: left.reason.into(),
            detail: left.detail,
        }
    }
}

impl From<Proposed> for ProposedPlacement {
    fn from(p: Proposed) -> Self {
        Self {
            account_id: to_id(p.account_id),
            explanation: Json(p.explanation),
            agency_id: p.agency_id,
        }
    }
}

pub fn per_agency(totals: Vec<AgencyTotal>, currency: &str) -> AppResult<Vec<AgencyAllocation>> {
    totals
        .into_iter()
        .map(|t| {
            Ok(AgencyAllocation {
                accounts: t.accounts,
                balance: Money::from_minor(t.balance_minor, currency)?,
                agency_id: t.agency_id,
            })
        })
        .collect()
}

pub fn reason_counts(counts: Vec<ReasonCount>) -> Vec<UnplacedCount> {
    counts
        .into_iter()
        .map(|c| UnplacedCount {
            reason: c.reason.into(),
            count: c.count,
        })
        .collect()
}

/// A stored allocation run.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AllocationRun {
    pub id: ID,
    pub seed: i64,
    pub idempotency_key: Option<String>,
    pub placed_count: i64,
    pub unplaced_count: i64,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub per_agency: Vec<AgencyAllocation>,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub unplaced_by_reason: Vec<UnplacedCount>,
    /// The pool's agencies it could place nothing with, and why.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub excluded_agencies: Vec<ExcludedAgency>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub strategy_id: i64,
    #[graphql(skip)]
    pub portfolio_id: i64,
}

impl AllocationRun {
    pub fn from_model(m: allocation_run::Model) -> AppResult<Self> {
        let summary: Summary =
            serde_json::from_value(m.summary).map_err(|e| AppError::Internal(e.into()))?;
        Ok(Self {
            id: to_id(m.id),
            seed: m.seed,
            idempotency_key: m.idempotency_key,
            placed_count: m.placed_count,
            unplaced_count: m.unplaced_count,
            per_agency: per_agency(summary.per_agency, &summary.currency)?,
            unplaced_by_reason: reason_counts(summary.unplaced_by_reason),
            excluded_agencies: excluded(summary.excluded),
            created_by: m.created_by,
            created_at: m.created_at,
            row_id: m.id,
            strategy_id: m.strategy_id,
            portfolio_id: m.portfolio_id,
        })
    }
}

#[ComplexObject]
impl AllocationRun {
    /// The strategy version applied.
    async fn strategy(&self, ctx: &Context<'_>) -> async_graphql::Result<AllocationStrategy> {
        let loaders = ctx.data_unchecked::<Loaders>();
        let strategy = loaders
            .strategy
            .load_one(self.strategy_id)
            .await
            .map_err(loader_error)?
            .ok_or_else(|| AppError::not_found("strategy", self.strategy_id))?;
        Ok(strategy.into())
    }

    async fn portfolio(&self, ctx: &Context<'_>) -> async_graphql::Result<Portfolio> {
        let loaders = ctx.data_unchecked::<Loaders>();
        let portfolio = loaders
            .portfolio
            .load_one(self.portfolio_id)
            .await
            .map_err(loader_error)?
            .ok_or_else(|| AppError::not_found("portfolio", self.portfolio_id))?;
        Ok(portfolio.into())
    }

    /// The placements the run made, each with its explanation.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn placements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Placement>> {
        let page = runs::placements(db(ctx), self.row_id, page_request(ctx, first, after)?).await?;
        Ok(connection(page, |p| p.id, Placement::from_model)?)
    }

    /// The accounts of the segment the run left unplaced, and why.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn unplaced(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, UnplacedAccount>> {
        let page = runs::unplaced(db(ctx), self.row_id, page_request(ctx, first, after)?).await?;
        Ok(connection(
            page,
            |u| u.id,
            |u| {
                Ok(UnplacedAccount {
                    account_id: to_id(u.account_id),
                    reason: runs::reason(&u.reason)?.into(),
                    detail: u.detail,
                })
            },
        )?)
    }
}

/// What `runAllocation` did, or (dry run) would do.
#[derive(SimpleObject)]
pub struct AllocationResult {
    pub dry_run: bool,
    /// The idempotency key named an earlier run, returned unchanged.
    pub replayed: bool,
    /// The stored run; `null` for a dry run, which writes nothing.
    pub run: Option<AllocationRun>,
    pub placed_count: i64,
    pub unplaced_count: i64,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub per_agency: Vec<AgencyAllocation>,
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub unplaced_by_reason: Vec<UnplacedCount>,
    /// The pool's agencies it could place nothing with, and why.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub excluded_agencies: Vec<ExcludedAgency>,
    /// The first 100 placements, with their explanations (all of them: `run.placements`).
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub placements: Vec<ProposedPlacement>,
    /// The first 100 unplaced accounts (all of them: `run.unplaced`).
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub unplaced: Vec<UnplacedAccount>,
}
