//! `reportPayments`: money an agency collected (or a debtor paid the lender directly) on
//! an account it holds, or held within the tail period. Accepted payments reduce the
//! balance; one that clears it closes the placement as PAID.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::account;
use entity::payment::{self, PaidTo, PaymentMethod};
use entity::placement::{self, PlacementStatus};
use rust_decimal::Decimal;
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter,
};
use serde::Serialize;
use serde_json::json;

use super::batch::{self, Batch};
use super::held::{lock_accounts, placements_of};
use super::{
    ItemCode, ItemError, ItemOutcome, ROWS_PER_STATEMENT, ReportingSettings, account_id,
    check_batch_size, external_id, not_in_future, reporting_agency,
};
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::placement_lifecycle;
use crate::domain::tx::begin_write;
use crate::domain::{accounts, metrics, money, validate};
use crate::error::AppResult;

/// One payment as an agency reports it.
#[derive(Clone, Debug)]
pub struct PaymentItem {
    pub external_id: String,
    pub account_id: String,
    pub amount: Decimal,
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    pub method: PaymentMethod,
    pub paid_to: PaidTo,
    pub agency_reference: Option<String>,
}

/// An item that passed its own checks, in canonical form (its JSON is hashed).
#[derive(Clone, Debug, Serialize)]
struct Checked {
    external_id: String,
    account_id: i64,
    amount_minor: i64,
    currency: String,
    paid_at: DateTime<Utc>,
    method: PaymentMethod,
    paid_to: PaidTo,
    agency_reference: Option<String>,
}

impl batch::Checked for Checked {
    fn external_id(&self) -> &str {
        &self.external_id
    }

    fn account_id(&self) -> i64 {
        self.account_id
    }
}

fn check_item(
    item: PaymentItem,
    now: DateTime<Utc>,
    settings: &ReportingSettings,
) -> Result<Checked, ItemError> {
    let external_id = external_id(&item.external_id)?;
    let account_id = account_id(&item.account_id)?;
    let currency =
        money::currency(&item.currency).map_err(|e| ItemError::from_app("currency", e))?;
    let amount_minor =
        money::to_minor(item.amount, currency).map_err(|e| ItemError::from_app("amount", e))?;
    if amount_minor <= 0 {
        return Err(ItemError::field(
            "amount",
            "a payment is for more than zero",
        ));
    }
    not_in_future(item.paid_at, now, settings, ItemCode::PaidInFuture)?;
    let agency_reference =
        validate::optional_text("agencyReference", item.agency_reference.as_deref(), 128)
            .map_err(|e| ItemError::from_app("agencyReference", e))?;
    Ok(Checked {
        external_id,
        account_id,
        amount_minor,
        currency: currency.code().to_owned(),
        paid_at: item.paid_at,
        method: item.method,
        paid_to: item.paid_to,
        agency_reference,
    })
}

/// The agency's placement the payment is attributed to: the latest one placed by the
/// payment's time, still active or ended no longer than the tail period before it.
fn attribute<'a>(
    item: &Checked,
    account: Option<&account::Model>,
    placements: Option<&'a Vec<placement::Model>>,
    tail: Duration,
) -> Result<&'a placement::Model, ItemError> {
    let not_held = ItemError::new(
        ItemCode::AccountNotHeld,
        format!("account {} is not held by this agency", item.account_id),
    );
    let (Some(account), Some(placements)) = (account, placements) else {
        return Err(not_held);
    };
    if item.currency != account.currency {
        return Err(ItemError::new(
            ItemCode::CurrencyMismatch,
            format!(
                "the account is in {}, not {}",
                account.currency, item.currency
            ),
        ));
    }
    if let Some(placement) = placements.iter().rev().find(|p| {
        p.placed_at <= item.paid_at && p.ended_at.is_none_or(|ended| item.paid_at <= ended + tail)
    }) {
        return Ok(placement);
    }
    if placements.iter().all(|p| item.paid_at < p.placed_at) {
        return Err(ItemError::new(
            ItemCode::PaidBeforePlacement,
            format!(
                "{} is before the account was placed with this agency",
                item.paid_at
            ),
        ));
    }
    Err(ItemError::new(
        ItemCode::OutsideTailPeriod,
        format!(
            "{} is more than {} days after this agency's placement ended",
            item.paid_at,
            tail.num_days()
        ),
    ))
}

/// Reports a batch of payments for the caller's agency. One transaction; every item
/// gets its outcome, in the order sent.
pub async fn report(
    db: &DatabaseConnection,
    caller: &Caller,
    settings: &ReportingSettings,
    items: Vec<PaymentItem>,
) -> AppResult<Vec<ItemOutcome<payment::Model>>> {
    let agency_id = reporting_agency(caller)?;
    check_batch_size("payments", items.len(), settings.max_batch)?;
    let now = caller.now;
    let mut batch = Batch::check(
        items,
        |item| item.external_id.clone(),
        |item| check_item(item, now, settings),
    );

    let tx = begin_write(db).await?;
    // Locks first: a retry racing its original waits here, then sees what it stored.
    let account_ids = batch.account_ids();
    let mut accounts = lock_accounts(&tx, agency_id, &account_ids, false).await?;
    let before = accounts.clone();
    let placements = placements_of(&tx, agency_id, &account_ids).await?;
    let stored: HashMap<String, (String, payment::Model)> = payment::Entity::find()
        .filter(payment::Column::AgencyId.eq(agency_id))
        .filter(any_of(
            tx.get_database_backend(),
            payment::Column::ExternalId,
            batch.external_ids(),
        ))
        .all(&tx)
        .await?
        .into_iter()
        .map(|row| (row.external_id.clone(), (row.payload_hash.clone(), row)))
        .collect();
    let (mut fresh, duplicates) = batch.recognise(&stored);
    // Applied in the order paid, so each sees the balance the earlier ones left.
    fresh.sort_by_key(|(index, item, _)| (item.paid_at, *index));
    let mut accepted: Vec<Accepted> = Vec::with_capacity(fresh.len());
    for (index, item, hash) in fresh {
        let applied = attribute(
            &item,
            accounts.get(&item.account_id),
            placements.get(&item.account_id),
            settings.payment_tail,
        )
        .and_then(|placement| {
            let account = accounts
                .get_mut(&item.account_id)
                .expect("an attributed payment names a locked account");
            if item.amount_minor > account.outstanding_minor {
                return Err(ItemError::new(
                    ItemCode::AmountExceedsBalance,
                    format!(
                        "{} exceeds the outstanding balance of {}",
                        money_text(item.amount_minor, &account.currency),
                        money_text(account.outstanding_minor, &account.currency),
                    ),
                ));
            }
            account.outstanding_minor -= item.amount_minor;
            Ok((placement.id, account.outstanding_minor))
        });
        match applied {
            Ok((placement_id, balance_after)) => accepted.push(Accepted {
                index,
                item,
                hash,
                placement_id,
                balance_after,
            }),
            Err(error) => batch.reject(index, &item.external_id, error),
        }
    }

    let rows = insert(&tx, caller, agency_id, &accepted, now).await?;
    update_balances(&tx, caller, &before, &accounts).await?;
    let cleared: Vec<i64> = accounts
        .values()
        .filter(|a| a.outstanding_minor == 0 && before[&a.id].outstanding_minor > 0)
        .map(|a| a.id)
        .collect();
    let paid = placement_lifecycle::close_paid(&tx, caller, cleared).await?;
    tx.commit().await?;
    metrics::placements_ended(PlacementStatus::Paid, paid.len());

    for (Accepted { index, .. }, row) in accepted.iter().zip(rows) {
        batch.accept(*index, &row.external_id.clone(), row, Vec::new());
    }
    for (index, row) in duplicates {
        batch.duplicate(index, &row.external_id.clone(), row, Vec::new());
    }
    let outcomes = batch.finish();
    metrics::items_reported("payment", &outcomes);
    Ok(outcomes)
}

struct Accepted {
    index: usize,
    item: Checked,
    hash: String,
    placement_id: i64,
    balance_after: i64,
}

fn money_text(minor: i64, currency: &str) -> String {
    money::currency(currency)
        .map(|c| format!("{} {}", money::from_minor(minor, c), c.code()))
        .unwrap_or_else(|_| format!("{minor} minor units of {currency}"))
}

/// Stores the accepted payments (in the order of `accepted`) and audits each.
async fn insert<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    agency_id: i64,
    accepted: &[Accepted],
    now: DateTime<Utc>,
) -> AppResult<Vec<payment::Model>> {
    let reported_by = caller.actor.audit_name();
    let mut rows = Vec::with_capacity(accepted.len());
    for chunk in accepted.chunks(ROWS_PER_STATEMENT) {
        let models = chunk.iter().map(|a| payment::ActiveModel {
            agency_id: Set(agency_id),
            account_id: Set(a.item.account_id),
            placement_id: Set(a.placement_id),
            external_id: Set(a.item.external_id.clone()),
            payload_hash: Set(a.hash.clone()),
            amount_minor: Set(a.item.amount_minor),
            currency: Set(a.item.currency.clone()),
            paid_at: Set(a.item.paid_at),
            method: Set(a.item.method),
            paid_to: Set(a.item.paid_to),
            agency_reference: Set(a.item.agency_reference.clone()),
            balance_after_minor: Set(a.balance_after),
            reported_at: Set(now),
            reported_by: Set(reported_by.clone()),
            request_id: Set(caller.request_id.clone()),
            ..Default::default()
        });
        let mut inserted = payment::Entity::insert_many(models)
            .exec_with_returning(conn)
            .await?;
        // RETURNING does not promise the order of the VALUES: restore it.
        let position: HashMap<&str, usize> = chunk
            .iter()
            .enumerate()
            .map(|(i, a)| (a.item.external_id.as_str(), i))
            .collect();
        inserted.sort_by_key(|row| position[row.external_id.as_str()]);
        rows.extend(inserted);
    }
    audit::record_many(
        conn,
        caller,
        rows.iter().map(|row| Change {
            action: "payment.report",
            entity_type: "payment",
            entity_id: row.id.to_string(),
            before: None,
            after: Some(json!({
                "agencyId": row.agency_id,
                "accountId": row.account_id,
                "placementId": row.placement_id,
                "externalId": row.external_id,
                "amountMinor": row.amount_minor,
                "currency": row.currency,
                "paidAt": row.paid_at,
                "method": row.method,
                "paidTo": row.paid_to,
                "balanceAfterMinor": row.balance_after_minor,
            })),
        }),
    )
    .await?;
    Ok(rows)
}

/// Writes the new balances in one statement and audits each account's change.
async fn update_balances<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    before: &HashMap<i64, account::Model>,
    after: &HashMap<i64, account::Model>,
) -> AppResult<()> {
    let changed: Vec<&account::Model> = after
        .values()
        .filter(|a| a.outstanding_minor != before[&a.id].outstanding_minor)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let balance = changed
        .iter()
        .fold(CaseStatement::new(), |case, a| {
            case.case(
                Expr::col(account::Column::Id).eq(a.id),
                Expr::val(a.outstanding_minor),
            )
        })
        .finally(Expr::col(account::Column::OutstandingMinor));
    let now = caller.now;
    account::Entity::update_many()
        .col_expr(account::Column::OutstandingMinor, balance.into())
        .col_expr(account::Column::UpdatedAt, Expr::val(now))
        .filter(any_of(
            conn.get_database_backend(),
            account::Column::Id,
            changed.iter().map(|a| a.id),
        ))
        .exec(conn)
        .await?;
    audit::record_many(
        conn,
        caller,
        changed.iter().map(|a| Change {
            action: "account.payment",
            entity_type: "account",
            entity_id: a.id.to_string(),
            before: Some(accounts::audit_view(&before[&a.id])),
            after: Some(accounts::audit_view(a)),
        }),
    )
    .await?;
    Ok(())
}
