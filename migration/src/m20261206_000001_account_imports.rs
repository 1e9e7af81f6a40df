//! Tracked account imports: a CSV file imported in the background, its progress and
//! outcome kept so that a person (or a system) can follow it and read the rejected rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountImports {
    Table,
    Id,
    PortfolioId,
    FileName,
    Atomic,
    Status,
    RowsRead,
    Created,
    Updated,
    Rejected,
    ErrorCount,
    Errors,
    RejectedRowsCsv,
    Failure,
    StartedBy,
    StartedByName,
    StartedAt,
    HeartbeatAt,
    FinishedAt,
    Runner,
}

#[derive(DeriveIden)]
enum Portfolios {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountImports::Table)
                    .col(big_pk_auto(AccountImports::Id))
                    .col(big_integer(AccountImports::PortfolioId))
                    .col(string_len(AccountImports::FileName, 255))
                    .col(boolean(AccountImports::Atomic))
                    .col(string_len(AccountImports::Status, 16))
                    .col(big_integer(AccountImports::RowsRead))
                    .col(big_integer(AccountImports::Created))
                    .col(big_integer(AccountImports::Updated))
                    .col(big_integer(AccountImports::Rejected))
                    .col(big_integer(AccountImports::ErrorCount))
                    .col(json_null(AccountImports::Errors))
                    .col(text_null(AccountImports::RejectedRowsCsv))
                    .col(text_null(AccountImports::Failure))
                    .col(string_len(AccountImports::StartedBy, 64))
                    .col(string_len(AccountImports::StartedByName, 400))
                    .col(timestamp_with_time_zone(AccountImports::StartedAt))
                    .col(timestamp_with_time_zone(AccountImports::HeartbeatAt))
                    .col(timestamp_with_time_zone_null(AccountImports::FinishedAt))
                    .col(string_len(AccountImports::Runner, 255))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountImports::Table, AccountImports::PortfolioId)
                            .to(Portfolios::Table, Portfolios::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_imports_by_portfolio")
                    .table(AccountImports::Table)
                    .col(AccountImports::PortfolioId)
                    .col(AccountImports::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountImports::Table).to_owned())
            .await
    }
}
