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
        crate::columns::add(
            manager,
            ReconciliationItems::Table,
            [
                string_len_null(ReconciliationItems::Resolution, 32),
                text_null(ReconciliationItems::ResolutionNote),
                string_len_null(ReconciliationItems::ResolvedBy, 64),
                string_len_null(ReconciliationItems::ResolvedByName, 400),
                timestamp_with_time_zone_null(ReconciliationItems::ResolvedAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::columns::drop(
            manager,
            ReconciliationItems::Table,
            [
                ReconciliationItems::Resolution,
                ReconciliationItems::ResolutionNote,
                ReconciliationItems::ResolvedBy,
                ReconciliationItems::ResolvedByName,
                ReconciliationItems::ResolvedAt,
            ],
        )
        .await
    }
}
