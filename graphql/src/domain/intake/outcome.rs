//! How a tracked import ends: its counts, refused rows and status written to its row, and
//! the `account_import.finish` audit event, in the import's own transaction (or, for an
//! import that failed, in one of their own).

use std::fs::File;

use chrono::{DateTime, Utc};
use entity::account_import::{self, ImportStatus, RowErrors, StoredRowError};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::json;

use super::rejected;
use super::report::ImportReport;
use super::row::Field;
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::clock::Clock;
use crate::domain::tx::begin_write;
use crate::error::{AppError, AppResult};

/// How a tracked import records its end in the import's own transaction.
pub(super) struct Finish<'c> {
    pub id: i64,
    pub clock: &'c dyn Clock,
    /// The upload, read again for the refused rows.
    pub file: File,
}

impl Finish<'_> {
    /// Records the outcome on `conn`: the import's transaction before it commits, or (an
    /// atomic import that refused a row, rolled back) the database.
    pub(super) async fn record<C: ConnectionTrait>(
        self,
        conn: &C,
        caller: &Caller,
        report: &ImportReport,
    ) -> AppResult<()> {
        let before = account_import::Entity::find_by_id(self.id)
            .one(conn)
            .await?
            .ok_or_else(|| AppError::not_found("account import", self.id))?;
        let (file, errors) = (self.file, report.errors.clone());
        let rejected_rows_csv =
            tokio::task::spawn_blocking(move || rejected::rejected_rows(file, &errors))
                .await
                .map_err(|err| {
                    AppError::Internal(anyhow::anyhow!("copying refused rows: {err}"))
                })?;
        let after = account_import::Model {
            status: ImportStatus::Succeeded,
            errors: Some(stored_errors(report)),
            rejected_rows_csv,
            finished_at: Some(self.clock.now()),
            heartbeat_at: self.clock.now(),
            ..with_counts(before.clone(), report)
        };
        finish(conn, caller, before, after).await
    }
}

/// Records that the import stopped before the end of its file, and why.
pub(super) async fn record_failure(
    db: &DatabaseConnection,
    caller: &Caller,
    clock: &dyn Clock,
    row: account_import::Model,
    failure: String,
) -> AppResult<()> {
    let tx = begin_write(db).await?;
    let before = account_import::Entity::find_by_id(row.id)
        .one(&tx)
        .await?
        .unwrap_or(row);
    let after = account_import::Model {
        status: ImportStatus::Failed,
        failure: Some(failure),
        finished_at: Some(clock.now()),
        ..before.clone()
    };
    finish(&tx, caller, before, after).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    before: account_import::Model,
    after: account_import::Model,
) -> AppResult<()> {
    let caller = Caller {
        now: after.finished_at.unwrap_or(caller.now),
        ..caller.clone()
    };
    audit::record(
        conn,
        &caller,
        Change {
            action: "account_import.finish",
            entity_type: "account_import",
            entity_id: after.id.to_string(),
            before: Some(audit_view(&before)),
            after: Some(audit_view(&after)),
        },
    )
    .await?;
    account_import::Entity::update(account_import::ActiveModel {
        id: Set(after.id),
        status: Set(after.status),
        rows_read: Set(after.rows_read),
        created: Set(after.created),
        updated: Set(after.updated),
        rejected: Set(after.rejected),
        error_count: Set(after.error_count),
        errors: Set(after.errors),
        rejected_rows_csv: Set(after.rejected_rows_csv),
        failure: Set(after.failure),
        heartbeat_at: Set(after.heartbeat_at),
        finished_at: Set(after.finished_at),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(())
}

pub(super) fn with_counts(
    row: account_import::Model,
    report: &ImportReport,
) -> account_import::Model {
    account_import::Model {
        rows_read: count(report.rows_read),
        created: count(report.created),
        updated: count(report.updated),
        rejected: count(report.rejected),
        error_count: count(report.error_count),
        ..row
    }
}

pub(super) fn counts(report: &ImportReport) -> account_import::ActiveModel {
    account_import::ActiveModel {
        rows_read: Set(count(report.rows_read)),
        created: Set(count(report.created)),
        updated: Set(count(report.updated)),
        rejected: Set(count(report.rejected)),
        error_count: Set(count(report.error_count)),
        ..Default::default()
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn stored_errors(report: &ImportReport) -> RowErrors {
    RowErrors(
        report
            .errors
            .iter()
            .map(|e| StoredRowError {
                row: e.row,
                column: e.field.map(|f| Field::csv_column(f).to_owned()),
                message: e.message.clone(),
            })
            .collect(),
    )
}

pub(super) fn audit_view(row: &account_import::Model) -> serde_json::Value {
    json!({
        "portfolioId": row.portfolio_id,
        "fileName": row.file_name,
        "atomic": row.atomic,
        "status": row.status,
        "rowsRead": row.rows_read,
        "created": row.created,
        "updated": row.updated,
        "rejected": row.rejected,
        "errorCount": row.error_count,
        "failure": row.failure,
        "finishedAt": row.finished_at.map(|at: DateTime<Utc>| at.to_rfc3339()),
    })
}
