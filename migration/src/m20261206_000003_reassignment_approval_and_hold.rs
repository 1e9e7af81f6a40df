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
        crate::columns::add(
            manager,
            ReassignmentDecisions::Table,
            [
                text_null(ReassignmentDecisions::HoldReason),
                string_len_null(ReassignmentDecisions::HeldBy, 64),
                timestamp_with_time_zone_null(ReassignmentDecisions::HeldAt),
                text_null(ReassignmentDecisions::ApprovalNote),
                string_len_null(ReassignmentDecisions::ApprovedBy, 64),
                timestamp_with_time_zone_null(ReassignmentDecisions::ApprovedAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::columns::drop(
            manager,
            ReassignmentDecisions::Table,
            [
                ReassignmentDecisions::HoldReason,
                ReassignmentDecisions::HeldBy,
                ReassignmentDecisions::HeldAt,
                ReassignmentDecisions::ApprovalNote,
                ReassignmentDecisions::ApprovedBy,
                ReassignmentDecisions::ApprovedAt,
            ],
        )
        .await
    }
}
