//! Core tables: agencies, their qualifications, portfolios, accounts, placements,
//! API tokens and the append-only audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
    Code,
    LegalName,
    Status,
    KindsOfWork,
    Channels,
    Regions,
    MaxActiveAccounts,
    MaxActiveBalanceMinor,
    CapacityCurrency,
    RemittanceMode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgencyQualifications {
    Table,
    Id,
    AgencyId,
    QualificationType,
    Region,
    Identifier,
    Issuer,
    IssuedOn,
    ExpiresOn,
    DocumentUrl,
    DocumentSha256,
    Status,
    ReviewedBy,
    ReviewNote,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Portfolios {
    Table,
    Id,
    Code,
    Name,
    Currency,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    PortfolioId,
    LenderReference,
    DebtorName,
    DebtorPhones,
    DebtorEmail,
    NationalIdHash,
    NationalIdLast4,
    Region,
    TimeZone,
    Product,
    PrincipalMinor,
    OutstandingMinor,
    Currency,
    DelinquencyStart,
    ChargeOffDate,
    Flags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Placements {
    Table,
    Id,
    AccountId,
    AgencyId,
    Level,
    Status,
    PlacedAt,
    DueBackOn,
    BalanceAtPlacementMinor,
    Currency,
    EndedAt,
    EndReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TokenHash,
    TokenPrefix,
    Role,
    AgencyId,
    Label,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    Actor,
    ActorRole,
    ActorAgencyId,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
    RequestId,
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
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}

const AUDIT_IMMUTABLE_SQLITE: &[&str] = &[
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit events are immutable'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit events are immutable'); END",
];

const AUDIT_IMMUTABLE_POSTGRES: &[&str] = &[
    "CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'audit events are immutable'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable()",
];

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
                    .table(Agencies::Table)
                    .col(big_pk_auto(Agencies::Id))
                    .col(string_len_uniq(Agencies::Code, 32))
                    .col(string(Agencies::LegalName))
                    .col(string_len(Agencies::Status, 16))
                    .col(json(Agencies::KindsOfWork))
                    .col(json(Agencies::Channels))
                    .col(json(Agencies::Regions))
                    .col(big_integer_null(Agencies::MaxActiveAccounts))
                    .col(big_integer_null(Agencies::MaxActiveBalanceMinor))
                    .col(string_len(Agencies::CapacityCurrency, 3))
                    .col(string_len(Agencies::RemittanceMode, 8))
                    .col(timestamp_with_time_zone(Agencies::CreatedAt))
                    .col(timestamp_with_time_zone(Agencies::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AgencyQualifications::Table)
                    .col(big_pk_auto(AgencyQualifications::Id))
                    .col(big_integer(AgencyQualifications::AgencyId))
                    .col(string_len(AgencyQualifications::QualificationType, 64))
                    .col(string_len_null(AgencyQualifications::Region, 16))
                    .col(string(AgencyQualifications::Identifier))
                    .col(string(AgencyQualifications::Issuer))
                    .col(date(AgencyQualifications::IssuedOn))
                    .col(date_null(AgencyQualifications::ExpiresOn))
                    .col(text_null(AgencyQualifications::DocumentUrl))
                    .col(string_len_null(AgencyQualifications::DocumentSha256, 64))
                    .col(string_len(AgencyQualifications::Status, 16))
                    .col(string_null(AgencyQualifications::ReviewedBy))
                    .col(text_null(AgencyQualifications::ReviewNote))
                    .col(timestamp_with_time_zone_null(
                        AgencyQualifications::ReviewedAt,
                    ))
                    .col(timestamp_with_time_zone(AgencyQualifications::CreatedAt))
                    .col(timestamp_with_time_zone(AgencyQualifications::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_qualification_agency",
                        (AgencyQualifications::Table, AgencyQualifications::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_qualifications_agency",
                AgencyQualifications::Table,
                &["agency_id", "qualification_type"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_qualifications_expiry",
                AgencyQualifications::Table,
                &["expires_on"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Portfolios::Table)
                    .col(big_pk_auto(Portfolios::Id))
                    .col(string_len_uniq(Portfolios::Code, 64))
                    .col(string(Portfolios::Name))
                    .col(string_len(Portfolios::Currency, 3))
                    .col(timestamp_with_time_zone(Portfolios::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(big_pk_auto(Accounts::Id))
                    .col(big_integer(Accounts::PortfolioId))
                    .col(string_len_uniq(Accounts::LenderReference, 64))
                    .col(string(Accounts::DebtorName))
                    .col(json(Accounts::DebtorPhones))
                    .col(string_null(Accounts::DebtorEmail))
                    .col(string_len_null(Accounts::NationalIdHash, 64))
                    .col(string_len_null(Accounts::NationalIdLast4, 4))
                    .col(string_len(Accounts::Region, 16))
                    .col(string_len(Accounts::TimeZone, 64))
                    .col(string_len(Accounts::Product, 16))
                    .col(big_integer(Accounts::PrincipalMinor))
                    .col(big_integer(Accounts::OutstandingMinor))
                    .col(string_len(Accounts::Currency, 3))
                    .col(date(Accounts::DelinquencyStart))
                    .col(date_null(Accounts::ChargeOffDate))
                    .col(json(Accounts::Flags))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .check(Expr::col(Accounts::OutstandingMinor).gte(0))
                    .foreign_key(&mut fk(
                        "fk_account_portfolio",
                        (Accounts::Table, Accounts::PortfolioId),
                        (Portfolios::Table, Portfolios::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_accounts_portfolio",
                Accounts::Table,
                &["portfolio_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Placements::Table)
                    .col(big_pk_auto(Placements::Id))
                    .col(big_integer(Placements::AccountId))
                    .col(big_integer(Placements::AgencyId))
                    .col(string_len(Placements::Level, 16))
                    .col(string_len(Placements::Status, 16))
                    .col(timestamp_with_time_zone(Placements::PlacedAt))
                    .col(date(Placements::DueBackOn))
                    .col(big_integer(Placements::BalanceAtPlacementMinor))
                    .col(string_len(Placements::Currency, 3))
                    .col(timestamp_with_time_zone_null(Placements::EndedAt))
                    .col(string_null(Placements::EndReason))
                    .col(timestamp_with_time_zone(Placements::CreatedAt))
                    .col(timestamp_with_time_zone(Placements::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_placement_account",
                        (Placements::Table, Placements::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_placement_agency",
                        (Placements::Table, Placements::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_placements_agency_status",
                Placements::Table,
                &["agency_id", "status"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_placements_account",
                Placements::Table,
                &["account_id"],
            ))
            .await?;
        // One account can never be held by two agencies at once. A partial unique
        // index reads the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX placements_one_active_per_account \
                 ON placements (account_id) WHERE status = 'ACTIVE'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(string_len_uniq(ApiTokens::TokenHash, 64))
                    .col(string_len(ApiTokens::TokenPrefix, 16))
                    .col(string_len(ApiTokens::Role, 16))
                    .col(big_integer_null(ApiTokens::AgencyId))
                    .col(string(ApiTokens::Label))
                    .col(string(ApiTokens::CreatedBy))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .check(
                        Expr::col(ApiTokens::Role)
                            .eq("AGENCY")
                            .eq(Expr::col(ApiTokens::AgencyId).is_not_null()),
                    )
                    .foreign_key(&mut fk(
                        "fk_api_token_agency",
                        (ApiTokens::Table, ApiTokens::AgencyId),
                        (Agencies::Table, Agencies::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(string(AuditEvents::Actor))
                    .col(string_len_null(AuditEvents::ActorRole, 16))
                    .col(big_integer_null(AuditEvents::ActorAgencyId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::EntityType, 64))
                    .col(string_len(AuditEvents::EntityId, 64))
                    .col(json_null(AuditEvents::Before))
                    .col(json_null(AuditEvents::After))
                    .col(string_len_null(AuditEvents::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_audit_entity",
                AuditEvents::Table,
                &["entity_type", "entity_id"],
            ))
            .await?;
        manager
            .create_index(index("idx_audit_actor", AuditEvents::Table, &["actor"]))
            .await?;

        let immutability = match manager.get_database_backend() {
            DbBackend::Postgres => AUDIT_IMMUTABLE_POSTGRES,
            _ => AUDIT_IMMUTABLE_SQLITE,
        };
        for statement in immutability {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Placements::Table.into_iden(),
            Accounts::Table.into_iden(),
            Portfolios::Table.into_iden(),
            AgencyQualifications::Table.into_iden(),
            Agencies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_events_immutable()")
                .await?;
        }
        Ok(())
    }
}
