//! Ending placements and warning agencies before they end.
//!
//! - `recall`: the lender takes accounts back early (RECALLED), with a reason.
//! - `return_due`: placements past their due-back date go back (RETURNED); the daily
//!   workflow the scheduler runs.
//! - `warn_due`: agencies hear about a coming return `pending_recall_warning_days` before it.
//! - `close_paid`: a payment that clears the balance ends the placement (PAID), inside the
//!   reporting transaction.
//!
//! Each runs in batches, one transaction each, on row-locked placements; every change is
//! audited and reported to the agency through the outbox. A returned or recalled account
//! can be allocated again at the next level.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use entity::placement::{self, PlacementStatus};
use entity::{account, allocation_run, allocation_strategy};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde_json::json;

use super::actor::Caller;
use super::any_of::any_of;
use super::audit::{self, Change};
use super::metrics;
use super::outbox::{self, Event};
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult};

/// Placements changed per transaction.
const BATCH: u64 = 500;
/// How many changed placements an outcome lists by name.
const SAMPLE: usize = 100;
/// Most placements one recall may name by id.
pub const MAX_RECALL_IDS: usize = 10_000;
/// Warning days for placements no strategy made (loaded or created by hand).
const DEFAULT_WARNING_DAYS: i64 = 7;

/// Which placements to recall.
pub enum RecallTarget {
    Ids(Vec<i64>),
    /// Every ACTIVE placement of an agency and/or a portfolio.
    Filter {
        agency_id: Option<i64>,
        portfolio_id: Option<i64>,
    },
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub count: usize,
    /// The first changed placements, after the change.
    pub sample: Vec<placement::Model>,
}

fn audit_view(p: &placement::Model) -> serde_json::Value {
    json!({
        "accountId": p.account_id,
        "agencyId": p.agency_id,
        "level": p.level,
        "status": p.status,
        "dueBackOn": p.due_back_on,
        "endedAt": p.ended_at,
        "endReason": p.end_reason,
        "recallWarnedAt": p.recall_warned_at,
    })
}

/// The lender takes placements back early.
pub async fn recall(
    db: &DatabaseConnection,
    caller: &Caller,
    target: RecallTarget,
    reason: String,
) -> AppResult<Outcome> {
    let reason = validate::text("reason", &reason, 2000)?;
    let select = match target {
        RecallTarget::Ids(ids) => {
            if ids.is_empty() || ids.len() > MAX_RECALL_IDS {
                return Err(AppError::bad_input(
                    "ids",
                    format!("name 1 to {MAX_RECALL_IDS} placements"),
                ));
            }
            active().filter(any_of(
                db.get_database_backend(),
                placement::Column::Id,
                ids,
            ))
        }
        RecallTarget::Filter {
            agency_id: None,
            portfolio_id: None,
        } => {
            return Err(AppError::bad_input(
                "filter",
                "name an agency, a portfolio or placement ids",
            ));
        }
        RecallTarget::Filter {
            agency_id,
            portfolio_id,
        } => {
            let mut select = active();
            if let Some(agency_id) = agency_id {
                select = select.filter(placement::Column::AgencyId.eq(agency_id));
            }
            if let Some(portfolio_id) = portfolio_id {
                select = select.filter(
                    placement::Column::AccountId.in_subquery(
                        Query::select()
                            .column(account::Column::Id)
                            .from(account::Entity)
                            .and_where(account::Column::PortfolioId.eq(portfolio_id))
                            .to_owned(),
                    ),
                );
            }
            select
        }
    };
    end_all(db, caller, select, Ending::Recall(reason)).await
}

/// Returns every ACTIVE placement whose due-back date is before `today`.
pub async fn return_due(
    db: &DatabaseConnection,
    caller: &Caller,
    today: NaiveDate,
) -> AppResult<Outcome> {
    let due = active().filter(placement::Column::DueBackOn.lt(today));
    end_all(db, caller, due, Ending::Return).await
}

fn active() -> Select<placement::Entity> {
    placement::Entity::find().filter(placement::Column::Status.eq(PlacementStatus::Active))
}

enum Ending {
    Recall(String),
    Return,
    Paid,
}

impl Ending {
    fn status(&self) -> PlacementStatus {
        match self {
            Self::Recall(_) => PlacementStatus::Recalled,
            Self::Return => PlacementStatus::Returned,
            Self::Paid => PlacementStatus::Paid,
        }
    }

    fn reason(&self) -> &str {
        match self {
            Self::Recall(reason) => reason,
            Self::Return => "the placement period ended",
            Self::Paid => "the account was paid in full",
        }
    }

    fn action(&self) -> &'static str {
        match self {
            Self::Recall(_) => "placement.recall",
            Self::Return => "placement.return",
            Self::Paid => "placement.paid",
        }
    }

    fn topic(&self) -> &'static str {
        match self {
            Self::Recall(_) => "placement.recalled",
            Self::Return => "placement.returned",
            Self::Paid => "placement.paid",
        }
    }
}

/// Ends every placement `select` finds, batch by batch.
async fn end_all(
    db: &DatabaseConnection,
    caller: &Caller,
    select: Select<placement::Entity>,
    ending: Ending,
) -> AppResult<Outcome> {
    let mut outcome = Outcome::default();
    loop {
        let tx = begin_write(db).await?;
        let batch = select
            .clone()
            .order_by_asc(placement::Column::Id)
            .limit(BATCH)
            .lock_exclusive()
            .all(&tx)
            .await?;
        if batch.is_empty() {
            break;
        }
        let ended = end_placements(&tx, caller, batch, &ending).await?;
        tx.commit().await?;
        metrics::placements_ended(ending.status(), ended.len());
        outcome.count += ended.len();
        outcome.sample.extend(
            ended
                .into_iter()
                .map(|(_, after)| after)
                .take(SAMPLE.saturating_sub(outcome.sample.len())),
        );
    }
    Ok(outcome)
}

/// Ends the given placements in the caller's transaction, audited and reported.
async fn end_placements<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    placements: Vec<placement::Model>,
    ending: &Ending,
) -> AppResult<Vec<(placement::Model, placement::Model)>> {
    let now = caller.now;
    placement::Entity::update_many()
        .set(placement::ActiveModel {
            status: Set(ending.status()),
            ended_at: Set(Some(now)),
            end_reason: Set(Some(ending.reason().to_owned())),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(any_of(
            conn.get_database_backend(),
            placement::Column::Id,
            placements.iter().map(|p| p.id),
        ))
        .exec(conn)
        .await?;
    let ended: Vec<(placement::Model, placement::Model)> = placements
        .into_iter()
        .map(|before| {
            let after = placement::Model {
                status: ending.status(),
                ended_at: Some(now),
                end_reason: Some(ending.reason().to_owned()),
                updated_at: now,
                ..before.clone()
            };
            (before, after)
        })
        .collect();
    report(
        conn,
        caller,
        ending.action(),
        ending.topic(),
        &ended,
        json!({ "reason": ending.reason() }),
    )
    .await?;
    Ok(ended)
}

/// Closes the ACTIVE placements of accounts paid in full (PAID), in the caller's
/// transaction (the one that applied the payment). Returns the closed placements.
pub async fn close_paid<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    account_ids: Vec<i64>,
) -> AppResult<Vec<placement::Model>> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    let paid = active()
        .filter(any_of(
            conn.get_database_backend(),
            placement::Column::AccountId,
            account_ids,
        ))
        .order_by_asc(placement::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    if paid.is_empty() {
        return Ok(Vec::new());
    }
    let ended = end_placements(conn, caller, paid, &Ending::Paid).await?;
    Ok(ended.into_iter().map(|(_, after)| after).collect())
}

/// Audits each change and tells each agency which of its placements changed.
async fn report<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    topic: &str,
    changes: &[(placement::Model, placement::Model)],
    extra: serde_json::Value,
) -> AppResult<()> {
    audit::record_many(
        conn,
        caller,
        changes.iter().map(|(before, after)| Change {
            action,
            entity_type: "placement",
            entity_id: after.id.to_string(),
            before: Some(audit_view(before)),
            after: Some(audit_view(after)),
        }),
    )
    .await?;
    let mut by_agency: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
    for (_, after) in changes {
        by_agency.entry(after.agency_id).or_default().push(json!({
            "placementId": after.id,
            "accountId": after.account_id,
            "dueBackOn": after.due_back_on,
        }));
    }
    for (agency_id, placements) in by_agency {
        outbox::enqueue(
            conn,
            caller.now,
            Event {
                topic,
                agency_id: Some(agency_id),
                entity_type: "agency",
                entity_id: agency_id.to_string(),
                payload: json!({ "agencyId": agency_id, "placements": placements, "details": extra }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Warns agencies of placements whose due-back date is within their strategy's warning
/// days (7 for placements no strategy made). Each placement is warned once.
pub async fn warn_due(
    db: &DatabaseConnection,
    caller: &Caller,
    today: NaiveDate,
) -> AppResult<Outcome> {
    let warning_days = warning_days_by_run(db).await?;
    let widest = warning_days
        .values()
        .copied()
        .chain([DEFAULT_WARNING_DAYS])
        .max()
        .unwrap_or(DEFAULT_WARNING_DAYS);
    let mut outcome = Outcome::default();
    let mut after_id = 0;
    loop {
        let tx = begin_write(db).await?;
        let batch = active()
            .filter(placement::Column::RecallWarnedAt.is_null())
            .filter(placement::Column::DueBackOn.lte(today + Duration::days(widest)))
            .filter(placement::Column::Id.gt(after_id))
            .order_by_asc(placement::Column::Id)
            .limit(BATCH)
            .lock_exclusive()
            .all(&tx)
            .await?;
        let Some(last) = batch.last() else {
            break;
        };
        after_id = last.id;
        let due: Vec<placement::Model> = batch
            .into_iter()
            .filter(|p| {
                let days = p
                    .allocation_run_id
                    .and_then(|run| warning_days.get(&run).copied());
                p.due_back_on <= today + Duration::days(days.unwrap_or(DEFAULT_WARNING_DAYS))
            })
            .collect();
        let now = caller.now;
        placement::Entity::update_many()
            .set(placement::ActiveModel {
                recall_warned_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(any_of(
                tx.get_database_backend(),
                placement::Column::Id,
                due.iter().map(|p| p.id),
            ))
            .exec(&tx)
            .await?;
        let warned: Vec<(placement::Model, placement::Model)> = due
            .into_iter()
            .map(|before| {
                let after = placement::Model {
                    recall_warned_at: Some(now),
                    updated_at: now,
                    ..before.clone()
                };
                (before, after)
            })
            .collect();
        report(
            &tx,
            caller,
            "placement.warn_recall",
            "placement.pending_recall",
            &warned,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        outcome.count += warned.len();
        outcome.sample.extend(
            warned
                .into_iter()
                .map(|(_, after)| after)
                .take(SAMPLE.saturating_sub(outcome.sample.len())),
        );
    }
    Ok(outcome)
}

/// Warning days of the strategy version behind each allocation run.
async fn warning_days_by_run<C: ConnectionTrait>(conn: &C) -> AppResult<HashMap<i64, i64>> {
    let strategies: HashMap<i64, i64> = allocation_strategy::Entity::find()
        .select_only()
        .columns([
            allocation_strategy::Column::Id,
            allocation_strategy::Column::PendingRecallWarningDays,
        ])
        .into_tuple::<(i64, i32)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, days)| (id, i64::from(days)))
        .collect();
    Ok(allocation_run::Entity::find()
        .select_only()
        .columns([
            allocation_run::Column::Id,
            allocation_run::Column::StrategyId,
        ])
        .into_tuple::<(i64, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(run, strategy)| strategies.get(&strategy).map(|days| (run, *days)))
        .collect())
}
