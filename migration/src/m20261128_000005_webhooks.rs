//! Webhook delivery state on the outbox: status, attempts, when to try next, and what
//! the agency's endpoint last answered.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    DeliveryStatus,
    Attempts,
    NextAttemptAt,
    LastResponseStatus,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len(OutboxEvents::DeliveryStatus, 16)
                .default("PENDING")
                .to_owned(),
            integer(OutboxEvents::Attempts).default(0).to_owned(),
            timestamp_with_time_zone_null(OutboxEvents::NextAttemptAt),
            integer_null(OutboxEvents::LastResponseStatus),
            text_null(OutboxEvents::LastError),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutboxEvents::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_delivery")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::DeliveryStatus)
                    .col(OutboxEvents::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_delivery")
                    .table(OutboxEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            OutboxEvents::DeliveryStatus.into_iden(),
            OutboxEvents::Attempts.into_iden(),
            OutboxEvents::NextAttemptAt.into_iden(),
            OutboxEvents::LastResponseStatus.into_iden(),
            OutboxEvents::LastError.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutboxEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
