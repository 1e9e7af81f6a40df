//! Agency onboarding and qualifications: agency profile fields, the qualification
//! catalogue and requirements (seeded with the defaults), who submitted a
//! qualification, and the outbox of events for agencies and the lender.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::ChronoUtc;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agencies {
    Table,
    StatusReason,
    StatusChangedAt,
    WebhookUrl,
    WebhookSecret,
    Contacts,
}

#[derive(DeriveIden)]
enum AgencyQualifications {
    Table,
    SubmittedBy,
    RevocationReason,
}

#[derive(DeriveIden)]
enum QualificationTypes {
    Table,
    Code,
    Name,
    Description,
    RegionScoped,
    CreatedAt,
}

#[derive(DeriveIden)]
enum QualificationRequirements {
    Table,
    Id,
    QualificationType,
    KindOfWork,
    Region,
    RegionScoped,
    MaxAgeMonths,
    Active,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Topic,
    AgencyId,
    EntityType,
    EntityId,
    Payload,
    CreatedAt,
    DispatchedAt,
}

/// (code, name, description, region-scoped)
const CATALOGUE: &[(&str, &str, &str, bool)] = &[
    (
        "COLLECTION_LICENSE",
        "Debt collection licence",
        "Licence to collect consumer debt, issued per region",
        true,
    ),
    (
        "DATA_PROTECTION_CERT",
        "Data protection certification",
        "Certified handling of personal data (e.g. ISO 27701, GDPR/PIPL audit)",
        false,
    ),
    (
        "INFORMATION_SECURITY_CERT",
        "Information security certification",
        "ISO 27001 or SOC 2 Type II",
        false,
    ),
    (
        "PCI_DSS",
        "PCI DSS attestation",
        "Attestation of compliance for handling card payments",
        false,
    ),
    (
        "PROFESSIONAL_INDEMNITY_INSURANCE",
        "Professional indemnity insurance",
        "Insurance covering errors and omissions",
        false,
    ),
    (
        "LEGAL_PRACTICE_LICENSE",
        "Legal practice licence",
        "Licence to practise law and litigate debts",
        false,
    ),
    (
        "STAFF_BACKGROUND_CHECKS",
        "Staff background checks",
        "Attestation that collectors are background-checked",
        false,
    ),
    (
        "ANNUAL_AUDIT",
        "Annual lender audit",
        "The lender's yearly on-site or remote review of the agency",
        false,
    ),
];

/// The default requirements: (type, kind of work, region-scoped, max age in months).
/// `*` means every kind of work or every region.
const REQUIREMENTS: &[(&str, &str, bool, Option<i32>)] = &[
    ("COLLECTION_LICENSE", "*", true, None),
    ("DATA_PROTECTION_CERT", "*", false, None),
    ("LEGAL_PRACTICE_LICENSE", "LEGAL", false, None),
    ("ANNUAL_AUDIT", "*", false, Some(12)),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            text_null(Agencies::StatusReason),
            timestamp_with_time_zone_null(Agencies::StatusChangedAt),
            text_null(Agencies::WebhookUrl),
            text_null(Agencies::WebhookSecret),
            json_null(Agencies::Contacts),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Agencies::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            string_null(AgencyQualifications::SubmittedBy),
            text_null(AgencyQualifications::RevocationReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AgencyQualifications::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(QualificationTypes::Table)
                    .col(string_len(QualificationTypes::Code, 64).primary_key())
                    .col(string(QualificationTypes::Name))
                    .col(text(QualificationTypes::Description))
                    .col(boolean(QualificationTypes::RegionScoped))
                    .col(timestamp_with_time_zone(QualificationTypes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QualificationRequirements::Table)
                    .col(big_pk_auto(QualificationRequirements::Id))
                    .col(string_len(QualificationRequirements::QualificationType, 64))
                    .col(string_len(QualificationRequirements::KindOfWork, 16))
                    .col(string_len(QualificationRequirements::Region, 16))
                    .col(boolean(QualificationRequirements::RegionScoped))
                    .col(integer_null(QualificationRequirements::MaxAgeMonths))
                    .col(boolean(QualificationRequirements::Active))
                    .col(timestamp_with_time_zone(
                        QualificationRequirements::UpdatedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_requirement_type")
                            .from(
                                QualificationRequirements::Table,
                                QualificationRequirements::QualificationType,
                            )
                            .to(QualificationTypes::Table, QualificationTypes::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_requirement_scope")
                    .table(QualificationRequirements::Table)
                    .col(QualificationRequirements::QualificationType)
                    .col(QualificationRequirements::KindOfWork)
                    .col(QualificationRequirements::Region)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(big_pk_auto(OutboxEvents::Id))
                    .col(string_len(OutboxEvents::Topic, 64))
                    .col(big_integer_null(OutboxEvents::AgencyId))
                    .col(string_len(OutboxEvents::EntityType, 64))
                    .col(string_len(OutboxEvents::EntityId, 64))
                    .col(json(OutboxEvents::Payload))
                    .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxEvents::DispatchedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_pending")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::DispatchedAt)
                    .col(OutboxEvents::Id)
                    .to_owned(),
            )
            .await?;

        // Written as the entities write timestamps, so both stores compare them alike.
        let now: SimpleExpr = ChronoUtc::now().into();
        let mut types = Query::insert()
            .into_table(QualificationTypes::Table)
            .columns([
                QualificationTypes::Code,
                QualificationTypes::Name,
                QualificationTypes::Description,
                QualificationTypes::RegionScoped,
                QualificationTypes::CreatedAt,
            ])
            .to_owned();
        for (code, name, description, scoped) in CATALOGUE {
            types.values_panic([
                (*code).into(),
                (*name).into(),
                (*description).into(),
                (*scoped).into(),
                now.clone(),
            ]);
        }
        manager.exec_stmt(types).await?;

        let mut requirements = Query::insert()
            .into_table(QualificationRequirements::Table)
            .columns([
                QualificationRequirements::QualificationType,
                QualificationRequirements::KindOfWork,
                QualificationRequirements::Region,
                QualificationRequirements::RegionScoped,
                QualificationRequirements::MaxAgeMonths,
                QualificationRequirements::Active,
                QualificationRequirements::UpdatedAt,
            ])
            .to_owned();
        for (code, kind, scoped, max_age) in REQUIREMENTS {
            requirements.values_panic([
                (*code).into(),
                (*kind).into(),
                "*".into(),
                (*scoped).into(),
                (*max_age).into(),
                true.into(),
                now.clone(),
            ]);
        }
        manager.exec_stmt(requirements).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxEvents::Table.into_iden(),
            QualificationRequirements::Table.into_iden(),
            QualificationTypes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            AgencyQualifications::SubmittedBy.into_iden(),
            AgencyQualifications::RevocationReason.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AgencyQualifications::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Agencies::StatusReason.into_iden(),
            Agencies::StatusChangedAt.into_iden(),
            Agencies::WebhookUrl.into_iden(),
            Agencies::WebhookSecret.into_iden(),
            Agencies::Contacts.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Agencies::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
