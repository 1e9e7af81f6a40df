//! A vendor manager may approve a pending reassignment decision (it executes at once) or
//! hold it (it waits, not executing, until approved or overridden), each with who, when
//! and why.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReassignmentDecisions {
    Table,
    HoldReason,
    HeldBy,
    HeldAt,
    ApprovalNote,
    ApprovedBy,
    ApprovedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let columns = [
            text_null(ReassignmentDecisions::HoldReason),
            string_len_null(ReassignmentDecisions::HeldBy, 64),
            timestamp_with_time_zone_null(ReassignmentDecisions::HeldAt),
            text_null(ReassignmentDecisions::ApprovalNote),
            string_len_null(ReassignmentDecisions::ApprovedBy, 64),
            timestamp_with_time_zone_null(ReassignmentDecisions::ApprovedAt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReassignmentDecisions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ReassignmentDecisions::HoldReason,
            ReassignmentDecisions::HeldBy,
            ReassignmentDecisions::HeldAt,
            ReassignmentDecisions::ApprovalNote,
            ReassignmentDecisions::ApprovedBy,
            ReassignmentDecisions::ApprovedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReassignmentDecisions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
