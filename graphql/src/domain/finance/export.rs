//! Exports: reconciliation lines as CSV (with the references people know them by), and
//! commission statements as CSV and JSON.

use std::collections::HashMap;

use entity::{account, ledger_entry};
use entity::{commission_line, commission_statement, reconciliation_item};
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::any_of::any_of;
use crate::domain::money;
use crate::error::{AppError, AppResult};

/// Rows per lookup query.
const CHUNK: usize = 500;

/// One CSV row per line: id, class, account reference, agency id, payment ids, ledger
/// references, reported, received, difference, currency, detail.
pub async fn items_csv<C: ConnectionTrait>(
    conn: &C,
    items: &[reconciliation_item::Model],
) -> AppResult<String> {
    let mut accounts: HashMap<i64, String> = HashMap::new();
    let mut ledger: HashMap<i64, String> = HashMap::new();
    for chunk in items.chunks(CHUNK) {
        let account_ids = chunk.iter().map(|i| i.account_id);
        accounts.extend(
            account::Entity::find()
                .select_only()
                .columns([account::Column::Id, account::Column::LenderReference])
                .filter(any_of(
                    conn.get_database_backend(),
                    account::Column::Id,
                    account_ids,
                ))
                .into_tuple::<(i64, String)>()
                .all(conn)
                .await?,
        );
        let entry_ids = chunk
            .iter()
            .flat_map(|i| i.ledger_entry_ids.0.iter().copied());
        ledger.extend(
            ledger_entry::Entity::find()
                .select_only()
                .columns([ledger_entry::Column::Id, ledger_entry::Column::Reference])
                .filter(any_of(
                    conn.get_database_backend(),
                    ledger_entry::Column::Id,
                    entry_ids,
                ))
                .into_tuple::<(i64, String)>()
                .all(conn)
                .await?,
        );
    }
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
        let joined = |values: Vec<String>| values.join(";");
        out.write_record([
            item.id.to_string(),
            item.class.to_value(),
            accounts.get(&item.account_id).cloned().unwrap_or_default(),
            item.agency_id.map(|a| a.to_string()).unwrap_or_default(),
            joined(item.payment_ids.0.iter().map(i64::to_string).collect()),
            joined(
                item.ledger_entry_ids
                    .0
                    .iter()
                    .map(|id| ledger.get(id).cloned().unwrap_or_default())
                    .collect(),
            ),
            amount(item.reported_minor),
            amount(item.received_minor),
            amount(item.received_minor - item.reported_minor),
            item.currency.clone(),
            item.detail.clone(),
        ])
        .map_err(csv_error)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
}

fn decimal(minor: i64, currency: &str) -> AppResult<String> {
    Ok(money::from_minor(minor, money::currency(currency)?).to_string())
}

/// A statement's lines as CSV (amounts as decimals in the statement's currency).
pub fn statement_csv(
    statement: &commission_statement::Model,
    lines: &[commission_line::Model],
) -> AppResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(e.into());
    out.write_record([
        "line",
        "kind",
        "account_id",
        "payment_ids",
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
            line.account_id.map(|a| a.to_string()).unwrap_or_default(),
            line.payment_ids
                .0
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(";"),
            line.rule.clone(),
            line.rate_bp.to_string(),
            decimal(line.basis_minor, &statement.currency)?,
            decimal(line.commission_minor, &statement.currency)?,
            statement.currency.clone(),
            line.note.clone(),
        ])
        .map_err(csv_error)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
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
