//! Finance's resolution of a reconciliation exception (agency-only, ledger-only, amount
//! mismatch): what was decided, why, by whom and when.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReconciliationItems {
    Table,
    Resolution,
    ResolutionNote,
    ResolvedBy,
    ResolvedByName,
    ResolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            string_len_null(ReconciliationItems::Resolution, 32),
            text_null(ReconciliationItems::ResolutionNote),
            string_len_null(ReconciliationItems::ResolvedBy, 64),
            string_len_null(ReconciliationItems::ResolvedByName, 400),
            timestamp_with_time_zone_null(ReconciliationItems::ResolvedAt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReconciliationItems::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ReconciliationItems::Resolution,
            ReconciliationItems::ResolutionNote,
            ReconciliationItems::ResolvedBy,
            ReconciliationItems::ResolvedByName,
            ReconciliationItems::ResolvedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReconciliationItems::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
