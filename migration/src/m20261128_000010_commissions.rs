//! Commission plans (versioned by effective date, per agency or the default), statements
//! with their lines, and manual adjustments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CommissionPlans {
    Table,
    Id,
    AgencyId,
    EffectiveFrom,
    Rules,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommissionStatements {
    Table,
    Id,
    AgencyId,
    PeriodStart,
    PeriodEnd,
    Currency,
    Status,
    ReconciliationRunId,
    BasisMinor,
    CommissionMinor,
    FeeWithheldMinor,
    Totals,
    GeneratedBy,
    GeneratedAt,
    SubmittedBy,
    SubmittedAt,
    ApprovedBy,
    ApprovedAt,
    PaidBy,
    PaidAt,
    DisputeReason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommissionLines {
    Table,
    Id,
    StatementId,
    Kind,
    AccountId,
    PlacementId,
    PaymentIds,
    LedgerEntryIds,
    PlanId,
    Rule,
    RateBp,
    BasisMinor,
    CommissionMinor,
    Note,
}

#[derive(DeriveIden)]
enum CommissionAdjustments {
    Table,
    Id,
    AgencyId,
    AmountMinor,
    Currency,
    Reason,
    StatementId,
    CreatedBy,
    CreatedAt,
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
        use CommissionPlans as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(big_pk_auto(P::Id))
                    .col(big_integer_null(P::AgencyId))
                    .col(date(P::EffectiveFrom))
                    .col(json(P::Rules))
                    .col(string(P::CreatedBy))
                    .col(timestamp_with_time_zone(P::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_commission_plan_agency")
                            .from(P::Table, P::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commission_plan_agency")
                    .table(P::Table)
                    .col(P::AgencyId)
                    .col(P::EffectiveFrom)
                    .to_owned(),
            )
            .await?;

        use CommissionStatements as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(big_integer(S::AgencyId))
                    .col(date(S::PeriodStart))
                    .col(date(S::PeriodEnd))
                    .col(string_len(S::Currency, 3))
                    .col(string_len(S::Status, 16))
                    .col(big_integer(S::ReconciliationRunId))
                    .col(big_integer(S::BasisMinor))
                    .col(big_integer(S::CommissionMinor))
                    .col(big_integer(S::FeeWithheldMinor))
                    .col(json(S::Totals))
                    .col(string(S::GeneratedBy))
                    .col(timestamp_with_time_zone(S::GeneratedAt))
                    .col(string_null(S::SubmittedBy))
                    .col(timestamp_with_time_zone_null(S::SubmittedAt))
                    .col(string_null(S::ApprovedBy))
                    .col(timestamp_with_time_zone_null(S::ApprovedAt))
                    .col(string_null(S::PaidBy))
                    .col(timestamp_with_time_zone_null(S::PaidAt))
                    .col(text_null(S::DisputeReason))
                    .col(timestamp_with_time_zone(S::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_commission_statement_agency")
                            .from(S::Table, S::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_commission_statement_period")
                    .table(S::Table)
                    .col(S::AgencyId)
                    .col(S::PeriodStart)
                    .col(S::PeriodEnd)
                    .col(S::Currency)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use CommissionLines as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(big_pk_auto(L::Id))
                    .col(big_integer(L::StatementId))
                    .col(string_len(L::Kind, 16))
                    .col(big_integer_null(L::AccountId))
                    .col(big_integer_null(L::PlacementId))
                    .col(json(L::PaymentIds))
                    .col(json(L::LedgerEntryIds))
                    .col(big_integer_null(L::PlanId))
                    .col(text(L::Rule))
                    .col(integer(L::RateBp))
                    .col(big_integer(L::BasisMinor))
                    .col(big_integer(L::CommissionMinor))
                    .col(text(L::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_commission_line_statement")
                            .from(L::Table, L::StatementId)
                            .to(S::Table, S::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commission_line_placement")
                    .table(L::Table)
                    .col(L::PlacementId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commission_line_statement")
                    .table(L::Table)
                    .col(L::StatementId)
                    .to_owned(),
            )
            .await?;

        use CommissionAdjustments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(big_pk_auto(A::Id))
                    .col(big_integer(A::AgencyId))
                    .col(big_integer(A::AmountMinor))
                    .col(string_len(A::Currency, 3))
                    .col(text(A::Reason))
                    .col(big_integer_null(A::StatementId))
                    .col(string(A::CreatedBy))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_commission_adjustment_agency")
                            .from(A::Table, A::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_commission_adjustment_statement")
                            .from(A::Table, A::StatementId)
                            .to(S::Table, S::Id),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CommissionAdjustments::Table.into_iden(),
            CommissionLines::Table.into_iden(),
            CommissionStatements::Table.into_iden(),
            CommissionPlans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
