//! Intake: a lender's accounts imported into a portfolio, from a GraphQL batch or a CSV
//! file of any size. A lender reference already in the portfolio updates its account
//! (an upsert); one in another portfolio is a refused row, never a silent move. Each
//! bad row is reported with its field and reason; good rows land (unless a CSV import
//! is atomic). One import is one transaction, with an audit event per account written.

mod csv_reader;
mod national_id;
mod outcome;
mod rejected;
mod report;
mod row;
pub mod tracked;
mod writer;

use std::io::Read;

use sea_orm::DatabaseConnection;

pub use national_id::{MIN_KEY_BYTES, NationalIdKey};
pub use report::{ImportReport, MAX_LISTED_ERRORS, RowError};
pub use row::{AccountFields, Field, Row};

use super::actor::Caller;
use crate::error::{AppError, AppResult};
use csv_reader::CsvAccounts;
use outcome::Finish;
use writer::{CHUNK_ROWS, Import};

/// The most accounts one `importAccounts` call takes; larger sets come as CSV files.
pub const MAX_BATCH: usize = 10_000;

/// Imports a batch sent through the API. Not atomic: good rows land, bad ones are
/// reported (a client fixes and resends those alone, which the upsert makes safe).
#[tracing::instrument(skip_all, fields(portfolio_id = portfolio_id, rows = accounts.len()))]
pub async fn import_batch(
    db: &DatabaseConnection,
    caller: &Caller,
    national_id_key: &NationalIdKey,
    portfolio_id: i64,
    accounts: Vec<AccountFields>,
) -> AppResult<ImportReport> {
    if accounts.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "accounts",
            format!(
                "{} accounts are more than one call takes ({MAX_BATCH}); send them as a CSV file",
                accounts.len()
            ),
        ));
    }
    let mut import = Import::begin(db, caller, national_id_key, portfolio_id).await?;
    let mut rows = (1..).zip(accounts).map(|(number, account)| Row {
        number,
        account: Ok(account),
    });
    loop {
        let chunk: Vec<Row> = rows.by_ref().take(CHUNK_ROWS).collect();
        if chunk.is_empty() {
            break;
        }
        import.apply(chunk).await?;
    }
    let report = import.finish(false, None).await?;
    log(&report);
    Ok(report)
}

/// Imports a CSV file, read in chunks while earlier chunks are written. A bad header
/// refuses the file before anything is read further. `atomic`: any refused row
/// refuses the whole file, and nothing is written.
#[tracing::instrument(skip_all, fields(portfolio_id = portfolio_id, atomic = atomic))]
pub async fn import_csv<R: Read + Send + 'static>(
    db: &DatabaseConnection,
    caller: &Caller,
    national_id_key: &NationalIdKey,
    portfolio_id: i64,
    file: R,
    atomic: bool,
) -> AppResult<ImportReport> {
    let accounts = csv_reader::open(file).await?;
    let import = Import::begin(db, caller, national_id_key, portfolio_id).await?;
    import_rows(import, accounts, atomic, None, |_| {}).await
}

/// Imports the rows of an opened file, telling `progress` after each chunk; a tracked
/// import records its outcome (`finish`) in the import's transaction.
async fn import_rows<R: Read + Send + 'static>(
    mut import: Import<'_>,
    accounts: CsvAccounts<R>,
    atomic: bool,
    finish: Option<Finish<'_>>,
    mut progress: impl FnMut(&ImportReport) + Send,
) -> AppResult<ImportReport> {
    let mut chunks = accounts.chunks(CHUNK_ROWS);
    while let Some(chunk) = chunks.next().await? {
        import.apply(chunk).await?;
        progress(import.report());
    }
    let report = import.finish(atomic, finish).await?;
    log(&report);
    Ok(report)
}

fn log(report: &ImportReport) {
    tracing::info!(
        rows_read = report.rows_read,
        created = report.created,
        updated = report.updated,
        rejected = report.rejected,
        "accounts imported"
    );
}
