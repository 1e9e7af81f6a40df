//! Writing imported accounts, a chunk of rows at a time, set-based: per chunk one
//! locking read of the accounts already there, one multi-row upsert, one read of the
//! result and one multi-row insert of audit events, all in the import's one transaction.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, SubsecRound, Utc};
use entity::account::{self, AccountFlag, AccountFlags, Phones};
use entity::portfolio;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::national_id::NationalIdKey;
use super::outcome::Finish;
use super::report::ImportReport;
use super::row::{Field, FieldError, Row, Rules, ValidAccount, validate};
use crate::domain::accounts::audit_view;
use crate::domain::actor::Caller;
use crate::domain::any_of::any_of;
use crate::domain::audit::{self, Change};
use crate::domain::tx::begin_write;
use crate::domain::{money, portfolios};
use crate::error::{AppError, AppResult};

/// Rows per statement. An account row binds [`VALUES_PER_ACCOUNT`] values: 1,000 rows
/// bind 18,000, within SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub const CHUNK_ROWS: usize = 1_000;
const VALUES_PER_ACCOUNT: usize = 18;
const _: () = assert!(CHUNK_ROWS * VALUES_PER_ACCOUNT <= 32_766);

/// Arbitrary constant naming the import lock among PostgreSQL advisory locks.
const IMPORT_LOCK: i64 = 0x6167_666c_6f77_0003;

/// What a re-imported row replaces: everything but the id, the portfolio, the lender
/// reference and the creation time.
const REPLACED: [account::Column; 15] = [
    account::Column::DebtorName,
    account::Column::DebtorPhones,
    account::Column::DebtorEmail,
    account::Column::NationalIdHash,
    account::Column::NationalIdLast4,
    account::Column::Region,
    account::Column::TimeZone,
    account::Column::Product,
    account::Column::PrincipalMinor,
    account::Column::OutstandingMinor,
    account::Column::Currency,
    account::Column::DelinquencyStart,
    account::Column::ChargeOffDate,
    account::Column::Flags,
    account::Column::UpdatedAt,
];

/// One import in progress: its transaction and what it has done so far.
pub struct Import<'a> {
    db: DatabaseConnection,
    tx: DatabaseTransaction,
    caller: &'a Caller,
    portfolio: portfolio::Model,
    rules: Rules<'a>,
    /// The time every row of this import is stamped with (whole microseconds, as both
    /// stores keep them): an account carrying it was written by this import.
    at: DateTime<Utc>,
    report: ImportReport,
}

impl<'a> Import<'a> {
    /// Opens the import's transaction. Imports run one at a time (SQLite has one writer
    /// anyway; on PostgreSQL an advisory lock), so two files cannot race to create the
    /// same lender reference in two portfolios.
    pub async fn begin(
        db: &DatabaseConnection,
        caller: &'a Caller,
        national_id_key: &'a NationalIdKey,
        portfolio_id: i64,
    ) -> AppResult<Self> {
        let tx = begin_write(db).await?;
        if tx.get_database_backend() == DbBackend::Postgres {
            tx.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({IMPORT_LOCK})"),
            ))
            .await?;
        }
        let portfolio = portfolios::get(&tx, portfolio_id).await?;
        let currency = money::currency(&portfolio.currency).map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "portfolio {portfolio_id} has the unknown currency '{}'",
                portfolio.currency
            ))
        })?;
        let at = import_stamp(&tx, caller.now).await?;
        Ok(Self {
            db: db.clone(),
            tx,
            caller,
            portfolio,
            rules: Rules {
                currency,
                today: at.date_naive(),
                national_id_key,
            },
            at,
            report: ImportReport::default(),
        })
    }

    /// Checks and writes one chunk of at most [`CHUNK_ROWS`] rows.
    pub async fn apply(&mut self, rows: Vec<Row>) -> AppResult<()> {
        debug_assert!(rows.len() <= CHUNK_ROWS);
        self.report.rows_read += rows.len() as u64;
        let mut refused = Vec::new();
        let mut accepted = self.check(rows, &mut refused);
        if !accepted.is_empty() {
            let existing = self.lock_existing(&accepted).await?;
            accepted.retain(|(row, account)| match self.conflict(account, &existing) {
                Some(fault) => {
                    refused.push((*row, vec![fault]));
                    false
                }
                None => true,
            });
            self.write(&accepted, &existing).await?;
        }
        refused.sort_by_key(|(row, _)| *row);
        for (row, faults) in refused {
            self.report.reject(row, faults);
        }
        Ok(())
    }

    /// What the import has done so far.
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Commits, unless the import is atomic and refused a row: then nothing is written.
    /// A tracked import records its outcome in the same transaction (after a rollback, in
    /// one of its own).
    pub async fn finish(
        mut self,
        atomic: bool,
        tracked: Option<Finish<'_>>,
    ) -> AppResult<ImportReport> {
        if atomic && self.report.rejected > 0 {
            self.tx.rollback().await?;
            self.report.reject_all();
            if let Some(tracked) = tracked {
                let tx = begin_write(&self.db).await?;
                tracked.record(&tx, self.caller, &self.report).await?;
                tx.commit().await?;
            }
        } else {
            if let Some(tracked) = tracked {
                tracked.record(&self.tx, self.caller, &self.report).await?;
            }
            self.tx.commit().await?;
        }
        Ok(self.report)
    }

    /// The rows that pass every check of their own; a lender reference repeated within
    /// the chunk is refused after its first row.
    fn check(
        &self,
        rows: Vec<Row>,
        refused: &mut Vec<(u64, Vec<FieldError>)>,
    ) -> Vec<(u64, ValidAccount)> {
        let mut first_rows: HashMap<String, u64> = HashMap::with_capacity(rows.len());
        let mut accepted = Vec::with_capacity(rows.len());
        for row in rows {
            let account = match row.account.and_then(|a| validate(a, &self.rules)) {
                Ok(account) => account,
                Err(faults) => {
                    refused.push((row.number, faults));
                    continue;
                }
            };
            match first_rows.entry(account.lender_reference.clone()) {
                Entry::Occupied(first) => refused.push((
                    row.number,
                    vec![FieldError::new(
                        Field::LenderReference,
                        format!(
                            "lender reference {} repeats row {}",
                            first.key(),
                            first.get()
                        ),
                    )],
                )),
                Entry::Vacant(slot) => {
                    slot.insert(row.number);
                    accepted.push((row.number, account));
                }
            }
        }
        accepted
    }

    /// The accounts that already have these references, locked until the import ends.
    async fn lock_existing(
        &self,
        accepted: &[(u64, ValidAccount)],
    ) -> AppResult<HashMap<String, account::Model>> {
        // In id order, as agencies' reports lock accounts: the two never deadlock.
        Ok(account::Entity::find()
            .filter(any_of(
                self.tx.get_database_backend(),
                account::Column::LenderReference,
                references(accepted),
            ))
            .order_by_asc(account::Column::Id)
            .lock_exclusive()
            .all(&self.tx)
            .await?
            .into_iter()
            .map(|a| (a.lender_reference.clone(), a))
            .collect())
    }

    /// Why an otherwise good row may not be written over the account already there.
    fn conflict(
        &self,
        account: &ValidAccount,
        existing: &HashMap<String, account::Model>,
    ) -> Option<FieldError> {
        let current = existing.get(&account.lender_reference)?;
        let message = if current.portfolio_id != self.portfolio.id {
            format!(
                "lender reference {} belongs to another portfolio (id {})",
                current.lender_reference, current.portfolio_id
            )
        } else if current.updated_at == self.at {
            format!(
                "lender reference {} repeats an earlier row of this import",
                current.lender_reference
            )
        } else {
            return None;
        };
        Some(FieldError::new(Field::LenderReference, message))
    }

    /// Upserts the accepted rows and records an audit event for each account.
    async fn write(
        &mut self,
        accepted: &[(u64, ValidAccount)],
        existing: &HashMap<String, account::Model>,
    ) -> AppResult<()> {
        if accepted.is_empty() {
            return Ok(());
        }
        account::Entity::insert_many(
            accepted
                .iter()
                .map(|(_, a)| self.active_model(a, existing.get(&a.lender_reference))),
        )
        .on_conflict(
            OnConflict::column(account::Column::LenderReference)
                .update_columns(REPLACED)
                .to_owned(),
        )
        .exec_without_returning(&self.tx)
        .await?;
        let written = account::Entity::find()
            .filter(any_of(
                self.tx.get_database_backend(),
                account::Column::LenderReference,
                references(accepted),
            ))
            .all(&self.tx)
            .await?;
        let changes = written.iter().map(|after| {
            let before = existing.get(&after.lender_reference);
            Change {
                action: if before.is_some() {
                    "account.update"
                } else {
                    "account.create"
                },
                entity_type: "account",
                entity_id: after.id.to_string(),
                before: before.map(audit_view),
                after: Some(audit_view(after)),
            }
        });
        audit::record_many(&self.tx, self.caller, changes).await?;
        let updated = written
            .iter()
            .filter(|a| existing.contains_key(&a.lender_reference))
            .count() as u64;
        self.report.updated += updated;
        self.report.created += written.len() as u64 - updated;
        Ok(())
    }

    /// The row to write. A re-import keeps the contact status agencies reported (DISPUTED,
    /// CEASE_CONTACT): only `updateAccountFlags` lifts it.
    fn active_model(
        &self,
        account: &ValidAccount,
        current: Option<&account::Model>,
    ) -> account::ActiveModel {
        let mut account = account.clone();
        let reported = current
            .into_iter()
            .flat_map(|c| c.flags.0.iter().copied())
            .filter(|flag| matches!(flag, AccountFlag::Disputed | AccountFlag::CeaseContact));
        for flag in reported {
            if !account.flags.contains(&flag) {
                account.flags.push(flag);
            }
        }
        let (hash, last4) = account.national_id.map(|id| (id.hash, id.last4)).unzip();
        account::ActiveModel {
            portfolio_id: Set(self.portfolio.id),
            lender_reference: Set(account.lender_reference),
            debtor_name: Set(account.debtor_name),
            debtor_phones: Set(Phones(account.phones)),
            debtor_email: Set(account.email),
            national_id_hash: Set(hash),
            national_id_last4: Set(last4),
            region: Set(account.region),
            time_zone: Set(account.time_zone),
            product: Set(account.product),
            principal_minor: Set(account.principal_minor),
            outstanding_minor: Set(account.outstanding_minor),
            currency: Set(account.currency),
            delinquency_start: Set(account.delinquency_start),
            charge_off_date: Set(account.charge_off_date),
            flags: Set(AccountFlags(account.flags)),
            created_at: Set(self.at),
            updated_at: Set(self.at),
            ..Default::default()
        }
    }
}

/// The time this import stamps its accounts with: the caller's instant, or, when an account
/// already carries that instant or a later one (a manual clock standing still while other
/// writes happened), just after the latest of them. No account written before the import
/// carries the stamp, so an account that does was written by this import.
async fn import_stamp<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> AppResult<DateTime<Utc>> {
    let now = now.trunc_subsecs(6);
    let latest = account::Entity::find()
        .select_only()
        .column_as(account::Column::UpdatedAt.max(), "latest")
        .filter(account::Column::UpdatedAt.gte(now))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(conn)
        .await?
        .flatten();
    Ok(latest.map_or(now, |latest| {
        (latest + chrono::Duration::microseconds(1)).trunc_subsecs(6)
    }))
}

fn references(accepted: &[(u64, ValidAccount)]) -> impl Iterator<Item = &str> {
    accepted.iter().map(|(_, a)| a.lender_reference.as_str())
}
