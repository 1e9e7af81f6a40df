//! Commission plans: versioned by effective date, per agency or the default (audited).
//! The plan in force for money received on a day is the agency's latest version effective
//! by then, or else the default's.

use chrono::NaiveDate;
use entity::agency;
use entity::commission_plan::{self, PlanRules};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::domain::actor::Caller;
use crate::domain::allocation::segment::DpdBucket;
use crate::domain::audit::{self, Change};
use crate::domain::tx::begin_write;
use crate::domain::{money, validate};
use crate::error::{AppError, AppResult};

fn check(rules: &PlanRules, buckets: &[DpdBucket]) -> AppResult<()> {
    money::currency(&rules.currency)?;
    if rules.tiers.is_empty() || rules.tiers.len() > 50 {
        return Err(AppError::bad_input("tiers", "name 1 to 50 tiers"));
    }
    for (i, tier) in rules.tiers.iter().enumerate() {
        let field = format!("tiers.{i}.dpdBuckets");
        validate::at_most(&field, tier.dpd_buckets.len(), validate::MAX_LIST)?;
        if !(0..=10_000).contains(&tier.rate_bp) {
            return Err(AppError::bad_input(
                &format!("tiers.{i}.rateBp"),
                "a rate is 0 to 10000 basis points",
            ));
        }
        if let Some(bucket) = tier
            .dpd_buckets
            .iter()
            .find(|b| !buckets.iter().any(|known| &known.name == *b))
        {
            return Err(AppError::bad_input(
                &format!("tiers.{i}.dpdBuckets"),
                format!("no DPD bucket '{bucket}'"),
            ));
        }
        if let (Some(min), Some(max)) = (tier.min_balance_minor, tier.max_balance_minor)
            && max <= min
        {
            return Err(AppError::bad_input(
                &format!("tiers.{i}.maxBalance"),
                "the band's top must be above its bottom",
            ));
        }
    }
    if let Some(bonus) = &rules.bonus
        && (!(0..=10_000).contains(&bonus.target_recovery_bp)
            || !(0..=10_000).contains(&bonus.extra_rate_bp))
    {
        return Err(AppError::bad_input(
            "bonus",
            "the target and the extra rate are 0 to 10000 basis points",
        ));
    }
    if rules.cap_per_account_minor.is_some_and(|cap| cap < 0) {
        return Err(AppError::bad_input(
            "capPerAccount",
            "a cap cannot be negative",
        ));
    }
    if !(0..=3_650).contains(&rules.clawback_days) {
        return Err(AppError::bad_input("clawbackDays", "0 to 3650 days"));
    }
    Ok(())
}

/// Adds a plan version: the agency's own (`agency_id`) or the default, in force from
/// `effective_from`.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    buckets: &[DpdBucket],
    agency_id: Option<i64>,
    effective_from: NaiveDate,
    rules: PlanRules,
) -> AppResult<commission_plan::Model> {
    check(&rules, buckets)?;
    let tx = begin_write(db).await?;
    if let Some(id) = agency_id
        && agency::Entity::find_by_id(id).count(&tx).await? == 0
    {
        return Err(AppError::not_found("agency", id));
    }
    let plan = commission_plan::ActiveModel {
        agency_id: Set(agency_id),
        effective_from: Set(effective_from),
        rules: Set(rules),
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
            action: "commission_plan.create",
            entity_type: "commission_plan",
            entity_id: plan.id.to_string(),
            before: None,
            after: Some(json!({
                "agencyId": plan.agency_id,
                "effectiveFrom": plan.effective_from,
                "rules": plan.rules,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plan)
}

/// Plans by effective date, newest first; an agency's own and the default ones.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    agency_id: Option<i64>,
) -> AppResult<Vec<commission_plan::Model>> {
    let mut select = commission_plan::Entity::find()
        .order_by_desc(commission_plan::Column::EffectiveFrom)
        .order_by_desc(commission_plan::Column::Id);
    if let Some(agency_id) = agency_id {
        select = select.filter(
            commission_plan::Column::AgencyId
                .eq(agency_id)
                .or(commission_plan::Column::AgencyId.is_null()),
        );
    }
    Ok(select.all(conn).await?)
}

/// The plan in force for an agency on a day in a currency, from `plans` (as [`list`]
/// returns them).
pub fn in_force<'a>(
    plans: &'a [commission_plan::Model],
    agency_id: i64,
    day: NaiveDate,
    currency: &str,
) -> Option<&'a commission_plan::Model> {
    let effective =
        |p: &&commission_plan::Model| p.effective_from <= day && p.rules.currency == currency;
    plans
        .iter()
        .filter(effective)
        .find(|p| p.agency_id == Some(agency_id))
        .or_else(|| {
            plans
                .iter()
                .filter(effective)
                .find(|p| p.agency_id.is_none())
        })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn plan(id: i64, agency_id: Option<i64>, from: &str) -> commission_plan::Model {
        commission_plan::Model {
            id,
            agency_id,
            effective_from: from.parse().unwrap(),
            rules: PlanRules {
                currency: "USD".into(),
                tiers: Vec::new(),
                bonus: None,
                cap_per_account_minor: None,
                clawback_days: 60,
                direct_payments_earn: true,
            },
            created_by: "test".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_agencys_latest_effective_version_wins_over_the_default() {
        // Newest effective first, as `list` returns them.
        let plans = [
            plan(4, Some(7), "2026-12-01"),
            plan(3, None, "2026-11-01"),
            plan(2, Some(7), "2026-10-01"),
            plan(1, None, "2026-01-01"),
        ];
        let on =
            |agency, day: &str| in_force(&plans, agency, day.parse().unwrap(), "USD").map(|p| p.id);
        assert_eq!(
            on(7, "2026-09-30"),
            Some(1),
            "the default until its own begins"
        );
        assert_eq!(on(7, "2026-11-15"), Some(2));
        assert_eq!(on(7, "2026-12-01"), Some(4));
        assert_eq!(on(8, "2026-11-15"), Some(3));
        assert_eq!(on(8, "2025-12-31"), None);
    }
}
