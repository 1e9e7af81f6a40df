//! Reading runs and decisions, and overriding a pending decision (four eyes: not by whoever
//! ran the review that made it).

use entity::reassignment_decision::{self, DecisionStatus};
use entity::reassignment_run;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::decision_view;
use super::review::record;
use crate::domain::actor::Caller;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// Stops a PENDING decision for good, with the reason on record.
pub async fn override_decision(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    reason: &str,
) -> AppResult<reassignment_decision::Model> {
    let reason = validate::text("reason", reason, 2000)?;
    let tx = begin_write(db).await?;
    let decision = reassignment_decision::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reassignment decision", id))?;
    if decision.status != DecisionStatus::Pending {
        return Err(AppError::Conflict(
            format!(
                "decision {id} is {:?}, not PENDING: only a pending decision can be overridden",
                decision.status
            )
            .to_uppercase(),
        ));
    }
    let run = reassignment_run::Entity::find_by_id(decision.run_id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reassignment run", decision.run_id))?;
    caller.actor.require_other_than(
        [Some(run.created_by.as_str())],
        "whoever ran the review that made a decision cannot override it",
    )?;
    let before = decision_view(&decision);
    let mut stopped = decision.into_active_model();
    stopped.status = Set(DecisionStatus::Overridden);
    stopped.override_reason = Set(Some(reason));
    stopped.overridden_by = Set(Some(caller.actor.audit_name()));
    stopped.updated_at = Set(caller.now);
    let stopped = stopped.update(&tx).await?;
    record(
        &tx,
        caller,
        "reassignment_decision.override",
        Some(before),
        &stopped,
    )
    .await?;
    tx.commit().await?;
    Ok(stopped)
}

/// Runs, newest first.
pub async fn runs<C: ConnectionTrait>(
    conn: &C,
    page: PageRequest,
) -> AppResult<Page<reassignment_run::Model>> {
    fetch_page(
        conn,
        reassignment_run::Entity::find(),
        reassignment_run::Column::Id,
        page,
        Direction::Descending,
    )
    .await
}

pub async fn run<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<reassignment_run::Model> {
    reassignment_run::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("reassignment run", id))
}

/// A run's decisions, by id.
pub async fn of_run<C: ConnectionTrait>(
    conn: &C,
    run_id: i64,
) -> AppResult<Vec<reassignment_decision::Model>> {
    Ok(reassignment_decision::Entity::find()
        .filter(reassignment_decision::Column::RunId.eq(run_id))
        .order_by_asc(reassignment_decision::Column::Id)
        .all(conn)
        .await?)
}
