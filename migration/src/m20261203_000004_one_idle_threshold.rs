//! One idle threshold: RECALL_IDLE recalls the accounts idle by `compliance.idle_days`,
//! as the idle watch and the scorecards count them, so a policy no longer carries a
//! threshold of its own.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReassignmentPolicies {
    Table,
    RecallIdleDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReassignmentPolicies::Table)
                    .drop_column(ReassignmentPolicies::RecallIdleDays)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReassignmentPolicies::Table)
                    .add_column(
                        ColumnDef::new(ReassignmentPolicies::RecallIdleDays)
                            .integer()
                            .not_null()
                            .default(7),
                    )
                    .to_owned(),
            )
            .await
    }
}
