//! Tracked imports (`startAccountImport`): the file's header is read at once (a bad one is
//! refused then, as `importAccountsCsv` refuses it), the import is recorded as RUNNING,
//! and the rows are imported in the background, in one transaction as every CSV import.
//!
//! Progress (rows read, created, updated, rejected) lives on the process that runs the
//! import, which answers with it at once; on PostgreSQL that process also writes it to the
//! import's row every few seconds with a heartbeat, so every other process can show it
//! (SQLite has one writer, which the import holds). The outcome is written in the import's
//! own transaction: an import recorded as SUCCEEDED has landed, and a RUNNING import whose
//! process stopped (no heartbeat for a minute) landed nothing.

use std::collections::HashMap;
use std::fs::File;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Duration;
use entity::account_import::{self, ImportStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
};
use tokio::sync::oneshot;

use super::csv_reader::{self, CsvAccounts};
use super::national_id::NationalIdKey;
use super::outcome::{Finish, audit_view, counts, record_failure, with_counts};
use super::report::ImportReport;
use super::writer::Import;
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::clock::Clock;
use crate::domain::page::{Direction, Page, PageRequest, fetch_page};
use crate::domain::tx::begin_write;
use crate::domain::{portfolios, validate};
use crate::error::{AppError, AppResult};

/// How often the process running an import writes its progress (PostgreSQL).
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(5);

/// A RUNNING import of another process without a heartbeat for this long was abandoned
/// (its process stopped): twelve heartbeats missed.
const STALE_AFTER: Duration = Duration::seconds(60);

/// The longest file name kept.
const MAX_FILE_NAME: usize = 255;

/// The imports this process runs, and how it tells that another process's import stopped.
#[derive(Clone)]
pub struct Imports {
    live: Arc<Mutex<HashMap<i64, ImportReport>>>,
    clock: Arc<dyn Clock>,
    /// This process, as import rows record it.
    runner: String,
}

impl Imports {
    pub fn new(clock: Arc<dyn Clock>, runner: String) -> Self {
        Self {
            live: Arc::default(),
            clock,
            runner,
        }
    }

    fn progress(&self, id: i64) -> Option<ImportReport> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    fn publish(&self, id: i64, report: Option<&ImportReport>) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        match report {
            Some(report) => live.insert(id, report.clone()),
            None => live.remove(&id),
        };
    }

    /// The import as it stands now: live counts if this process runs it, FAILED if its
    /// process stopped. Read the live counts first: an import this process finishes in
    /// between is then read finished from its row.
    fn as_now(
        &self,
        row: account_import::Model,
        live: Option<ImportReport>,
    ) -> account_import::Model {
        if row.status != ImportStatus::Running {
            return row;
        }
        match live {
            Some(report) => with_counts(row, &report),
            None if row.heartbeat_at <= self.clock.now() - STALE_AFTER => account_import::Model {
                status: ImportStatus::Failed,
                failure: Some(format!(
                    "abandoned: its process ({}) stopped before the end of the file; \
                         nothing from it was written",
                    row.runner
                )),
                ..row
            },
            None => row,
        }
    }
}

/// What `startAccountImport` is given.
pub struct Start {
    pub portfolio_id: i64,
    pub file_name: Option<String>,
    /// The uploaded file (read twice: to import it, and to copy the rows it refused).
    pub file: File,
    pub atomic: bool,
}

/// Starts importing `start.file` in the background and returns the RUNNING import.
#[tracing::instrument(skip_all, fields(portfolio_id = start.portfolio_id, atomic = start.atomic))]
pub async fn start(
    imports: &Imports,
    db: &DatabaseConnection,
    caller: &Caller,
    national_id_key: &NationalIdKey,
    start: Start,
) -> AppResult<account_import::Model> {
    let file_name = match start.file_name.as_deref().map(str::trim) {
        None | Some("") => "accounts.csv".to_owned(),
        Some(name) => validate::text("file", name, MAX_FILE_NAME)?,
    };
    portfolios::get(db, start.portfolio_id).await?;
    let copy = start
        .file
        .try_clone()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("reopening an upload: {err}")))?;
    let accounts = csv_reader::open(start.file).await?;
    let tx = begin_write(db).await?;
    let row = account_import::Entity::insert(account_import::ActiveModel {
        portfolio_id: Set(start.portfolio_id),
        file_name: Set(file_name),
        atomic: Set(start.atomic),
        status: Set(ImportStatus::Running),
        rows_read: Set(0),
        created: Set(0),
        updated: Set(0),
        rejected: Set(0),
        error_count: Set(0),
        errors: Set(None),
        rejected_rows_csv: Set(None),
        failure: Set(None),
        started_by: Set(caller.actor.audit_name()),
        started_by_name: Set(caller.actor.display_name().to_owned()),
        started_at: Set(caller.now),
        heartbeat_at: Set(caller.now),
        finished_at: Set(None),
        runner: Set(imports.runner.clone()),
        ..Default::default()
    })
    .exec_with_returning(&tx)
    .await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "account_import.start",
            entity_type: "account_import",
            entity_id: row.id.to_string(),
            before: None,
            after: Some(audit_view(&row)),
        },
    )
    .await?;
    tx.commit().await?;
    imports.publish(row.id, Some(&ImportReport::default()));
    tokio::spawn(run(
        imports.clone(),
        db.clone(),
        caller.clone(),
        national_id_key.clone(),
        row.clone(),
        (accounts, copy),
    ));
    Ok(row)
}

/// Imports the rows, beating the heartbeat meanwhile, and records how it ended.
async fn run(
    imports: Imports,
    db: DatabaseConnection,
    mut caller: Caller,
    national_id_key: NationalIdKey,
    row: account_import::Model,
    (accounts, copy): (CsvAccounts<File>, File),
) {
    let id = row.id;
    let (stop, stopped) = oneshot::channel();
    let heartbeat = (db.get_database_backend() == DbBackend::Postgres)
        .then(|| tokio::spawn(beat(imports.clone(), db.clone(), id, stopped)));
    caller.now = imports.clock.now();
    let finish = Finish {
        id,
        clock: imports.clock.as_ref(),
        file: copy,
    };
    let outcome = match Import::begin(&db, &caller, &national_id_key, row.portfolio_id).await {
        Ok(import) => {
            super::import_rows(import, accounts, row.atomic, Some(finish), |report| {
                imports.publish(id, Some(report));
            })
            .await
        }
        Err(err) => Err(err),
    };
    drop(stop);
    if let Some(heartbeat) = heartbeat {
        let _ = heartbeat.await;
    }
    if let Err(err) = outcome {
        let failure = match &err {
            AppError::Db(_) | AppError::Internal(_) => {
                tracing::error!(import = id, error = %err, "account import failed");
                "internal error: the service log has the cause; nothing from the file was written"
                    .to_owned()
            }
            other => format!("{other}; nothing from the file was written"),
        };
        if let Err(err) = record_failure(&db, &caller, imports.clock.as_ref(), row, failure).await {
            tracing::error!(import = id, error = %err, "recording a failed account import");
        }
    }
    imports.publish(id, None);
}

/// Writes the progress and a heartbeat until `stop` is dropped.
async fn beat(imports: Imports, db: DatabaseConnection, id: i64, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(HEARTBEAT) => {}
        }
        let Some(report) = imports.progress(id) else {
            return;
        };
        let written = account_import::Entity::update_many()
            .set(counts(&report))
            .col_expr(
                account_import::Column::HeartbeatAt,
                imports.clock.now().into(),
            )
            .filter(account_import::Column::Id.eq(id))
            .filter(account_import::Column::Status.eq(ImportStatus::Running))
            .exec(&db)
            .await;
        if let Err(err) = written {
            tracing::warn!(import = id, error = %err, "writing an account import's progress");
        }
    }
}

/// One import, as it stands now.
pub async fn get(
    imports: &Imports,
    db: &DatabaseConnection,
    id: i64,
) -> AppResult<account_import::Model> {
    let live = imports.progress(id);
    let row = account_import::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("account import", id))?;
    Ok(imports.as_now(row, live))
}

/// A portfolio's imports, newest first, as they stand now.
pub async fn list(
    imports: &Imports,
    db: &DatabaseConnection,
    portfolio_id: i64,
    page: PageRequest,
) -> AppResult<Page<account_import::Model>> {
    let live = imports
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let page = fetch_page(
        db,
        account_import::Entity::find().filter(account_import::Column::PortfolioId.eq(portfolio_id)),
        account_import::Column::Id,
        page,
        Direction::Descending,
    )
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|row| {
                let progress = live.get(&row.id).cloned();
                imports.as_now(row, progress)
            })
            .collect(),
        has_next_page: page.has_next_page,
    })
}
