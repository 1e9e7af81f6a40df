//! `resolveReconciliationItem`: finance works a reconciliation's exceptions (agency-only,
//! ledger-only, amount mismatches) by recording what was decided and why. Only the
//! latest run of a period is worked; re-running the period carries each resolution to
//! the same line (same class, account, payments, entries and amounts) of the new run.

use std::collections::HashMap;

use entity::reconciliation_item::{self, Ids, MatchClass, Resolution};
use entity::reconciliation_run;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::tx::{FINANCE_LOCK, begin_write, serialise};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The longest note kept.
pub const MAX_NOTE: usize = 2_000;

/// The resolutions that fit a class of line; none for lines that are not exceptions.
pub fn fitting(class: MatchClass) -> &'static [Resolution] {
    use Resolution::*;
    match class {
        MatchClass::AgencyOnly => &[AgencyToRemit, AgencyReportCorrected, WrittenOff],
        MatchClass::LedgerOnly => &[
            AttributionConfirmed,
            NotAnAgencyRecovery,
            LedgerCorrected,
            WrittenOff,
        ],
        MatchClass::AmountMismatch => &[
            AgencyToRemit,
            AgencyReportCorrected,
            LedgerCorrected,
            WrittenOff,
        ],
        MatchClass::Matched | MatchClass::Reversed => &[],
    }
}

pub struct Resolve {
    pub item_id: i64,
    pub resolution: Resolution,
    pub note: String,
}

/// Records finance's resolution of one exception (a later one replaces it, audited).
#[tracing::instrument(skip_all, fields(item = resolve.item_id), err)]
pub async fn resolve(
    db: &DatabaseConnection,
    caller: &Caller,
    resolve: Resolve,
) -> AppResult<reconciliation_item::Model> {
    let note = validate::text("note", &resolve.note, MAX_NOTE)?;
    let tx = begin_write(db).await?;
    serialise(&tx, FINANCE_LOCK).await?;
    let before = reconciliation_item::Entity::find_by_id(resolve.item_id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reconciliation item", resolve.item_id))?;
    let fits = fitting(before.class);
    if fits.is_empty() {
        return Err(AppError::bad_input(
            "itemId",
            format!(
                "item {} is {:?}: only exceptions (agency-only, ledger-only, amount mismatch) are resolved",
                before.id, before.class
            ),
        ));
    }
    if !fits.contains(&resolve.resolution) {
        return Err(AppError::bad_input(
            "resolution",
            format!(
                "{:?} does not fit a {:?} line; it takes one of {fits:?}",
                resolve.resolution, before.class
            ),
        ));
    }
    let run = reconciliation_run::Entity::find_by_id(before.run_id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("reconciliation run", before.run_id))?;
    let latest = latest_run(&tx, &run).await?;
    if latest != run.id {
        return Err(AppError::Conflict(format!(
            "run {} of this period was superseded by run {latest}: resolve the line there",
            run.id
        )));
    }
    let after = reconciliation_item::Model {
        resolution: Some(resolve.resolution),
        resolution_note: Some(note),
        resolved_by: Some(caller.actor.audit_name()),
        resolved_by_name: Some(caller.actor.display_name().to_owned()),
        resolved_at: Some(caller.now),
        ..before.clone()
    };
    reconciliation_item::Entity::update(reconciliation_item::ActiveModel {
        id: Set(after.id),
        resolution: Set(after.resolution),
        resolution_note: Set(after.resolution_note.clone()),
        resolved_by: Set(after.resolved_by.clone()),
        resolved_by_name: Set(after.resolved_by_name.clone()),
        resolved_at: Set(after.resolved_at),
        ..Default::default()
    })
    .exec(&tx)
    .await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "reconciliation_item.resolve",
            entity_type: "reconciliation_item",
            entity_id: after.id.to_string(),
            before: Some(audit_view(&before)),
            after: Some(audit_view(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn latest_run<C: ConnectionTrait>(
    conn: &C,
    run: &reconciliation_run::Model,
) -> AppResult<i64> {
    Ok(reconciliation_run::Entity::find()
        .select_only()
        .column(reconciliation_run::Column::Id)
        .filter(reconciliation_run::Column::PeriodStart.eq(run.period_start))
        .filter(reconciliation_run::Column::PeriodEnd.eq(run.period_end))
        .order_by_desc(reconciliation_run::Column::Id)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .unwrap_or(run.id))
}

/// What makes two runs' lines the same line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineKey {
    class: MatchClass,
    account_id: i64,
    payment_ids: Vec<i64>,
    ledger_entry_ids: Vec<i64>,
    reported_minor: i64,
    received_minor: i64,
}

impl LineKey {
    pub fn of(item: &reconciliation_item::ActiveModel) -> Option<Self> {
        let value = |v: &sea_orm::ActiveValue<Ids>| v.try_as_ref().map(|ids| ids.0.clone());
        Some(Self {
            class: *item.class.try_as_ref()?,
            account_id: *item.account_id.try_as_ref()?,
            payment_ids: value(&item.payment_ids)?,
            ledger_entry_ids: value(&item.ledger_entry_ids)?,
            reported_minor: *item.reported_minor.try_as_ref()?,
            received_minor: *item.received_minor.try_as_ref()?,
        })
    }
}

/// The resolved lines of run `run_id`, to carry to the period's next run.
pub async fn resolved<C: ConnectionTrait>(
    conn: &C,
    run_id: i64,
) -> AppResult<HashMap<LineKey, reconciliation_item::Model>> {
    let items = reconciliation_item::Entity::find()
        .filter(reconciliation_item::Column::RunId.eq(run_id))
        .filter(reconciliation_item::Column::Resolution.is_not_null())
        .all(conn)
        .await?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let key = LineKey::of(&item.clone().into())?;
            Some((key, item))
        })
        .collect())
}

/// `item` with the resolution of the same line of the previous run, if it had one.
pub fn carry(
    mut item: reconciliation_item::ActiveModel,
    resolved: &HashMap<LineKey, reconciliation_item::Model>,
) -> reconciliation_item::ActiveModel {
    if let Some(earlier) = LineKey::of(&item).and_then(|key| resolved.get(&key)) {
        item.resolution = Set(earlier.resolution);
        item.resolution_note = Set(earlier.resolution_note.clone());
        item.resolved_by = Set(earlier.resolved_by.clone());
        item.resolved_by_name = Set(earlier.resolved_by_name.clone());
        item.resolved_at = Set(earlier.resolved_at);
    }
    item
}

fn audit_view(item: &reconciliation_item::Model) -> serde_json::Value {
    json!({
        "runId": item.run_id.to_string(),
        "class": item.class,
        "accountId": item.account_id.to_string(),
        "resolution": item.resolution,
        "note": item.resolution_note,
        "resolvedAt": item.resolved_at.map(|at| at.to_rfc3339()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exceptions_take_resolutions_and_each_takes_those_that_fit_it() {
        assert!(fitting(MatchClass::Matched).is_empty());
        assert!(fitting(MatchClass::Reversed).is_empty());
        assert!(fitting(MatchClass::AgencyOnly).contains(&Resolution::AgencyToRemit));
        assert!(!fitting(MatchClass::AgencyOnly).contains(&Resolution::AttributionConfirmed));
        assert!(fitting(MatchClass::LedgerOnly).contains(&Resolution::NotAnAgencyRecovery));
        assert!(!fitting(MatchClass::LedgerOnly).contains(&Resolution::AgencyToRemit));
        for class in [
            MatchClass::AgencyOnly,
            MatchClass::LedgerOnly,
            MatchClass::AmountMismatch,
        ] {
            assert!(
                fitting(class).contains(&Resolution::WrittenOff),
                "{class:?}"
            );
        }
    }
}
