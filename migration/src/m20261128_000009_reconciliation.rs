//! The lender's ledger (money actually received or remitted, and reversals) and the
//! reconciliation runs that match it to what agencies reported.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    Reference,
    AccountId,
    Channel,
    AgencyId,
    AmountMinor,
    GrossMinor,
    Currency,
    ReceivedAt,
    ReversesId,
    PayloadHash,
    ImportedBy,
    ImportedAt,
}

#[derive(DeriveIden)]
enum ReconciliationRuns {
    Table,
    Id,
    PeriodStart,
    PeriodEnd,
    Trigger,
    WindowDays,
    Summary,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReconciliationItems {
    Table,
    Id,
    RunId,
    Class,
    AccountId,
    AgencyId,
    PlacementId,
    PaymentIds,
    LedgerEntryIds,
    ReportedMinor,
    ReceivedMinor,
    Currency,
    Detail,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use LedgerEntries as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(big_pk_auto(L::Id))
                    .col(string_len_uniq(L::Reference, 64))
                    .col(big_integer(L::AccountId))
                    .col(string_len(L::Channel, 32))
                    .col(big_integer_null(L::AgencyId))
                    .col(big_integer(L::AmountMinor))
                    .col(big_integer(L::GrossMinor))
                    .col(string_len(L::Currency, 3))
                    .col(timestamp_with_time_zone(L::ReceivedAt))
                    .col(big_integer_null(L::ReversesId).unique_key())
                    .col(string_len(L::PayloadHash, 64))
                    .col(string(L::ImportedBy))
                    .col(timestamp_with_time_zone(L::ImportedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_entry_account")
                            .from(L::Table, L::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_entry_agency")
                            .from(L::Table, L::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_entry_reverses")
                            .from(L::Table, L::ReversesId)
                            .to(L::Table, L::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_entry_received")
                    .table(L::Table)
                    .col(L::ReceivedAt)
                    .to_owned(),
            )
            .await?;

        use ReconciliationRuns as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(date(R::PeriodStart))
                    .col(date(R::PeriodEnd))
                    .col(string_len(R::Trigger, 16))
                    .col(integer(R::WindowDays))
                    .col(json(R::Summary))
                    .col(string(R::CreatedBy))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reconciliation_run_period")
                    .table(R::Table)
                    .col(R::PeriodStart)
                    .col(R::PeriodEnd)
                    .to_owned(),
            )
            .await?;

        use ReconciliationItems as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(big_pk_auto(I::Id))
                    .col(big_integer(I::RunId))
                    .col(string_len(I::Class, 16))
                    .col(big_integer(I::AccountId))
                    .col(big_integer_null(I::AgencyId))
                    .col(big_integer_null(I::PlacementId))
                    .col(json(I::PaymentIds))
                    .col(json(I::LedgerEntryIds))
                    .col(big_integer(I::ReportedMinor))
                    .col(big_integer(I::ReceivedMinor))
                    .col(string_len(I::Currency, 3))
                    .col(text(I::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reconciliation_item_run")
                            .from(I::Table, I::RunId)
                            .to(R::Table, R::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reconciliation_item_run")
                    .table(I::Table)
                    .col(I::RunId)
                    .col(I::Class)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReconciliationItems::Table.into_iden(),
            ReconciliationRuns::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
