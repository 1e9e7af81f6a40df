use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A signed-in browser. The cookie carries a random secret; only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub user_id: i64,
    pub method: SignInMethod,
    pub created_at: DateTimeUtc,
    /// The last request, kept to the minute: the idle timeout counts from it.
    pub last_seen_at: DateTimeUtc,
    /// The absolute end, however active the session is.
    pub expires_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<EndReason>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignInMethod {
    /// E-mail and password, and a second factor where the user has one.
    #[sea_orm(string_value = "PASSWORD")]
    Password,
    /// Through the configured OpenID Connect provider.
    #[sea_orm(string_value = "SSO")]
    Sso,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndReason {
    #[sea_orm(string_value = "SIGNED_OUT")]
    SignedOut,
    /// Replaced by a new session at the next sign-in in the same browser.
    #[sea_orm(string_value = "ROTATED")]
    Rotated,
    #[sea_orm(string_value = "USER_DISABLED")]
    UserDisabled,
    #[sea_orm(string_value = "PASSWORD_CHANGED")]
    PasswordChanged,
    #[sea_orm(string_value = "ROLE_CHANGED")]
    RoleChanged,
    #[sea_orm(string_value = "MFA_RESET")]
    MfaReset,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
