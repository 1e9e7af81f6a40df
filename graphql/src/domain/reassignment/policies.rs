//! Reassignment policies: versioned per segment, audited. Setting a segment's policy
//! adds its next version and retires the current one; decisions keep pointing at the
//! version that made them.

use std::collections::HashMap;

use entity::allocation_strategy;
use entity::reassignment_policy::{self, Action, Rule, Rules, Trigger};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::performance::ALL_SEGMENTS;
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// Most rules one policy may hold.
const MAX_RULES: usize = 20;
/// Longest grace period: 30 days.
const MAX_GRACE_HOURS: i32 = 720;

#[derive(Clone, Debug)]
pub struct PolicyInput {
    /// An allocation strategy code, or `*` for segments without a policy of their own.
    pub segment: String,
    pub grace_hours: i32,
    pub rules: Vec<Rule>,
}

fn audit_view(p: &reassignment_policy::Model) -> serde_json::Value {
    json!({
        "segment": p.segment,
        "version": p.version,
        "active": p.active,
        "graceHours": p.grace_hours,
        "rules": p.rules,
    })
}

async fn check<C: ConnectionTrait>(conn: &C, input: &PolicyInput) -> AppResult<()> {
    validate::text("segment", &input.segment, 32)?;
    if input.segment != ALL_SEGMENTS {
        let known = allocation_strategy::Entity::find()
            .filter(allocation_strategy::Column::Code.eq(input.segment.as_str()))
            .count(conn)
            .await?;
        if known == 0 {
            return Err(AppError::bad_input(
                "segment",
                format!(
                    "no allocation strategy '{}': name a strategy code, or * for every segment",
                    input.segment
                ),
            ));
        }
    }
    if !(0..=MAX_GRACE_HOURS).contains(&input.grace_hours) {
        return Err(AppError::bad_input(
            "graceHours",
            format!("0 to {MAX_GRACE_HOURS} hours"),
        ));
    }
    if input.rules.is_empty() || input.rules.len() > MAX_RULES {
        return Err(AppError::bad_input(
            "rules",
            format!("name 1 to {MAX_RULES} rules"),
        ));
    }
    for (i, rule) in input.rules.iter().enumerate() {
        let field = |name: &str| format!("rules.{i}.{name}");
        match &rule.trigger {
            Trigger::RecoveryBelowPeerMedian {
                percent_bp,
                min_accounts,
                ..
            } => {
                if !(1..=10_000).contains(percent_bp) {
                    return Err(AppError::bad_input(
                        &field("thresholdBp"),
                        "a share of the peer median: 1 to 10000 basis points",
                    ));
                }
                if *min_accounts < 1 {
                    return Err(AppError::bad_input(&field("minAccounts"), "at least 1"));
                }
            }
            Trigger::IdleShareAbove {
                share_bp,
                min_accounts,
            } => {
                if !(0..10_000).contains(share_bp) {
                    return Err(AppError::bad_input(
                        &field("thresholdBp"),
                        "a share of the accounts held: 0 to 9999 basis points",
                    ));
                }
                if *min_accounts < 1 {
                    return Err(AppError::bad_input(&field("minAccounts"), "at least 1"));
                }
            }
            Trigger::HighIncidents { count } => {
                if *count < 1 {
                    return Err(AppError::bad_input(&field("count"), "at least 1"));
                }
            }
            Trigger::CriticalIncident | Trigger::QualificationLapsed => {}
        }
        if matches!(rule.trigger, Trigger::CriticalIncident) && rule.action < Action::Probation {
            return Err(AppError::bad_input(
                &field("action"),
                "a CRITICAL incident calls for PROBATION or more",
            ));
        }
    }
    Ok(())
}

/// Adds the next version of a segment's policy (version 1 for a new one) and retires
/// the current one.
pub async fn set(
    db: &DatabaseConnection,
    caller: &Caller,
    input: PolicyInput,
) -> AppResult<reassignment_policy::Model> {
    let tx = begin_write(db).await?;
    check(&tx, &input).await?;
    let current = reassignment_policy::Entity::find()
        .filter(reassignment_policy::Column::Segment.eq(input.segment.as_str()))
        .order_by_desc(reassignment_policy::Column::Version)
        .lock_exclusive()
        .one(&tx)
        .await?;
    if let Some(current) = &current {
        let mut retired = current.clone().into_active_model();
        retired.active = Set(false);
        retired.update(&tx).await?;
    }
    let saved = reassignment_policy::ActiveModel {
        segment: Set(input.segment),
        version: Set(current.as_ref().map_or(1, |c| c.version + 1)),
        active: Set(true),
        grace_hours: Set(input.grace_hours),
        rules: Set(Rules(input.rules)),
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
            action: "reassignment_policy.set",
            entity_type: "reassignment_policy",
            entity_id: saved.id.to_string(),
            before: current.as_ref().map(audit_view),
            after: Some(audit_view(&saved)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Policies, oldest first; with `active_only`, the current version of each segment's.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    active_only: bool,
) -> AppResult<Vec<reassignment_policy::Model>> {
    let mut select =
        reassignment_policy::Entity::find().order_by_asc(reassignment_policy::Column::Id);
    if active_only {
        select = select.filter(reassignment_policy::Column::Active.eq(true));
    }
    Ok(select.all(conn).await?)
}

/// The current policy of each segment.
pub async fn active_by_segment<C: ConnectionTrait>(
    conn: &C,
) -> AppResult<HashMap<String, reassignment_policy::Model>> {
    Ok(list(conn, true)
        .await?
        .into_iter()
        .map(|p| (p.segment.clone(), p))
        .collect())
}
