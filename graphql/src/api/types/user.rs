use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{integration, user};

use super::agency::Agency;
use super::enums::{Role, UserStatus};
use crate::api::ids::to_id;

/// A person who signs in. Never the password or the MFA secret.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
    /// Unique whatever the case; stored lower-cased.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    /// `en` or `zh-CN`: the console's language for this person.
    pub language: String,
    /// An IANA time zone: the console shows times in it.
    pub time_zone: String,
    /// Whether multi-factor sign-in (TOTP) is on.
    pub mfa_enabled: bool,
    /// Whether the user has signed in through the single-sign-on provider.
    pub sso_linked: bool,
    /// Whether a password is set (a user made through the API sets one with their link).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub agency_id: Option<i64>,
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self {
            id: to_id(model.id),
            email: model.email,
            display_name: model.display_name,
            role: model.role.into(),
            status: model.status.into(),
            language: model.language,
            time_zone: model.time_zone,
            mfa_enabled: model.mfa_enabled_at.is_some(),
            sso_linked: model.sso_subject.is_some(),
            has_password: model.password_hash.is_some(),
            created_at: model.created_at,
            created_by: model.created_by,
            last_sign_in_at: model.last_sign_in_at,
            disabled_at: model.disabled_at,
            agency_id: model.agency_id,
        }
    }
}

#[ComplexObject]
impl User {
    /// The agency of an AGENCY user.
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        let Some(agency_id) = self.agency_id else {
            return Ok(None);
        };
        Ok(Some(Agency::load(ctx, agency_id).await?))
    }
}

/// A named system principal, e.g. an agency's dialer, acting through API tokens.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Integration {
    pub id: ID,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[graphql(skip)]
    pub agency_id: Option<i64>,
}

impl From<integration::Model> for Integration {
    fn from(model: integration::Model) -> Self {
        Self {
            id: to_id(model.id),
            name: model.name,
            role: model.role.into(),
            created_at: model.created_at,
            created_by: model.created_by,
            agency_id: model.agency_id,
        }
    }
}

#[ComplexObject]
impl Integration {
    /// The agency that owns an AGENCY integration.
    async fn agency(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Agency>> {
        let Some(agency_id) = self.agency_id else {
            return Ok(None);
        };
        Ok(Some(Agency::load(ctx, agency_id).await?))
    }
}

/// A user just created, and the one-time set-password link token to send them.
#[derive(SimpleObject)]
pub struct CreatedUser {
    pub user: User,
    pub set_password: SetPasswordLink,
}

/// A one-time set-password link: `token` is shown here once; the person opens
/// `/set-password?token=…` (or a client calls `setPassword`) before `expiresAt`.
#[derive(SimpleObject)]
pub struct SetPasswordLink {
    pub token: String,
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// What an authenticator app needs to enrol.
#[derive(SimpleObject)]
pub struct MfaEnrolment {
    /// The secret in base32, to type into the app.
    pub secret: String,
    /// The otpauth:// URI the QR code carries.
    pub uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Multi-factor sign-in is on; the recovery codes are shown here once.
#[derive(SimpleObject)]
pub struct MfaEnabled {
    pub user: User,
    /// Ten one-time codes, each usable once in place of an app's code.
    pub recovery_codes: Vec<String>,
}
