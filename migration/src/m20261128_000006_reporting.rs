//! Agencies' reports and compliance: the activities and payments agencies report (each
//! unique per agency and external id, so a repeated report is recognised), and the
//! compliance incidents raised automatically or by people.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    AgencyId,
    AccountId,
    PlacementId,
    ExternalId,
    PayloadHash,
    Kind,
    Channel,
    Direction,
    Result,
    OccurredAt,
    ContactPoint,
    AgentReference,
    PromiseAmountMinor,
    PromiseCurrency,
    PromiseDueOn,
    Note,
    ReportedAt,
    ReportedBy,
    RequestId,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    AgencyId,
    AccountId,
    PlacementId,
    ExternalId,
    PayloadHash,
    AmountMinor,
    Currency,
    PaidAt,
    Method,
    PaidTo,
    AgencyReference,
    BalanceAfterMinor,
    ReportedAt,
    ReportedBy,
    RequestId,
}

#[derive(DeriveIden)]
enum ComplianceIncidents {
    Table,
    Id,
    AgencyId,
    AccountId,
    PlacementId,
    ActivityId,
    Source,
    Rule,
    Severity,
    Status,
    Summary,
    Evidence,
    DedupeKey,
    OccurredAt,
    RaisedAt,
    RaisedBy,
    AcknowledgedAt,
    AcknowledgedBy,
    AcknowledgementNote,
    ClosedAt,
    ClosedBy,
    ClosingNote,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccountFlagChanges {
    Table,
    Id,
    AccountId,
    Flag,
    Set,
    At,
    ActivityId,
    ChangedBy,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Placements {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
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
                    .table(Activities::Table)
                    .col(big_pk_auto(Activities::Id))
                    .col(big_integer(Activities::AgencyId))
                    .col(big_integer(Activities::AccountId))
                    .col(big_integer(Activities::PlacementId))
                    .col(string_len(Activities::ExternalId, 128))
                    .col(string_len(Activities::PayloadHash, 64))
                    .col(string_len(Activities::Kind, 24))
                    .col(string_len_null(Activities::Channel, 16))
                    .col(string_len_null(Activities::Direction, 16))
                    .col(string_len_null(Activities::Result, 24))
                    .col(timestamp_with_time_zone(Activities::OccurredAt))
                    .col(string_len_null(Activities::ContactPoint, 320))
                    .col(string_len_null(Activities::AgentReference, 128))
                    .col(big_integer_null(Activities::PromiseAmountMinor))
                    .col(string_len_null(Activities::PromiseCurrency, 3))
                    .col(date_null(Activities::PromiseDueOn))
                    .col(text_null(Activities::Note))
                    .col(timestamp_with_time_zone(Activities::ReportedAt))
                    .col(string(Activities::ReportedBy))
                    .col(string_null(Activities::RequestId))
                    .foreign_key(&mut fk(
                        "fk_activity_agency",
                        (Activities::Table, Activities::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_activity_account",
                        (Activities::Table, Activities::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_activity_placement",
                        (Activities::Table, Activities::PlacementId),
                        (Placements::Table, Placements::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::AgencyId))
                    .col(big_integer(Payments::AccountId))
                    .col(big_integer(Payments::PlacementId))
                    .col(string_len(Payments::ExternalId, 128))
                    .col(string_len(Payments::PayloadHash, 64))
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Currency, 3))
                    .col(timestamp_with_time_zone(Payments::PaidAt))
                    .col(string_len(Payments::Method, 16))
                    .col(string_len(Payments::PaidTo, 16))
                    .col(string_len_null(Payments::AgencyReference, 128))
                    .col(big_integer(Payments::BalanceAfterMinor))
                    .col(timestamp_with_time_zone(Payments::ReportedAt))
                    .col(string(Payments::ReportedBy))
                    .col(string_null(Payments::RequestId))
                    .foreign_key(&mut fk(
                        "fk_payment_agency",
                        (Payments::Table, Payments::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_payment_account",
                        (Payments::Table, Payments::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_payment_placement",
                        (Payments::Table, Payments::PlacementId),
                        (Placements::Table, Placements::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ComplianceIncidents::Table)
                    .col(big_pk_auto(ComplianceIncidents::Id))
                    .col(big_integer(ComplianceIncidents::AgencyId))
                    .col(big_integer_null(ComplianceIncidents::AccountId))
                    .col(big_integer_null(ComplianceIncidents::PlacementId))
                    .col(big_integer_null(ComplianceIncidents::ActivityId))
                    .col(string_len(ComplianceIncidents::Source, 16))
                    .col(string_len(ComplianceIncidents::Rule, 48))
                    .col(string_len(ComplianceIncidents::Severity, 16))
                    .col(string_len(ComplianceIncidents::Status, 16))
                    .col(text(ComplianceIncidents::Summary))
                    .col(json(ComplianceIncidents::Evidence))
                    .col(string_len_null(ComplianceIncidents::DedupeKey, 128))
                    .col(timestamp_with_time_zone(ComplianceIncidents::OccurredAt))
                    .col(timestamp_with_time_zone(ComplianceIncidents::RaisedAt))
                    .col(string(ComplianceIncidents::RaisedBy))
                    .col(timestamp_with_time_zone_null(
                        ComplianceIncidents::AcknowledgedAt,
                    ))
                    .col(string_null(ComplianceIncidents::AcknowledgedBy))
                    .col(text_null(ComplianceIncidents::AcknowledgementNote))
                    .col(timestamp_with_time_zone_null(ComplianceIncidents::ClosedAt))
                    .col(string_null(ComplianceIncidents::ClosedBy))
                    .col(text_null(ComplianceIncidents::ClosingNote))
                    .col(timestamp_with_time_zone(ComplianceIncidents::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_incident_agency",
                        (ComplianceIncidents::Table, ComplianceIncidents::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_incident_account",
                        (ComplianceIncidents::Table, ComplianceIncidents::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_incident_placement",
                        (ComplianceIncidents::Table, ComplianceIncidents::PlacementId),
                        (Placements::Table, Placements::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_incident_activity",
                        (ComplianceIncidents::Table, ComplianceIncidents::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // When each flag was set and lifted: the rules judge a contact by the flags in
        // force when it happened.
        manager
            .create_table(
                Table::create()
                    .table(AccountFlagChanges::Table)
                    .col(big_pk_auto(AccountFlagChanges::Id))
                    .col(big_integer(AccountFlagChanges::AccountId))
                    .col(string_len(AccountFlagChanges::Flag, 16))
                    .col(boolean(AccountFlagChanges::Set))
                    .col(timestamp_with_time_zone(AccountFlagChanges::At))
                    .col(big_integer_null(AccountFlagChanges::ActivityId))
                    .col(string(AccountFlagChanges::ChangedBy))
                    .foreign_key(&mut fk(
                        "fk_flag_change_account",
                        (AccountFlagChanges::Table, AccountFlagChanges::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_flag_change_activity",
                        (AccountFlagChanges::Table, AccountFlagChanges::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            (
                "idx_flag_change_account",
                AccountFlagChanges::Table.into_iden(),
                vec![
                    AccountFlagChanges::AccountId.into_iden(),
                    AccountFlagChanges::At.into_iden(),
                ],
                false,
            ),
            // A repeated external id is recognised, by whichever process commits first.
            (
                "uq_activity_external",
                Activities::Table.into_iden(),
                vec![
                    Activities::AgencyId.into_iden(),
                    Activities::ExternalId.into_iden(),
                ],
                true,
            ),
            // Compliance history of a debtor and of a number.
            (
                "idx_activity_account_time",
                Activities::Table.into_iden(),
                vec![
                    Activities::AccountId.into_iden(),
                    Activities::OccurredAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_activity_contact_point",
                Activities::Table.into_iden(),
                vec![
                    Activities::ContactPoint.into_iden(),
                    Activities::OccurredAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_activity_placement",
                Activities::Table.into_iden(),
                vec![Activities::PlacementId.into_iden()],
                false,
            ),
            (
                "uq_payment_external",
                Payments::Table.into_iden(),
                vec![
                    Payments::AgencyId.into_iden(),
                    Payments::ExternalId.into_iden(),
                ],
                true,
            ),
            (
                "idx_payment_account_time",
                Payments::Table.into_iden(),
                vec![
                    Payments::AccountId.into_iden(),
                    Payments::PaidAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_payment_placement",
                Payments::Table.into_iden(),
                vec![Payments::PlacementId.into_iden()],
                false,
            ),
            // One incident per watched fact (e.g. one idle incident per placement).
            (
                "uq_incident_dedupe",
                ComplianceIncidents::Table.into_iden(),
                vec![ComplianceIncidents::DedupeKey.into_iden()],
                true,
            ),
            (
                "idx_incident_agency",
                ComplianceIncidents::Table.into_iden(),
                vec![
                    ComplianceIncidents::AgencyId.into_iden(),
                    ComplianceIncidents::Id.into_iden(),
                ],
                false,
            ),
            (
                "idx_incident_account",
                ComplianceIncidents::Table.into_iden(),
                vec![
                    ComplianceIncidents::AccountId.into_iden(),
                    ComplianceIncidents::OccurredAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_incident_activity",
                ComplianceIncidents::Table.into_iden(),
                vec![ComplianceIncidents::ActivityId.into_iden()],
                false,
            ),
        ];
        for (name, table, columns, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccountFlagChanges::Table.into_iden(),
            ComplianceIncidents::Table.into_iden(),
            Payments::Table.into_iden(),
            Activities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
