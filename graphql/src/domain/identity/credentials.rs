//! Setting passwords: one-time set-password links (issued when an ADMIN creates a user or
//! resets their password, used once, within `security.reset_link_hours`), and a user
//! changing their own.

use chrono::{DateTime, Utc};
use entity::password_reset;
use entity::user::{self, UserStatus};
use entity::user_session::EndReason;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::Identity;
use super::password;
use super::records;
use super::sessions;
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::secret;
use crate::domain::tx::begin_write;
use crate::domain::validate;
use crate::error::{AppError, AppResult};

const SECRET_PREFIX: &str = "afpw_";

/// A set-password link's secret (shown once) and when it stops working.
pub struct ResetLink {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a link for `user`, ending any earlier unused one, audited (without the secret).
pub(super) async fn issue<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    identity: &Identity,
    user: &user::Model,
) -> AppResult<ResetLink> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(caller.now))
        .filter(password_reset::Column::UserId.eq(user.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let secret = secret::generate(SECRET_PREFIX);
    let expires_at = caller.now + identity.reset_lifetime;
    let reset = password_reset::ActiveModel {
        secret_hash: Set(secret::hash(&secret)),
        user_id: Set(user.id),
        created_at: Set(caller.now),
        created_by: Set(caller.actor.audit_name()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        caller,
        Change {
            action: "user.issue_password_link",
            entity_type: "user",
            entity_id: user.id.to_string(),
            before: None,
            after: Some(json!({ "linkId": reset.id, "expiresAt": expires_at })),
        },
    )
    .await?;
    Ok(ResetLink { secret, expires_at })
}

/// ADMIN: a new set-password link for user `id` (their current password keeps working
/// until the link is used).
pub async fn reset(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    id: i64,
) -> AppResult<ResetLink> {
    let tx = begin_write(db).await?;
    let user = records::find_for_update(&tx, id).await?;
    if user.status != UserStatus::Active {
        return Err(AppError::Conflict(format!("user {id} is disabled")));
    }
    let link = issue(&tx, caller, identity, &user).await?;
    tx.commit().await?;
    Ok(link)
}

/// Sets a password with a link's secret; the link is spent and every session of the user
/// ends. An unknown, used or expired link is BAD_USER_INPUT on `token`, told alike.
pub async fn use_link(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    link_secret: &str,
    new_password: &str,
) -> AppResult<user::Model> {
    validate::no_nul("token", link_secret)?;
    validate::no_nul("newPassword", new_password)?;
    let refused = || AppError::bad_input("token", "this link is unknown, used or expired");
    if !link_secret.starts_with(SECRET_PREFIX) || link_secret.len() > 100 {
        return Err(refused());
    }
    // Hashing is slow by design: done before the transaction, which then spends the
    // link only if nobody spent it meanwhile.
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::SecretHash.eq(secret::hash(link_secret)))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > caller.now)
        .ok_or_else(refused)?;
    let email = records::get(db, reset.user_id).await?.email;
    password::check("newPassword", new_password, &email)?;
    let hash = identity.passwords.hash(new_password).await?;
    let tx = begin_write(db).await?;
    let spent = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(caller.now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    let user = records::find_for_update(&tx, reset.user_id).await?;
    if spent.rows_affected != 1 || user.status != UserStatus::Active {
        return Err(refused());
    }
    let caller = Caller {
        actor: records::acting_user(&user, crate::domain::actor::Via::Internal),
        ..caller.clone()
    };
    let updated = records::set_password_hash(&tx, &caller, user, hash, "user.set_password").await?;
    sessions::end_all_of_user(&tx, &caller, updated.id, EndReason::PasswordChanged).await?;
    tx.commit().await?;
    Ok(updated)
}

/// A signed-in user changes their own password, giving the current one; their other
/// sessions end, this one goes on. A wrong current password is BAD_USER_INPUT.
pub async fn change_password(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    current_password: &str,
    new_password: &str,
) -> AppResult<user::Model> {
    validate::no_nul("currentPassword", current_password)?;
    validate::no_nul("newPassword", new_password)?;
    let Some(id) = caller.actor.user_id() else {
        return Err(AppError::Forbidden(
            "only a person has a password; an integration has tokens".into(),
        ));
    };
    let user = records::get(db, id).await?;
    if !identity
        .passwords
        .verify(user.password_hash.as_deref(), current_password)
        .await
    {
        return Err(AppError::bad_input(
            "currentPassword",
            "the current password is wrong",
        ));
    }
    password::check("newPassword", new_password, &user.email)?;
    if current_password == new_password {
        return Err(AppError::bad_input(
            "newPassword",
            "the new password is the current one",
        ));
    }
    let hash = identity.passwords.hash(new_password).await?;
    let tx = begin_write(db).await?;
    let user = records::find_for_update(&tx, id).await?;
    let updated =
        records::set_password_hash(&tx, caller, user, hash, "user.change_password").await?;
    sessions::end_all_of_user_except(&tx, caller, id, EndReason::PasswordChanged).await?;
    tx.commit().await?;
    Ok(updated)
}
