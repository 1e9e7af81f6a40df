//! The records reconciliation matched, one row each under a unique key, so a reported
//! payment or a ledger entry is matched at most once across all runs, even of overlapping
//! periods. Filled from each period's latest run.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReconciliationMatches {
    Table,
    Id,
    RunId,
    PaymentId,
    LedgerEntryId,
}

#[derive(DeriveIden)]
enum ReconciliationRuns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
}

/// Copies the `ids` (a JSON array column of the items) of the MATCHED and AMOUNT_MISMATCH
/// lines of each period's latest run into `column`; where two periods matched one record,
/// the later run keeps it.
fn backfill(backend: DbBackend, column: &str, ids: &str) -> String {
    let (elements, value) = match backend {
        DbBackend::Postgres => (
            format!("CROSS JOIN LATERAL json_array_elements_text(i.{ids}::json) AS e(value)"),
            "e.value::bigint",
        ),
        _ => (
            format!(", json_each(i.{ids}) AS e"),
            "CAST(e.value AS INTEGER)",
        ),
    };
    format!(
        "INSERT INTO reconciliation_matches (run_id, {column}) \
         SELECT i.run_id, {value} FROM reconciliation_items AS i {elements} \
         WHERE i.class IN ('MATCHED', 'AMOUNT_MISMATCH') AND i.run_id IN \
         (SELECT max(id) FROM reconciliation_runs GROUP BY period_start, period_end) \
         ORDER BY i.run_id DESC \
         ON CONFLICT DO NOTHING"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReconciliationMatches as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(big_pk_auto(M::Id))
                    .col(big_integer(M::RunId))
                    .col(big_integer_null(M::PaymentId).unique_key())
                    .col(big_integer_null(M::LedgerEntryId).unique_key())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliation_match_run")
                            .from(M::Table, M::RunId)
                            .to(ReconciliationRuns::Table, ReconciliationRuns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliation_match_payment")
                            .from(M::Table, M::PaymentId)
                            .to(Payments::Table, Payments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliation_match_ledger_entry")
                            .from(M::Table, M::LedgerEntryId)
                            .to(LedgerEntries::Table, LedgerEntries::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reconciliation_match_run")
                    .table(M::Table)
                    .col(M::RunId)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for (column, ids) in [
            ("payment_id", "payment_ids"),
            ("ledger_entry_id", "ledger_entry_ids"),
        ] {
            db.execute_unprepared(&backfill(backend, column, ids))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReconciliationMatches::Table).to_owned())
            .await
    }
}
