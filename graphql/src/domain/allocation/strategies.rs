//! Allocation strategies: versioned rules, audited. A revision adds the next version and
//! retires the previous one; runs keep pointing at the version they applied.

use std::str::FromStr;

use entity::agency::{self, KindOfWork};
use entity::allocation_strategy::{self, AgencyIds, Segment, SplitMethod};
use entity::placement::PlacementLevel;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::segment::DpdBucket;
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tx::begin_write;
use crate::domain::validate::{self, MAX_LIST};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct StrategyInput {
    pub name: String,
    pub kind_of_work: KindOfWork,
    pub level: PlacementLevel,
    pub segment: Segment,
    pub pool_agency_ids: Option<Vec<i64>>,
    pub period_days: i32,
    pub pending_recall_warning_days: i32,
    pub split_method: SplitMethod,
    pub champion_agency_id: Option<i64>,
    pub champion_share_bp: i32,
    pub floor_share_bp: i32,
    pub exclude_previous_holders: bool,
}

fn audit_view(s: &allocation_strategy::Model) -> serde_json::Value {
    json!({
        "code": s.code,
        "version": s.version,
        "name": s.name,
        "kindOfWork": s.kind_of_work,
        "level": s.level,
        "segment": s.segment,
        "poolAgencyIds": s.pool_agency_ids,
        "periodDays": s.period_days,
        "pendingRecallWarningDays": s.pending_recall_warning_days,
        "splitMethod": s.split_method,
        "championAgencyId": s.champion_agency_id,
        "championShareBp": s.champion_share_bp,
        "floorShareBp": s.floor_share_bp,
        "excludePreviousHolders": s.exclude_previous_holders,
        "active": s.active,
    })
}

async fn check<C: ConnectionTrait>(
    conn: &C,
    buckets: &[DpdBucket],
    input: &StrategyInput,
) -> AppResult<()> {
    validate::text("name", &input.name, 200)?;
    let segment = &input.segment;
    validate::at_most("segment.dpdBuckets", segment.dpd_buckets.len(), MAX_LIST)?;
    validate::at_most("segment.regions", segment.regions.len(), MAX_LIST)?;
    validate::at_most("segment.products", segment.products.len(), MAX_LIST)?;
    let pool = input.pool_agency_ids.as_ref().map_or(0, Vec::len);
    validate::at_most("poolAgencyIds", pool, MAX_LIST)?;
    for bucket in &input.segment.dpd_buckets {
        if !buckets.iter().any(|b| &b.name == bucket) {
            let known: Vec<&str> = buckets.iter().map(|b| b.name.as_str()).collect();
            return Err(AppError::bad_input(
                "segment.dpdBuckets",
                format!("no DPD bucket '{bucket}'; configured: {}", known.join(", ")),
            ));
        }
    }
    for region in &input.segment.regions {
        validate::region("segment.regions", region)?;
    }
    let bound = |field: &str, value: &Option<String>| -> AppResult<Option<Decimal>> {
        value
            .as_deref()
            .map(|v| {
                Decimal::from_str(v)
                    .ok()
                    .filter(|d| *d >= Decimal::ZERO)
                    .ok_or_else(|| {
                        AppError::bad_input(field, format!("'{v}' is not a non-negative amount"))
                    })
            })
            .transpose()
    };
    let min = bound("segment.minBalance", &input.segment.min_balance)?;
    let max = bound("segment.maxBalance", &input.segment.max_balance)?;
    if let (Some(min), Some(max)) = (min, max)
        && max <= min
    {
        return Err(AppError::bad_input(
            "segment.maxBalance",
            "the band's top must be above its bottom",
        ));
    }
    if !(1..=730).contains(&input.period_days) {
        return Err(AppError::bad_input(
            "periodDays",
            "a placement lasts 1 to 730 days",
        ));
    }
    if !(0..input.period_days).contains(&input.pending_recall_warning_days) {
        return Err(AppError::bad_input(
            "pendingRecallWarningDays",
            "the warning comes 0 or more days before the period ends, within it",
        ));
    }
    for (field, bp) in [
        ("championShareBp", input.champion_share_bp),
        ("floorShareBp", input.floor_share_bp),
    ] {
        if !(0..=10_000).contains(&bp) {
            return Err(AppError::bad_input(
                field,
                "a share is 0 to 10000 basis points",
            ));
        }
    }
    if input.split_method == SplitMethod::ChampionChallenger && input.champion_agency_id.is_none() {
        return Err(AppError::bad_input(
            "championAgencyId",
            "a champion/challenger split names its champion",
        ));
    }
    let mut named: Vec<i64> = input.pool_agency_ids.clone().unwrap_or_default();
    if let Some(pool) = &input.pool_agency_ids {
        if pool.is_empty() {
            return Err(AppError::bad_input(
                "poolAgencyIds",
                "name at least one agency, or leave the pool out",
            ));
        }
        if let Some(champion) = input.champion_agency_id
            && !pool.contains(&champion)
        {
            return Err(AppError::bad_input(
                "championAgencyId",
                "the champion must be in the pool",
            ));
        }
    }
    named.extend(input.champion_agency_id);
    named.sort_unstable();
    named.dedup();
    let found = agency::Entity::find()
        .filter(any_of(
            conn.get_database_backend(),
            agency::Column::Id,
            named.iter().copied(),
        ))
        .count(conn)
        .await?;
    if found != named.len() as u64 {
        return Err(AppError::bad_input(
            "poolAgencyIds",
            "an agency named in the pool does not exist",
        ));
    }
    Ok(())
}

fn active_model(
    code: String,
    version: i32,
    input: StrategyInput,
    caller: &Caller,
) -> allocation_strategy::ActiveModel {
    allocation_strategy::ActiveModel {
        code: Set(code),
        version: Set(version),
        name: Set(input.name.trim().to_owned()),
        kind_of_work: Set(input.kind_of_work),
        level: Set(input.level),
        segment: Set(input.segment),
        pool_agency_ids: Set(input.pool_agency_ids.map(AgencyIds)),
        period_days: Set(input.period_days),
        pending_recall_warning_days: Set(input.pending_recall_warning_days),
        split_method: Set(input.split_method),
        champion_agency_id: Set(input.champion_agency_id),
        champion_share_bp: Set(input.champion_share_bp),
        floor_share_bp: Set(input.floor_share_bp),
        exclude_previous_holders: Set(input.exclude_previous_holders),
        active: Set(true),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        ..Default::default()
    }
}

/// Creates version 1 of a new strategy.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    buckets: &[DpdBucket],
    code: &str,
    input: StrategyInput,
) -> AppResult<allocation_strategy::Model> {
    let code = validate::code("code", code)?;
    let tx = begin_write(db).await?;
    check(&tx, buckets, &input).await?;
    let exists = allocation_strategy::Entity::find()
        .filter(allocation_strategy::Column::Code.eq(code.as_str()))
        .count(&tx)
        .await?;
    if exists > 0 {
        return Err(AppError::Conflict(format!(
            "strategy {code} exists: revise it instead"
        )));
    }
    let saved = active_model(code, 1, input, caller).insert(&tx).await?;
    record(&tx, caller, "allocation_strategy.create", None, &saved).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Adds the next version of a strategy and retires the current one.
pub async fn revise(
    db: &DatabaseConnection,
    caller: &Caller,
    buckets: &[DpdBucket],
    code: &str,
    input: StrategyInput,
) -> AppResult<allocation_strategy::Model> {
    let code = validate::code("code", code)?;
    let tx = begin_write(db).await?;
    check(&tx, buckets, &input).await?;
    let current = allocation_strategy::Entity::find()
        .filter(allocation_strategy::Column::Code.eq(code.as_str()))
        .order_by_desc(allocation_strategy::Column::Version)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("strategy", code))?;
    let mut retired = current.clone().into_active_model();
    retired.active = Set(false);
    retired.update(&tx).await?;
    let saved = active_model(current.code.clone(), current.version + 1, input, caller)
        .insert(&tx)
        .await?;
    record(
        &tx,
        caller,
        "allocation_strategy.revise",
        Some(&current),
        &saved,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    before: Option<&allocation_strategy::Model>,
    after: &allocation_strategy::Model,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action,
            entity_type: "allocation_strategy",
            entity_id: after.id.to_string(),
            before: before.map(audit_view),
            after: Some(audit_view(after)),
        },
    )
    .await
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<allocation_strategy::Model> {
    allocation_strategy::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("strategy", id))
}

/// Strategies, oldest first; with `active_only`, the current version of each.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    active_only: bool,
    page: PageRequest,
) -> AppResult<Page<allocation_strategy::Model>> {
    let mut select = allocation_strategy::Entity::find();
    if active_only {
        select = select.filter(allocation_strategy::Column::Active.eq(true));
    }
    fetch_page(
        conn,
        select,
        allocation_strategy::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}
