//! Reading runs and decisions, and what a vendor manager does to a decision waiting to
//! execute: override, hold or approve it (four eyes: not by whoever ran the review that
//! made it).

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

/// What a vendor manager does to a decision waiting to execute.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Act {
    /// Stop it for good.
    Override,
    /// Keep it from executing until it is approved or overridden.
    Hold,
    /// Execute it now, before its grace period ends (the caller then executes it).
    Approve,
}

impl Act {
    /// Its name (as the audit action has it) and its past participle.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Override => ("override", "overridden"),
            Self::Hold => ("hold", "held"),
            Self::Approve => ("approve", "approved"),
        }
    }

    /// The statuses it applies to.
    fn from(self) -> &'static [DecisionStatus] {
        match self {
            Self::Override | Self::Approve => &[DecisionStatus::Pending, DecisionStatus::Held],
            Self::Hold => &[DecisionStatus::Pending],
        }
    }
}

/// Overrides, holds or approves a decision waiting to execute, with the reason on record
/// (four eyes: not by whoever ran the review that made it). An approved decision is due at
/// once: the caller executes it (`execute::execute_now`).
pub async fn act(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    act: Act,
    reason: &str,
) -> AppResult<reassignment_decision::Model> {
    let field = if act == Act::Approve {
        "note"
    } else {
        "reason"
    };
    let reason = validate::text(field, reason, 2000)?;
    let tx = begin_write(db).await?;
    let decision = reassignment_decision::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reassignment decision", id))?;
    let (name, done) = act.words();
    if !act.from().contains(&decision.status) {
        let statuses: Vec<String> = act
            .from()
            .iter()
            .map(|s| format!("{s:?}").to_uppercase())
            .collect();
        return Err(AppError::Conflict(format!(
            "decision {id} is {}: only a decision {} can be {done}",
            format!("{:?}", decision.status).to_uppercase(),
            statuses.join(" or "),
        )));
    }
    let run = reassignment_run::Entity::find_by_id(decision.run_id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reassignment run", decision.run_id))?;
    caller.actor.require_other_than(
        [Some(run.created_by.as_str())],
        &format!("whoever ran the review that made a decision cannot {name} it"),
    )?;
    let before = decision_view(&decision);
    let by = Some(caller.actor.audit_name());
    let mut changed = decision.into_active_model();
    match act {
        Act::Override => {
            changed.status = Set(DecisionStatus::Overridden);
            changed.override_reason = Set(Some(reason));
            changed.overridden_by = Set(by);
        }
        Act::Hold => {
            changed.status = Set(DecisionStatus::Held);
            changed.hold_reason = Set(Some(reason));
            changed.held_by = Set(by);
            changed.held_at = Set(Some(caller.now));
        }
        Act::Approve => {
            changed.status = Set(DecisionStatus::Pending);
            changed.execute_after = Set(caller.now);
            changed.approval_note = Set(Some(reason));
            changed.approved_by = Set(by);
            changed.approved_at = Set(Some(caller.now));
        }
    }
    changed.updated_at = Set(caller.now);
    let changed = changed.update(&tx).await?;
    let action = format!("reassignment_decision.{name}");
    record(&tx, caller, &action, Some(before), &changed).await?;
    tx.commit().await?;
    Ok(changed)
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
