//! Signing in with an e-mail, a password and, once MFA is on, a code. The answer never
//! says whether the e-mail exists: an unknown e-mail, a disabled user, a wrong password
//! and a wrong code are refused alike, after the same password-hashing work, and count
//! against the throttle of the e-mail and of the client address. Every attempt is audited.

use chrono::Duration;
use entity::user::{self, UserStatus};
use entity::user_session::{EndReason, SignInMethod};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::Identity;
use super::mfa::{self, CodeCheck};
use super::password;
use super::records::{self, acting_user};
use super::sessions::{self, Client, Started};
use super::throttle;
use crate::domain::actor::{Caller, Via};
use crate::domain::audit::{self, Change};
use crate::domain::tx::begin_write;
use crate::error::AppResult;

pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// A TOTP code or a recovery code, once the user has MFA on.
    pub code: Option<&'a str>,
    pub browser: Browser<'a>,
}

/// The browser signing in.
pub struct Browser<'a> {
    pub client: Client,
    /// The session cookie the browser already had: it ends, so each sign-in gets a new id.
    pub previous_session: Option<&'a str>,
}

pub enum Outcome {
    /// A session started: its cookie secret and row.
    SignedIn(Box<Started>),
    /// The e-mail and password are right and the user has MFA on: ask for the code.
    CodeRequired,
    /// Wrong e-mail, password or code, or a disabled user: told alike.
    Refused,
    /// Too many failures: try again after this long.
    Throttled(Duration),
}

/// One sign-in attempt at `caller.now` (a `system:sign-in` caller: nobody is known yet).
pub async fn sign_in(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    attempt: Attempt<'_>,
) -> AppResult<Outcome> {
    let now = caller.now;
    let email = attempt.email.trim().to_lowercase();
    let mut keys = vec![throttle::email_key(&email)];
    keys.extend(
        attempt
            .browser
            .client
            .address
            .as_deref()
            .map(throttle::client_key),
    );
    if let Some(wait) = throttle::wait(db, &identity.throttle, &keys, now).await? {
        audit_attempt(
            db,
            caller,
            &email,
            None,
            "throttled",
            &attempt.browser.client,
        )
        .await?;
        return Ok(Outcome::Throttled(wait));
    }
    let bounded =
        email.chars().count() <= 320 && attempt.password.chars().count() <= password::MAX_CHARS;
    let user = if bounded {
        records::find_by_email(db, &email).await?
    } else {
        None
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let password_ok = identity.passwords.verify(stored, attempt.password).await && bounded;
    let user = user.filter(|u| password_ok && u.status == UserStatus::Active);
    let Some(user) = user else {
        return refuse(
            db,
            caller,
            identity,
            &keys,
            &email,
            "wrong credentials",
            &attempt.browser.client,
        )
        .await;
    };
    let mut used = "password";
    if user.mfa_enabled_at.is_some() {
        let Some(code) = attempt.code.filter(|c| !c.trim().is_empty()) else {
            return Ok(Outcome::CodeRequired);
        };
        match mfa::check_code(db, caller, &user, code).await? {
            CodeCheck::Totp => used = "password+totp",
            CodeCheck::RecoveryCode => used = "password+recovery_code",
            CodeCheck::Wrong => {
                return refuse(
                    db,
                    caller,
                    identity,
                    &keys,
                    &email,
                    "wrong code",
                    &attempt.browser.client,
                )
                .await;
            }
        }
    }

    let tx = begin_write(db).await?;
    throttle::clear(&tx, &keys[0]).await?;
    let started = open_session(
        &tx,
        caller,
        identity,
        &user,
        SignInMethod::Password,
        used,
        &attempt.browser,
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::SignedIn(Box::new(started)))
}

/// Starts a session for `user`, who has just proved who they are by `method` with
/// `factors`: ends the browser's previous session, stamps the user's last sign-in and
/// records the sign-in, by the user through the new session. The caller commits `tx`.
pub(super) async fn open_session(
    tx: &DatabaseTransaction,
    caller: &Caller,
    identity: &Identity,
    user: &user::Model,
    method: SignInMethod,
    factors: &str,
    browser: &Browser<'_>,
) -> AppResult<Started> {
    let now = caller.now;
    let started =
        sessions::start(tx, user, method, now, identity.sessions, &browser.client).await?;
    let caller = Caller {
        actor: acting_user(user, Via::Session(started.session.id)),
        ..caller.clone()
    };
    if let Some(previous) = browser.previous_session {
        sessions::end(tx, &caller, previous, EndReason::Rotated).await?;
    }
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .exec(tx)
        .await?;
    record_sign_in(tx, &caller, user, &started, factors, &browser.client).await?;
    Ok(started)
}

async fn refuse(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    keys: &[String],
    email: &str,
    why: &str,
    client: &Client,
) -> AppResult<Outcome> {
    let tx = begin_write(db).await?;
    throttle::record_failure(&tx, &identity.throttle, keys, caller.now).await?;
    let user = records::find_by_email(&tx, email).await?;
    audit_attempt(&tx, caller, email, user.map(|u| u.id), why, client).await?;
    tx.commit().await?;
    Ok(Outcome::Refused)
}

/// Records a refused or throttled attempt: against the user when the e-mail is theirs,
/// else against the e-mail as typed (bounded), so an auditor sees what was tried.
async fn audit_attempt<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    email: &str,
    user_id: Option<i64>,
    why: &str,
    client: &Client,
) -> AppResult<()> {
    let (entity_type, entity_id) = match user_id {
        Some(id) => ("user", id.to_string()),
        None => (
            "sign_in",
            email.chars().filter(|c| *c != '\0').take(320).collect(),
        ),
    };
    audit::record(
        conn,
        caller,
        Change {
            action: "session.sign_in_failed",
            entity_type,
            entity_id,
            before: None,
            after: Some(json!({
                "reason": why,
                "clientAddress": client.address,
            })),
        },
    )
    .await
}

/// Records a sign-in, by the user through the new session.
pub async fn record_sign_in<C: sea_orm::ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user: &user::Model,
    started: &Started,
    factors: &str,
    client: &Client,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action: "session.sign_in",
            entity_type: "user_session",
            entity_id: started.session.id.to_string(),
            before: None,
            after: Some(json!({
                "userId": user.id,
                "method": sea_orm::ActiveEnum::to_value(&started.session.method),
                "factors": factors,
                "expiresAt": started.session.expires_at,
                "clientAddress": client.address,
                "userAgent": started.session.user_agent,
            })),
        },
    )
    .await
}
