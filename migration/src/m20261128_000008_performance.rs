//! Performance snapshots (one row per day, agency, segment, window and currency, holding
//! the DOMAIN figures as counts and minor units), reassignment policies (versioned per
//! segment), and the reassignment runs and decisions they produce.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PerformanceSnapshots {
    Table,
    Id,
    AsOf,
    AgencyId,
    Segment,
    Window,
    Currency,
    ComputedAt,
    FirstPlacedAt,
    AccountsPlaced,
    BalancePlacedMinor,
    CollectedMinor,
    AccountsContacted,
    MedianFirstAttemptSecs,
    AccountsPromised,
    PromisesDue,
    PromisesKept,
    Complaints,
    IncidentsLow,
    IncidentsMedium,
    IncidentsHigh,
    IncidentsCritical,
    AccountsHeld,
    IdleAccounts,
    CommissionMinor,
    ScoreBp,
}

#[derive(DeriveIden)]
enum ReassignmentPolicies {
    Table,
    Id,
    Segment,
    Version,
    Active,
    GraceHours,
    RecallIdleDays,
    Rules,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReassignmentRuns {
    Table,
    Id,
    Trigger,
    DryRun,
    AsOf,
    Summary,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReassignmentDecisions {
    Table,
    Id,
    RunId,
    PolicyId,
    AgencyId,
    Segment,
    Currency,
    Action,
    Status,
    Findings,
    DecidedAt,
    ExecuteAfter,
    PlacementIds,
    Outcome,
    ExecutedAt,
    OverrideReason,
    OverriddenBy,
    UpdatedAt,
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
        use PerformanceSnapshots as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(date(S::AsOf))
                    .col(big_integer(S::AgencyId))
                    .col(string_len(S::Segment, 64))
                    .col(string_len(S::Window, 16))
                    .col(string_len(S::Currency, 3))
                    .col(timestamp_with_time_zone(S::ComputedAt))
                    .col(timestamp_with_time_zone(S::FirstPlacedAt))
                    .col(big_integer(S::AccountsPlaced))
                    .col(big_integer(S::BalancePlacedMinor))
                    .col(big_integer(S::CollectedMinor))
                    .col(big_integer(S::AccountsContacted))
                    .col(big_integer_null(S::MedianFirstAttemptSecs))
                    .col(big_integer(S::AccountsPromised))
                    .col(big_integer(S::PromisesDue))
                    .col(big_integer(S::PromisesKept))
                    .col(big_integer(S::Complaints))
                    .col(big_integer(S::IncidentsLow))
                    .col(big_integer(S::IncidentsMedium))
                    .col(big_integer(S::IncidentsHigh))
                    .col(big_integer(S::IncidentsCritical))
                    .col(big_integer(S::AccountsHeld))
                    .col(big_integer(S::IdleAccounts))
                    .col(big_integer_null(S::CommissionMinor))
                    .col(integer_null(S::ScoreBp))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_performance_snapshot_agency")
                            .from(S::Table, S::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_performance_snapshot")
                    .table(S::Table)
                    .col(S::AsOf)
                    .col(S::Segment)
                    .col(S::Window)
                    .col(S::Currency)
                    .col(S::AgencyId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_performance_snapshot_agency")
                    .table(S::Table)
                    .col(S::AgencyId)
                    .col(S::Segment)
                    .col(S::Window)
                    .col(S::AsOf)
                    .to_owned(),
            )
            .await?;

        use ReassignmentPolicies as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(big_pk_auto(P::Id))
                    .col(string_len(P::Segment, 64))
                    .col(integer(P::Version))
                    .col(boolean(P::Active))
                    .col(integer(P::GraceHours))
                    .col(integer(P::RecallIdleDays))
                    .col(json(P::Rules))
                    .col(string(P::CreatedBy))
                    .col(timestamp_with_time_zone(P::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_reassignment_policy_version")
                    .table(P::Table)
                    .col(P::Segment)
                    .col(P::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use ReassignmentRuns as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(string_len(R::Trigger, 16))
                    .col(boolean(R::DryRun))
                    .col(date(R::AsOf))
                    .col(json(R::Summary))
                    .col(string(R::CreatedBy))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .to_owned(),
            )
            .await?;

        use ReassignmentDecisions as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(big_pk_auto(D::Id))
                    .col(big_integer(D::RunId))
                    .col(big_integer(D::PolicyId))
                    .col(big_integer(D::AgencyId))
                    .col(string_len(D::Segment, 64))
                    .col(string_len(D::Currency, 3))
                    .col(string_len(D::Action, 16))
                    .col(string_len(D::Status, 16))
                    .col(json(D::Findings))
                    .col(timestamp_with_time_zone(D::DecidedAt))
                    .col(timestamp_with_time_zone(D::ExecuteAfter))
                    .col(json_null(D::PlacementIds))
                    .col(json_null(D::Outcome))
                    .col(timestamp_with_time_zone_null(D::ExecutedAt))
                    .col(text_null(D::OverrideReason))
                    .col(string_null(D::OverriddenBy))
                    .col(timestamp_with_time_zone(D::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reassignment_decision_run")
                            .from(D::Table, D::RunId)
                            .to(R::Table, R::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reassignment_decision_policy")
                            .from(D::Table, D::PolicyId)
                            .to(P::Table, P::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reassignment_decision_agency")
                            .from(D::Table, D::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_reassignment_decision_due",
                vec![D::Status, D::ExecuteAfter],
            ),
            (
                "idx_reassignment_decision_agency",
                vec![D::AgencyId, D::Segment, D::Status],
            ),
            ("idx_reassignment_decision_run", vec![D::RunId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(D::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReassignmentDecisions::Table.into_iden(),
            ReassignmentRuns::Table.into_iden(),
            ReassignmentPolicies::Table.into_iden(),
            PerformanceSnapshots::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
