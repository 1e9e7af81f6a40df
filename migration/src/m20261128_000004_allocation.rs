//! Allocation: versioned strategies, the runs that apply them (with their idempotency
//! keys), the accounts a run left unplaced, and on each placement the run that made it
//! and why.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AllocationStrategies {
    Table,
    Id,
    Code,
    Version,
    Name,
    KindOfWork,
    Level,
    Segment,
    PoolAgencyIds,
    PeriodDays,
    PendingRecallWarningDays,
    SplitMethod,
    ChampionAgencyId,
    ChampionShareBp,
    FloorShareBp,
    ExcludePreviousHolders,
    Active,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AllocationRuns {
    Table,
    Id,
    StrategyId,
    PortfolioId,
    Seed,
    IdempotencyKey,
    RequestHash,
    PlacedCount,
    UnplacedCount,
    Summary,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AllocationUnplaced {
    Table,
    Id,
    RunId,
    AccountId,
    Reason,
    Detail,
}

#[derive(DeriveIden)]
enum Placements {
    Table,
    AllocationRunId,
    Explanation,
    RecallWarnedAt,
    Status,
    DueBackOn,
}

#[derive(DeriveIden)]
enum Portfolios {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
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
        manager
            .create_table(
                Table::create()
                    .table(AllocationStrategies::Table)
                    .col(big_pk_auto(AllocationStrategies::Id))
                    .col(string_len(AllocationStrategies::Code, 32))
                    .col(integer(AllocationStrategies::Version))
                    .col(string(AllocationStrategies::Name))
                    .col(string_len(AllocationStrategies::KindOfWork, 16))
                    .col(string_len(AllocationStrategies::Level, 16))
                    .col(json(AllocationStrategies::Segment))
                    .col(json_null(AllocationStrategies::PoolAgencyIds))
                    .col(integer(AllocationStrategies::PeriodDays))
                    .col(integer(AllocationStrategies::PendingRecallWarningDays))
                    .col(string_len(AllocationStrategies::SplitMethod, 32))
                    .col(big_integer_null(AllocationStrategies::ChampionAgencyId))
                    .col(integer(AllocationStrategies::ChampionShareBp))
                    .col(integer(AllocationStrategies::FloorShareBp))
                    .col(boolean(AllocationStrategies::ExcludePreviousHolders))
                    .col(boolean(AllocationStrategies::Active))
                    .col(string(AllocationStrategies::CreatedBy))
                    .col(timestamp_with_time_zone(AllocationStrategies::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_strategy_version")
                    .table(AllocationStrategies::Table)
                    .col(AllocationStrategies::Code)
                    .col(AllocationStrategies::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AllocationRuns::Table)
                    .col(big_pk_auto(AllocationRuns::Id))
                    .col(big_integer(AllocationRuns::StrategyId))
                    .col(big_integer(AllocationRuns::PortfolioId))
                    .col(big_integer(AllocationRuns::Seed))
                    .col(string_len_null(AllocationRuns::IdempotencyKey, 128))
                    .col(string_len(AllocationRuns::RequestHash, 64))
                    .col(big_integer(AllocationRuns::PlacedCount))
                    .col(big_integer(AllocationRuns::UnplacedCount))
                    .col(json(AllocationRuns::Summary))
                    .col(string(AllocationRuns::CreatedBy))
                    .col(timestamp_with_time_zone(AllocationRuns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_run_strategy")
                            .from(AllocationRuns::Table, AllocationRuns::StrategyId)
                            .to(AllocationStrategies::Table, AllocationStrategies::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_run_portfolio")
                            .from(AllocationRuns::Table, AllocationRuns::PortfolioId)
                            .to(Portfolios::Table, Portfolios::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The same key is claimed once, by whichever process commits first.
        manager
            .create_index(
                Index::create()
                    .name("uq_run_idempotency_key")
                    .table(AllocationRuns::Table)
                    .col(AllocationRuns::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AllocationUnplaced::Table)
                    .col(big_pk_auto(AllocationUnplaced::Id))
                    .col(big_integer(AllocationUnplaced::RunId))
                    .col(big_integer(AllocationUnplaced::AccountId))
                    .col(string_len(AllocationUnplaced::Reason, 32))
                    .col(text(AllocationUnplaced::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unplaced_run")
                            .from(AllocationUnplaced::Table, AllocationUnplaced::RunId)
                            .to(AllocationRuns::Table, AllocationRuns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unplaced_account")
                            .from(AllocationUnplaced::Table, AllocationUnplaced::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_unplaced_run")
                    .table(AllocationUnplaced::Table)
                    .col(AllocationUnplaced::RunId)
                    .col(AllocationUnplaced::Id)
                    .to_owned(),
            )
            .await?;

        for column in [
            big_integer_null(Placements::AllocationRunId),
            json_null(Placements::Explanation),
            timestamp_with_time_zone_null(Placements::RecallWarnedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Placements::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_placements_due_back")
                    .table(Placements::Table)
                    .col(Placements::Status)
                    .col(Placements::DueBackOn)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_placements_run")
                    .table(Placements::Table)
                    .col(Placements::AllocationRunId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in ["idx_placements_run", "idx_placements_due_back"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(Placements::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Placements::AllocationRunId.into_iden(),
            Placements::Explanation.into_iden(),
            Placements::RecallWarnedAt.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Placements::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            AllocationUnplaced::Table.into_iden(),
            AllocationRuns::Table.into_iden(),
            AllocationStrategies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
