//! The idle watch: an ACTIVE placement on which the holding agency has reported no
//! activity in the `idle_days` days since it was placed raises one LOW compliance incident
//! (source AUTOMATIC, rule `IDLE_PLACEMENT`). Idleness shows weeks before poor cash does.
//!
//! The scheduler runs it daily. Each placement raises at most once, ever: the incident's
//! dedupe key `IDLE:<placement id>` is unique, so a second run (or a concurrent one in
//! another process) raises nothing new. Work goes in batches, one transaction each.

use chrono::{DateTime, Duration, Utc};
use entity::activity;
use entity::compliance_incident::{self, IncidentSource, Severity};
use entity::placement::{self, PlacementStatus};
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::actor::Caller;
use super::incidents::{NewIncident, raise_many};
use super::metrics;
use super::tx::begin_write;
use crate::error::{AppError, AppResult};

/// The rule idle placements break.
pub const RULE: &str = "IDLE_PLACEMENT";
/// Dedupe keys are this prefix and the placement id.
const KEY_PREFIX: &str = "IDLE:";
/// Placements examined per transaction.
const BATCH: u64 = 500;
/// How many raised incidents an outcome lists.
const SAMPLE: usize = 100;

#[derive(Debug, Default)]
pub struct IdleWatchOutcome {
    /// Incidents raised by this run.
    pub count: usize,
    /// The first of them, at most [`SAMPLE`].
    pub sample: Vec<compliance_incident::Model>,
}

/// Raises an incident for every ACTIVE placement placed at least `idle_days` days before
/// `now` without an activity reported on it by its agency, unless one was raised before.
#[tracing::instrument(skip_all, fields(idle_days = idle_days), err)]
pub async fn watch(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    idle_days: u32,
) -> AppResult<IdleWatchOutcome> {
    let placed_by = Duration::try_days(i64::from(idle_days))
        .and_then(|idle| now.checked_sub_signed(idle))
        .ok_or_else(|| AppError::bad_input("idleDays", format!("{idle_days} days is too long")))?;
    let mut outcome = IdleWatchOutcome::default();
    let mut after_id = 0;
    loop {
        let tx = begin_write(db).await?;
        let idle = idle_placements(&tx, placed_by, after_id).await?;
        let Some(last) = idle.last() else {
            break;
        };
        after_id = last.id;
        let raised = raise_many(
            &tx,
            caller,
            idle.iter().map(|p| incident(p, idle_days)).collect(),
        )
        .await?;
        tx.commit().await?;
        metrics::incidents_raised(&raised);
        outcome.count += raised.len();
        outcome.sample.extend(
            raised
                .into_iter()
                .take(SAMPLE.saturating_sub(outcome.sample.len())),
        );
    }
    Ok(outcome)
}

/// The next batch of ACTIVE placements after `after_id`, placed by `placed_by`, with no
/// activity from their agency and no idle incident yet.
async fn idle_placements<C: ConnectionTrait>(
    conn: &C,
    placed_by: DateTime<Utc>,
    after_id: i64,
) -> AppResult<Vec<placement::Model>> {
    let placement_id = || Expr::col((placement::Entity, placement::Column::Id));
    let reported = Query::select()
        .expr(Expr::val(1))
        .from(activity::Entity)
        .and_where(Expr::col((activity::Entity, activity::Column::PlacementId)).eq(placement_id()))
        .and_where(
            Expr::col((activity::Entity, activity::Column::AgencyId))
                .eq(Expr::col((placement::Entity, placement::Column::AgencyId))),
        )
        .to_owned();
    // The dedupe key in SQL: the unique index answers it.
    let raised =
        Query::select()
            .expr(Expr::val(1))
            .from(compliance_incident::Entity)
            .and_where(
                Expr::col((
                    compliance_incident::Entity,
                    compliance_incident::Column::DedupeKey,
                ))
                .eq(Expr::val(KEY_PREFIX)
                    .binary(BinOper::Custom("||"), placement_id().cast_as("TEXT"))),
            )
            .to_owned();
    Ok(placement::Entity::find()
        .filter(placement::Column::Status.eq(PlacementStatus::Active))
        .filter(placement::Column::PlacedAt.lte(placed_by))
        .filter(placement::Column::Id.gt(after_id))
        .filter(Expr::not_exists(reported))
        .filter(Expr::not_exists(raised))
        .order_by_asc(placement::Column::Id)
        .limit(BATCH)
        .all(conn)
        .await?)
}

fn incident(placement: &placement::Model, idle_days: u32) -> NewIncident {
    NewIncident {
        agency_id: placement.agency_id,
        account_id: Some(placement.account_id),
        placement_id: Some(placement.id),
        activity_id: None,
        source: IncidentSource::Automatic,
        rule: RULE.to_owned(),
        severity: Severity::Low,
        summary: format!("no activity reported in the {idle_days} days after placement"),
        evidence: json!({
            "placementId": placement.id.to_string(),
            "placedAt": placement.placed_at,
            "idleDays": idle_days,
        }),
        dedupe_key: Some(format!("{KEY_PREFIX}{}", placement.id)),
        occurred_at: placement.placed_at + Duration::days(i64::from(idle_days)),
    }
}
