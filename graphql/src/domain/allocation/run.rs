//! `runAllocation`: place every unplaced eligible account of a strategy's segment in a
//! portfolio, set-based, in one transaction.
//!
//! The agencies of the pool are row-locked for the run, so two runs sharing agencies
//! (from any process) never overfill one; placements are inserted with
//! `ON CONFLICT DO NOTHING` against the one-ACTIVE-placement-per-account index, so two
//! runs racing on one portfolio place each account at most once; the idempotency key is
//! a unique column claimed in the same transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use entity::account::{self, AccountFlag, AccountFlags};
use entity::agency;
use entity::allocation_run;
use entity::allocation_strategy::{self, SplitMethod};
use entity::allocation_unplaced;
use entity::placement::{self, PlacementLevel, PlacementStatus};
use entity::portfolio;
use iso_currency::Currency;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, TransactionTrait, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::segment::{DpdBucket, start_dates};
use super::split::{self, Candidate, Item, Shortfall};
use super::strategies;
use super::weights::{Contender, SplitRule, percent, weights};
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::eligibility::{EligibilityBook, Question, ReasonCode};
use crate::domain::outbox::{self, Event};
use crate::domain::performance::scorecards;
use crate::domain::tx::begin_write;
use crate::domain::{metrics, money, portfolios, validate};
use crate::error::{AppError, AppResult};

/// Rows per INSERT, inside both stores' bind-parameter limits.
const CHUNK: usize = 500;
/// How many proposed placements and unplaced accounts a result lists by name.
pub const SAMPLE: usize = 100;

#[derive(Clone, Debug)]
pub struct RunRequest {
    pub strategy_id: i64,
    pub portfolio_id: i64,
    pub dry_run: bool,
    pub seed: i64,
    pub idempotency_key: Option<String>,
    /// Set when recalled accounts are handed on: only these accounts, whatever their
    /// segment and level history, and never to the agencies named.
    pub reassign: Option<Reassign>,
}

/// Accounts a reassignment decision recalled, to place again by the strategy.
#[derive(Clone, Debug)]
pub struct Reassign {
    pub account_ids: Vec<i64>,
    pub excluded_agency_ids: Vec<i64>,
    /// Why, for each placement's explanation.
    pub reason: String,
}

/// Why an account was left unplaced.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnplacedReason {
    /// Flagged cease-contact, bankrupt or deceased: never placed.
    Scrubbed,
    /// It was already placed at this level or a later one.
    AlreadyWorkedAtLevel,
    NoEligibleAgency,
    OnlyPreviousHolders,
    NoCapacity,
    /// Another run placed it first.
    PlacedConcurrently,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgencyTotal {
    pub agency_id: i64,
    pub accounts: i64,
    pub balance_minor: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub reason: UnplacedReason,
    pub count: i64,
}

/// What a run did, as stored on the run and returned to the caller.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub currency: String,
    pub per_agency: Vec<AgencyTotal>,
    pub unplaced_by_reason: Vec<ReasonCount>,
    /// The pool's agencies that could take none of the segment, and why (runs stored
    /// before this was recorded have none).
    #[serde(default)]
    pub excluded: Vec<ExcludedAgency>,
}

/// An agency of the pool the run could not place with, with every reason.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExcludedAgency {
    pub agency_id: i64,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Proposed {
    pub account_id: i64,
    pub agency_id: i64,
    pub explanation: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct Left {
    pub account_id: i64,
    pub reason: UnplacedReason,
    pub detail: String,
}

pub struct RunOutcome {
    /// The stored run; `None` for a dry run.
    pub run: Option<allocation_run::Model>,
    /// The idempotency key named an earlier run, which is returned unchanged.
    pub replayed: bool,
    pub placed_count: i64,
    pub unplaced_count: i64,
    pub summary: Summary,
    /// The first proposed placements (dry run) or the first made (real run).
    pub placements: Vec<Proposed>,
    pub unplaced: Vec<Left>,
}

fn request_hash(request: &RunRequest) -> String {
    let reassign = request.reassign.as_ref().map(|r| {
        format!(
            "|{:?}|{:?}|{}",
            r.account_ids, r.excluded_agency_ids, r.reason
        )
    });
    hex::encode(Sha256::digest(format!(
        "{}|{}|{}|{}{}",
        request.strategy_id,
        request.portfolio_id,
        request.seed,
        request.dry_run,
        reassign.unwrap_or_default()
    )))
}

fn level_rank(level: PlacementLevel) -> u8 {
    match level {
        PlacementLevel::Primary => 1,
        PlacementLevel::Secondary => 2,
        PlacementLevel::Tertiary => 3,
        PlacementLevel::Legal => 4,
    }
}

pub async fn run(
    db: &DatabaseConnection,
    caller: &Caller,
    buckets: &[DpdBucket],
    mut request: RunRequest,
) -> AppResult<RunOutcome> {
    request.idempotency_key = request
        .idempotency_key
        .map(|key| validate::text("idempotencyKey", &key, 128))
        .transpose()?;
    let hash = request_hash(&request);
    // A dry run only reads: no write lock on SQLite, no row locks on PostgreSQL.
    let tx = if request.dry_run {
        db.begin().await?
    } else {
        begin_write(db).await?
    };
    if let (false, Some(key)) = (request.dry_run, &request.idempotency_key)
        && let Some(earlier) = allocation_run::Entity::find()
            .filter(allocation_run::Column::IdempotencyKey.eq(key.as_str()))
            .one(&tx)
            .await?
    {
        if earlier.request_hash != hash {
            return Err(AppError::Conflict(format!(
                "idempotency key '{key}' was used for a different request"
            )));
        }
        return replay(&tx, earlier).await;
    }

    let strategy = strategies::get(&tx, request.strategy_id).await?;
    if !strategy.active {
        return Err(AppError::Conflict(format!(
            "strategy {} version {} has been revised; run the current version",
            strategy.code, strategy.version
        )));
    }
    let portfolio = portfolios::get(&tx, request.portfolio_id).await?;
    let currency = money::currency(&portfolio.currency)?;
    if request.dry_run {
        let plan = plan(
            &tx,
            buckets,
            &strategy,
            &portfolio,
            currency,
            (request.seed, request.reassign.as_ref()),
            caller.now.date_naive(),
            Locking::None,
        )
        .await?;
        tx.rollback().await?;
        return Ok(plan.into_dry_outcome(currency));
    }
    let run = match claim(&tx, caller, &request, hash.clone()).await? {
        Claim::Mine(run) => run,
        Claim::Earlier(earlier) if earlier.request_hash == hash => {
            return replay(&tx, earlier).await;
        }
        Claim::Earlier(_) => {
            return Err(AppError::Conflict(format!(
                "idempotency key '{}' was used for a different request",
                request.idempotency_key.unwrap_or_default()
            )));
        }
    };
    let plan = plan(
        &tx,
        buckets,
        &strategy,
        &portfolio,
        currency,
        (request.seed, request.reassign.as_ref()),
        caller.now.date_naive(),
        Locking::Pool,
    )
    .await?;
    let outcome = write(
        &tx, caller, &strategy, &portfolio, currency, &request, run, plan,
    )
    .await?;
    tx.commit().await?;
    metrics::placements_created(outcome.placed_count);
    Ok(outcome)
}

/// The decisions of a run, before anything is written.
struct Plan {
    placed: Vec<Proposed>,
    balances: HashMap<i64, i64>,
    unplaced: Vec<Left>,
    excluded: Vec<ExcludedAgency>,
    period_days: i64,
    level: PlacementLevel,
    /// The day eligibility was judged for: placements start and end from it.
    today: chrono::NaiveDate,
}

impl Plan {
    fn into_dry_outcome(self, currency: Currency) -> RunOutcome {
        let mut per_agency: BTreeMap<i64, AgencyTotal> = BTreeMap::new();
        for p in &self.placed {
            let total = per_agency.entry(p.agency_id).or_insert(AgencyTotal {
                agency_id: p.agency_id,
                accounts: 0,
                balance_minor: 0,
            });
            total.accounts += 1;
            total.balance_minor += self.balances[&p.account_id];
        }
        RunOutcome {
            run: None,
            replayed: false,
            placed_count: self.placed.len() as i64,
            unplaced_count: self.unplaced.len() as i64,
            summary: Summary {
                currency: currency.code().to_owned(),
                per_agency: per_agency.into_values().collect(),
                unplaced_by_reason: count_reasons(&self.unplaced),
                excluded: self.excluded,
            },
            placements: self.placed.into_iter().take(SAMPLE).collect(),
            unplaced: self.unplaced.into_iter().take(SAMPLE).collect(),
        }
    }
}

fn count_reasons(unplaced: &[Left]) -> Vec<ReasonCount> {
    let mut counts: BTreeMap<UnplacedReason, i64> = BTreeMap::new();
    for left in unplaced {
        *counts.entry(left.reason).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(reason, count)| ReasonCount { reason, count })
        .collect()
}

/// Reads the segment, the pool and its eligibility, and decides every placement.
/// Whether planning locks the pool's agencies (a real run) or only reads (a dry run).
#[derive(Copy, Clone, PartialEq, Eq)]
enum Locking {
    None,
    Pool,
}

#[allow(clippy::too_many_arguments)]
async fn plan<C: ConnectionTrait>(
    conn: &C,
    buckets: &[DpdBucket],
    strategy: &allocation_strategy::Model,
    portfolio: &portfolio::Model,
    currency: Currency,
    (seed, reassign): (i64, Option<&Reassign>),
    today: NaiveDate,
    locking: Locking,
) -> AppResult<Plan> {
    let period_days = i64::from(strategy.period_days);
    let backend = conn.get_database_backend();
    let mut pool = agency::Entity::find().order_by_asc(agency::Column::Id);
    if let Some(ids) = &strategy.pool_agency_ids {
        pool = pool.filter(any_of(backend, agency::Column::Id, ids.0.iter().copied()));
    }
    if let Some(reassign) = reassign {
        let excluded = reassign.excluded_agency_ids.iter().copied();
        pool = pool.filter(any_of(backend, agency::Column::Id, excluded).not());
    }
    if locking == Locking::Pool {
        pool = pool.lock_exclusive();
    }
    let (agencies, other_work): (Vec<agency::Model>, Vec<agency::Model>) = pool
        .all(conn)
        .await?
        .into_iter()
        .partition(|a| a.kinds_of_work.0.contains(&strategy.kind_of_work));
    let mut excluded: Vec<ExcludedAgency> = other_work
        .iter()
        .map(|a| ExcludedAgency {
            agency_id: a.id,
            reasons: vec![format!(
                "{} does not do {} work",
                a.code,
                strategy.kind_of_work.to_value()
            )],
        })
        .collect();
    let accounts = match reassign {
        Some(reassign) => recalled_accounts(conn, portfolio, &reassign.account_ids).await?,
        None => segment_accounts(conn, buckets, strategy, portfolio, currency, today).await?,
    };
    let history = placement_history(conn, portfolio.id).await?;

    let agency_ids: Vec<i64> = agencies.iter().map(|a| a.id).collect();
    let book = EligibilityBook::load(conn, &agency_ids).await?;
    let (scored_on, scores) = if strategy.split_method == SplitMethod::PerformanceWeighted {
        scorecards::latest_scores(conn, &strategy.code, &portfolio.currency, today).await?
    } else {
        (None, HashMap::new())
    };
    let regions: BTreeSet<String> = accounts.iter().map(|a| a.1.clone()).collect();
    let mut candidates = Vec::new();
    let mut contenders = Vec::new();
    let mut refusals: HashMap<String, Vec<String>> = HashMap::new();
    for agency in &agencies {
        let mut eligible_regions = BTreeSet::new();
        let mut refused = Vec::new();
        let mut remaining = (None, None);
        for region in &regions {
            let question = Question {
                kind: strategy.kind_of_work,
                region: region.clone(),
                from: today,
                to: today + Duration::days(period_days),
            };
            let verdict = book.evaluate(agency.id, &question)?;
            remaining = (verdict.remaining_accounts, verdict.remaining_balance_minor);
            // A full agency stays a candidate: the split reports NO_CAPACITY for it.
            if verdict
                .reasons
                .iter()
                .all(|r| r.code == ReasonCode::OutOfCapacity)
            {
                eligible_regions.insert(region.clone());
            } else {
                let why: Vec<&str> = verdict.reasons.iter().map(|r| r.message.as_str()).collect();
                refused.push(format!("{region}: {}", why.join("; ")));
                refusals.entry(region.clone()).or_default().push(format!(
                    "{}: {}",
                    agency.code,
                    why.join("; ")
                ));
            }
        }
        if eligible_regions.is_empty() {
            if !refused.is_empty() {
                excluded.push(ExcludedAgency {
                    agency_id: agency.id,
                    reasons: refused,
                });
            }
            continue;
        }
        contenders.push(Contender {
            agency_id: agency.id,
            score_bp: scores.get(&agency.id).copied(),
            on_probation: agency.status == entity::agency::AgencyStatus::Probation,
        });
        // A balance capacity in another currency cannot be compared without a rate: such
        // an agency takes no balance from this portfolio (NO_CAPACITY), never too much.
        let same_currency = agency.capacity_currency == portfolio.currency;
        candidates.push(Candidate {
            agency_id: agency.id,
            weight_ppm: 0,
            remaining_accounts: remaining.0.map(|n| Ord::max(n, 0)),
            remaining_balance_minor: remaining
                .1
                .map(|b| if same_currency { Ord::max(b, 0) } else { 0 }),
            regions: eligible_regions,
        });
    }
    let rule = SplitRule {
        method: strategy.split_method,
        champion_agency_id: strategy.champion_agency_id,
        champion_share_bp: strategy.champion_share_bp.unsigned_abs(),
        floor_share_bp: strategy.floor_share_bp.unsigned_abs(),
    };
    let shares: HashMap<i64, u64> = weights(&rule, &contenders).into_iter().collect();
    for candidate in &mut candidates {
        candidate.weight_ppm = shares.get(&candidate.agency_id).copied().unwrap_or(0);
    }

    let scrubbed = [
        AccountFlag::CeaseContact,
        AccountFlag::Bankruptcy,
        AccountFlag::Deceased,
    ];
    let strategy_rank = level_rank(strategy.level);
    let mut unplaced = Vec::new();
    let mut items = Vec::new();
    let mut balances = HashMap::new();
    let mut regions_of = HashMap::new();
    for (account_id, region, outstanding, flags) in accounts {
        if let Some(flag) = flags.0.iter().find(|f| scrubbed.contains(f)) {
            unplaced.push(Left {
                account_id,
                reason: UnplacedReason::Scrubbed,
                detail: format!(
                    "flagged {}",
                    serde_json::to_value(flag)
                        .ok()
                        .as_ref()
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                ),
            });
            continue;
        }
        let held = history
            .get(&account_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        // Recalled accounts go on at the level they were worked at.
        if reassign.is_none()
            && held
                .iter()
                .any(|(_, level)| level_rank(*level) >= strategy_rank)
        {
            unplaced.push(Left {
                account_id,
                reason: UnplacedReason::AlreadyWorkedAtLevel,
                detail: format!("already placed at {} or later", strategy.level.to_value()),
            });
            continue;
        }
        balances.insert(account_id, outstanding);
        regions_of.insert(account_id, region.clone());
        items.push(Item {
            account_id,
            balance_minor: outstanding,
            region,
            previous_holders: held.iter().map(|(agency, _)| *agency).collect(),
        });
    }

    let outcome = split::allocate(
        items,
        &candidates,
        strategy.exclude_previous_holders,
        seed as u64,
    );
    let codes: HashMap<i64, &str> = agencies.iter().map(|a| (a.id, a.code.as_str())).collect();
    let due_back = today + Duration::days(period_days);
    let placed = outcome
        .placed
        .into_iter()
        .map(|(account_id, agency_id)| Proposed {
            account_id,
            agency_id,
            explanation: json!({
                "strategy": { "code": strategy.code, "version": strategy.version },
                "method": strategy.split_method,
                "share": percent(shares.get(&agency_id).copied().unwrap_or(0)),
                "score": scores.get(&agency_id).map(|bp| json!({
                    "points": percent(u64::from(*bp) * 100).trim_end_matches('%'),
                    "window": scorecards::ALLOCATION_WINDOW,
                    "asOf": scored_on,
                })),
                "checks": [
                    format!(
                        "{} is eligible for {} in {} through {due_back}",
                        codes.get(&agency_id).copied().unwrap_or_default(),
                        strategy.kind_of_work.to_value(),
                        regions_of[&account_id]
                    ),
                    "capacity available".to_owned(),
                    "not flagged cease-contact, bankrupt or deceased".to_owned(),
                    if strategy.exclude_previous_holders {
                        "the agency has not held the account before".to_owned()
                    } else {
                        "previous holders allowed".to_owned()
                    },
                ],
                "reassignment": reassign.map(|r| r.reason.as_str()),
            }),
        })
        .collect();
    unplaced.extend(outcome.unplaced.into_iter().map(|(account_id, shortfall)| {
        let region = regions_of[&account_id].as_str();
        match shortfall {
            Shortfall::NoEligibleAgency => Left {
                account_id,
                reason: UnplacedReason::NoEligibleAgency,
                detail: refusals
                    .get(region)
                    .map(|r| r.join(" | "))
                    .unwrap_or_else(|| {
                        format!(
                            "no agency in the pool does {} work",
                            strategy.kind_of_work.to_value()
                        )
                    }),
            },
            Shortfall::OnlyPreviousHolders => Left {
                account_id,
                reason: UnplacedReason::OnlyPreviousHolders,
                detail: "every eligible agency has held the account before".into(),
            },
            Shortfall::NoCapacity => Left {
                account_id,
                reason: UnplacedReason::NoCapacity,
                detail: format!("every eligible agency for {region} is at capacity"),
            },
        }
    }));
    unplaced.sort_by_key(|left| left.account_id);
    excluded.sort_by_key(|e| e.agency_id);
    Ok(Plan {
        placed,
        balances,
        unplaced,
        excluded,
        period_days,
        level: strategy.level,
        today,
    })
}

/// (id, region, outstanding minor units, flags) of every account of the segment with no
/// ACTIVE placement and something left to collect.
async fn segment_accounts<C: ConnectionTrait>(
    conn: &C,
    buckets: &[DpdBucket],
    strategy: &allocation_strategy::Model,
    portfolio: &portfolio::Model,
    currency: Currency,
    today: chrono::NaiveDate,
) -> AppResult<Vec<(i64, String, i64, AccountFlags)>> {
    use account::Column;
    let segment = &strategy.segment;
    let mut select = account::Entity::find()
        .select_only()
        .columns([
            Column::Id,
            Column::Region,
            Column::OutstandingMinor,
            Column::Flags,
        ])
        .filter(Column::PortfolioId.eq(portfolio.id))
        .filter(Column::OutstandingMinor.gt(0))
        .filter(
            Column::Id.not_in_subquery(
                Query::select()
                    .column(placement::Column::AccountId)
                    .from(placement::Entity)
                    .and_where(placement::Column::Status.eq(PlacementStatus::Active))
                    .to_owned(),
            ),
        );
    let backend = conn.get_database_backend();
    if !segment.regions.is_empty() {
        select = select.filter(any_of(
            backend,
            Column::Region,
            segment.regions.iter().cloned(),
        ));
    }
    if !segment.products.is_empty() {
        select = select.filter(any_of(
            backend,
            Column::Product,
            segment.products.iter().copied(),
        ));
    }
    let minor = |amount: &str| -> AppResult<i64> {
        let amount: Decimal = amount.parse().map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "stored balance bound '{amount}' is not a decimal"
            ))
        })?;
        money::to_minor(amount, currency)
    };
    if let Some(min) = &segment.min_balance {
        select = select.filter(Column::OutstandingMinor.gte(minor(min)?));
    }
    if let Some(max) = &segment.max_balance {
        select = select.filter(Column::OutstandingMinor.lt(minor(max)?));
    }
    if !segment.dpd_buckets.is_empty() {
        let mut any_bucket = Condition::any();
        for bucket in buckets
            .iter()
            .filter(|b| segment.dpd_buckets.contains(&b.name))
        {
            let (earliest, latest) = start_dates(bucket, today);
            let mut within = Condition::all().add(Column::DelinquencyStart.lte(latest));
            if let Some(earliest) = earliest {
                within = within.add(Column::DelinquencyStart.gte(earliest));
            }
            any_bucket = any_bucket.add(within);
        }
        select = select.filter(any_bucket);
    }
    Ok(select
        .order_by_asc(Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// The named accounts of the portfolio that have no ACTIVE placement and something left
/// to collect: recalled accounts to hand on.
async fn recalled_accounts<C: ConnectionTrait>(
    conn: &C,
    portfolio: &portfolio::Model,
    account_ids: &[i64],
) -> AppResult<Vec<(i64, String, i64, AccountFlags)>> {
    use account::Column;
    let mut found = Vec::new();
    // Inside both stores' bind-parameter limits.
    for chunk in account_ids.chunks(10_000) {
        let rows: Vec<(i64, String, i64, AccountFlags)> = account::Entity::find()
            .select_only()
            .columns([
                Column::Id,
                Column::Region,
                Column::OutstandingMinor,
                Column::Flags,
            ])
            .filter(Column::PortfolioId.eq(portfolio.id))
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .filter(Column::OutstandingMinor.gt(0))
            .filter(
                Column::Id.not_in_subquery(
                    Query::select()
                        .column(placement::Column::AccountId)
                        .from(placement::Entity)
                        .and_where(placement::Column::Status.eq(PlacementStatus::Active))
                        .to_owned(),
                ),
            )
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(rows);
    }
    found.sort_by_key(|row| row.0);
    Ok(found)
}

/// Every agency (and level) that has held each account of the portfolio.
async fn placement_history<C: ConnectionTrait>(
    conn: &C,
    portfolio_id: i64,
) -> AppResult<HashMap<i64, Vec<(i64, PlacementLevel)>>> {
    let rows: Vec<(i64, i64, PlacementLevel)> = placement::Entity::find()
        .select_only()
        .columns([
            placement::Column::AccountId,
            placement::Column::AgencyId,
            placement::Column::Level,
        ])
        .join(JoinType::InnerJoin, placement::Relation::Account.def())
        .filter(account::Column::PortfolioId.eq(portfolio_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut history: HashMap<i64, Vec<(i64, PlacementLevel)>> = HashMap::new();
    for (account_id, agency_id, level) in rows {
        history
            .entry(account_id)
            .or_default()
            .push((agency_id, level));
    }
    Ok(history)
}

enum Claim {
    /// The run row this request created.
    Mine(allocation_run::Model),
    /// The run an earlier request with the same idempotency key created.
    Earlier(allocation_run::Model),
}

/// Creates the run's row, claiming its idempotency key. A concurrent request with the
/// same key waits on the unique index until the first commits, then finds its run.
async fn claim<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    request: &RunRequest,
    hash: String,
) -> AppResult<Claim> {
    let row = allocation_run::ActiveModel {
        strategy_id: Set(request.strategy_id),
        portfolio_id: Set(request.portfolio_id),
        seed: Set(request.seed),
        idempotency_key: Set(request.idempotency_key.clone()),
        request_hash: Set(hash),
        placed_count: Set(0),
        unplaced_count: Set(0),
        summary: Set(json!({})),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        ..Default::default()
    };
    let Some(key) = &request.idempotency_key else {
        return Ok(Claim::Mine(row.insert(conn).await?));
    };
    let inserted = allocation_run::Entity::insert(row)
        .on_conflict(
            OnConflict::column(allocation_run::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec_without_returning(conn)
        .await?;
    let stored = allocation_run::Entity::find()
        .filter(allocation_run::Column::IdempotencyKey.eq(key.as_str()))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("claimed idempotency key '{key}' vanished"))
        })?;
    Ok(match inserted {
        TryInsertResult::Inserted(rows) if rows > 0 => Claim::Mine(stored),
        _ => Claim::Earlier(stored),
    })
}

#[allow(clippy::too_many_arguments)]
async fn write<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    strategy: &allocation_strategy::Model,
    portfolio: &portfolio::Model,
    currency: Currency,
    request: &RunRequest,
    run: allocation_run::Model,
    mut plan: Plan,
) -> AppResult<RunOutcome> {
    let now = caller.now;

    let due_back = plan.today + Duration::days(plan.period_days);
    let rows: Vec<placement::ActiveModel> = plan
        .placed
        .iter()
        .map(|p| placement::ActiveModel {
            account_id: Set(p.account_id),
            agency_id: Set(p.agency_id),
            level: Set(plan.level),
            status: Set(PlacementStatus::Active),
            placed_at: Set(now),
            due_back_on: Set(due_back),
            balance_at_placement_minor: Set(plan.balances[&p.account_id]),
            currency: Set(portfolio.currency.clone()),
            ended_at: Set(None),
            end_reason: Set(None),
            allocation_run_id: Set(Some(run.id)),
            explanation: Set(Some(p.explanation.clone())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    // Written out, not bound: SQLite matches a partial index only against a literal.
    let one_active = OnConflict::column(placement::Column::AccountId)
        .target_and_where(Expr::cust("status = 'ACTIVE'"))
        .do_nothing()
        .to_owned();
    for chunk in rows.chunks(CHUNK) {
        placement::Entity::insert_many(chunk.to_vec())
            .on_conflict(one_active.clone())
            .try_insert()
            .exec_without_returning(conn)
            .await?;
    }

    let made: HashSet<i64> = placement::Entity::find()
        .select_only()
        .column(placement::Column::AccountId)
        .filter(placement::Column::AllocationRunId.eq(run.id))
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let (kept, lost): (Vec<Proposed>, Vec<Proposed>) = plan
        .placed
        .drain(..)
        .partition(|p| made.contains(&p.account_id));
    plan.unplaced.extend(lost.into_iter().map(|p| Left {
        account_id: p.account_id,
        reason: UnplacedReason::PlacedConcurrently,
        detail: "another run placed the account first".into(),
    }));
    plan.placed = kept;

    let unplaced_rows: Vec<allocation_unplaced::ActiveModel> = plan
        .unplaced
        .iter()
        .map(|left| allocation_unplaced::ActiveModel {
            run_id: Set(run.id),
            account_id: Set(left.account_id),
            reason: Set(super::runs::code(left.reason)),
            detail: Set(left.detail.clone()),
            ..Default::default()
        })
        .collect();
    for chunk in unplaced_rows.chunks(CHUNK) {
        allocation_unplaced::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }

    let outcome = plan.into_dry_outcome(currency);
    for total in &outcome.summary.per_agency {
        outbox::enqueue(
            conn,
            caller.now,
            Event {
                topic: "placement.created",
                agency_id: Some(total.agency_id),
                entity_type: "allocation_run",
                entity_id: run.id.to_string(),
                payload: json!({
                    "allocationRunId": run.id,
                    "agencyId": total.agency_id,
                    "accounts": total.accounts,
                    "balanceMinor": total.balance_minor,
                    "currency": currency.code(),
                    "dueBackOn": due_back,
                }),
            },
        )
        .await?;
    }
    let summary =
        serde_json::to_value(&outcome.summary).map_err(|e| AppError::Internal(e.into()))?;
    let mut stored = run.into_active_model();
    stored.placed_count = Set(outcome.placed_count);
    stored.unplaced_count = Set(outcome.unplaced_count);
    stored.summary = Set(summary.clone());
    let run = stored.update(conn).await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "allocation_run.create",
            entity_type: "allocation_run",
            entity_id: run.id.to_string(),
            before: None,
            after: Some(json!({
                "strategyId": strategy.id,
                "strategy": { "code": strategy.code, "version": strategy.version },
                "portfolioId": portfolio.id,
                "seed": request.seed,
                "idempotencyKey": request.idempotency_key,
                "placed": run.placed_count,
                "unplaced": run.unplaced_count,
                "summary": summary,
            })),
        },
    )
    .await?;
    Ok(RunOutcome {
        run: Some(run),
        ..outcome
    })
}

/// An earlier run, as it was recorded.
async fn replay<C: ConnectionTrait>(conn: &C, run: allocation_run::Model) -> AppResult<RunOutcome> {
    let summary: Summary =
        serde_json::from_value(run.summary.clone()).map_err(|e| AppError::Internal(e.into()))?;
    let placements = placement::Entity::find()
        .filter(placement::Column::AllocationRunId.eq(run.id))
        .order_by_asc(placement::Column::Id)
        .limit(SAMPLE as u64)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| Proposed {
            account_id: p.account_id,
            agency_id: p.agency_id,
            explanation: p.explanation.unwrap_or_default(),
        })
        .collect();
    let unplaced = allocation_unplaced::Entity::find()
        .filter(allocation_unplaced::Column::RunId.eq(run.id))
        .order_by_asc(allocation_unplaced::Column::Id)
        .limit(SAMPLE as u64)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| {
            Ok(Left {
                account_id: u.account_id,
                reason: super::runs::reason(&u.reason)?,
                detail: u.detail,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(RunOutcome {
        placed_count: run.placed_count,
        unplaced_count: run.unplaced_count,
        run: Some(run),
        replayed: true,
        summary,
        placements,
        unplaced,
    })
}
