//! The scheduler: jobs with their cron expressions (changeable at run time) and the runs
//! they made. `(job, scheduled_for)` is unique, so with several processes each scheduled
//! tick runs once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Name,
    Cron,
    Enabled,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    Trigger,
    ScheduledFor,
    StartedAt,
    FinishedAt,
    Status,
    Summary,
    Error,
    Runner,
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
                    .table(Jobs::Table)
                    .col(string_len(Jobs::Name, 64).primary_key())
                    .col(string_len(Jobs::Cron, 128))
                    .col(boolean(Jobs::Enabled))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(string(Jobs::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(big_pk_auto(JobRuns::Id))
                    .col(string_len(JobRuns::Job, 64))
                    .col(string_len(JobRuns::Trigger, 16))
                    .col(timestamp_with_time_zone(JobRuns::ScheduledFor))
                    .col(timestamp_with_time_zone(JobRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                    .col(string_len(JobRuns::Status, 16))
                    .col(json_null(JobRuns::Summary))
                    .col(text_null(JobRuns::Error))
                    .col(string(JobRuns::Runner))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_job_run_job")
                            .from(JobRuns::Table, JobRuns::Job)
                            .to(Jobs::Table, Jobs::Name),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_job_run_tick")
                    .table(JobRuns::Table)
                    .col(JobRuns::Job)
                    .col(JobRuns::ScheduledFor)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_run_status")
                    .table(JobRuns::Table)
                    .col(JobRuns::Job)
                    .col(JobRuns::Status)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [JobRuns::Table.into_iden(), Jobs::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
