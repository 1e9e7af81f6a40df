//! Reading snapshots: a day's league table, one agency's history, and the latest scores
//! allocation weighs agencies by.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::performance_snapshot::{self, ScoreWindow};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppResult;

/// The window PERFORMANCE_WEIGHTED allocation reads scores from.
pub const ALLOCATION_WINDOW: ScoreWindow = ScoreWindow::Last90Days;
/// Most days one history returns.
pub const MAX_HISTORY_DAYS: i64 = 400;

/// A row of a league table: its place among the agencies with a verdict in its currency
/// (`None` without one).
#[derive(Clone, Debug)]
pub struct Ranked {
    pub rank: Option<i32>,
    pub row: performance_snapshot::Model,
}

/// The latest snapshot day on or before `on` (the latest of all when `None`).
pub async fn latest_day<C: ConnectionTrait>(
    conn: &C,
    on: Option<NaiveDate>,
) -> AppResult<Option<NaiveDate>> {
    let mut select = performance_snapshot::Entity::find()
        .select_only()
        .column(performance_snapshot::Column::AsOf)
        .order_by_desc(performance_snapshot::Column::AsOf)
        .limit(1);
    if let Some(on) = on {
        select = select.filter(performance_snapshot::Column::AsOf.lte(on));
    }
    Ok(select.into_tuple().one(conn).await?)
}

/// One day's figures for a segment and window, best score first; rows without a verdict
/// last, by recovery. `currency` narrows to one currency.
pub async fn league<C: ConnectionTrait>(
    conn: &C,
    day: NaiveDate,
    segment: &str,
    window: ScoreWindow,
    currency: Option<&str>,
) -> AppResult<Vec<Ranked>> {
    let mut select = performance_snapshot::Entity::find()
        .filter(performance_snapshot::Column::AsOf.eq(day))
        .filter(performance_snapshot::Column::Segment.eq(segment))
        .filter(performance_snapshot::Column::Window.eq(window));
    if let Some(currency) = currency {
        select = select.filter(performance_snapshot::Column::Currency.eq(currency));
    }
    let rows = select.all(conn).await?;
    Ok(rank(rows))
}

/// Orders rows best first and numbers the scored ones within each currency.
pub fn rank(mut rows: Vec<performance_snapshot::Model>) -> Vec<Ranked> {
    let recovery = |r: &performance_snapshot::Model| {
        super::figures::percent(r.collected_minor, r.balance_placed_minor).unwrap_or_default()
    };
    rows.sort_by(|a, b| {
        a.currency
            .cmp(&b.currency)
            .then(b.score_bp.cmp(&a.score_bp))
            .then(recovery(b).cmp(&recovery(a)))
            .then(a.agency_id.cmp(&b.agency_id))
    });
    let mut places: HashMap<String, i32> = HashMap::new();
    rows.into_iter()
        .map(|row| {
            let rank = row.score_bp.map(|_| {
                let place = places.entry(row.currency.clone()).or_default();
                *place += 1;
                *place
            });
            Ranked { rank, row }
        })
        .collect()
}

/// An agency's figures in a segment and window, day by day, oldest first.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    agency_id: i64,
    segment: &str,
    window: ScoreWindow,
    (from, to): (NaiveDate, NaiveDate),
) -> AppResult<Vec<performance_snapshot::Model>> {
    Ok(performance_snapshot::Entity::find()
        .filter(performance_snapshot::Column::AgencyId.eq(agency_id))
        .filter(performance_snapshot::Column::Segment.eq(segment))
        .filter(performance_snapshot::Column::Window.eq(window))
        .filter(performance_snapshot::Column::AsOf.gte(from))
        .filter(performance_snapshot::Column::AsOf.lte(to))
        .order_by_asc(performance_snapshot::Column::AsOf)
        .order_by_asc(performance_snapshot::Column::Currency)
        .all(conn)
        .await?)
}

/// The latest scores of a segment in a currency (as of `on`), by agency: what
/// PERFORMANCE_WEIGHTED allocation weighs by. Agencies without a verdict are absent.
pub async fn latest_scores<C: ConnectionTrait>(
    conn: &C,
    segment: &str,
    currency: &str,
    on: NaiveDate,
) -> AppResult<(Option<NaiveDate>, HashMap<i64, u32>)> {
    let Some(day) = latest_day(conn, Some(on)).await? else {
        return Ok((None, HashMap::new()));
    };
    let scores: Vec<(i64, Option<i32>)> = performance_snapshot::Entity::find()
        .select_only()
        .columns([
            performance_snapshot::Column::AgencyId,
            performance_snapshot::Column::ScoreBp,
        ])
        .filter(performance_snapshot::Column::AsOf.eq(day))
        .filter(performance_snapshot::Column::Segment.eq(segment))
        .filter(performance_snapshot::Column::Window.eq(ALLOCATION_WINDOW))
        .filter(performance_snapshot::Column::Currency.eq(currency))
        .into_tuple()
        .all(conn)
        .await?;
    Ok((
        Some(day),
        scores
            .into_iter()
            .filter_map(|(agency, score)| Some((agency, u32::try_from(score?).ok()?)))
            .collect(),
    ))
}
