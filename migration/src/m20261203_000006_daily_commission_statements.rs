//! The `commission_statements` job runs daily: it drafts every closed month not drafted
//! yet, whatever `finance.close_day` is. A database that still holds the former default
//! (the 7th of each month at 05:00) moves to the new one; a schedule changed through
//! `updateJob` is kept.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Name,
    Cron,
}

const JOB: &str = "commission_statements";
const MONTHLY: &str = "0 0 5 7 * *";
const DAILY: &str = "0 0 5 * * *";

async fn reschedule(manager: &SchemaManager<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::update()
                .table(Jobs::Table)
                .value(Jobs::Cron, to)
                .and_where(Expr::col(Jobs::Name).eq(JOB))
                .and_where(Expr::col(Jobs::Cron).eq(from))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        reschedule(manager, MONTHLY, DAILY).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        reschedule(manager, DAILY, MONTHLY).await
    }
}
