//! Executing decisions whose grace period has ended, each in three resumable steps:
//!
//! 1. one transaction claims the decision (PENDING → EXECUTING), changes the agency's
//!    status (PROBATION, or SUSPENDED for RECALL_ALL) and fixes the placements to recall;
//! 2. those placements are recalled, and their accounts allocated again by the
//!    strategy they came through with the failing agency left out of the pool (one
//!    allocation run per strategy and portfolio, under an idempotency key made from the
//!    decision);
//! 3. one transaction records the outcome (EXECUTED).
//!
//! Steps 2 and 3 can be repeated: a decision left EXECUTING by a stopped process is
//! picked up again after [`RESUME_AFTER_MINUTES`] and finishes the same way.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use entity::activity;
use entity::agency::{self, AgencyStatus};
use entity::placement::{self, PlacementStatus};
use entity::reassignment_decision::{self, DecisionStatus, PlacementIds};
use entity::reassignment_policy::Action;
use entity::{account, allocation_run, allocation_strategy};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::{decision_view, review::record};
use crate::domain::actor::Caller;
use crate::domain::agencies;
use crate::domain::allocation::run::{self, Reassign, RunRequest};
use crate::domain::allocation::segment::DpdBucket;
use crate::domain::outbox::{self, Event};
use crate::domain::placement_lifecycle::{self, MAX_RECALL_IDS, RecallTarget};
use crate::domain::tx::begin_write;
use crate::error::AppResult;

/// An EXECUTING decision untouched this long was left by a stopped process.
pub const RESUME_AFTER_MINUTES: i64 = 10;

/// What one pass over the due decisions did.
#[derive(Debug, Default)]
pub struct Executed {
    pub done: Vec<reassignment_decision::Model>,
    /// Decisions that failed (left for the next pass), with the error.
    pub failed: Vec<(i64, String)>,
}

/// Executes every decision due at `now`. A decision that fails is logged and left for
/// the next pass; the others go on.
pub async fn execute_due(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    (buckets, idle_days): (&[DpdBucket], i64),
) -> AppResult<Executed> {
    let due: Vec<i64> = reassignment_decision::Entity::find()
        .select_only()
        .column(reassignment_decision::Column::Id)
        .filter(due_condition(now))
        .order_by_asc(reassignment_decision::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut executed = Executed::default();
    let started = Instant::now();
    for id in due {
        match execute_one(db, caller, id, now, started, (buckets, idle_days)).await {
            Ok(done) => executed.done.extend(done),
            Err(err) => {
                tracing::warn!(decision = id, error = ?err, "reassignment decision failed; retried at the next review");
                executed.failed.push((id, err.to_string()));
            }
        }
    }
    Ok(executed)
}

/// Executes one decision now, if it is due (an approved decision is).
pub async fn execute_now(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    (buckets, idle_days): (&[DpdBucket], i64),
) -> AppResult<Option<reassignment_decision::Model>> {
    execute_one(
        db,
        caller,
        id,
        caller.now,
        Instant::now(),
        (buckets, idle_days),
    )
    .await
}

fn due_condition(now: DateTime<Utc>) -> Condition {
    use reassignment_decision::Column;
    Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(DecisionStatus::Pending))
                .add(Column::ExecuteAfter.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(DecisionStatus::Executing))
                .add(Column::UpdatedAt.lt(now - Duration::minutes(RESUME_AFTER_MINUTES))),
        )
}

/// `started`: when the pass began, in real time (see [`alive_at`]).
async fn execute_one(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    now: DateTime<Utc>,
    started: Instant,
    (buckets, idle_days): (&[DpdBucket], i64),
) -> AppResult<Option<reassignment_decision::Model>> {
    let tx = begin_write(db).await?;
    let Some(agency_id) = reassignment_decision::Entity::find_by_id(id)
        .select_only()
        .column(reassignment_decision::Column::AgencyId)
        .into_tuple::<i64>()
        .one(&tx)
        .await?
    else {
        return Ok(None);
    };
    // The agency first, then the decision: the order reviews lock in, so the two never
    // deadlock. Another process may have taken the decision since it was listed: the lock
    // and the condition decide.
    agency::Entity::find_by_id(agency_id)
        .lock_exclusive()
        .one(&tx)
        .await?;
    let Some(decision) = reassignment_decision::Entity::find_by_id(id)
        .filter(due_condition(now))
        .lock_exclusive()
        .one(&tx)
        .await?
    else {
        return Ok(None);
    };
    let decision = if decision.status == DecisionStatus::Pending {
        start(&tx, caller, decision, (now, idle_days)).await?
    } else {
        touch(&tx, decision, alive_at(now, started)).await?
    };
    tx.commit().await?;

    let reason = format!(
        "reassignment decision {}: {}",
        decision.id,
        action_name(decision.action)
    );
    let ids = decision.placement_ids.clone().unwrap_or_default().0;
    for chunk in ids.chunks(MAX_RECALL_IDS) {
        placement_lifecycle::recall(
            db,
            caller,
            RecallTarget::Ids(chunk.to_vec()),
            reason.clone(),
        )
        .await?;
    }
    // Still alive: keeps another process from taking the decision as abandoned.
    let tx = begin_write(db).await?;
    touch(&tx, decision.clone(), alive_at(now, started)).await?;
    tx.commit().await?;
    let moved = reallocate(db, caller, &decision, &ids, buckets, &reason).await?;

    let tx = begin_write(db).await?;
    let Some(current) = reassignment_decision::Entity::find_by_id(id)
        .filter(reassignment_decision::Column::Status.eq(DecisionStatus::Executing))
        .lock_exclusive()
        .one(&tx)
        .await?
    else {
        return Ok(None);
    };
    let before = decision_view(&current);
    let mut done = current.into_active_model();
    done.status = Set(DecisionStatus::Executed);
    done.outcome = Set(Some(moved));
    done.updated_at = Set(alive_at(now, started));
    let done = done.update(&tx).await?;
    record(
        &tx,
        caller,
        "reassignment_decision.complete",
        Some(before),
        &done,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(done))
}

/// `now` on the service clock moved on by the real time the pass has taken: an EXECUTING
/// decision stamped with it is not taken for abandoned while a long pass goes on.
fn alive_at(now: DateTime<Utc>, started: Instant) -> DateTime<Utc> {
    now + Duration::from_std(started.elapsed()).unwrap_or_default()
}

/// Marks an EXECUTING decision as being worked on at `at`.
async fn touch<C: ConnectionTrait>(
    conn: &C,
    decision: reassignment_decision::Model,
    at: DateTime<Utc>,
) -> AppResult<reassignment_decision::Model> {
    let mut touched = decision.into_active_model();
    touched.updated_at = Set(at);
    Ok(touched.update(conn).await?)
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Warn => "warning",
        Action::Probation => "probation",
        Action::RecallIdle => "probation and recall of idle accounts",
        Action::RecallAll => "suspension and recall of all accounts",
    }
}

/// Step 1: the agency's status, the placements to recall, EXECUTING. RECALL_IDLE takes
/// the placements idle by `idle_days` (`compliance.idle_days`), as the scorecards count
/// them.
async fn start<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    decision: reassignment_decision::Model,
    (now, idle_days): (DateTime<Utc>, i64),
) -> AppResult<reassignment_decision::Model> {
    let agency = agencies::get(
        conn,
        crate::domain::actor::Scope::Lender,
        decision.agency_id,
    )
    .await?;
    let reason = format!(
        "reassignment decision {} ({} in segment {})",
        decision.id,
        action_name(decision.action),
        decision.segment
    );
    let to = match decision.action {
        Action::Warn => None,
        Action::Probation | Action::RecallIdle => {
            (agency.status == AgencyStatus::Active).then_some(AgencyStatus::Probation)
        }
        Action::RecallAll => matches!(
            agency.status,
            AgencyStatus::Active | AgencyStatus::Probation
        )
        .then_some(AgencyStatus::Suspended),
    };
    if let Some(to) = to {
        agencies::change_status_in(conn, caller, agency.id, to, Some(reason.clone())).await?;
    }
    if decision.action == Action::Warn {
        outbox::enqueue(
            conn,
            caller.now,
            Event {
                topic: "agency.warned",
                agency_id: Some(agency.id),
                entity_type: "reassignment_decision",
                entity_id: decision.id.to_string(),
                payload: json!({
                    "decisionId": decision.id.to_string(),
                    "agencyId": agency.id,
                    "segment": decision.segment,
                    "findings": decision.findings,
                }),
            },
        )
        .await?;
    }
    let placement_ids = match decision.action {
        Action::Warn | Action::Probation => Vec::new(),
        Action::RecallIdle => {
            idle_placements(conn, &decision, now - Duration::days(idle_days)).await?
        }
        Action::RecallAll => {
            placement::Entity::find()
                .select_only()
                .column(placement::Column::Id)
                .filter(placement::Column::AgencyId.eq(decision.agency_id))
                .filter(placement::Column::Status.eq(PlacementStatus::Active))
                .order_by_asc(placement::Column::Id)
                .into_tuple()
                .all(conn)
                .await?
        }
    };
    let before = decision_view(&decision);
    let mut started = decision.into_active_model();
    started.status = Set(DecisionStatus::Executing);
    started.placement_ids = Set(Some(PlacementIds(placement_ids)));
    started.executed_at = Set(Some(now));
    started.updated_at = Set(now);
    let started = started.update(conn).await?;
    record(
        conn,
        caller,
        "reassignment_decision.execute",
        Some(before),
        &started,
    )
    .await?;
    Ok(started)
}

/// The agency's ACTIVE placements in the decision's segment and currency placed by
/// `idle_since` with no activity after it.
async fn idle_placements<C: ConnectionTrait>(
    conn: &C,
    decision: &reassignment_decision::Model,
    idle_since: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let runs_of_segment = Query::select()
        .column((allocation_run::Entity, allocation_run::Column::Id))
        .from(allocation_run::Entity)
        .join(
            JoinType::InnerJoin,
            allocation_strategy::Entity,
            Expr::col((allocation_strategy::Entity, allocation_strategy::Column::Id))
                .equals((allocation_run::Entity, allocation_run::Column::StrategyId)),
        )
        .and_where(
            Expr::col((
                allocation_strategy::Entity,
                allocation_strategy::Column::Code,
            ))
            .eq(decision.segment.as_str()),
        )
        .to_owned();
    let active_since = Query::select()
        .expr(Expr::val(1))
        .from(activity::Entity)
        .and_where(
            Expr::col((activity::Entity, activity::Column::PlacementId))
                .equals((placement::Entity, placement::Column::Id)),
        )
        .and_where(Expr::col((activity::Entity, activity::Column::OccurredAt)).gt(idle_since))
        .to_owned();
    Ok(placement::Entity::find()
        .select_only()
        .column(placement::Column::Id)
        .filter(placement::Column::AgencyId.eq(decision.agency_id))
        .filter(placement::Column::Status.eq(PlacementStatus::Active))
        .filter(placement::Column::Currency.eq(decision.currency.as_str()))
        .filter(placement::Column::PlacedAt.lte(idle_since))
        .filter(placement::Column::AllocationRunId.in_subquery(runs_of_segment))
        .filter(Expr::not_exists(active_since))
        .order_by_asc(placement::Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Step 2b: the recalled accounts allocated again, per strategy and portfolio.
async fn reallocate(
    db: &DatabaseConnection,
    caller: &Caller,
    decision: &reassignment_decision::Model,
    placement_ids: &[i64],
    buckets: &[DpdBucket],
    reason: &str,
) -> AppResult<serde_json::Value> {
    #[derive(FromQueryResult)]
    struct Recalled {
        account_id: i64,
        portfolio_id: i64,
        code: String,
    }
    let mut groups: BTreeMap<(String, i64), Vec<i64>> = BTreeMap::new();
    let mut recalled = 0;
    for chunk in placement_ids.chunks(MAX_RECALL_IDS) {
        let select = Query::select()
            .expr_as(
                Expr::col((placement::Entity, placement::Column::AccountId)),
                "account_id",
            )
            .expr_as(
                Expr::col((account::Entity, account::Column::PortfolioId)),
                "portfolio_id",
            )
            .expr_as(
                Expr::col((
                    allocation_strategy::Entity,
                    allocation_strategy::Column::Code,
                )),
                "code",
            )
            .from(placement::Entity)
            .join(
                JoinType::InnerJoin,
                account::Entity,
                Expr::col((account::Entity, account::Column::Id))
                    .equals((placement::Entity, placement::Column::AccountId)),
            )
            .join(
                JoinType::InnerJoin,
                allocation_run::Entity,
                Expr::col((allocation_run::Entity, allocation_run::Column::Id))
                    .equals((placement::Entity, placement::Column::AllocationRunId)),
            )
            .join(
                JoinType::InnerJoin,
                allocation_strategy::Entity,
                Expr::col((allocation_strategy::Entity, allocation_strategy::Column::Id))
                    .equals((allocation_run::Entity, allocation_run::Column::StrategyId)),
            )
            .and_where(
                Expr::col((placement::Entity, placement::Column::Id)).is_in(chunk.iter().copied()),
            )
            .to_owned();
        for row in Recalled::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await?
        {
            groups
                .entry((row.code, row.portfolio_id))
                .or_default()
                .push(row.account_id);
        }
        recalled += placement::Entity::find()
            .filter(placement::Column::Id.is_in(chunk.iter().copied()))
            .filter(placement::Column::Status.eq(PlacementStatus::Recalled))
            .count(db)
            .await?;
    }
    let mut runs = Vec::new();
    let mut to_agencies: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let (mut placed, mut unplaced) = (0, 0);
    let grouped: usize = groups.values().map(Vec::len).sum();
    unplaced += (placement_ids.len() - grouped.min(placement_ids.len())) as i64;
    for ((code, portfolio_id), mut account_ids) in groups {
        account_ids.sort_unstable();
        account_ids.dedup();
        let Some(strategy) = allocation_strategy::Entity::find()
            .filter(allocation_strategy::Column::Code.eq(code.as_str()))
            .filter(allocation_strategy::Column::Active.eq(true))
            .one(db)
            .await?
        else {
            unplaced += account_ids.len() as i64;
            continue;
        };
        let outcome = run::run(
            db,
            caller,
            buckets,
            RunRequest {
                strategy_id: strategy.id,
                portfolio_id,
                dry_run: false,
                seed: decision.id,
                // The strategy's version is in the key: a resume after a revision is a
                // new run, which places what the first left unplaced.
                idempotency_key: Some(format!(
                    "reassignment-{}-{}-{portfolio_id}",
                    decision.id, strategy.id
                )),
                reassign: Some(Reassign {
                    account_ids,
                    excluded_agency_ids: vec![decision.agency_id],
                    reason: reason.to_owned(),
                }),
            },
        )
        .await?;
        placed += outcome.placed_count;
        unplaced += outcome.unplaced_count;
        runs.extend(outcome.run.map(|r| r.id.to_string()));
        for total in outcome.summary.per_agency {
            let entry = to_agencies.entry(total.agency_id).or_default();
            entry.0 += total.accounts;
            entry.1 += total.balance_minor;
        }
    }
    Ok(json!({
        "recalled": recalled,
        "placed": placed,
        "unplaced": unplaced,
        "toAgencies": to_agencies
            .into_iter()
            .map(|(agency_id, (accounts, balance_minor))| json!({
                "agencyId": agency_id.to_string(),
                "accounts": accounts,
                "balanceMinor": balance_minor,
            }))
            .collect::<Vec<_>>(),
        "allocationRunIds": runs,
    }))
}
