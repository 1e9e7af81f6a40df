//! Reconciliation lines as CSV, with the references people know them by.

use std::collections::HashMap;

use entity::reconciliation_item;
use entity::{account, ledger_entry};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

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
                .filter(account::Column::Id.is_in(account_ids))
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
                .filter(ledger_entry::Column::Id.is_in(entry_ids))
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
