//! Multi-factor sign-in: which roles must use it, and enrolment.

use entity::api_token::Role;
use entity::{mfa_recovery_code, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};

use super::{records, totp};
use crate::domain::actor::Caller;
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The roles whose users must enrol in TOTP before they may do anything else, and the
/// issuer name authenticator apps show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaPolicy {
    pub required_roles: Vec<Role>,
    pub issuer: String,
}

impl MfaPolicy {
    /// Whether `user` must enrol before anything else.
    pub fn must_enrol(&self, user: &user::Model) -> bool {
        self.required_roles.contains(&user.role) && user.mfa_enabled_at.is_none()
    }
}

/// What a sign-in code turned out to be.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The authenticator's code for now, not accepted before.
    Totp,
    /// One of the user's unused recovery codes, now spent.
    RecoveryCode,
    /// Neither, or a code already accepted once.
    Wrong,
}

/// Checks a sign-in code of `user` (who has MFA on) at `caller.now`. A TOTP code is
/// accepted once: its time step must be later than the last one accepted, and claiming
/// it is one conditional update, so two processes cannot both accept it. A recovery code
/// is spent the same way.
pub async fn check_code<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user: &user::Model,
    code: &str,
) -> AppResult<CodeCheck> {
    if code.chars().count() > 40 {
        return Ok(CodeCheck::Wrong);
    }
    if totp::is_recovery_code(code) {
        let spent = mfa_recovery_code::Entity::update_many()
            .col_expr(mfa_recovery_code::Column::UsedAt, Expr::value(caller.now))
            .filter(mfa_recovery_code::Column::UserId.eq(user.id))
            .filter(mfa_recovery_code::Column::CodeHash.eq(totp::hash_recovery_code(code)))
            .filter(mfa_recovery_code::Column::UsedAt.is_null())
            .exec(conn)
            .await?;
        return Ok(if spent.rows_affected == 1 {
            CodeCheck::RecoveryCode
        } else {
            CodeCheck::Wrong
        });
    }
    let Some(secret) = user
        .mfa_secret
        .as_deref()
        .and_then(totp::secret_from_base32)
    else {
        return Ok(CodeCheck::Wrong);
    };
    let Some(step) = totp::matching_step(&secret, code, caller.now) else {
        return Ok(CodeCheck::Wrong);
    };
    let claimed = user::Entity::update_many()
        .col_expr(user::Column::MfaLastStep, Expr::value(step))
        .filter(user::Column::Id.eq(user.id))
        .filter(
            Condition::any()
                .add(user::Column::MfaLastStep.is_null())
                .add(user::Column::MfaLastStep.lt(step)),
        )
        .exec(conn)
        .await?;
    Ok(if claimed.rows_affected == 1 {
        CodeCheck::Totp
    } else {
        CodeCheck::Wrong
    })
}

/// What an authenticator app needs to enrol: the secret to type in, or the URI as a QR
/// code to scan.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

fn person(caller: &Caller) -> AppResult<i64> {
    caller.actor.user_id().ok_or_else(|| {
        AppError::Forbidden("multi-factor sign-in is for people, not integrations".into())
    })
}

/// Starts (or starts again) the caller's enrolment with a new secret; MFA is on only once
/// [`confirm_enrolment`] sees a first code. Refused while MFA is on (an ADMIN resets it).
pub async fn start_enrolment(
    db: &DatabaseConnection,
    caller: &Caller,
    policy: &MfaPolicy,
) -> AppResult<Enrolment> {
    let id = person(caller)?;
    let tx = begin_write(db).await?;
    let user = records::find_for_update(&tx, id).await?;
    if user.mfa_enabled_at.is_some() {
        return Err(AppError::Conflict(
            "multi-factor sign-in is already on; an ADMIN can reset it for a lost device".into(),
        ));
    }
    let secret = totp::generate_secret();
    let encoded = totp::secret_base32(&secret);
    let uri = totp::provisioning_uri(&secret, &policy.issuer, &user.email);
    let stored = encoded.clone();
    records::save(&tx, caller, "user.start_mfa_enrolment", user, |row| {
        row.mfa_secret = Set(Some(stored));
        row.mfa_last_step = Set(None);
    })
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        qr_svg: totp::qr_svg(&uri),
        secret: encoded,
        uri,
    })
}

/// Confirms the caller's enrolment with a first code from the app: MFA is on from now, and
/// the answer carries 10 new one-time recovery codes (shown once, stored hashed). A wrong
/// code is BAD_USER_INPUT on `code`.
pub async fn confirm_enrolment(
    db: &DatabaseConnection,
    caller: &Caller,
    code: &str,
) -> AppResult<(user::Model, Vec<String>)> {
    validate::no_nul("code", code)?;
    let id = person(caller)?;
    let tx = begin_write(db).await?;
    let user = records::find_for_update(&tx, id).await?;
    if user.mfa_enabled_at.is_some() {
        return Err(AppError::Conflict(
            "multi-factor sign-in is already on".into(),
        ));
    }
    let secret = user
        .mfa_secret
        .as_deref()
        .and_then(totp::secret_from_base32)
        .ok_or_else(|| {
            AppError::Conflict("start the enrolment first (startMfaEnrolment)".into())
        })?;
    let step = totp::matching_step(&secret, code, caller.now).ok_or_else(|| {
        AppError::bad_input(
            "code",
            "this is not the app's current code: check the device's clock",
        )
    })?;
    let now = caller.now;
    let enabled = records::save(&tx, caller, "user.enable_mfa", user, |row| {
        row.mfa_enabled_at = Set(Some(now));
        row.mfa_last_step = Set(Some(step));
    })
    .await?;
    let codes = totp::generate_recovery_codes();
    replace_recovery_codes(&tx, id, &codes, now).await?;
    tx.commit().await?;
    Ok((enabled, codes))
}

pub(super) async fn replace_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    codes: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    mfa_recovery_code::Entity::delete_many()
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    if codes.is_empty() {
        return Ok(());
    }
    mfa_recovery_code::Entity::insert_many(codes.iter().map(|code| {
        mfa_recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(totp::hash_recovery_code(code)),
            created_at: Set(now),
            used_at: Set(None),
            ..Default::default()
        }
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
