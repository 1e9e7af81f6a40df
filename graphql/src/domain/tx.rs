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

/// Serialises transactions that take any of the same `names` in one `class` of locks
/// (PostgreSQL: a transaction-level advisory lock per name, on the pair `(class,
/// hashtext(name))`, taken in key order so two transactions never wait on each other in a
/// cycle). SQLite's write transactions are serialised already.
pub async fn serialise_names<C: ConnectionTrait>(
    conn: &C,
    class: i32,
    names: &[String],
) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres && !names.is_empty() {
        let names = serde_json::to_string(names).map_err(|e| DbErr::Custom(e.to_string()))?;
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, key) FROM (SELECT DISTINCT hashtext(name) AS key \
             FROM json_array_elements_text($2::json) AS name) AS keys ORDER BY key",
            [class.into(), names.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The advisory-lock class of the numbers and addresses contacted: contact caps per
/// number are counted and the contacts stored under it.
pub const CONTACT_POINT_LOCKS: i32 = 0x4146_4350;

/// The advisory-lock key of finance's reconciliation and statement generation: one at a
/// time, so no ledger entry or adjustment is claimed twice.
pub const FINANCE_LOCK: i64 = 0x4146_4649_4e41_4e43;

/// The advisory-lock key of ledger imports: one at a time, so a second import of the same
/// references (or reversals of the same entry) waits for the first and then finds them,
/// instead of failing on the unique keys.
pub const LEDGER_LOCK: i64 = 0x4146_4c45_4447_4552;
