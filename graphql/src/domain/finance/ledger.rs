//! Ledger intake: money the lender actually received (agency remittances, gross or net,
//! and debtors' direct payments) and reversals of earlier entries.
//!
//! A batch is one transaction; each entry gets its own outcome. An entry is IMPORTED,
//! a DUPLICATE (the same reference with the same content: returns the stored entry) or
//! REJECTED with the field at fault (nothing stored, so it can be fixed and sent again).
//! A reversal names the reference it takes back and copies its account and amounts; an
//! entry is reversed at most once. Imports run one at a time (a PostgreSQL advisory lock
//! across processes; SQLite serialises writers): a concurrent one waits, then sees the
//! first's entries as DUPLICATEs.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::account;
use entity::agency;
use entity::ledger_entry::{self, LedgerChannel};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::tx::{FINANCE_LOCK, LEDGER_LOCK, begin_write, serialise};
use crate::domain::{money, validate};
use crate::error::{AppError, AppResult};

use super::reconciliation;

/// Most entries per call.
pub const MAX_BATCH: usize = 1_000;
/// How far in the future `receivedAt` may lie (clock drift).
const CLOCK_SKEW_SECS: i64 = 300;

/// One entry as sent.
#[derive(Clone, Debug, Default)]
pub struct LedgerInput {
    pub reference: String,
    /// The lender's account reference; not for a reversal.
    pub account_reference: Option<String>,
    pub channel: Option<LedgerChannel>,
    /// The remitting agency (remittances).
    pub agency_id: Option<i64>,
    pub amount: Option<Decimal>,
    /// NET remittances: what the debtor paid, before the agency's fee.
    pub gross_amount: Option<Decimal>,
    pub currency: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The reference of the entry this one reverses.
    pub reverses: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    Imported,
    Duplicate,
    Rejected,
}

#[derive(Clone, Debug)]
pub struct EntryOutcome {
    pub index: usize,
    pub reference: String,
    pub status: EntryStatus,
    /// The input field at fault (REJECTED).
    pub field: Option<String>,
    pub message: Option<String>,
    pub entry: Option<ledger_entry::Model>,
}

impl EntryOutcome {
    fn rejected(index: usize, reference: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            index,
            reference: reference.to_owned(),
            status: EntryStatus::Rejected,
            field: Some(field.to_owned()),
            message: Some(message.into()),
            entry: None,
        }
    }
}

/// What is stored for an entry, before it has an id; hashed to tell a replay from a
/// conflicting reuse of its reference.
#[derive(Clone, Debug, Serialize)]
struct Draft {
    reference: String,
    account_id: i64,
    channel: LedgerChannel,
    agency_id: Option<i64>,
    amount_minor: i64,
    gross_minor: i64,
    currency: String,
    received_at: DateTime<Utc>,
    reverses_id: Option<i64>,
}

impl Draft {
    fn hash(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }
}

/// Imports a batch; see the module documentation.
pub async fn import(
    db: &DatabaseConnection,
    caller: &Caller,
    inputs: Vec<LedgerInput>,
) -> AppResult<Vec<EntryOutcome>> {
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "entries",
            format!("send 1 to {MAX_BATCH} entries"),
        ));
    }
    let now = caller.now;
    let mut faults: Vec<Option<Fault>> = inputs.iter().map(|i| check_texts(i).err()).collect();
    let sound: Vec<&LedgerInput> = inputs
        .iter()
        .zip(&faults)
        .filter(|(_, fault)| fault.is_none())
        .map(|(input, _)| input)
        .collect();
    let references: Vec<String> = sound
        .iter()
        .flat_map(|i| [Some(i.reference.trim().to_owned()), i.reverses.clone()])
        .flatten()
        .collect();
    let account_refs: Vec<String> = sound
        .iter()
        .filter_map(|i| i.account_reference.clone())
        .collect();
    let agency_ids: Vec<i64> = sound.iter().filter_map(|i| i.agency_id).collect();
    let tx = begin_write(db).await?;
    // Imports queue: each reads what the ones before it stored.
    serialise(&tx, LEDGER_LOCK).await?;
    let backend = tx.get_database_backend();
    let mut stored: HashMap<String, ledger_entry::Model> = ledger_entry::Entity::find()
        .filter(any_of(backend, ledger_entry::Column::Reference, references))
        .all(&tx)
        .await?
        .into_iter()
        .map(|e| (e.reference.clone(), e))
        .collect();
    let accounts: HashMap<String, account::Model> = account::Entity::find()
        .filter(any_of(
            backend,
            account::Column::LenderReference,
            account_refs,
        ))
        .all(&tx)
        .await?
        .into_iter()
        .map(|a| (a.lender_reference.clone(), a))
        .collect();
    let agencies: Vec<i64> = agency::Entity::find()
        .select_only()
        .column(agency::Column::Id)
        .filter(any_of(backend, agency::Column::Id, agency_ids))
        .into_tuple()
        .all(&tx)
        .await?;

    let mut outcomes = Vec::with_capacity(inputs.len());
    let mut reversed_in_batch: Vec<i64> = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        let reference = input.reference.trim().to_owned();
        if let Some((field, message)) = faults[index].take() {
            outcomes.push(EntryOutcome::rejected(index, &reference, field, message));
            continue;
        }
        let draft = match draft(&input, &reference, now, &stored, &accounts, &agencies) {
            Ok(draft) => draft,
            Err((field, message)) => {
                outcomes.push(EntryOutcome::rejected(index, &reference, field, message));
                continue;
            }
        };
        if let Some(earlier) = stored.get(&reference) {
            let same = earlier.payload_hash == draft.hash();
            outcomes.push(if same {
                EntryOutcome {
                    index,
                    reference,
                    status: EntryStatus::Duplicate,
                    field: None,
                    message: None,
                    entry: Some(earlier.clone()),
                }
            } else {
                EntryOutcome::rejected(
                    index,
                    &reference,
                    "reference",
                    "this reference is already in the ledger with other content",
                )
            });
            continue;
        }
        if let Some(original) = draft.reverses_id {
            let taken = reversed_in_batch.contains(&original)
                || ledger_entry::Entity::find()
                    .filter(ledger_entry::Column::ReversesId.eq(original))
                    .one(&tx)
                    .await?
                    .is_some();
            if taken {
                outcomes.push(EntryOutcome::rejected(
                    index,
                    &reference,
                    "reverses",
                    "that entry has already been reversed",
                ));
                continue;
            }
            reversed_in_batch.push(original);
        }
        let hash = draft.hash();
        let entry = ledger_entry::ActiveModel {
            reference: Set(draft.reference),
            account_id: Set(draft.account_id),
            channel: Set(draft.channel),
            agency_id: Set(draft.agency_id),
            amount_minor: Set(draft.amount_minor),
            gross_minor: Set(draft.gross_minor),
            currency: Set(draft.currency),
            received_at: Set(draft.received_at),
            reverses_id: Set(draft.reverses_id),
            payload_hash: Set(hash),
            imported_by: Set(caller.actor.audit_name()),
            imported_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        stored.insert(reference.clone(), entry.clone());
        outcomes.push(EntryOutcome {
            index,
            reference,
            status: EntryStatus::Imported,
            field: None,
            message: None,
            entry: Some(entry),
        });
    }
    if !reversed_in_batch.is_empty() {
        // The reversed entries leave matching now, not at their period's next run.
        serialise(&tx, FINANCE_LOCK).await?;
        let originals: Vec<ledger_entry::Model> = stored
            .values()
            .filter(|e| reversed_in_batch.contains(&e.id))
            .cloned()
            .collect();
        reconciliation::release_reversed(&tx, caller, &originals).await?;
    }
    let imported: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.status == EntryStatus::Imported)
        .map(|o| o.reference.as_str())
        .collect();
    if !imported.is_empty() {
        audit::record(
            &tx,
            caller,
            Change {
                action: "ledger.import",
                entity_type: "ledger_entry",
                entity_id: imported[0].to_owned(),
                before: None,
                after: Some(json!({ "count": imported.len(), "references": imported })),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

type Fault = (&'static str, String);

/// The entry's texts, checked before any of them is looked up.
fn check_texts(input: &LedgerInput) -> Result<(), Fault> {
    let fault = |field: &'static str| move |e: AppError| (field, e.to_string());
    validate::text("reference", &input.reference, 64).map_err(fault("reference"))?;
    for (field, value) in [
        ("accountReference", &input.account_reference),
        ("currency", &input.currency),
        ("reverses", &input.reverses),
    ] {
        validate::optional_text(field, value.as_deref(), 64).map_err(fault(field))?;
    }
    Ok(())
}

fn draft(
    input: &LedgerInput,
    reference: &str,
    now: DateTime<Utc>,
    stored: &HashMap<String, ledger_entry::Model>,
    accounts: &HashMap<String, account::Model>,
    agencies: &[i64],
) -> Result<Draft, Fault> {
    if input.received_at > now + Duration::seconds(CLOCK_SKEW_SECS) {
        return Err((
            "receivedAt",
            "money cannot be received in the future".into(),
        ));
    }
    if let Some(reversed) = &input.reverses {
        let original = stored
            .get(reversed)
            .filter(|o| o.reference != reference)
            .ok_or(("reverses", format!("no ledger entry '{reversed}'")))?;
        if original.reverses_id.is_some() {
            return Err(("reverses", "a reversal cannot be reversed".into()));
        }
        if input.received_at < original.received_at {
            return Err((
                "receivedAt",
                "a reversal comes after the entry it reverses".into(),
            ));
        }
        return Ok(Draft {
            reference: reference.to_owned(),
            account_id: original.account_id,
            channel: original.channel,
            agency_id: original.agency_id,
            amount_minor: original.amount_minor,
            gross_minor: original.gross_minor,
            currency: original.currency.clone(),
            received_at: input.received_at,
            reverses_id: Some(original.id),
        });
    }
    let account_reference = input.account_reference.as_deref().ok_or((
        "accountReference",
        "name the account (or the entry reversed)".to_owned(),
    ))?;
    let account = accounts.get(account_reference).ok_or((
        "accountReference",
        format!("no account '{account_reference}'"),
    ))?;
    let channel = input
        .channel
        .ok_or(("channel", "say how the money came in".to_owned()))?;
    let currency_code = input.currency.as_deref().unwrap_or(&account.currency);
    if currency_code != account.currency {
        return Err((
            "currency",
            format!(
                "the account is in {}, not {currency_code}",
                account.currency
            ),
        ));
    }
    let currency = money::currency(currency_code).map_err(|e| ("currency", e.to_string()))?;
    let minor = |field: &'static str, amount: Decimal| -> Result<i64, Fault> {
        if amount <= Decimal::ZERO {
            return Err((field, "must be above 0".into()));
        }
        money::to_minor(amount, currency).map_err(|e| (field, e.to_string()))
    };
    let amount_minor = minor(
        "amount",
        input
            .amount
            .ok_or(("amount", "say how much came in".to_owned()))?,
    )?;
    let remittance = channel != LedgerChannel::LenderDirect;
    let agency_id = match (remittance, input.agency_id) {
        (true, Some(id)) if agencies.contains(&id) => Some(id),
        (true, Some(id)) => return Err(("agencyId", format!("no agency {id}"))),
        (true, None) => return Err(("agencyId", "a remittance names its agency".into())),
        (false, Some(_)) => {
            return Err(("agencyId", "a direct payment comes from no agency".into()));
        }
        (false, None) => None,
    };
    let gross_minor = match (channel, input.gross_amount) {
        (LedgerChannel::AgencyRemittanceNet, Some(gross)) => {
            let gross = minor("grossAmount", gross)?;
            if gross < amount_minor {
                return Err((
                    "grossAmount",
                    "the gross cannot be below what was remitted".into(),
                ));
            }
            gross
        }
        (LedgerChannel::AgencyRemittanceNet, None) => {
            return Err((
                "grossAmount",
                "a NET remittance states what the debtor paid".into(),
            ));
        }
        (_, Some(_)) => {
            return Err((
                "grossAmount",
                "only a NET remittance has a gross amount".into(),
            ));
        }
        (_, None) => amount_minor,
    };
    Ok(Draft {
        reference: reference.to_owned(),
        account_id: account.id,
        channel,
        agency_id,
        amount_minor,
        gross_minor,
        currency: account.currency.clone(),
        received_at: input.received_at,
        reverses_id: None,
    })
}

/// One row of a ledger CSV file (columns as in the README).
#[derive(Debug, serde::Deserialize)]
struct CsvRow {
    reference: String,
    account_reference: Option<String>,
    channel: Option<String>,
    agency_id: Option<String>,
    amount: Option<String>,
    gross_amount: Option<String>,
    currency: Option<String>,
    received_at: String,
    reverses: Option<String>,
}

fn parse_row(row: CsvRow) -> Result<LedgerInput, Fault> {
    let decimal = |field: &'static str, value: Option<String>| -> Result<Option<Decimal>, Fault> {
        value
            .map(|v| {
                v.trim()
                    .parse::<Decimal>()
                    .map_err(|_| (field, format!("'{v}' is not a decimal amount")))
            })
            .transpose()
    };
    Ok(LedgerInput {
        channel: row
            .channel
            .map(|c| {
                serde_json::from_value(serde_json::Value::String(c.trim().to_owned())).map_err(
                    |_| {
                        (
                            "channel",
                            format!("'{c}' is not AGENCY_REMITTANCE_GROSS, AGENCY_REMITTANCE_NET or LENDER_DIRECT"),
                        )
                    },
                )
            })
            .transpose()?,
        agency_id: row
            .agency_id
            .map(|a| {
                a.trim()
                    .parse::<i64>()
                    .map_err(|_| ("agencyId", format!("'{a}' is not an agency id")))
            })
            .transpose()?,
        amount: decimal("amount", row.amount)?,
        gross_amount: decimal("grossAmount", row.gross_amount)?,
        received_at: DateTime::parse_from_rfc3339(row.received_at.trim())
            .map_err(|_| {
                (
                    "receivedAt",
                    format!("'{}' is not an RFC 3339 time", row.received_at),
                )
            })?
            .with_timezone(&Utc),
        reference: row.reference,
        account_reference: row.account_reference,
        currency: row.currency,
        reverses: row.reverses,
    })
}

/// Imports a CSV file, [`MAX_BATCH`] rows per transaction; rows are numbered from 1 (the
/// line after the header). A row that cannot be read is REJECTED with its column.
pub async fn import_csv<R: std::io::Read + Send + 'static>(
    db: &DatabaseConnection,
    caller: &Caller,
    file: R,
) -> AppResult<Vec<EntryOutcome>> {
    let rows = tokio::task::spawn_blocking(move || {
        csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(file)
            .deserialize::<CsvRow>()
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let mut outcomes = Vec::new();
    let mut parsed: Vec<(usize, LedgerInput)> = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let number = i + 1;
        match row.map_err(|e| ("file", e.to_string())).and_then(|row| {
            let reference = row.reference.clone();
            parse_row(row).map_err(|(field, message)| (field, format!("{reference}: {message}")))
        }) {
            Ok(input) => parsed.push((number, input)),
            Err((field, message)) => {
                outcomes.push(EntryOutcome::rejected(number, "", field, message));
            }
        }
    }
    if parsed.is_empty() && outcomes.is_empty() {
        return Err(AppError::bad_input("file", "the file has no rows"));
    }
    for chunk in parsed.chunks(MAX_BATCH) {
        let numbers: Vec<usize> = chunk.iter().map(|(n, _)| *n).collect();
        let inputs = chunk.iter().map(|(_, input)| input.clone()).collect();
        for mut outcome in import(db, caller, inputs).await? {
            outcome.index = numbers[outcome.index];
            outcomes.push(outcome);
        }
    }
    outcomes.sort_by_key(|o| o.index);
    Ok(outcomes)
}
