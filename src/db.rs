//! Connecting to the store (SQLite file or PostgreSQL, one code path) and migrating it.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
    Statement, TransactionTrait,
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

/// Whether `err` comes from a connection the database dropped (a restart, a failover,
/// `pg_terminate_backend`): the statement did not run, so a read may be tried again.
pub fn is_dropped_connection(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(err))
    | DbErr::Exec(RuntimeErr::SqlxError(err))
    | DbErr::Query(RuntimeErr::SqlxError(err))) = err
    else {
        return false;
    };
    match err.as_ref() {
        sqlx::Error::Io(_) => true,
        // SQLSTATE class 08 (connection exception) and the 57P0x shutdowns.
        sqlx::Error::Database(err) => err
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// Why the database did not answer the pool's ping (`ping`: its error, or `None` if it
/// did not answer in time). One direct connection attempt tells, since the pool retries a
/// refused connection until its acquire timeout and then reports only a timeout.
pub async fn unreachable_reason(
    db: &DatabaseConnection,
    ping: Option<DbErr>,
    within: Duration,
) -> String {
    match tokio::time::timeout(within, connect_once(db)).await {
        Err(_) => format!(
            "the database did not answer a new connection within {} s",
            within.as_secs()
        ),
        Ok(Ok(())) => match ping {
            None => "the database answers a new connection, but no pooled connection \
                     answered in time: every connection is busy"
                .to_owned(),
            Some(err) => {
                format!("the database answers a new connection, but the pooled one failed: {err}")
            }
        },
        Ok(Err(sqlx::Error::PoolClosed)) => {
            "the connection pool is closed: the service is stopping".to_owned()
        }
        Ok(Err(sqlx::Error::Io(err))) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the database refused the connection: it is not running, or not at the \
             configured address"
                .to_owned()
        }
        Ok(Err(sqlx::Error::Io(err))) => format!("cannot reach the database: {err}"),
        Ok(Err(sqlx::Error::Database(err))) => {
            format!("the database refused the session: {}", err.message())
        }
        Ok(Err(err)) => format!("cannot connect to the database: {err}"),
    }
}

/// Opens and closes one connection with the pool's options, outside the pool.
async fn connect_once(db: &DatabaseConnection) -> Result<(), sqlx::Error> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            if pool.is_closed() {
                return Err(sqlx::Error::PoolClosed);
            }
            PgConnection::connect_with(&pool.connect_options())
                .await?
                .close()
                .await
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            if pool.is_closed() {
                return Err(sqlx::Error::PoolClosed);
            }
            SqliteConnection::connect_with(&pool.connect_options())
                .await?
                .close()
                .await
        }
        other => Err(sqlx::Error::Configuration(
            format!("{other:?} is not a supported database").into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectOptions, Database};

    use super::unreachable_reason;

    #[tokio::test]
    async fn a_refused_connection_reads_as_refused() {
        // Nothing listens on port 1; the pool is lazy, so it is made without connecting.
        let mut options = ConnectOptions::new("postgres://agencyflow@127.0.0.1:1/none");
        options.connect_lazy(true);
        let db = Database::connect(options).await.unwrap();
        let reason = unreachable_reason(&db, None, Duration::from_secs(2)).await;
        assert!(reason.contains("refused the connection"), "{reason}");
    }
}
