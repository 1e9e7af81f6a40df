use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::role::Role;

/// A person who signs in: lender staff, or an agency's staff (`agency_id` set, role AGENCY).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased, so the unique index holds case-insensitively.
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<i64>,
    pub status: UserStatus,
    /// A BCP 47 language tag, e.g. `en` or `zh-CN`.
    pub language: String,
    /// An IANA time zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// The Argon2id PHC string; absent until a password is set (or for SSO-only users).
    pub password_hash: Option<String>,
    pub password_changed_at: Option<DateTimeUtc>,
    /// The TOTP secret (base32) once enrolment has started.
    pub mfa_secret: Option<String>,
    /// When enrolment was confirmed with a first code: MFA is on from then.
    pub mfa_enabled_at: Option<DateTimeUtc>,
    /// The last TOTP time step accepted, so a code is accepted once.
    pub mfa_last_step: Option<i64>,
    /// `issuer#subject` of the single-sign-on identity this user signed in with.
    #[sea_orm(unique)]
    pub sso_subject: Option<String>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub updated_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::AgencyId",
        to = "super::agency::Column::Id"
    )]
    Agency,
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
