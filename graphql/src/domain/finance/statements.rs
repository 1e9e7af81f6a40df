//! Commission statements: generated per agency and currency from a period's latest
//! reconciliation, then DRAFT → SUBMITTED → APPROVED → PAID, or DISPUTED by the agency.
//!
//! - Lines: one per matched (or ledger-only) payment attributed to the agency, priced by
//!   the plan in force when the money arrived ([`super::commission`]), unless another
//!   period's statement already pays on its ledger entries (overlapping periods may both
//!   list a ledger-only entry, which no run claims); a bonus line (on
//!   the eligible set, as the statement's basis: [`super::commission::pricing`]); a
//!   clawback line per payment reversed within the clawback window after an earlier
//!   statement paid on it; a line per manual adjustment not yet carried.
//! - Regenerating a DRAFT (or DISPUTED) statement rebuilds it from the same facts, so it
//!   is idempotent; a SUBMITTED, APPROVED or PAID statement is never changed.
//! - Whoever generated or submitted a statement cannot approve it (the same person through
//!   any session or token), and an ADMIN approves nothing.
//! - A period's statements are drafted once its books close: on the close day of the month
//!   after the period's last day ([`closes_on`]); before then drafting is a CONFLICT that
//!   says when.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::commission_adjustment;
use entity::commission_line::{self, LineKind};
use entity::commission_statement::{self, StatementStatus};
use entity::ledger_entry::{self, LedgerChannel};
use entity::reconciliation_item::{self, Ids, MatchClass};
use entity::{account, placement, reconciliation_run};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::commission::{self, Earning, LineDraft};
use super::{plans, reconciliation};
use crate::domain::actor::{Caller, Scope};
use crate::domain::allocation::segment::{DpdBucket, bucket_of};
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::tx::{FINANCE_LOCK, begin_write, serialise};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// Rows per query or INSERT.
const CHUNK: usize = 500;

type Group = (i64, String);

/// The day a period's books close: `close_day` of the month after the one holding its
/// last day.
pub fn closes_on(period_end: NaiveDate, close_day: u32) -> NaiveDate {
    use chrono::{Datelike, Months};
    let next_month = period_end.with_day(1).unwrap_or(period_end) + Months::new(1);
    next_month.with_day(close_day).unwrap_or(next_month)
}

/// Why the period cannot be drafted on `today`, if its books are still open.
pub fn still_open(
    (period_start, period_end): (NaiveDate, NaiveDate),
    today: NaiveDate,
    close_day: u32,
) -> Option<String> {
    let closes = closes_on(period_end, close_day);
    (today < closes).then(|| {
        format!(
            "the books of {period_start} to {period_end} close on {closes} (finance.close_day \
             {close_day}), after its last reconciliation: statements are drafted from then on"
        )
    })
}

/// The calendar months whose books closed by `today`, that were reconciled and have no
/// statements yet, oldest first: what the `commission_statements` job drafts.
pub async fn undrafted_months<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    close_day: u32,
) -> AppResult<Vec<(NaiveDate, NaiveDate)>> {
    let reconciled: BTreeSet<(NaiveDate, NaiveDate)> = reconciliation_run::Entity::find()
        .select_only()
        .column(reconciliation_run::Column::PeriodStart)
        .column(reconciliation_run::Column::PeriodEnd)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let drafted: BTreeSet<(NaiveDate, NaiveDate)> = commission_statement::Entity::find()
        .select_only()
        .column(commission_statement::Column::PeriodStart)
        .column(commission_statement::Column::PeriodEnd)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(reconciled
        .into_iter()
        .filter(|period| reconciliation::is_month(*period))
        .filter(|period| still_open(*period, today, close_day).is_none())
        .filter(|period| !drafted.contains(period))
        .collect())
}

/// The latest calendar month whose books closed by `today`, when nobody reconciled it:
/// the `commission_statements` job cannot draft it, and says so.
pub async fn unreconciled_close<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
    close_day: u32,
) -> AppResult<Option<(NaiveDate, NaiveDate)>> {
    let last = reconciliation::previous_month(today);
    let closed = if still_open(last, today, close_day).is_some() {
        reconciliation::previous_month(last.0)
    } else {
        last
    };
    let runs = reconciliation_run::Entity::find()
        .filter(reconciliation_run::Column::PeriodStart.eq(closed.0))
        .filter(reconciliation_run::Column::PeriodEnd.eq(closed.1))
        .count(conn)
        .await?;
    Ok((runs == 0).then_some(closed))
}

/// Builds (or rebuilds) every agency's statement for the period, once its books closed.
#[tracing::instrument(skip_all, fields(%period_start, %period_end), err)]
pub async fn generate(
    db: &DatabaseConnection,
    caller: &Caller,
    (period_start, period_end): (NaiveDate, NaiveDate),
    buckets: &[DpdBucket],
    close_day: u32,
) -> AppResult<Vec<commission_statement::Model>> {
    let (from, to) = reconciliation::instants(period_start, period_end)?;
    if let Some(why) = still_open(
        (period_start, period_end),
        caller.now.date_naive(),
        close_day,
    ) {
        return Err(AppError::Conflict(why));
    }
    let tx = begin_write(db).await?;
    serialise(&tx, FINANCE_LOCK).await?;
    let run = reconciliation_run::Entity::find()
        .filter(reconciliation_run::Column::PeriodStart.eq(period_start))
        .filter(reconciliation_run::Column::PeriodEnd.eq(period_end))
        .order_by_desc(reconciliation_run::Column::Id)
        .one(&tx)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "no reconciliation of {period_start} to {period_end}: reconcile the period first"
            ))
        })?;
    let attributed: Vec<reconciliation_item::Model> = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::RunId.eq(run.id))
        .filter(reconciliation_item::Column::AgencyId.is_not_null())
        .filter(reconciliation_item::Column::Class.ne(MatchClass::Reversed))
        .order_by_asc(reconciliation_item::Column::Id)
        .all(&tx)
        .await?;
    let all_plans = plans::list(&tx, None).await?;
    let entries = entries_of(
        &tx,
        attributed.iter().flat_map(|i| i.ledger_entry_ids.0.clone()),
    )
    .await?;
    // The agency kept its fee on every NET remittance it made, matched or not.
    let mut fees: BTreeMap<Group, i64> = BTreeMap::new();
    for item in &attributed {
        let Some(agency_id) = item.agency_id else {
            continue;
        };
        *fees.entry((agency_id, item.currency.clone())).or_default() += item
            .ledger_entry_ids
            .0
            .iter()
            .filter_map(|id| entries.get(id))
            .filter(|e| e.channel == LedgerChannel::AgencyRemittanceNet)
            .map(|e| e.gross_minor - e.amount_minor)
            .sum::<i64>();
    }
    let items: Vec<&reconciliation_item::Model> = attributed
        .iter()
        .filter(|i| matches!(i.class, MatchClass::Matched | MatchClass::LedgerOnly))
        .collect();
    let placements = by_ids::<_, placement::Entity>(
        &tx,
        placement::Column::Id,
        items.iter().filter_map(|i| i.placement_id),
        |p| p.id,
    )
    .await?;
    let accounts = by_ids::<_, account::Entity>(
        &tx,
        account::Column::Id,
        placements.values().map(|p| p.account_id),
        |a| a.id,
    )
    .await?;

    let paid = paid_elsewhere(
        &tx,
        (period_start, period_end),
        items.iter().map(|i| i.account_id),
    )
    .await?;
    let mut earnings: BTreeMap<Group, Vec<Earning>> = BTreeMap::new();
    for item in items {
        let (Some(agency_id), Some(placement)) = (
            item.agency_id,
            item.placement_id.and_then(|id| placements.get(&id)),
        ) else {
            continue;
        };
        let own: Vec<&ledger_entry::Model> = item
            .ledger_entry_ids
            .0
            .iter()
            .filter_map(|id| entries.get(id))
            .collect();
        // Money another period's statement pays on (an overlapping period's LEDGER_ONLY
        // line, say) earns once.
        if own.iter().any(|e| paid.contains(&e.id)) {
            continue;
        }
        let Some(arrived) = own.iter().map(|e| e.received_at).max() else {
            continue;
        };
        let group = (agency_id, item.currency.clone());
        let days_past_due = accounts
            .get(&placement.account_id)
            .map(|a| (placement.placed_at.date_naive() - a.delinquency_start).num_days());
        let plan = plans::in_force(&all_plans, agency_id, arrived.date_naive(), &item.currency)
            .map(|p| (p.id, p.rules.clone()));
        earnings.entry(group).or_default().push(Earning {
            account_id: item.account_id,
            placement_id: placement.id,
            payment_ids: item.payment_ids.0.clone(),
            ledger_entry_ids: item.ledger_entry_ids.0.clone(),
            basis_minor: item.received_minor,
            level: placement.level,
            dpd_bucket: days_past_due
                .and_then(|days| bucket_of(buckets, days))
                .map(|b| b.name.clone()),
            balance_at_placement_minor: placement.balance_at_placement_minor,
            direct: own.iter().any(|e| e.channel == LedgerChannel::LenderDirect),
            plan,
        });
    }
    let clawbacks = clawbacks(&tx, (period_start, period_end), to, &all_plans).await?;
    let adjustments = commission_adjustment::Entity::find()
        .order_by_asc(commission_adjustment::Column::Id)
        .all(&tx)
        .await?;
    // Locked: a submit or approval waits, and the status read is the one written over.
    let existing: HashMap<Group, commission_statement::Model> =
        commission_statement::Entity::find()
            .filter(commission_statement::Column::PeriodStart.eq(period_start))
            .filter(commission_statement::Column::PeriodEnd.eq(period_end))
            .lock_exclusive()
            .all(&tx)
            .await?
            .into_iter()
            .map(|s| ((s.agency_id, s.currency.clone()), s))
            .collect();
    let open = |group: &Group| {
        existing
            .get(group)
            .is_none_or(|s| matches!(s.status, StatementStatus::Draft | StatementStatus::Disputed))
    };
    let pending: Vec<&commission_adjustment::Model> = adjustments
        .iter()
        .filter(|a| {
            let group = (a.agency_id, a.currency.clone());
            match a.statement_id {
                None => open(&group),
                Some(id) => existing.get(&group).is_some_and(|s| s.id == id) && open(&group),
            }
        })
        .collect();
    // Every open statement is rebuilt, even one left with nothing to pay.
    let groups: BTreeSet<Group> = earnings
        .keys()
        .cloned()
        .chain(existing.keys().filter(|g| open(g)).cloned())
        .chain(
            fees.iter()
                .filter(|(_, fee)| **fee != 0)
                .map(|(g, _)| g.clone()),
        )
        .chain(clawbacks.keys().cloned())
        .chain(pending.iter().map(|a| (a.agency_id, a.currency.clone())))
        .collect();
    let placed = balance_placed(&tx, (from, to)).await?;

    let mut out = Vec::new();
    for group in groups {
        if !open(&group) {
            out.extend(existing.get(&group).cloned());
            continue;
        }
        let own = earnings.remove(&group).unwrap_or_default();
        let end_plan = plans::in_force(&all_plans, group.0, period_end, &group.1);
        let mut lines =
            commission::payment_lines(&own, end_plan.and_then(|p| p.rules.cap_per_account_minor));
        if let Some(plan) = end_plan {
            lines.extend(commission::bonus_line(
                (plan.id, &plan.rules),
                &own,
                placed.get(&group).copied().unwrap_or_default(),
            ));
        }
        lines.extend(clawbacks.get(&group).cloned().unwrap_or_default());
        let carried: Vec<&commission_adjustment::Model> = pending
            .iter()
            .copied()
            .filter(|a| a.agency_id == group.0 && a.currency == group.1)
            .collect();
        lines.extend(carried.iter().map(|a| LineDraft {
            kind: LineKind::Adjustment,
            account_id: None,
            placement_id: None,
            payment_ids: Vec::new(),
            ledger_entry_ids: Vec::new(),
            plan_id: None,
            rule: "manual adjustment".into(),
            rate_bp: 0,
            basis_minor: 0,
            commission_minor: a.amount_minor,
            note: a.reason.clone(),
        }));
        let statement = store(
            &tx,
            caller,
            existing.get(&group),
            (&group, period_start, period_end, run.id),
            (&lines, commission::eligible_basis(&own)),
            fees.get(&group).copied().unwrap_or_default(),
        )
        .await?;
        for adjustment in carried {
            let mut linked = adjustment.clone().into_active_model();
            linked.statement_id = Set(Some(statement.id));
            linked.update(&tx).await?;
        }
        out.push(statement);
    }
    tx.commit().await?;
    Ok(out)
}

/// The ledger entries of these accounts that a PAYMENT line of another period's statement
/// earns on: the statement that took an entry first keeps it.
async fn paid_elsewhere<C: ConnectionTrait>(
    conn: &C,
    (period_start, period_end): (NaiveDate, NaiveDate),
    accounts: impl IntoIterator<Item = i64>,
) -> AppResult<HashSet<i64>> {
    let others = Query::select()
        .column(commission_statement::Column::Id)
        .from(commission_statement::Entity)
        .cond_where(
            Condition::any()
                .add(commission_statement::Column::PeriodStart.ne(period_start))
                .add(commission_statement::Column::PeriodEnd.ne(period_end)),
        )
        .to_owned();
    Ok(commission_line::Entity::find()
        .filter(commission_line::Column::Kind.eq(LineKind::Payment))
        .filter(any_of(
            conn.get_database_backend(),
            commission_line::Column::AccountId,
            accounts,
        ))
        .filter(commission_line::Column::StatementId.in_subquery(others))
        .all(conn)
        .await?
        .into_iter()
        .flat_map(|line| line.ledger_entry_ids.0)
        .collect())
}

/// The commission and the totals of a statement with these lines.
fn totals(lines: &[LineDraft], fee_withheld_minor: i64) -> (i64, serde_json::Value) {
    let of = |kind: LineKind| -> i64 {
        lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.commission_minor)
            .sum()
    };
    let commission: i64 = lines.iter().map(|l| l.commission_minor).sum();
    (
        commission,
        json!({
            "paymentsMinor": of(LineKind::Payment),
            "bonusMinor": of(LineKind::Bonus),
            "clawbacksMinor": of(LineKind::Clawback),
            "adjustmentsMinor": of(LineKind::Adjustment),
            "commissionMinor": commission,
            "feeWithheldMinor": fee_withheld_minor,
            "payableMinor": commission - fee_withheld_minor,
        }),
    )
}

async fn store<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    existing: Option<&commission_statement::Model>,
    ((agency_id, currency), period_start, period_end, run_id): (&Group, NaiveDate, NaiveDate, i64),
    (lines, basis): (&[LineDraft], i64),
    fee_withheld_minor: i64,
) -> AppResult<commission_statement::Model> {
    let now = caller.now;
    let (commission, totals) = totals(lines, fee_withheld_minor);
    let before = existing.map(view);
    let statement = match existing {
        Some(current) => {
            commission_line::Entity::delete_many()
                .filter(commission_line::Column::StatementId.eq(current.id))
                .exec(conn)
                .await?;
            let mut row = current.clone().into_active_model();
            row.status = Set(StatementStatus::Draft);
            row.reconciliation_run_id = Set(run_id);
            row.basis_minor = Set(basis);
            row.commission_minor = Set(commission);
            row.fee_withheld_minor = Set(fee_withheld_minor);
            row.totals = Set(totals);
            row.generated_by = Set(caller.actor.audit_name());
            row.generated_at = Set(now);
            row.dispute_reason = Set(None);
            row.updated_at = Set(now);
            row.update(conn).await?
        }
        None => {
            commission_statement::ActiveModel {
                agency_id: Set(*agency_id),
                period_start: Set(period_start),
                period_end: Set(period_end),
                currency: Set(currency.clone()),
                status: Set(StatementStatus::Draft),
                reconciliation_run_id: Set(run_id),
                basis_minor: Set(basis),
                commission_minor: Set(commission),
                fee_withheld_minor: Set(fee_withheld_minor),
                totals: Set(totals),
                generated_by: Set(caller.actor.audit_name()),
                generated_at: Set(now),
                submitted_by: Set(None),
                submitted_at: Set(None),
                approved_by: Set(None),
                approved_at: Set(None),
                paid_by: Set(None),
                paid_at: Set(None),
                dispute_reason: Set(None),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await?
        }
    };
    let rows: Vec<commission_line::ActiveModel> = lines
        .iter()
        .map(|l| commission_line::ActiveModel {
            statement_id: Set(statement.id),
            kind: Set(l.kind),
            account_id: Set(l.account_id),
            placement_id: Set(l.placement_id),
            payment_ids: Set(Ids(l.payment_ids.clone())),
            ledger_entry_ids: Set(Ids(l.ledger_entry_ids.clone())),
            plan_id: Set(l.plan_id),
            rule: Set(l.rule.clone()),
            rate_bp: Set(l.rate_bp),
            basis_minor: Set(l.basis_minor),
            commission_minor: Set(l.commission_minor),
            note: Set(l.note.clone()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        commission_line::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    audit::record(
        conn,
        caller,
        Change {
            action: "commission_statement.generate",
            entity_type: "commission_statement",
            entity_id: statement.id.to_string(),
            before,
            after: Some(view(&statement)),
        },
    )
    .await?;
    Ok(statement)
}

fn view(s: &commission_statement::Model) -> serde_json::Value {
    json!({
        "agencyId": s.agency_id,
        "periodStart": s.period_start,
        "periodEnd": s.period_end,
        "currency": s.currency,
        "status": s.status,
        "reconciliationRunId": s.reconciliation_run_id,
        "totals": s.totals,
        "generatedBy": s.generated_by,
        "submittedBy": s.submitted_by,
        "approvedBy": s.approved_by,
        "paidBy": s.paid_by,
        "disputeReason": s.dispute_reason,
    })
}

/// The rows of `E` with these ids, fetched in chunks, keyed by `id_of`.
async fn by_ids<C, E>(
    conn: &C,
    column: E::Column,
    ids: impl Iterator<Item = i64>,
    id_of: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, E::Model>>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let ids: Vec<i64> = ids.collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            E::find()
                .filter(column.is_in(chunk.iter().copied()))
                .all(conn)
                .await?
                .into_iter()
                .map(|row| (id_of(&row), row)),
        );
    }
    Ok(out)
}

async fn entries_of<C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, ledger_entry::Model>> {
    by_ids::<_, ledger_entry::Entity>(conn, ledger_entry::Column::Id, ids, |e| e.id).await
}

/// The balance at placement of every placement held at some time in the period, per
/// agency and currency: the denominator of the period's recovery rate.
async fn balance_placed<C: ConnectionTrait>(
    conn: &C,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<HashMap<Group, i64>> {
    let held = placement::Entity::find()
        .filter(placement::Column::PlacedAt.lt(to))
        .filter(
            placement::Column::EndedAt
                .is_null()
                .or(placement::Column::EndedAt.gte(from)),
        )
        .all(conn)
        .await?;
    let mut out: HashMap<Group, i64> = HashMap::new();
    for p in held {
        *out.entry((p.agency_id, p.currency)).or_default() += p.balance_at_placement_minor;
    }
    Ok(out)
}

/// Clawback lines: reversals received by the period's end of entries that earned
/// commission on another period's submitted, approved or paid statement, within that
/// plan's clawback window, and not clawed back on another statement yet. A reversed part
/// of a split payment takes back its share of the line.
async fn clawbacks<C: ConnectionTrait>(
    conn: &C,
    (period_start, period_end): (NaiveDate, NaiveDate),
    to: DateTime<Utc>,
    all_plans: &[entity::commission_plan::Model],
) -> AppResult<BTreeMap<Group, Vec<LineDraft>>> {
    let reversals = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ReversesId.is_not_null())
        .filter(ledger_entry::Column::ReceivedAt.lt(to))
        .order_by_asc(ledger_entry::Column::Id)
        .all(conn)
        .await?;
    if reversals.is_empty() {
        return Ok(BTreeMap::new());
    }
    let originals = entries_of(conn, reversals.iter().filter_map(|r| r.reverses_id)).await?;
    let others: HashMap<i64, commission_statement::Model> = commission_statement::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .filter(|s| (s.period_start, s.period_end) != (period_start, period_end))
        .map(|s| (s.id, s))
        .collect();
    let lines = commission_line::Entity::find()
        .filter(commission_line::Column::StatementId.is_in(others.keys().copied()))
        .filter(commission_line::Column::Kind.is_in([LineKind::Payment, LineKind::Clawback]))
        .all(conn)
        .await?;
    let settled = |statement: &commission_statement::Model| {
        matches!(
            statement.status,
            StatementStatus::Submitted | StatementStatus::Approved | StatementStatus::Paid
        )
    };
    let mut out: BTreeMap<Group, Vec<LineDraft>> = BTreeMap::new();
    for reversal in reversals {
        let Some(original) = reversal.reverses_id.and_then(|id| originals.get(&id)) else {
            continue;
        };
        let touches = |l: &&commission_line::Model| l.ledger_entry_ids.0.contains(&original.id);
        // A clawback line names the one entry it takes back.
        if lines
            .iter()
            .filter(touches)
            .any(|l| l.kind == LineKind::Clawback)
        {
            continue;
        }
        let Some((earned, statement)) = lines
            .iter()
            .filter(touches)
            .filter(|l| l.kind == LineKind::Payment && l.commission_minor != 0)
            .find_map(|l| Some((l, others.get(&l.statement_id).filter(|s| settled(s))?)))
        else {
            continue;
        };
        let window = earned
            .plan_id
            .and_then(|id| all_plans.iter().find(|p| p.id == id))
            .map_or(0, |p| p.rules.clawback_days);
        if reversal.received_at - original.received_at > Duration::days(window.into()) {
            continue;
        }
        let basis = Ord::min(original.gross_minor, earned.basis_minor);
        let commission = if basis == earned.basis_minor || earned.basis_minor == 0 {
            earned.commission_minor
        } else {
            share(earned.commission_minor, basis, earned.basis_minor)
        };
        out.entry((statement.agency_id, statement.currency.clone()))
            .or_default()
            .push(LineDraft {
                kind: LineKind::Clawback,
                account_id: earned.account_id,
                placement_id: earned.placement_id,
                payment_ids: earned.payment_ids.0.clone(),
                ledger_entry_ids: vec![original.id],
                plan_id: earned.plan_id,
                rule: format!(
                    "clawback: ledger entry {} reversed on {}, within the {window}-day window",
                    original.reference,
                    reversal.received_at.date_naive()
                ),
                rate_bp: earned.rate_bp,
                basis_minor: -basis,
                commission_minor: -commission,
                note: format!(
                    "earned on the statement of {} to {}",
                    statement.period_start, statement.period_end
                ),
            });
    }
    Ok(out)
}

/// `amount × part ÷ whole`, rounded half-up to the minor unit.
fn share(amount: i64, part: i64, whole: i64) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (rust_decimal::Decimal::from(amount) * rust_decimal::Decimal::from(part)
        / rust_decimal::Decimal::from(whole))
    .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    .to_i64()
    .unwrap_or(amount)
}

/// A manual correction, carried by the agency's next generated statement.
pub async fn add_adjustment(
    db: &DatabaseConnection,
    caller: &Caller,
    agency_id: i64,
    (amount_minor, currency): (i64, String),
    reason: &str,
) -> AppResult<commission_adjustment::Model> {
    let reason = validate::text("reason", reason, 2000)?;
    if amount_minor == 0 {
        return Err(AppError::bad_input("amount", "an adjustment of nothing"));
    }
    let tx = begin_write(db).await?;
    crate::domain::agencies::get(&tx, Scope::Lender, agency_id).await?;
    let adjustment = commission_adjustment::ActiveModel {
        agency_id: Set(agency_id),
        amount_minor: Set(amount_minor),
        currency: Set(currency),
        reason: Set(reason),
        statement_id: Set(None),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "commission_adjustment.create",
            entity_type: "commission_adjustment",
            entity_id: adjustment.id.to_string(),
            before: None,
            after: Some(json!({
                "agencyId": adjustment.agency_id,
                "amountMinor": adjustment.amount_minor,
                "currency": adjustment.currency,
                "reason": adjustment.reason,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(adjustment)
}

/// A step of the lifecycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Submit,
    Approve,
    MarkPaid,
    Dispute,
}

/// Moves a statement one step: DRAFT → SUBMITTED → APPROVED → PAID; SUBMITTED →
/// DISPUTED (by its agency, with a reason). Approval needs a fourth eye.
pub async fn step(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    step: Step,
    reason: Option<&str>,
) -> AppResult<commission_statement::Model> {
    let reason = match step {
        Step::Dispute => Some(validate::text("reason", reason.unwrap_or_default(), 2000)?),
        _ => None,
    };
    let tx = begin_write(db).await?;
    let current = commission_statement::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("commission statement", id))?;
    caller
        .actor
        .scope()
        .allows_agency(current.agency_id, "commission statements")?;
    let (from, to) = match step {
        Step::Submit => (StatementStatus::Draft, StatementStatus::Submitted),
        Step::Approve => (StatementStatus::Submitted, StatementStatus::Approved),
        Step::MarkPaid => (StatementStatus::Approved, StatementStatus::Paid),
        Step::Dispute => (StatementStatus::Submitted, StatementStatus::Disputed),
    };
    if current.status != from {
        return Err(AppError::Conflict(format!(
            "statement {id} is {}: only a {} statement can become {}",
            current.status.to_value(),
            from.to_value(),
            to.to_value()
        )));
    }
    if step == Step::Approve {
        caller.actor.require_other_than(
            [Some(current.generated_by.as_str()), current.submitted_by.as_deref()],
            "whoever generated or submitted a statement cannot approve it, through any session or token",
        )?;
    }
    let me = caller.actor.audit_name();
    let now = caller.now;
    let mut row = current.clone().into_active_model();
    row.status = Set(to);
    row.updated_at = Set(now);
    match step {
        Step::Submit => {
            row.submitted_by = Set(Some(me));
            row.submitted_at = Set(Some(now));
        }
        Step::Approve => {
            row.approved_by = Set(Some(me));
            row.approved_at = Set(Some(now));
        }
        Step::MarkPaid => {
            row.paid_by = Set(Some(me));
            row.paid_at = Set(Some(now));
        }
        Step::Dispute => row.dispute_reason = Set(reason),
    }
    let updated = row.update(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "commission_statement.change_status",
            entity_type: "commission_statement",
            entity_id: id.to_string(),
            before: Some(view(&current)),
            after: Some(view(&updated)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Statements, newest first; an agency sees its own.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    (agency_id, status): (Option<i64>, Option<StatementStatus>),
    page: crate::domain::page::PageRequest,
) -> AppResult<crate::domain::page::Page<commission_statement::Model>> {
    if let Some(agency_id) = agency_id {
        scope.allows_agency(agency_id, "commission statements")?;
    }
    let mut select = commission_statement::Entity::find();
    if let Scope::Agency(own) = scope {
        select = select.filter(commission_statement::Column::AgencyId.eq(own));
    }
    if let Some(agency_id) = agency_id {
        select = select.filter(commission_statement::Column::AgencyId.eq(agency_id));
    }
    if let Some(status) = status {
        select = select.filter(commission_statement::Column::Status.eq(status));
    }
    crate::domain::page::fetch_page(
        conn,
        select,
        commission_statement::Column::Id,
        page,
        crate::domain::page::Direction::Descending,
    )
    .await
}

/// A statement; an agency may read its own.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    id: i64,
) -> AppResult<commission_statement::Model> {
    let statement = commission_statement::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("commission statement", id))?;
    scope.allows_agency(statement.agency_id, "commission statements")?;
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_books_close_on_the_close_day_of_the_next_month() {
        assert_eq!(closes_on(date(2026, 10, 31), 7), date(2026, 11, 7));
        assert_eq!(closes_on(date(2026, 12, 31), 7), date(2027, 1, 7));
        assert_eq!(closes_on(date(2027, 1, 15), 28), date(2027, 2, 28));
        let october = (date(2026, 10, 1), date(2026, 10, 31));
        assert!(
            still_open(october, date(2026, 11, 6), 7)
                .unwrap()
                .contains("close on 2026-11-07")
        );
        assert_eq!(still_open(october, date(2026, 11, 7), 7), None);
    }
}
