//! Single sign-on: the OpenID Connect sign-ins under way, kept server-side so that any
//! service process can complete a flow another began. Only the SHA-256 of the `state`
//! and of the browser's flow cookie is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoFlows {
    Table,
    Id,
    StateHash,
    BrowserHash,
    Nonce,
    PkceVerifier,
    ReturnTo,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsoFlows::Table)
                    .col(big_pk_auto(SsoFlows::Id))
                    .col(string_len(SsoFlows::StateHash, 64).unique_key())
                    .col(string_len(SsoFlows::BrowserHash, 64))
                    .col(string_len(SsoFlows::Nonce, 128))
                    .col(string_len(SsoFlows::PkceVerifier, 128))
                    .col(string_len_null(SsoFlows::ReturnTo, 2000))
                    .col(timestamp_with_time_zone(SsoFlows::CreatedAt))
                    .col(timestamp_with_time_zone(SsoFlows::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SsoFlows::UsedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SsoFlows::Table).to_owned())
            .await
    }
}
