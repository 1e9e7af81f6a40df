//! Reading accounts, and the lender changing an account's flags. An agency sees only the
//! accounts it actively holds; any other account is, for it, not found. Accounts are
//! written by the intake workflow; balances and the contact status by agencies' reports.

use entity::account::{self, AccountFlag, AccountFlags, Product};
use entity::account_flag_change;
use entity::placement::{self, PlacementStatus};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Select,
};
use serde_json::json;

use super::actor::{Caller, Scope};
use super::audit::{self, Change};
use super::compliance::rules::FlagChange;
use super::outbox::{self, Event};
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub portfolio_id: Option<i64>,
    pub region: Option<String>,
    pub product: Option<Product>,
    pub lender_reference: Option<String>,
}

/// The audit log's view of an account: of the national ID, only the last four characters.
pub fn audit_view(account: &account::Model) -> serde_json::Value {
    json!({
        "portfolioId": account.portfolio_id,
        "lenderReference": account.lender_reference,
        "debtorName": account.debtor_name,
        "phones": account.debtor_phones,
        "email": account.debtor_email,
        "nationalIdLast4": account.national_id_last4,
        "region": account.region,
        "timeZone": account.time_zone,
        "product": account.product,
        "principalMinor": account.principal_minor,
        "outstandingMinor": account.outstanding_minor,
        "currency": account.currency,
        "delinquencyStart": account.delinquency_start,
        "chargeOffDate": account.charge_off_date,
        "flags": account.flags,
    })
}

fn scoped(scope: Scope) -> Select<account::Entity> {
    let select = account::Entity::find();
    match scope {
        Scope::Lender => select,
        Scope::Agency(agency_id) => select.filter(
            account::Column::Id.in_subquery(
                Query::select()
                    .column(placement::Column::AccountId)
                    .from(placement::Entity)
                    .and_where(placement::Column::AgencyId.eq(agency_id))
                    .and_where(placement::Column::Status.eq(PlacementStatus::Active))
                    .to_owned(),
            ),
        ),
    }
}

pub async fn get<C: ConnectionTrait>(conn: &C, scope: Scope, id: i64) -> AppResult<account::Model> {
    scoped(scope)
        .filter(account::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("account", id))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    filter: AccountFilter,
    page: PageRequest,
) -> AppResult<Page<account::Model>> {
    use account::Column;
    let mut select = scoped(scope);
    if let Some(portfolio_id) = filter.portfolio_id {
        select = select.filter(Column::PortfolioId.eq(portfolio_id));
    }
    if let Some(region) = validate::filter_text("filter.region", filter.region)? {
        select = select.filter(Column::Region.eq(region));
    }
    if let Some(product) = filter.product {
        select = select.filter(Column::Product.eq(product));
    }
    if let Some(reference) =
        validate::filter_text("filter.lenderReference", filter.lender_reference)?
    {
        select = select.filter(Column::LenderReference.eq(reference));
    }
    fetch_page(conn, select, Column::Id, page, Direction::Ascending).await
}

/// The lender sets or lifts flags (e.g. lifts DISPUTED once the debt is verified, or sets
/// BANKRUPTCY), with the reason. Audited; the lender side and the agency holding the
/// account are told. Asking for what is already so changes nothing.
pub async fn change_flags(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
    add: Vec<AccountFlag>,
    remove: Vec<AccountFlag>,
    reason: String,
) -> AppResult<account::Model> {
    let reason = validate::text("reason", &reason, 2000)?;
    validate::at_most("add", add.len(), validate::MAX_LIST)?;
    validate::at_most("remove", remove.len(), validate::MAX_LIST)?;
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::bad_input("add", "name flags to add or to remove"));
    }
    if add.iter().any(|flag| remove.contains(flag)) {
        return Err(AppError::bad_input(
            "remove",
            "a flag cannot be added and removed at once",
        ));
    }
    let tx = begin_write(db).await?;
    let before = account::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("account", id))?;
    let mut flags: Vec<AccountFlag> = before
        .flags
        .0
        .iter()
        .copied()
        .filter(|flag| !remove.contains(flag))
        .collect();
    flags.extend(add);
    let flags = AccountFlags(validate::dedup(flags));
    if flags == before.flags {
        return Ok(before);
    }
    let mut changed = before.clone().into_active_model();
    changed.flags = Set(flags);
    changed.updated_at = Set(caller.now);
    let after = changed.update(&tx).await?;
    let now = after.updated_at;
    let lifted = before.flags.0.iter().filter(|f| !after.flags.0.contains(f));
    let set = after.flags.0.iter().filter(|f| !before.flags.0.contains(f));
    let flag_changes: Vec<(i64, FlagChange, Option<i64>)> = lifted
        .map(|&flag| (flag, false))
        .chain(set.map(|&flag| (flag, true)))
        .map(|(flag, set)| (id, FlagChange { flag, set, at: now }, None))
        .collect();
    record_flag_changes(&tx, caller, flag_changes).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "account.flags",
            entity_type: "account",
            entity_id: id.to_string(),
            before: Some(audit_view(&before)),
            after: Some(json!({ "account": audit_view(&after), "reason": reason })),
        },
    )
    .await?;
    let holder = placement::Entity::find()
        .filter(placement::Column::AccountId.eq(id))
        .filter(placement::Column::Status.eq(PlacementStatus::Active))
        .one(&tx)
        .await?
        .map(|p| p.agency_id);
    for agency_id in [None, holder]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
    {
        outbox::enqueue(
            &tx,
            caller.now,
            Event {
                topic: "account.contact_status_changed",
                agency_id,
                entity_type: "account",
                entity_id: id.to_string(),
                payload: json!({
                    "accountId": id.to_string(),
                    "lenderReference": after.lender_reference,
                    "flagsBefore": before.flags,
                    "flags": after.flags,
                    "reason": reason,
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Records flag changes (set or lifted, when, by which reported request) for the rules to
/// judge contacts by the flags in force at the time, and marks the accounts' ACTIVE
/// placements changed, so the agencies holding them see the new flags at their next
/// `myPlacements(since)` poll (a flag another agency or the lender set is theirs to obey).
pub async fn record_flag_changes<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    changes: impl IntoIterator<Item = (i64, FlagChange, Option<i64>)>,
) -> AppResult<()> {
    let changed_by = caller.actor.audit_name();
    let changes: Vec<(i64, FlagChange, Option<i64>)> = changes.into_iter().collect();
    let mut accounts: Vec<i64> = changes.iter().map(|(account_id, ..)| *account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    for chunk in accounts.chunks(5_000) {
        placement::Entity::update_many()
            .col_expr(placement::Column::UpdatedAt, Expr::value(caller.now))
            .filter(placement::Column::AccountId.is_in(chunk.to_vec()))
            .filter(placement::Column::Status.eq(PlacementStatus::Active))
            .exec(conn)
            .await?;
    }
    let rows: Vec<account_flag_change::ActiveModel> = changes
        .into_iter()
        .map(
            |(account_id, change, activity_id)| account_flag_change::ActiveModel {
                account_id: Set(account_id),
                flag: Set(change.flag.into()),
                set: Set(change.set),
                at: Set(change.at),
                activity_id: Set(activity_id),
                changed_by: Set(changed_by.clone()),
                ..Default::default()
            },
        )
        .collect();
    // A change binds 6 values: 5,000 per statement stay within SQLite's 32,766.
    for chunk in rows.chunks(5_000) {
        account_flag_change::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
