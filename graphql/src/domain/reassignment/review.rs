//! A review: judge every agency against the policies, record the run and its decisions,
//! then execute the decisions whose grace period has ended (a dry run records PROPOSED
//! decisions and executes nothing).
//!
//! Noise is kept down: a decision is not repeated while one as strong is still pending
//! for the same agency and segment (a weaker pending one is SUPERSEDED); WARN and
//! PROBATION are not decided for an agency already on probation, nor RECALL_IDLE when
//! it is on probation with no idle accounts, nor again within [`REPEAT_HOLD_DAYS`] of
//! executing; an action a person overrode is not decided again for
//! [`OVERRIDE_HOLD_DAYS`] unless a CRITICAL incident fires.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use entity::agency::{self, AgencyStatus, KindOfWork};
use entity::job_run::RunTrigger;
use entity::placement::{self, PlacementStatus};
use entity::reassignment_decision::{self, DecisionStatus};
use entity::reassignment_policy::Action;
use entity::{account, allocation_run, allocation_strategy, reassignment_run};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, QueryFilter, QuerySelect,
};
use serde_json::json;

use super::evaluate::{self, Inputs, Proposal};
use super::{decision_view, execute, policies};
use crate::domain::actor::Caller;
use crate::domain::allocation::segment::DpdBucket;
use crate::domain::audit::{self, Change};
use crate::domain::eligibility::{EligibilityBook, Question, ReasonCode};
use crate::domain::performance::ScoreSettings;
use crate::domain::performance::facts::Facts;
use crate::domain::performance::figures;
use crate::domain::tx::begin_write;
use crate::error::AppResult;

/// Days an override holds: the same action is not decided again for the agency and
/// segment in this time (unless a CRITICAL incident fires).
pub const OVERRIDE_HOLD_DAYS: i64 = 30;
/// Days a WARN or PROBATION that executed holds against the same decision again.
pub const REPEAT_HOLD_DAYS: i64 = 7;

pub struct ReviewOutcome {
    pub run: reassignment_run::Model,
    /// The decisions this run made.
    pub decisions: Vec<reassignment_decision::Model>,
    /// Due decisions (of this run or earlier ones) whose execution failed, with the
    /// error; the next review tries again.
    pub failed: Vec<(i64, String)>,
}

/// Reviews every agency as of `now`; see the module documentation.
#[tracing::instrument(skip_all, fields(dry_run), err)]
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    now: DateTime<Utc>,
    (trigger, dry_run): (RunTrigger, bool),
    scores: &ScoreSettings,
    buckets: &[DpdBucket],
) -> AppResult<ReviewOutcome> {
    let facts = Facts::load(db, now).await?;
    let all = figures::compute(
        now,
        scores,
        &facts.placements,
        &facts.promises,
        &facts.incidents,
    );
    let lapsed = lapsed_qualifications(db, now).await?;
    let policies = policies::active_by_segment(db).await?;

    let tx = begin_write(db).await?;
    let agencies: HashMap<i64, AgencyStatus> = agency::Entity::find()
        .select_only()
        .columns([agency::Column::Id, agency::Column::Status])
        .into_tuple::<(i64, AgencyStatus)>()
        .all(&tx)
        .await?
        .into_iter()
        .collect();
    let proposals = evaluate::evaluate(&Inputs {
        as_of: now,
        figures: &all,
        incidents: &facts.incidents,
        lapsed: &lapsed,
        statuses: &agencies,
        policies: &policies,
        min_days: scores.min_days,
    });
    let run = reassignment_run::ActiveModel {
        trigger: Set(trigger),
        dry_run: Set(dry_run),
        as_of: Set(now.date_naive()),
        summary: Set(json!({})),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let mut decisions = Vec::new();
    let mut skipped = 0;
    for proposal in proposals {
        match decide(&tx, caller, &run, &agencies, proposal, now).await? {
            Some(decision) => decisions.push(decision),
            None => skipped += 1,
        }
    }
    let summary = json!({
        "decided": decisions.len(),
        "skippedAsRepeats": skipped,
        "policies": policies.len(),
    });
    let mut stored = run.into_active_model();
    stored.summary = Set(summary.clone());
    let run = stored.update(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "reassignment_run.create",
            entity_type: "reassignment_run",
            entity_id: run.id.to_string(),
            before: None,
            after: Some(json!({ "dryRun": dry_run, "asOf": run.as_of, "summary": summary })),
        },
    )
    .await?;
    tx.commit().await?;
    let mut failed = Vec::new();
    if !dry_run {
        failed = execute::execute_due(db, caller, now, (buckets, scores.idle_days))
            .await?
            .failed;
        decisions = reassignment_decision::Entity::find()
            .filter(reassignment_decision::Column::RunId.eq(run.id))
            .all(db)
            .await?;
    }
    Ok(ReviewOutcome {
        run,
        decisions,
        failed,
    })
}

/// Records one proposal as a decision, unless it repeats one in force.
async fn decide<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    run: &reassignment_run::Model,
    agencies: &HashMap<i64, AgencyStatus>,
    proposal: Proposal,
    now: DateTime<Utc>,
) -> AppResult<Option<reassignment_decision::Model>> {
    let on_probation = agencies.get(&proposal.agency_id) == Some(&AgencyStatus::Probation);
    let repeat = match proposal.action {
        Action::Warn | Action::Probation => on_probation,
        Action::RecallIdle => on_probation && proposal.idle_accounts == 0,
        Action::RecallAll => false,
    };
    if repeat {
        return Ok(None);
    }
    // The agency's row lock serialises reviews deciding about it (from any process).
    agency::Entity::find_by_id(proposal.agency_id)
        .lock_exclusive()
        .one(conn)
        .await?;
    let in_force = reassignment_decision::Entity::find()
        .filter(reassignment_decision::Column::AgencyId.eq(proposal.agency_id))
        .filter(reassignment_decision::Column::Segment.eq(proposal.segment.as_str()))
        .filter(reassignment_decision::Column::Currency.eq(proposal.currency.as_str()))
        .filter(reassignment_decision::Column::Status.is_in([
            DecisionStatus::Pending,
            DecisionStatus::Held,
            DecisionStatus::Executing,
        ]))
        .lock_exclusive()
        .all(conn)
        .await?;
    if in_force.iter().any(|d| d.action >= proposal.action) {
        return Ok(None);
    }
    // A held decision is still in force; a stronger one supersedes it as a pending one.
    let pending = in_force
        .into_iter()
        .filter(|d| matches!(d.status, DecisionStatus::Pending | DecisionStatus::Held));
    // A person stopped this (or a stronger) action lately: respect it, unless a CRITICAL
    // incident is new evidence. A warning or probation executed in the last week is not
    // repeated either.
    let recent = reassignment_decision::Entity::find()
        .filter(reassignment_decision::Column::AgencyId.eq(proposal.agency_id))
        .filter(reassignment_decision::Column::Segment.eq(proposal.segment.as_str()))
        .filter(reassignment_decision::Column::Currency.eq(proposal.currency.as_str()))
        .filter(
            reassignment_decision::Column::Status
                .is_in([DecisionStatus::Overridden, DecisionStatus::Executed]),
        )
        .filter(
            reassignment_decision::Column::UpdatedAt.gt(now - Duration::days(OVERRIDE_HOLD_DAYS)),
        )
        .all(conn)
        .await?;
    let overridden = recent
        .iter()
        .any(|d| d.status == DecisionStatus::Overridden && d.action >= proposal.action);
    let done_lately = proposal.action <= Action::Probation
        && recent.iter().any(|d| {
            d.status == DecisionStatus::Executed
                && d.action >= proposal.action
                && d.updated_at > now - Duration::days(REPEAT_HOLD_DAYS)
        });
    if (overridden && !proposal.critical) || done_lately {
        return Ok(None);
    }
    let status = if run.dry_run {
        DecisionStatus::Proposed
    } else {
        for weaker in pending {
            let before = decision_view(&weaker);
            let mut superseded = weaker.into_active_model();
            superseded.status = Set(DecisionStatus::Superseded);
            superseded.updated_at = Set(now);
            let superseded = superseded.update(conn).await?;
            record(
                conn,
                caller,
                "reassignment_decision.supersede",
                Some(before),
                &superseded,
            )
            .await?;
        }
        DecisionStatus::Pending
    };
    let grace = if proposal.critical {
        Duration::zero()
    } else {
        Duration::hours(proposal.grace_hours.into())
    };
    let decision = reassignment_decision::ActiveModel {
        run_id: Set(run.id),
        policy_id: Set(proposal.policy_id),
        agency_id: Set(proposal.agency_id),
        segment: Set(proposal.segment),
        currency: Set(proposal.currency),
        action: Set(proposal.action),
        status: Set(status),
        findings: Set(serde_json::to_value(&proposal.findings)
            .map_err(|e| crate::error::AppError::Internal(e.into()))?),
        decided_at: Set(now),
        execute_after: Set(now + grace),
        placement_ids: Set(None),
        outcome: Set(None),
        executed_at: Set(None),
        override_reason: Set(None),
        overridden_by: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if !run.dry_run {
        record(
            conn,
            caller,
            "reassignment_decision.create",
            None,
            &decision,
        )
        .await?;
    }
    Ok(Some(decision))
}

pub(super) async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    before: Option<serde_json::Value>,
    after: &reassignment_decision::Model,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action,
            entity_type: "reassignment_decision",
            entity_id: after.id.to_string(),
            before,
            after: Some(decision_view(after)),
        },
    )
    .await
}

/// (agency, segment) pairs where the agency holds ACTIVE placements in a region it is no
/// longer qualified for (a required qualification missing, expired or out of date),
/// with the reasons.
async fn lapsed_qualifications<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> AppResult<HashMap<(i64, String), Vec<String>>> {
    #[derive(FromQueryResult)]
    struct Held {
        agency_id: i64,
        segment: String,
        kind: KindOfWork,
        region: String,
    }
    let select = Query::select()
        .distinct()
        .expr_as(
            Expr::col((placement::Entity, placement::Column::AgencyId)),
            "agency_id",
        )
        .expr_as(
            Expr::col((
                allocation_strategy::Entity,
                allocation_strategy::Column::Code,
            )),
            "segment",
        )
        .expr_as(
            Expr::col((
                allocation_strategy::Entity,
                allocation_strategy::Column::KindOfWork,
            )),
            "kind",
        )
        .expr_as(
            Expr::col((account::Entity, account::Column::Region)),
            "region",
        )
        .from(placement::Entity)
        .join(
            JoinType::InnerJoin,
            account::Entity,
            Expr::col((account::Entity, account::Column::Id))
                .equals((placement::Entity, placement::Column::AccountId)),
        )
        .join(
            JoinType::InnerJoin,
            allocation_run::Entity,
            Expr::col((allocation_run::Entity, allocation_run::Column::Id))
                .equals((placement::Entity, placement::Column::AllocationRunId)),
        )
        .join(
            JoinType::InnerJoin,
            allocation_strategy::Entity,
            Expr::col((allocation_strategy::Entity, allocation_strategy::Column::Id))
                .equals((allocation_run::Entity, allocation_run::Column::StrategyId)),
        )
        .and_where(
            Expr::col((placement::Entity, placement::Column::Status)).eq(PlacementStatus::Active),
        )
        .to_owned();
    let held = Held::find_by_statement(conn.get_database_backend().build(&select))
        .all(conn)
        .await?;
    let mut agency_ids: Vec<i64> = held.iter().map(|h| h.agency_id).collect();
    agency_ids.sort_unstable();
    agency_ids.dedup();
    let book = EligibilityBook::load(conn, &agency_ids).await?;
    let today = now.date_naive();
    let mut lapsed: BTreeMap<(i64, String), Vec<String>> = BTreeMap::new();
    for held in held {
        let verdict = book.evaluate(
            held.agency_id,
            &Question {
                kind: held.kind,
                region: held.region,
                from: today,
                to: today,
            },
        )?;
        let reasons: Vec<String> = verdict
            .reasons
            .into_iter()
            .filter(|r| {
                matches!(
                    r.code,
                    ReasonCode::Missing | ReasonCode::Expired | ReasonCode::Outdated
                )
            })
            .map(|r| r.message)
            .collect();
        if !reasons.is_empty() {
            lapsed
                .entry((held.agency_id, held.segment))
                .or_default()
                .extend(reasons);
        }
    }
    Ok(lapsed.into_iter().collect())
}
