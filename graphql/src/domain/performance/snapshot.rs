//! The daily snapshot: every agency's figures as of now, stored under today's date. The
//! figures are read as of `now`, then a rerun the same day replaces the day's rows in one
//! transaction; the job's claim keeps two runs from overlapping.

use chrono::{DateTime, Utc};
use entity::performance_snapshot::{self, ScoreWindow};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::ScoreSettings;
use super::facts::Facts;
use super::figures::{self, Figures};
use crate::domain::tx::begin_write;
use crate::error::{AppError, AppResult};

/// Rows per INSERT, inside both stores' bind-parameter limits.
const CHUNK: usize = 500;

/// Every agency's figures as of `as_of`, computed from what the database holds.
pub async fn compute<C: ConnectionTrait>(
    conn: &C,
    as_of: DateTime<Utc>,
    settings: &ScoreSettings,
) -> AppResult<Vec<Figures>> {
    let facts = Facts::load(conn, as_of).await?;
    Ok(figures::compute(
        as_of,
        settings,
        &facts.placements,
        &facts.promises,
        &facts.incidents,
    ))
}

#[derive(Debug)]
pub struct SnapshotOutcome {
    pub as_of: chrono::NaiveDate,
    pub rows: usize,
    pub scored: usize,
}

/// Computes the figures as of `now` and stores them as the snapshot of `now`'s date.
#[tracing::instrument(skip_all, fields(%now), err)]
pub async fn take(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    settings: &ScoreSettings,
) -> AppResult<SnapshotOutcome> {
    let as_of = now.date_naive();
    // Computed before the write transaction: on SQLite that holds every writer back.
    let all = compute(db, now, settings).await?;
    let tx = begin_write(db).await?;
    performance_snapshot::Entity::delete_many()
        .filter(performance_snapshot::Column::AsOf.eq(as_of))
        .exec(&tx)
        .await?;
    let rows = all
        .iter()
        .map(|f| row(f, as_of, now))
        .collect::<AppResult<Vec<_>>>()?;
    for chunk in rows.chunks(CHUNK) {
        performance_snapshot::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(SnapshotOutcome {
        as_of,
        rows: all.len(),
        scored: all.iter().filter(|f| f.score_bp.is_some()).count(),
    })
}

fn row(
    f: &Figures,
    as_of: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<performance_snapshot::ActiveModel> {
    let missing = || AppError::Internal(anyhow::anyhow!("figures without a window or start"));
    let window: ScoreWindow = f.window.ok_or_else(missing)?;
    let [low, medium, high, critical] = f.incidents;
    Ok(performance_snapshot::ActiveModel {
        as_of: Set(as_of),
        agency_id: Set(f.agency_id),
        segment: Set(f.segment.clone()),
        window: Set(window),
        currency: Set(f.currency.clone()),
        computed_at: Set(now),
        first_placed_at: Set(f.first_placed_at.ok_or_else(missing)?),
        accounts_placed: Set(f.accounts_placed),
        balance_placed_minor: Set(f.balance_placed_minor),
        collected_minor: Set(f.collected_minor),
        accounts_contacted: Set(f.accounts_contacted),
        median_first_attempt_secs: Set(f.median_first_attempt_secs),
        accounts_promised: Set(f.accounts_promised),
        promises_due: Set(f.promises_due),
        promises_kept: Set(f.promises_kept),
        complaints: Set(f.complaints),
        incidents_low: Set(low),
        incidents_medium: Set(medium),
        incidents_high: Set(high),
        incidents_critical: Set(critical),
        accounts_held: Set(f.accounts_held),
        idle_accounts: Set(f.idle_accounts),
        commission_minor: Set(f.commission_minor),
        score_bp: Set(f.score_bp),
        ..Default::default()
    })
}
