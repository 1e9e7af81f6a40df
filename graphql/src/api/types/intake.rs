use async_graphql::SimpleObject;

use crate::api::cost;
use crate::domain::intake::{Field, ImportReport};

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
