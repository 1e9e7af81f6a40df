//! People: named users with passwords, multi-factor secrets and server-side sessions;
//! integrations (named system principals, e.g. an agency's dialer); every API token
//! belongs to one or the other. Existing tokens become integrations of the same id, name
//! and role, and the four-eyes columns that named `token:<id>` name `integration:<id>`,
//! so nothing that worked before stops working and no decision changes hands.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    Role,
    AgencyId,
    Status,
    Language,
    TimeZone,
    PasswordHash,
    PasswordChangedAt,
    MfaSecret,
    MfaEnabledAt,
    MfaLastStep,
    SsoSubject,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    LastSignInAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
    Name,
    Role,
    AgencyId,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum UserSessions {
    Table,
    Id,
    SecretHash,
    UserId,
    Method,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    EndedAt,
    EndReason,
    ClientAddress,
    UserAgent,
}

#[derive(DeriveIden)]
enum SignInThrottles {
    Table,
    Key,
    Failures,
    LastFailedAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    SecretHash,
    UserId,
    CreatedAt,
    CreatedBy,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ActorName,
    ActorVia,
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
}

fn to_user(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Users::Table, Users::Id)
        .to_owned()
}

/// The columns that record who made a four-eyes decision, whose `token:<id>` values now
/// name the integration the token became.
const DECIDER_COLUMNS: [(&str, &str); 6] = [
    ("commission_statements", "generated_by"),
    ("commission_statements", "submitted_by"),
    ("commission_statements", "approved_by"),
    ("agency_qualifications", "submitted_by"),
    ("agency_qualifications", "reviewed_by"),
    ("reassignment_runs", "created_by"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    // Stored lower-cased: the unique index makes e-mails unique case-insensitively.
                    .col(string_len(Users::Email, 320).unique_key())
                    .col(string_len(Users::DisplayName, 200))
                    .col(string_len(Users::Role, 16))
                    .col(big_integer_null(Users::AgencyId))
                    .col(string_len(Users::Status, 16))
                    .col(string_len(Users::Language, 16))
                    .col(string_len(Users::TimeZone, 64))
                    .col(string_len_null(Users::PasswordHash, 255))
                    .col(timestamp_with_time_zone_null(Users::PasswordChangedAt))
                    .col(string_len_null(Users::MfaSecret, 64))
                    .col(timestamp_with_time_zone_null(Users::MfaEnabledAt))
                    .col(big_integer_null(Users::MfaLastStep))
                    .col(string_len_null(Users::SsoSubject, 400).unique_key())
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(string_len(Users::CreatedBy, 100))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastSignInAt))
                    .col(timestamp_with_time_zone_null(Users::DisabledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .col(big_pk_auto(Integrations::Id))
                    .col(string_len(Integrations::Name, 200))
                    .col(string_len(Integrations::Role, 16))
                    .col(big_integer_null(Integrations::AgencyId))
                    .col(timestamp_with_time_zone(Integrations::CreatedAt))
                    .col(string_len(Integrations::CreatedBy, 100))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::AgencyId)
                            .to(Agencies::Table, Agencies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserSessions::Table)
                    .col(big_pk_auto(UserSessions::Id))
                    .col(string_len(UserSessions::SecretHash, 64).unique_key())
                    .col(big_integer(UserSessions::UserId))
                    .col(string_len(UserSessions::Method, 16))
                    .col(timestamp_with_time_zone(UserSessions::CreatedAt))
                    .col(timestamp_with_time_zone(UserSessions::LastSeenAt))
                    .col(timestamp_with_time_zone(UserSessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserSessions::EndedAt))
                    .col(string_len_null(UserSessions::EndReason, 32))
                    .col(string_len_null(UserSessions::ClientAddress, 64))
                    .col(string_len_null(UserSessions::UserAgent, 400))
                    .foreign_key(&mut to_user(UserSessions::Table, UserSessions::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_sessions_user")
                    .table(UserSessions::Table)
                    .col(UserSessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInThrottles::Table)
                    .col(string_len(SignInThrottles::Key, 400).primary_key())
                    .col(integer(SignInThrottles::Failures))
                    .col(timestamp_with_time_zone(SignInThrottles::LastFailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(big_pk_auto(PasswordResets::Id))
                    .col(string_len(PasswordResets::SecretHash, 64).unique_key())
                    .col(big_integer(PasswordResets::UserId))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(string_len(PasswordResets::CreatedBy, 100))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(&mut to_user(PasswordResets::Table, PasswordResets::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(big_pk_auto(MfaRecoveryCodes::Id))
                    .col(big_integer(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(MfaRecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(&mut to_user(
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_recovery_codes_user_code")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::UserId)
                    .col(MfaRecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(string_len_null(AuditEvents::ActorName, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(string_len_null(AuditEvents::ActorVia, 64))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let bigint = match manager.get_database_backend() {
            DbBackend::Postgres => "BIGINT",
            _ => "INTEGER",
        };
        // Column-level REFERENCES: the one way SQLite adds a foreign key to a table.
        for (column, table) in [("user_id", "users"), ("integration_id", "integrations")] {
            db.execute_unprepared(&format!(
                "ALTER TABLE api_tokens ADD COLUMN {column} {bigint} NULL REFERENCES {table} (id)"
            ))
            .await?;
        }
        db.execute_unprepared(
            "INSERT INTO integrations (id, name, role, agency_id, created_at, created_by) \
             SELECT id, label, role, agency_id, created_at, created_by FROM api_tokens",
        )
        .await?;
        db.execute_unprepared("UPDATE api_tokens SET integration_id = id")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('integrations', 'id'), \
                 COALESCE((SELECT max(id) FROM integrations), 0) + 1, false)",
            )
            .await?;
        }
        for (table, column) in DECIDER_COLUMNS {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET {column} = 'integration:' || substr({column}, 7) \
                 WHERE {column} LIKE 'token:%'"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in DECIDER_COLUMNS {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET {column} = 'token:' || substr({column}, 13) \
                 WHERE {column} LIKE 'integration:%'"
            ))
            .await?;
        }
        for column in ["user_id", "integration_id"] {
            db.execute_unprepared(&format!("ALTER TABLE api_tokens DROP COLUMN {column}"))
                .await?;
        }
        for column in [AuditEvents::ActorName, AuditEvents::ActorVia] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            MfaRecoveryCodes::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            SignInThrottles::Table.into_iden(),
            UserSessions::Table.into_iden(),
            Integrations::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
