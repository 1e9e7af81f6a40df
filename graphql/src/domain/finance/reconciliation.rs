//! `runReconciliation` and the `reconciliation` job: a period's agency-reported payments
//! matched against the ledger (see [`super::matching`]), stored as a run with its items.
//!
//! - The period is whole UTC days, `periodStart` to `periodEnd` inclusive. Payments made in
//!   it are reconciled against entries received from `window_days` before it to
//!   `window_days` after it, leaving out the payments and entries the latest run of another
//!   period matched (MATCHED or AMOUNT_MISMATCH), so each is matched once across all runs,
//!   even of overlapping periods: a run records what it matched in `reconciliation_matches`,
//!   unique per payment and per entry, taking over what the period's earlier runs held.
//! - A reversed entry takes no part in matching ([`super::matching`]).
//! - LEDGER_ONLY money is attributed to the agency holding the account when it arrived,
//!   or to the one whose placement ended within the tail period before.
//! - Re-running a period gives the same items when nothing changed; the summary lists
//!   what changed since the period's previous run, and finance's resolutions of the
//!   previous run's exceptions carry to the same lines ([`super::resolution`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::job_run::RunTrigger;
use entity::placement;
use entity::reconciliation_item::{self, Ids, MatchClass};
use entity::{ledger_entry, payment, reconciliation_match, reconciliation_run};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::json;

use super::matching::{self, Line, Received, Reported};
use super::resolution;
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::tx::{FINANCE_LOCK, begin_write, serialise};
use crate::error::{AppError, AppResult};

/// Longest period one run covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Rows per INSERT.
const CHUNK: usize = 500;
/// How many changed lines a summary lists.
const CHANGES_LISTED: usize = 50;

/// How reconciliation matches and attributes, and when a month's books close.
#[derive(Clone, Debug)]
pub struct ReconcileSettings {
    pub window: Duration,
    pub tail: Duration,
    /// The day of the following month on which a period's reconciliation closes and its
    /// commission statements may be drafted (`finance.close_day`).
    pub close_day: u32,
}

/// The instants of a period of whole days: `[start 00:00, end + 1 day 00:00)` UTC.
pub fn instants(start: NaiveDate, end: NaiveDate) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    if end < start {
        return Err(AppError::bad_input(
            "periodEnd",
            "the period cannot end before it starts",
        ));
    }
    use chrono::Datelike;
    if !(2000..=2200).contains(&start.year()) || !(2000..=2200).contains(&end.year()) {
        return Err(AppError::bad_input(
            "periodStart",
            "periods lie between the years 2000 and 2200",
        ));
    }
    if (end - start).num_days() >= MAX_PERIOD_DAYS {
        return Err(AppError::bad_input(
            "periodEnd",
            format!("a period is at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    let from = start.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let to = (end + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    from.zip(to)
        .ok_or_else(|| AppError::bad_input("periodStart", "a date out of range"))
}

pub struct RunOutcome {
    pub run: reconciliation_run::Model,
    pub items: Vec<reconciliation_item::Model>,
}

/// Reconciles a period as of now; see the module documentation.
#[tracing::instrument(skip_all, fields(%period_start, %period_end), err)]
pub async fn run(
    db: &DatabaseConnection,
    caller: &Caller,
    (period_start, period_end): (NaiveDate, NaiveDate),
    trigger: RunTrigger,
    settings: &ReconcileSettings,
) -> AppResult<RunOutcome> {
    let (from, to) = instants(period_start, period_end)?;
    let window = settings.window;
    let tx = begin_write(db).await?;
    serialise(&tx, FINANCE_LOCK).await?;
    let payments: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::PaidAt.gte(from))
        .filter(payment::Column::PaidAt.lt(to))
        .order_by_asc(payment::Column::Id)
        .all(&tx)
        .await?;
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ReceivedAt.gte(from - window))
        .filter(ledger_entry::Column::ReceivedAt.lt(to + window))
        .all(&tx)
        .await?;
    let claimed = matched_elsewhere(
        &tx,
        (period_start, period_end),
        payments.iter().map(|p| p.id),
        entries.iter().map(|e| e.id),
    )
    .await?;
    let payments: Vec<payment::Model> = payments
        .into_iter()
        .filter(|p| !claimed.payments.contains(&p.id))
        .collect();
    // The placement and agency of each reported payment.
    let placements_by_payment: HashMap<i64, (i64, i64)> = payments
        .iter()
        .map(|p| (p.id, (p.placement_id, p.agency_id)))
        .collect();
    let reported: Vec<Reported> = payments
        .into_iter()
        .map(|p| Reported {
            id: p.id,
            account_id: p.account_id,
            amount_minor: p.amount_minor,
            currency: p.currency,
            paid_at: p.paid_at,
        })
        .collect();
    let reversed: HashSet<i64> = entries.iter().filter_map(|e| e.reverses_id).collect();
    let later_reversals: HashSet<i64> = ledger_entry::Entity::find()
        .select_only()
        .column(ledger_entry::Column::ReversesId)
        .filter(ledger_entry::Column::ReversesId.is_not_null())
        .filter(ledger_entry::Column::ReceivedAt.gte(to + window))
        .into_tuple::<Option<i64>>()
        .all(&tx)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let received: Vec<Received> = entries
        .iter()
        .filter(|e| e.reverses_id.is_none() && !claimed.entries.contains(&e.id))
        .map(|e| Received {
            id: e.id,
            account_id: e.account_id,
            gross_minor: e.gross_minor,
            currency: e.currency.clone(),
            received_at: e.received_at,
            reversed: reversed.contains(&e.id) || later_reversals.contains(&e.id),
        })
        .collect();
    let lines = matching::reconcile(&reported, &received, window, (from, to));

    let arrivals: HashMap<i64, (DateTime<Utc>, Option<i64>)> = entries
        .iter()
        .map(|e| (e.id, (e.received_at, e.agency_id)))
        .collect();
    let holders = holders(&tx, &lines).await?;
    let previous = reconciliation_run::Entity::find()
        .filter(reconciliation_run::Column::PeriodStart.eq(period_start))
        .filter(reconciliation_run::Column::PeriodEnd.eq(period_end))
        .order_by_desc(reconciliation_run::Column::Id)
        .one(&tx)
        .await?;
    let carried = match &previous {
        Some(previous) => resolution::resolved(&tx, previous.id).await?,
        None => HashMap::new(),
    };
    let run = reconciliation_run::ActiveModel {
        period_start: Set(period_start),
        period_end: Set(period_end),
        trigger: Set(trigger),
        window_days: Set(i32::try_from(window.num_days()).unwrap_or(i32::MAX)),
        summary: Set(json!({})),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let rows: Vec<reconciliation_item::ActiveModel> = lines
        .iter()
        .map(|line| {
            let (placement, agency) = match line.payment_ids.first() {
                Some(id) => placements_by_payment.get(id).copied().unzip(),
                // A remittance is its remitting agency's; direct money the holder's.
                None => line
                    .ledger_ids
                    .first()
                    .and_then(|id| arrivals.get(id))
                    .and_then(|(at, remitter)| {
                        let held: Vec<placement::Model> = holders
                            .get(&line.account_id)?
                            .iter()
                            .filter(|p| remitter.is_none_or(|agency| p.agency_id == agency))
                            .cloned()
                            .collect();
                        attribute(&held, *at, settings.tail)
                    })
                    .unzip(),
            };
            let item = reconciliation_item::ActiveModel {
                run_id: Set(run.id),
                class: Set(line.class),
                account_id: Set(line.account_id),
                agency_id: Set(agency),
                placement_id: Set(placement),
                payment_ids: Set(Ids(line.payment_ids.clone())),
                ledger_entry_ids: Set(Ids(line.ledger_ids.clone())),
                reported_minor: Set(line.reported_minor),
                received_minor: Set(line.received_minor),
                currency: Set(line.currency.clone()),
                detail: Set(detail(line)),
                ..Default::default()
            };
            resolution::carry(item, &carried)
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        reconciliation_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&tx)
            .await?;
    }
    record_matches(&tx, &run, &lines).await?;
    let items = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::RunId.eq(run.id))
        .order_by_asc(reconciliation_item::Column::Id)
        .all(&tx)
        .await?;
    let changes = match &previous {
        Some(previous) => Some(changes(&tx, previous.id, &items).await?),
        None => None,
    };
    let summary = summary(&items, previous.as_ref().map(|p| p.id), changes);
    let mut stored: reconciliation_run::ActiveModel = run.into();
    stored.summary = Set(summary.clone());
    let run = stored.update(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "reconciliation_run.create",
            entity_type: "reconciliation_run",
            entity_id: run.id.to_string(),
            before: None,
            after: Some(json!({
                "periodStart": period_start,
                "periodEnd": period_end,
                "summary": summary,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RunOutcome { run, items })
}

fn detail(line: &Line) -> String {
    match line.class {
        MatchClass::Matched if line.payment_ids.len() + line.ledger_ids.len() > 2 => {
            "matched as a split payment".into()
        }
        MatchClass::Matched => "matched".into(),
        MatchClass::AgencyOnly => "reported by the agency; not received".into(),
        MatchClass::LedgerOnly => "received; not reported by any agency".into(),
        MatchClass::AmountMismatch => format!(
            "reported {} and received {} (minor units) within the window",
            line.reported_minor, line.received_minor
        ),
        MatchClass::Reversed => "received, then reversed".into(),
    }
}

/// The payments and ledger entries the latest runs of other periods matched.
#[derive(Debug, Default)]
struct Matched {
    payments: HashSet<i64>,
    entries: HashSet<i64>,
}

/// The runs of the period `(start, end)`.
fn runs_of(start: NaiveDate, end: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(reconciliation_run::Column::Id)
        .from(reconciliation_run::Entity)
        .and_where(reconciliation_run::Column::PeriodStart.eq(start))
        .and_where(reconciliation_run::Column::PeriodEnd.eq(end))
        .to_owned()
}

/// Which of these payments and entries the latest run of another period matched, whatever
/// that period is.
async fn matched_elsewhere<C: ConnectionTrait>(
    conn: &C,
    (start, end): (NaiveDate, NaiveDate),
    payments: impl IntoIterator<Item = i64>,
    entries: impl IntoIterator<Item = i64>,
) -> AppResult<Matched> {
    let backend = conn.get_database_backend();
    let rows: Vec<(Option<i64>, Option<i64>)> = reconciliation_match::Entity::find()
        .select_only()
        .column(reconciliation_match::Column::PaymentId)
        .column(reconciliation_match::Column::LedgerEntryId)
        .filter(
            any_of(backend, reconciliation_match::Column::PaymentId, payments).or(any_of(
                backend,
                reconciliation_match::Column::LedgerEntryId,
                entries,
            )),
        )
        .filter(reconciliation_match::Column::RunId.not_in_subquery(runs_of(start, end)))
        .into_tuple()
        .all(conn)
        .await?;
    let mut matched = Matched::default();
    for (payment, entry) in rows {
        matched.payments.extend(payment);
        matched.entries.extend(entry);
    }
    Ok(matched)
}

/// Records what `run` matched, taking over from the period's earlier runs. The unique keys
/// refuse a record another period's latest run holds: a CONFLICT (another run of an
/// overlapping period committed it since this run read the claims).
async fn record_matches<C: ConnectionTrait>(
    conn: &C,
    run: &reconciliation_run::Model,
    lines: &[Line],
) -> AppResult<()> {
    reconciliation_match::Entity::delete_many()
        .filter(
            reconciliation_match::Column::RunId
                .in_subquery(runs_of(run.period_start, run.period_end)),
        )
        .filter(reconciliation_match::Column::RunId.ne(run.id))
        .exec(conn)
        .await?;
    let row = |payment_id, ledger_entry_id| reconciliation_match::ActiveModel {
        run_id: Set(run.id),
        payment_id: Set(payment_id),
        ledger_entry_id: Set(ledger_entry_id),
        ..Default::default()
    };
    let rows: Vec<reconciliation_match::ActiveModel> = lines
        .iter()
        .filter(|l| matches!(l.class, MatchClass::Matched | MatchClass::AmountMismatch))
        .flat_map(|l| {
            l.payment_ids
                .iter()
                .map(|&id| row(Some(id), None))
                .chain(l.ledger_ids.iter().map(|&id| row(None, Some(id))))
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        reconciliation_match::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(format!(
                    "a run of a period overlapping {} to {} matched some of the same payments \
                     or ledger entries at the same time: run the period again",
                    run.period_start, run.period_end
                )),
                _ => err.into(),
            })?;
    }
    Ok(())
}

/// Releases what the lines holding these (now reversed) ledger entries matched: the
/// entries, the payments paired with them and the other parts of a split, so another
/// period can pair those payments with the money that stayed. Audited per entry, in the
/// caller's transaction (the reversal's import).
pub async fn release_reversed<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    reversed: &[ledger_entry::Model],
) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let claims: Vec<(i64, Option<i64>)> = reconciliation_match::Entity::find()
        .select_only()
        .column(reconciliation_match::Column::RunId)
        .column(reconciliation_match::Column::LedgerEntryId)
        .filter(any_of(
            backend,
            reconciliation_match::Column::LedgerEntryId,
            reversed.iter().map(|e| e.id),
        ))
        .into_tuple()
        .all(conn)
        .await?;
    if claims.is_empty() {
        return Ok(());
    }
    let items = reconciliation_item::Entity::find()
        .filter(any_of(
            backend,
            reconciliation_item::Column::RunId,
            claims.iter().map(|(run, _)| *run),
        ))
        .filter(any_of(
            backend,
            reconciliation_item::Column::AccountId,
            reversed.iter().map(|e| e.account_id),
        ))
        .filter(
            reconciliation_item::Column::Class
                .is_in([MatchClass::Matched, MatchClass::AmountMismatch]),
        )
        .all(conn)
        .await?;
    for (run_id, entry_id) in claims {
        let Some(entry_id) = entry_id else { continue };
        let Some(line) = items
            .iter()
            .find(|i| i.run_id == run_id && i.ledger_entry_ids.0.contains(&entry_id))
        else {
            continue;
        };
        reconciliation_match::Entity::delete_many()
            .filter(reconciliation_match::Column::RunId.eq(run_id))
            .filter(
                any_of(
                    backend,
                    reconciliation_match::Column::PaymentId,
                    line.payment_ids.0.clone(),
                )
                .or(any_of(
                    backend,
                    reconciliation_match::Column::LedgerEntryId,
                    line.ledger_entry_ids.0.clone(),
                )),
            )
            .exec(conn)
            .await?;
        audit::record(
            conn,
            caller,
            Change {
                action: "reconciliation_match.release",
                entity_type: "ledger_entry",
                entity_id: entry_id.to_string(),
                before: Some(json!({
                    "reconciliationRunId": run_id.to_string(),
                    "paymentIds": line.payment_ids.0,
                    "ledgerEntryIds": line.ledger_entry_ids.0,
                })),
                after: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Every placement of the accounts with ledger-only money.
async fn holders<C: ConnectionTrait>(
    conn: &C,
    lines: &[Line],
) -> AppResult<HashMap<i64, Vec<placement::Model>>> {
    let accounts: BTreeSet<i64> = lines
        .iter()
        .filter(|l| l.payment_ids.is_empty())
        .map(|l| l.account_id)
        .collect();
    let mut out: HashMap<i64, Vec<placement::Model>> = HashMap::new();
    let accounts: Vec<i64> = accounts.into_iter().collect();
    for chunk in accounts.chunks(CHUNK) {
        for p in placement::Entity::find()
            .filter(placement::Column::AccountId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            out.entry(p.account_id).or_default().push(p);
        }
    }
    Ok(out)
}

/// The placement money received at `at` is attributed to: the one holding the account
/// then, or the latest that ended within `tail` before it.
pub fn attribute(
    placements: &[placement::Model],
    at: DateTime<Utc>,
    tail: Duration,
) -> Option<(i64, i64)> {
    let holding = placements
        .iter()
        .find(|p| p.placed_at <= at && p.ended_at.is_none_or(|ended| ended > at));
    let in_tail = || {
        placements
            .iter()
            .filter(|p| {
                p.ended_at
                    .is_some_and(|ended| ended <= at && at - ended <= tail)
            })
            .max_by_key(|p| p.ended_at)
    };
    holding.or_else(in_tail).map(|p| (p.id, p.agency_id))
}

fn key(item: &reconciliation_item::Model) -> (MatchClass, Vec<i64>, Vec<i64>) {
    (
        item.class,
        item.payment_ids.0.clone(),
        item.ledger_entry_ids.0.clone(),
    )
}

/// Lines of this run that the previous run did not have, and the reverse.
async fn changes<C: ConnectionTrait>(
    conn: &C,
    previous_id: i64,
    items: &[reconciliation_item::Model],
) -> AppResult<serde_json::Value> {
    let before: HashSet<_> = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::RunId.eq(previous_id))
        .all(conn)
        .await?
        .iter()
        .map(key)
        .collect();
    let now: HashSet<_> = items.iter().map(key).collect();
    let describe = |(class, payments, entries): &(MatchClass, Vec<i64>, Vec<i64>)| json!({ "class": class, "paymentIds": payments, "ledgerEntryIds": entries });
    let mut added: Vec<_> = now.difference(&before).collect();
    let mut removed: Vec<_> = before.difference(&now).collect();
    added.sort();
    removed.sort();
    Ok(json!({
        "added": added.len(),
        "removed": removed.len(),
        "addedLines": added.iter().take(CHANGES_LISTED).map(|k| describe(k)).collect::<Vec<_>>(),
        "removedLines": removed.iter().take(CHANGES_LISTED).map(|k| describe(k)).collect::<Vec<_>>(),
    }))
}

fn summary(
    items: &[reconciliation_item::Model],
    previous_run_id: Option<i64>,
    changes: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut by_class: std::collections::BTreeMap<String, (i64, i64, i64)> = Default::default();
    for item in items {
        let class = serde_json::to_value(item.class)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let entry = by_class.entry(class).or_default();
        entry.0 += 1;
        entry.1 += item.reported_minor;
        entry.2 += item.received_minor;
    }
    json!({
        "lines": items.len(),
        "byClass": by_class
            .into_iter()
            .map(|(class, (lines, reported, received))| json!({
                "class": class,
                "lines": lines,
                "reportedMinor": reported,
                "receivedMinor": received,
            }))
            .collect::<Vec<_>>(),
        "previousRunId": previous_run_id.map(|id| id.to_string()),
        "changes": changes,
    })
}

/// Runs, newest first.
pub async fn runs<C: ConnectionTrait>(
    conn: &C,
    page: crate::domain::page::PageRequest,
) -> AppResult<crate::domain::page::Page<reconciliation_run::Model>> {
    crate::domain::page::fetch_page(
        conn,
        reconciliation_run::Entity::find(),
        reconciliation_run::Column::Id,
        page,
        crate::domain::page::Direction::Descending,
    )
    .await
}

/// A run with its items.
pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<RunOutcome> {
    let run = reconciliation_run::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("reconciliation run", id))?;
    let items = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::RunId.eq(id))
        .order_by_asc(reconciliation_item::Column::Id)
        .all(conn)
        .await?;
    Ok(RunOutcome { run, items })
}

/// The periods the scheduled job reconciles on `today`: the calendar month of yesterday
/// (month to date), and the month before it while money for its last days may still be
/// arriving (up to the matching window after its end).
pub fn scheduled_periods(today: NaiveDate, window: Duration) -> Vec<(NaiveDate, NaiveDate)> {
    let current = month_of(today - Duration::days(1));
    let previous = month_of(current.0 - Duration::days(1));
    if today - Duration::days(1) <= previous.1 + window && current != previous {
        vec![previous, current]
    } else {
        vec![current]
    }
}

/// The calendar month before the one holding `today`. On the 1st it is the month of
/// yesterday, the period the reconciliation job reconciled that morning.
pub fn previous_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    month_of(today.with_day(1).unwrap_or(today) - Duration::days(1))
}

/// Whether the period is a whole calendar month.
pub fn is_month((start, end): (NaiveDate, NaiveDate)) -> bool {
    month_of(start) == (start, end)
}

/// The first and last day of the calendar month holding `day`.
fn month_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    let start = day.with_day(1).unwrap_or(day);
    let next_month = if start.month() == 12 {
        NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
    };
    let end = next_month.map_or(day, |next| next - Duration::days(1));
    (start, end)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use entity::placement::{PlacementLevel, PlacementStatus};

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_job_reconciles_the_month_of_yesterday_and_the_last_until_the_window_passes() {
        let window = Duration::days(5);
        assert_eq!(
            scheduled_periods(date(2026, 11, 28), window),
            [(date(2026, 11, 1), date(2026, 11, 30))]
        );
        assert_eq!(
            scheduled_periods(date(2027, 1, 1), window),
            [(date(2026, 12, 1), date(2026, 12, 31))]
        );
        assert_eq!(
            scheduled_periods(date(2027, 1, 6), window),
            [
                (date(2026, 12, 1), date(2026, 12, 31)),
                (date(2027, 1, 1), date(2027, 1, 31))
            ]
        );
        assert_eq!(scheduled_periods(date(2027, 1, 7), window).len(), 1);
    }

    #[test]
    fn on_the_first_the_previous_month_is_the_one_the_job_reconciled_that_morning() {
        let window = Duration::days(5);
        for (year, month) in (1..=12).map(|m| (2028, m)).chain([(2027, 1)]) {
            let first = date(year, month, 1);
            assert_eq!(
                scheduled_periods(first, window),
                [previous_month(first)],
                "{first}"
            );
        }
        assert_eq!(
            previous_month(date(2028, 3, 17)),
            (date(2028, 2, 1), date(2028, 2, 29))
        );
        assert_eq!(
            previous_month(date(2027, 1, 1)),
            (date(2026, 12, 1), date(2026, 12, 31))
        );
    }

    fn placement(id: i64, agency_id: i64, from: u32, to: Option<u32>) -> placement::Model {
        let at = |d: u32| Utc.with_ymd_and_hms(2026, 10, d, 0, 0, 0).unwrap();
        placement::Model {
            id,
            account_id: 1,
            agency_id,
            level: PlacementLevel::Primary,
            status: PlacementStatus::Active,
            placed_at: at(from),
            due_back_on: date(2027, 1, 1),
            balance_at_placement_minor: 1,
            currency: "USD".into(),
            ended_at: to.map(at),
            end_reason: None,
            allocation_run_id: None,
            explanation: None,
            recall_warned_at: None,
            created_at: at(from),
            updated_at: at(from),
        }
    }

    #[test]
    fn ledger_only_money_goes_to_the_holder_or_the_tail() {
        let at = |d: u32| Utc.with_ymd_and_hms(2026, 10, d, 12, 0, 0).unwrap();
        let placements = [placement(1, 10, 1, Some(10)), placement(2, 20, 12, None)];
        let tail = Duration::days(5);
        assert_eq!(attribute(&placements, at(5), tail), Some((1, 10)));
        assert_eq!(
            attribute(&placements, at(11), tail),
            Some((1, 10)),
            "in the tail"
        );
        assert_eq!(
            attribute(&placements, at(13), tail),
            Some((2, 20)),
            "the holder"
        );
        let ended = [placement(1, 10, 1, Some(10))];
        assert_eq!(attribute(&ended, at(20), tail), None, "after the tail");
    }
}
