//! Write transactions. On SQLite a write transaction starts with `BEGIN IMMEDIATE`
//! so that a read-then-write never fails on a lock upgrade; PostgreSQL ignores the option.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Serialises transactions that take the same `key` (PostgreSQL: a transaction-level
/// advisory lock, held until commit or rollback, across processes). SQLite's write
/// transactions are serialised already.
pub async fn serialise<C: ConnectionTrait>(conn: &C, key: i64) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The advisory-lock key of finance's reconciliation and statement generation: one at a
/// time, so no ledger entry or adjustment is claimed twice.
pub const FINANCE_LOCK: i64 = 0x4146_4649_4e41_4e43;

/// The advisory-lock key of ledger imports: one at a time, so a second import of the same
/// references (or reversals of the same entry) waits for the first and then finds them,
/// instead of failing on the unique keys.
pub const LEDGER_LOCK: i64 = 0x4146_4c45_4447_4552;
