use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::account_import;

use crate::api::cost;
use crate::api::ids::to_id;
use crate::api::types::enums::AccountImportStatus;
use crate::domain::intake::{Field, ImportReport};

/// A CSV file of accounts imported in the background (`startAccountImport`). While it
/// runs, `report` counts the rows so far; its `errors` are listed once it is over.
#[derive(SimpleObject)]
pub struct AccountImport {
    pub id: ID,
    pub portfolio_id: ID,
    /// The file's name as the uploader's client gave it.
    pub file_name: String,
    /// Any refused row refuses the whole file.
    pub atomic: bool,
    pub status: AccountImportStatus,
    pub report: AccountImportReport,
    /// Once it is over, the refused rows as they were sent (the rows of the first 1,000
    /// errors, at most 4 MiB), header first, with a last column `error` saying why: fix
    /// them and send this file again. The national ID column comes back empty (national
    /// IDs are never stored). Null when no row was refused.
    #[graphql(complexity = 10)]
    pub rejected_rows_csv: Option<String>,
    /// Why a FAILED import stopped.
    pub failure: Option<String>,
    /// Who started it, by name.
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<account_import::Model> for AccountImport {
    fn from(model: account_import::Model) -> Self {
        let errors = model.errors.map(|e| e.0).unwrap_or_default();
        Self {
            id: to_id(model.id),
            portfolio_id: to_id(model.portfolio_id),
            file_name: model.file_name,
            atomic: model.atomic,
            status: model.status.into(),
            report: AccountImportReport {
                rows_read: model.rows_read,
                created: model.created,
                updated: model.updated,
                rejected: model.rejected,
                error_count: model.error_count,
                errors: errors
                    .into_iter()
                    .map(|e| AccountImportError {
                        row: count(e.row),
                        field: e.column,
                        message: e.message,
                    })
                    .collect(),
            },
            rejected_rows_csv: model.rejected_rows_csv,
            failure: model.failure,
            started_by: model.started_by_name,
            started_at: model.started_at,
            finished_at: model.finished_at,
        }
    }
}

/// What an import did. `rowsRead` = `created` + `updated` + `rejected`.
#[derive(SimpleObject)]
pub struct AccountImportReport {
    /// Accounts sent, or lines of a CSV file after its header.
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    /// Rows not written: the bad ones; in an atomic import with any error, every row.
    pub rejected: i64,
    /// Every error found, listed or not; a row may have several.
    pub error_count: i64,
    /// The first 1,000 errors, in row order.
    #[graphql(complexity = "cost::list(child_complexity)")]
    pub errors: Vec<AccountImportError>,
}

/// Why one row, or one field of it, was refused.
#[derive(SimpleObject)]
pub struct AccountImportError {
    /// 1 is the first account sent, or the first line after a CSV file's header.
    pub row: i64,
    /// The field at fault (an `AccountInput` path or a CSV column); null for the row as a whole.
    pub field: Option<String>,
    pub message: String,
}

impl AccountImportReport {
    /// The report, naming fields with `name` (input paths or CSV columns).
    pub fn new(report: ImportReport, name: fn(Field) -> &'static str) -> Self {
        Self {
            rows_read: count(report.rows_read),
            created: count(report.created),
            updated: count(report.updated),
            rejected: count(report.rejected),
            error_count: count(report.error_count),
            errors: report
                .errors
                .into_iter()
                .map(|e| AccountImportError {
                    row: count(e.row),
                    field: e.field.map(|f| name(f).to_owned()),
                    message: e.message,
                })
                .collect(),
        }
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
