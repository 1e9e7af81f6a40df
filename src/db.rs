//! Connecting to the store (SQLite file or PostgreSQL, one code path) and migrating it.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.url.expose_secret().to_owned());
    let busy_timeout = Duration::from_millis(settings.sqlite_busy_timeout_ms);
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy_timeout)
                .foreign_keys(true)
        });
    let db = Database::connect(options)
        .await
        .map_err(|err| anyhow::anyhow!("connecting to the database: {err}"))?;
    Ok(db)
}

/// Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK: i64 = 0x6167_666c_6f77_0001;

/// Applies every pending migration. On PostgreSQL, where several service processes
/// may start at once, the migrations run in one transaction under an advisory lock,
/// so one process migrates and the others find the work done.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let result = match db.get_database_backend() {
        DbBackend::Postgres => {
            let tx = db.begin().await?;
            tx.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"),
            ))
            .await?;
            Migrator::up(&tx, None).await?;
            tx.commit().await
        }
        _ => Migrator::up(db, None).await,
    };
    result.map_err(|err| anyhow::anyhow!("applying migrations: {err}"))
}
