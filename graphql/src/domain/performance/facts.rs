//! The facts the figures are computed from, loaded set-based: one grouped query for the
//! placements (their payments and activities aggregated in SQL), one for promises with
//! the payments that may keep them, one for incidents. Everything is as of `as_of`:
//! later payments, activities and incidents are not seen, so a past day can be
//! recomputed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::activity::{self, ActivityKind, ContactResult};
use entity::commission_line::{self, LineKind};
use entity::commission_statement::StatementStatus;
use entity::compliance_incident::{self, IncidentSource, IncidentStatus, Severity};
use entity::{allocation_run, allocation_strategy, commission_statement, payment, placement};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
};

use super::figures::{IncidentFact, PlacementFact, Promise, PromiseFact, promises_kept};
use crate::error::AppResult;

/// Everything the figures are computed from.
pub struct Facts {
    pub placements: Vec<PlacementFact>,
    pub promises: Vec<PromiseFact>,
    pub incidents: Vec<IncidentFact>,
}

impl Facts {
    pub async fn load<C: ConnectionTrait>(conn: &C, as_of: DateTime<Utc>) -> AppResult<Self> {
        Ok(Self {
            placements: placements(conn, as_of).await?,
            promises: promises(conn, as_of).await?,
            incidents: incidents(conn, as_of).await?,
        })
    }
}

/// The segment of placements no allocation strategy made.
pub const NO_STRATEGY: &str = "UNALLOCATED";

#[derive(Debug, FromQueryResult)]
struct PlacementRow {
    placement_id: i64,
    agency_id: i64,
    segment: Option<String>,
    currency: String,
    placed_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    balance_minor: i64,
    collected_minor: Option<i64>,
    first_attempt_at: Option<DateTime<Utc>>,
    right_party_contact: Option<i32>,
    promised: Option<i32>,
    last_activity_at: Option<DateTime<Utc>>,
    commission_minor: Option<i64>,
}

/// Placements made by `as_of`, each with its segment, what was collected on it and what
/// its agency reported.
async fn placements<C: ConnectionTrait>(
    conn: &C,
    as_of: DateTime<Utc>,
) -> AppResult<Vec<PlacementFact>> {
    let collected = Query::select()
        .column(payment::Column::PlacementId)
        // PostgreSQL sums BIGINT as NUMERIC.
        .expr_as(
            Expr::col(payment::Column::AmountMinor)
                .sum()
                .cast_as("BIGINT"),
            "collected",
        )
        .from(payment::Entity)
        .and_where(payment::Column::PaidAt.lte(as_of))
        .group_by_col(payment::Column::PlacementId)
        .to_owned();
    let flag = |condition: Expr| Expr::case(condition, 1).finally(0).max();
    let kind = || Expr::col(activity::Column::Kind);
    let reported = Query::select()
        .column(activity::Column::PlacementId)
        .expr_as(
            Expr::case(
                kind().eq(ActivityKind::ContactAttempt),
                Expr::col(activity::Column::OccurredAt),
            )
            .min(),
            "first_attempt_at",
        )
        .expr_as(
            flag(
                Expr::col(activity::Column::Result)
                    .eq(ContactResult::RightPartyContact)
                    .or(kind().eq(ActivityKind::PromiseToPay)),
            ),
            "right_party_contact",
        )
        .expr_as(flag(kind().eq(ActivityKind::PromiseToPay)), "promised")
        .expr_as(
            Expr::col(activity::Column::OccurredAt).max(),
            "last_activity_at",
        )
        .from(activity::Entity)
        .and_where(activity::Column::OccurredAt.lte(as_of))
        .group_by_col(activity::Column::PlacementId)
        .to_owned();
    // Commission on the placement by APPROVED or PAID statements of periods begun by
    // `as_of`.
    let earned = Query::select()
        .column((
            commission_line::Entity,
            commission_line::Column::PlacementId,
        ))
        .expr_as(
            Expr::col((
                commission_line::Entity,
                commission_line::Column::CommissionMinor,
            ))
            .sum()
            .cast_as("BIGINT"),
            "commission",
        )
        .from(commission_line::Entity)
        .join(
            JoinType::InnerJoin,
            commission_statement::Entity,
            Expr::col((
                commission_statement::Entity,
                commission_statement::Column::Id,
            ))
            .equals((
                commission_line::Entity,
                commission_line::Column::StatementId,
            )),
        )
        .and_where(
            Expr::col((commission_line::Entity, commission_line::Column::Kind))
                .is_in([LineKind::Payment, LineKind::Clawback]),
        )
        .and_where(
            Expr::col((
                commission_statement::Entity,
                commission_statement::Column::PeriodStart,
            ))
            .lte(as_of.date_naive()),
        )
        .and_where(
            Expr::col((
                commission_statement::Entity,
                commission_statement::Column::Status,
            ))
            .is_in([StatementStatus::Approved, StatementStatus::Paid]),
        )
        .group_by_col((
            commission_line::Entity,
            commission_line::Column::PlacementId,
        ))
        .to_owned();
    let p = |column: placement::Column| Expr::col((placement::Entity, column));
    let select: SelectStatement = Query::select()
        .expr_as(p(placement::Column::Id), "placement_id")
        .expr_as(p(placement::Column::AgencyId), "agency_id")
        .expr_as(
            Expr::col((
                allocation_strategy::Entity,
                allocation_strategy::Column::Code,
            )),
            "segment",
        )
        .expr_as(p(placement::Column::Currency), "currency")
        .expr_as(p(placement::Column::PlacedAt), "placed_at")
        .expr_as(p(placement::Column::EndedAt), "ended_at")
        .expr_as(
            p(placement::Column::BalanceAtPlacementMinor),
            "balance_minor",
        )
        .expr_as(Expr::col(("collected", "collected")), "collected_minor")
        .expr_as(
            Expr::col(("reported", "first_attempt_at")),
            "first_attempt_at",
        )
        .expr_as(
            Expr::col(("reported", "right_party_contact")),
            "right_party_contact",
        )
        .expr_as(Expr::col(("reported", "promised")), "promised")
        .expr_as(
            Expr::col(("reported", "last_activity_at")),
            "last_activity_at",
        )
        .expr_as(Expr::col(("earned", "commission")), "commission_minor")
        .from(placement::Entity)
        .join(
            JoinType::LeftJoin,
            allocation_run::Entity,
            Expr::col((allocation_run::Entity, allocation_run::Column::Id))
                .equals((placement::Entity, placement::Column::AllocationRunId)),
        )
        .join(
            JoinType::LeftJoin,
            allocation_strategy::Entity,
            Expr::col((allocation_strategy::Entity, allocation_strategy::Column::Id))
                .equals((allocation_run::Entity, allocation_run::Column::StrategyId)),
        )
        .join_subquery(
            JoinType::LeftJoin,
            collected,
            "collected",
            Expr::col(("collected", payment::Column::PlacementId))
                .equals((placement::Entity, placement::Column::Id)),
        )
        .join_subquery(
            JoinType::LeftJoin,
            reported,
            "reported",
            Expr::col(("reported", activity::Column::PlacementId))
                .equals((placement::Entity, placement::Column::Id)),
        )
        .join_subquery(
            JoinType::LeftJoin,
            earned,
            "earned",
            Expr::col(("earned", commission_line::Column::PlacementId))
                .equals((placement::Entity, placement::Column::Id)),
        )
        .and_where(p(placement::Column::PlacedAt).lte(as_of))
        .to_owned();
    let rows = PlacementRow::find_by_statement(conn.get_database_backend().build(&select))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| PlacementFact {
            placement_id: row.placement_id,
            agency_id: row.agency_id,
            segment: row.segment.unwrap_or_else(|| NO_STRATEGY.to_owned()),
            currency: row.currency,
            placed_at: row.placed_at,
            ended_at: row.ended_at.filter(|ended| *ended <= as_of),
            balance_minor: row.balance_minor,
            collected_minor: row.collected_minor.unwrap_or(0),
            first_attempt_at: row.first_attempt_at,
            right_party_contact: row.right_party_contact.unwrap_or(0) != 0,
            promised: row.promised.unwrap_or(0) != 0,
            last_activity_at: row.last_activity_at,
            commission_minor: row.commission_minor,
        })
        .collect())
}

/// Promises made by `as_of`, each judged kept or not by the payments on its placement.
async fn promises<C: ConnectionTrait>(
    conn: &C,
    as_of: DateTime<Utc>,
) -> AppResult<Vec<PromiseFact>> {
    /// Placement, made at, amount, due on.
    type Made = (i64, DateTime<Utc>, Option<i64>, Option<NaiveDate>);
    let made: Vec<Made> = activity::Entity::find()
        .select_only()
        .columns([
            activity::Column::PlacementId,
            activity::Column::OccurredAt,
            activity::Column::PromiseAmountMinor,
            activity::Column::PromiseDueOn,
        ])
        .filter(activity::Column::Kind.eq(ActivityKind::PromiseToPay))
        .filter(activity::Column::OccurredAt.lte(as_of))
        .into_tuple()
        .all(conn)
        .await?;
    if made.is_empty() {
        return Ok(Vec::new());
    }
    let promised_on = Query::select()
        .column(activity::Column::PlacementId)
        .from(activity::Entity)
        .and_where(activity::Column::Kind.eq(ActivityKind::PromiseToPay))
        .to_owned();
    let paid: Vec<(i64, DateTime<Utc>, i64)> = payment::Entity::find()
        .select_only()
        .columns([
            payment::Column::PlacementId,
            payment::Column::PaidAt,
            payment::Column::AmountMinor,
        ])
        .filter(payment::Column::PaidAt.lte(as_of))
        .filter(payment::Column::PlacementId.in_subquery(promised_on))
        .into_tuple()
        .all(conn)
        .await?;
    let mut payments: HashMap<i64, Vec<(DateTime<Utc>, i64)>> = HashMap::new();
    for (placement_id, paid_at, amount) in paid {
        payments
            .entry(placement_id)
            .or_default()
            .push((paid_at, amount));
    }
    let mut promises_of: HashMap<i64, Vec<Promise>> = HashMap::new();
    for (placement_id, made_at, amount, due_on) in made {
        if let (Some(amount_minor), Some(due_on)) = (amount, due_on) {
            promises_of.entry(placement_id).or_default().push(Promise {
                made_at,
                amount_minor,
                due_on,
            });
        }
    }
    let mut out = Vec::new();
    for (placement_id, promises) in promises_of {
        let on_it = payments.get(&placement_id).map(Vec::as_slice);
        let kept = promises_kept(&promises, on_it.unwrap_or_default());
        out.extend(
            promises
                .iter()
                .zip(kept)
                .map(|(promise, kept)| PromiseFact {
                    placement_id,
                    due_on: promise.due_on,
                    kept,
                }),
        );
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct IncidentRow {
    agency_id: i64,
    segment: Option<String>,
    currency: Option<String>,
    severity: Severity,
    source: IncidentSource,
    status: IncidentStatus,
    occurred_at: DateTime<Utc>,
}

/// Incidents that occurred by `as_of`, not waived, with their placement's segment.
async fn incidents<C: ConnectionTrait>(
    conn: &C,
    as_of: DateTime<Utc>,
) -> AppResult<Vec<IncidentFact>> {
    let i = |column: compliance_incident::Column| Expr::col((compliance_incident::Entity, column));
    let select = Query::select()
        .expr_as(i(compliance_incident::Column::AgencyId), "agency_id")
        .expr_as(
            Expr::col((
                allocation_strategy::Entity,
                allocation_strategy::Column::Code,
            )),
            "segment",
        )
        .expr_as(
            Expr::col((placement::Entity, placement::Column::Currency)),
            "currency",
        )
        .expr_as(i(compliance_incident::Column::Severity), "severity")
        .expr_as(i(compliance_incident::Column::Source), "source")
        .expr_as(i(compliance_incident::Column::Status), "status")
        .expr_as(i(compliance_incident::Column::OccurredAt), "occurred_at")
        .from(compliance_incident::Entity)
        .join(
            JoinType::LeftJoin,
            placement::Entity,
            Expr::col((placement::Entity, placement::Column::Id)).equals((
                compliance_incident::Entity,
                compliance_incident::Column::PlacementId,
            )),
        )
        .join(
            JoinType::LeftJoin,
            allocation_run::Entity,
            Expr::col((allocation_run::Entity, allocation_run::Column::Id))
                .equals((placement::Entity, placement::Column::AllocationRunId)),
        )
        .join(
            JoinType::LeftJoin,
            allocation_strategy::Entity,
            Expr::col((allocation_strategy::Entity, allocation_strategy::Column::Id))
                .equals((allocation_run::Entity, allocation_run::Column::StrategyId)),
        )
        .and_where(i(compliance_incident::Column::OccurredAt).lte(as_of))
        .and_where(i(compliance_incident::Column::Status).ne(IncidentStatus::Waived))
        .to_owned();
    let rows = IncidentRow::find_by_statement(conn.get_database_backend().build(&select))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| IncidentFact {
            agency_id: row.agency_id,
            placement: row.currency.map(|currency| {
                (
                    row.segment.unwrap_or_else(|| NO_STRATEGY.to_owned()),
                    currency,
                )
            }),
            severity: row.severity,
            complaint: row.source == IncidentSource::Complaint,
            open: matches!(
                row.status,
                IncidentStatus::Open | IncidentStatus::Acknowledged
            ),
            occurred_at: row.occurred_at,
        })
        .collect())
}
