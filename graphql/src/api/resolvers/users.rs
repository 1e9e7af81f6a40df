use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::api::context::{caller, db, identity, now};
use crate::api::cost;
use crate::api::guard::{ADMIN, ANY_ROLE, RoleGuard, SignedInGuard, USER_READERS};
use crate::api::ids;
use crate::api::pagination::{Cursor, connection, page_request};
use crate::api::types::enums::Role;
use crate::api::types::user::{
    CreatedUser, Integration, MfaEnabled, MfaEnrolment, SetPasswordLink, User,
};
use crate::domain::Caller;
use crate::domain::actor::Actor;
use crate::domain::identity::credentials::{self, ResetLink};
use crate::domain::identity::integrations::{self, NewIntegration};
use crate::domain::identity::users::{self, NewUser, UserChanges};
use crate::domain::identity::{mfa, records};

#[derive(Default)]
pub struct UserQuery;

#[derive(Default)]
pub struct UserMutation;

#[derive(InputObject)]
pub struct CreateUserInput {
    /// Unique whatever the case.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Required for AGENCY users, refused for every other role.
    pub agency_id: Option<ID>,
    /// `en` (default) or `zh-CN`.
    pub language: Option<String>,
    /// An IANA time zone; UTC if absent.
    pub time_zone: Option<String>,
}

/// Leave a field out to keep it. A user changes their own name, language and time zone;
/// an ADMIN changes anything. A new role or agency ends the user's sessions and revokes
/// their tokens.
#[derive(InputObject, Default)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// With `role` AGENCY (or for an AGENCY user): their agency.
    pub agency_id: Option<ID>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(InputObject)]
pub struct CreateIntegrationInput {
    /// What the system is, e.g. "ACME dialer".
    pub name: String,
    /// The agency whose system it is: the integration acts as AGENCY for it.
    pub agency_id: ID,
}

fn link(reset: ResetLink) -> SetPasswordLink {
    SetPasswordLink {
        path: format!("/set-password?token={}", reset.secret),
        token: reset.secret,
        expires_at: reset.expires_at,
    }
}

fn agency_id(id: Option<&ID>) -> async_graphql::Result<Option<i64>> {
    Ok(id.map(|id| ids::parse("agencyId", id)).transpose()?)
}

/// An anonymous caller for what needs no sign-in (setting a password with a link).
fn anonymous(ctx: &Context<'_>) -> Caller {
    Caller {
        actor: Actor::system("set-password"),
        request_id: None,
        now: now(ctx),
    }
}

#[Object]
impl UserQuery {
    /// Every user, oldest first.
    #[graphql(
        guard = "RoleGuard::new(USER_READERS)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, User>> {
        let page = users::list(db(ctx), page_request(ctx, first, after)?).await?;
        Ok(connection(page, |u| u.id, |u| Ok(u.into()))?)
    }

    #[graphql(guard = "RoleGuard::new(USER_READERS)")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        Ok(records::get(db(ctx), ids::parse("id", &id)?).await?.into())
    }

    /// Every integration, oldest first.
    #[graphql(
        guard = "RoleGuard::new(USER_READERS)",
        complexity = "cost::page(first, child_complexity)"
    )]
    async fn integrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Integration>> {
        let page = integrations::list(db(ctx), page_request(ctx, first, after)?).await?;
        Ok(connection(page, |i| i.id, |i| Ok(i.into()))?)
    }
}

#[Object]
impl UserMutation {
    /// Creates a user; the answer carries the one-time set-password link to send them.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<CreatedUser> {
        let caller = caller(ctx)?;
        let new = NewUser {
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
            agency_id: agency_id(input.agency_id.as_ref())?,
            language: input.language,
            time_zone: input.time_zone,
        };
        let created = users::create(db(ctx), &caller, identity(ctx), new, None).await?;
        let reset = created
            .link
            .ok_or_else(|| async_graphql::Error::new("internal error"))?;
        Ok(CreatedUser {
            user: created.user.into(),
            set_password: link(reset),
        })
    }

    #[graphql(guard = "RoleGuard::new(ANY_ROLE)")]
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        let changes = UserChanges {
            display_name: input.display_name,
            role: input.role.map(Into::into),
            agency_id: agency_id(input.agency_id.as_ref())?,
            language: input.language,
            time_zone: input.time_zone,
        };
        Ok(
            users::update(db(ctx), &caller, ids::parse("id", &id)?, changes)
                .await?
                .into(),
        )
    }

    /// Disables a user: their sessions end and their tokens are revoked at once.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn disable_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        Ok(users::disable(db(ctx), &caller, ids::parse("id", &id)?)
            .await?
            .into())
    }

    /// Enables a disabled user; they sign in afresh (old tokens stay revoked).
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn enable_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        Ok(users::enable(db(ctx), &caller, ids::parse("id", &id)?)
            .await?
            .into())
    }

    /// A new one-time set-password link for a user (an earlier unused one stops working).
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn reset_user_password(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<SetPasswordLink> {
        let caller = caller(ctx)?;
        let reset =
            credentials::reset(db(ctx), &caller, identity(ctx), ids::parse("id", &id)?).await?;
        Ok(link(reset))
    }

    /// Sets a password with a set-password link's token; needs no sign-in. Every session
    /// of the user ends.
    async fn set_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<User> {
        let caller = anonymous(ctx);
        Ok(
            credentials::use_link(db(ctx), &caller, identity(ctx), &token, &new_password)
                .await?
                .into(),
        )
    }

    /// The caller changes their own password; their other sessions end.
    #[graphql(guard = "SignedInGuard::new(ANY_ROLE)")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        Ok(credentials::change_password(
            db(ctx),
            &caller,
            identity(ctx),
            &current_password,
            &new_password,
        )
        .await?
        .into())
    }

    /// Starts the caller's TOTP enrolment: scan the QR code, then confirmMfaEnrolment.
    #[graphql(guard = "SignedInGuard::new(ANY_ROLE)")]
    async fn start_mfa_enrolment(&self, ctx: &Context<'_>) -> async_graphql::Result<MfaEnrolment> {
        let caller = caller(ctx)?;
        let enrolment = mfa::start_enrolment(db(ctx), &caller, &identity(ctx).mfa).await?;
        Ok(MfaEnrolment {
            secret: enrolment.secret,
            uri: enrolment.uri,
            qr_svg: enrolment.qr_svg,
        })
    }

    /// Turns MFA on with the app's first code; answers the 10 recovery codes, once.
    #[graphql(guard = "SignedInGuard::new(ANY_ROLE)")]
    async fn confirm_mfa_enrolment(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<MfaEnabled> {
        let caller = caller(ctx)?;
        let (user, recovery_codes) = mfa::confirm_enrolment(db(ctx), &caller, &code).await?;
        Ok(MfaEnabled {
            user: user.into(),
            recovery_codes,
        })
    }

    /// Turns a user's MFA off (a lost device); their sessions end and they enrol again.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn reset_user_mfa(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        Ok(users::reset_mfa(db(ctx), &caller, ids::parse("id", &id)?)
            .await?
            .into())
    }

    /// Creates an agency integration (a system acting as AGENCY for the agency, e.g. its
    /// dialer); give it tokens with createApiToken's integrationId.
    #[graphql(guard = "RoleGuard::new(ADMIN)")]
    async fn create_integration(
        &self,
        ctx: &Context<'_>,
        input: CreateIntegrationInput,
    ) -> async_graphql::Result<Integration> {
        let caller = caller(ctx)?;
        let new = NewIntegration {
            name: input.name,
            role: entity::api_token::Role::Agency,
            agency_id: Some(ids::parse("agencyId", &input.agency_id)?),
        };
        Ok(integrations::create(db(ctx), &caller, new).await?.into())
    }
}
