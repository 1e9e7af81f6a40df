//! Exports: reconciliation lines as CSV (with the references people know them by), and
//! commission statements as CSV and JSON.

use std::collections::HashMap;

use entity::{account, agency, ledger_entry, payment};
use entity::{commission_line, commission_statement, reconciliation_item};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::any_of::any_of;
use crate::domain::money;
use crate::error::{AppError, AppResult};

/// The `name` column of the rows of `E` with these ids (the references people know
/// records by), looked up in one query.
async fn names<C, E>(
    conn: &C,
    (id, name): (E::Column, E::Column),
    ids: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, String>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Column: Copy,
{
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let out = E::find()
        .select_only()
        .columns([id, name])
        .filter(any_of(conn.get_database_backend(), id, ids))
        .into_tuple::<(i64, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(out)
}

/// `ids` by their names, `;`-joined.
fn joined(ids: &[i64], names: &HashMap<i64, String>) -> String {
    ids.iter()
        .map(|id| names.get(id).map_or("", String::as_str))
        .collect::<Vec<_>>()
        .join(";")
}

fn finish(out: csv::Writer<Vec<u8>>) -> AppResult<String> {
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
}

/// One CSV row per line: id, class, account reference, agency id, payment ids, ledger
/// references, reported, received, difference, currency, detail.
pub async fn items_csv<C: ConnectionTrait>(
    conn: &C,
    items: &[reconciliation_item::Model],
) -> AppResult<String> {
    let accounts = names::<_, account::Entity>(
        conn,
        (account::Column::Id, account::Column::LenderReference),
        items.iter().map(|i| i.account_id),
    )
    .await?;
    let ledger = names::<_, ledger_entry::Entity>(
        conn,
        (ledger_entry::Column::Id, ledger_entry::Column::Reference),
        items
            .iter()
            .flat_map(|i| i.ledger_entry_ids.0.iter().copied()),
    )
    .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(e.into());
    out.write_record([
        "id",
        "class",
        "account_reference",
        "agency_id",
        "payment_ids",
        "ledger_references",
        "reported",
        "received",
        "difference",
        "currency",
        "detail",
    ])
    .map_err(csv_error)?;
    for item in items {
        let currency = money::currency(&item.currency)?;
        let amount = |minor: i64| money::from_minor(minor, currency).to_string();
        out.write_record([
            item.id.to_string(),
            item.class.to_value(),
            accounts.get(&item.account_id).cloned().unwrap_or_default(),
            item.agency_id.map(|a| a.to_string()).unwrap_or_default(),
            item.payment_ids
                .0
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(";"),
            joined(&item.ledger_entry_ids.0, &ledger),
            amount(item.reported_minor),
            amount(item.received_minor),
            amount(item.received_minor - item.reported_minor),
            item.currency.clone(),
            item.detail.clone(),
        ])
        .map_err(csv_error)?;
    }
    finish(out)
}

fn decimal(minor: i64, currency: &str) -> AppResult<String> {
    Ok(money::from_minor(minor, money::currency(currency)?).to_string())
}

/// A statement's lines as CSV (amounts as decimals in the statement's currency), naming
/// records as finance and the agency know them: the agency by its code, accounts by the
/// lender's reference, payments by the agency's `externalId`, ledger entries by their
/// reference.
pub async fn statement_csv<C: ConnectionTrait>(
    conn: &C,
    statement: &commission_statement::Model,
    lines: &[commission_line::Model],
) -> AppResult<String> {
    let agency_code = names::<_, agency::Entity>(
        conn,
        (agency::Column::Id, agency::Column::Code),
        std::iter::once(statement.agency_id),
    )
    .await?
    .remove(&statement.agency_id)
    .unwrap_or_default();
    let accounts = names::<_, account::Entity>(
        conn,
        (account::Column::Id, account::Column::LenderReference),
        lines.iter().filter_map(|l| l.account_id),
    )
    .await?;
    let payments = names::<_, payment::Entity>(
        conn,
        (payment::Column::Id, payment::Column::ExternalId),
        lines.iter().flat_map(|l| l.payment_ids.0.iter().copied()),
    )
    .await?;
    let ledger = names::<_, ledger_entry::Entity>(
        conn,
        (ledger_entry::Column::Id, ledger_entry::Column::Reference),
        lines
            .iter()
            .flat_map(|l| l.ledger_entry_ids.0.iter().copied()),
    )
    .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(e.into());
    out.write_record([
        "line",
        "kind",
        "agency_code",
        "account_reference",
        "payment_references",
        "ledger_references",
        "rule",
        "rate_bp",
        "basis",
        "commission",
        "currency",
        "note",
    ])
    .map_err(csv_error)?;
    for line in lines {
        out.write_record([
            line.id.to_string(),
            line.kind.to_value(),
            agency_code.clone(),
            line.account_id
                .and_then(|a| accounts.get(&a).cloned())
                .unwrap_or_default(),
            joined(&line.payment_ids.0, &payments),
            joined(&line.ledger_entry_ids.0, &ledger),
            line.rule.clone(),
            line.rate_bp.to_string(),
            decimal(line.basis_minor, &statement.currency)?,
            decimal(line.commission_minor, &statement.currency)?,
            statement.currency.clone(),
            line.note.clone(),
        ])
        .map_err(csv_error)?;
    }
    finish(out)
}

/// A statement and its lines as one JSON document (amounts as decimal strings).
pub fn statement_json(
    statement: &commission_statement::Model,
    lines: &[commission_line::Model],
) -> AppResult<serde_json::Value> {
    let currency = statement.currency.as_str();
    Ok(serde_json::json!({
        "id": statement.id.to_string(),
        "agencyId": statement.agency_id.to_string(),
        "periodStart": statement.period_start,
        "periodEnd": statement.period_end,
        "currency": currency,
        "status": statement.status,
        "basis": decimal(statement.basis_minor, currency)?,
        "commission": decimal(statement.commission_minor, currency)?,
        "feeWithheld": decimal(statement.fee_withheld_minor, currency)?,
        "payable": decimal(statement.commission_minor - statement.fee_withheld_minor, currency)?,
        "lines": lines
            .iter()
            .map(|l| {
                Ok(serde_json::json!({
                    "kind": l.kind,
                    "accountId": l.account_id.map(|a| a.to_string()),
                    "paymentIds": l.payment_ids.0.iter().map(i64::to_string).collect::<Vec<_>>(),
                    "rule": l.rule,
                    "rateBp": l.rate_bp,
                    "basis": decimal(l.basis_minor, currency)?,
                    "commission": decimal(l.commission_minor, currency)?,
                    "note": l.note,
                }))
            })
            .collect::<AppResult<Vec<_>>>()?,
    }))
}
