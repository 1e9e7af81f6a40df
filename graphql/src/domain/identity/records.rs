//! A user's row: reading it, changing it with its audit event, and the actor a user is.
//! The workflows of users, credentials, MFA and sign-in all build on these.

use entity::user;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use serde_json::json;

use crate::domain::actor::{Actor, Caller, Principal, Via};
use crate::domain::audit::{self, Change};
use crate::error::{AppError, AppResult};

/// The name the audit log keeps for a person: display name and e-mail.
pub fn person_name(user: &user::Model) -> String {
    format!("{} <{}>", user.display_name, user.email)
}

/// The actor a user is when acting through `via`.
pub fn acting_user(user: &user::Model, via: Via) -> Actor {
    Actor {
        principal: Principal::User {
            id: user.id,
            name: person_name(user),
        },
        role: user.role,
        agency_id: user.agency_id,
        via,
        must_enrol_mfa: false,
    }
}

fn audit_view(user: &user::Model) -> serde_json::Value {
    json!({
        "id": user.id,
        "email": user.email,
        "displayName": user.display_name,
        "role": user.role.to_value(),
        "agencyId": user.agency_id,
        "status": user.status.to_value(),
        "language": user.language,
        "timeZone": user.time_zone,
        "mfaEnabled": user.mfa_enabled_at.is_some(),
        "ssoLinked": user.sso_subject.is_some(),
        "disabledAt": user.disabled_at,
    })
}

pub(super) async fn record<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    action: &str,
    before: Option<serde_json::Value>,
    after: &user::Model,
) -> AppResult<()> {
    audit::record(
        conn,
        caller,
        Change {
            action,
            entity_type: "user",
            entity_id: after.id.to_string(),
            before,
            after: Some(audit_view(after)),
        },
    )
    .await
}

/// The user, row-locked for the rest of the transaction.
pub(super) async fn find_for_update(tx: &DatabaseTransaction, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or_else(|| AppError::not_found("user", id))
}

/// Sets a user's password hash (already checked and hashed), audited without the hash.
pub(super) async fn set_password_hash(
    tx: &DatabaseTransaction,
    caller: &Caller,
    user: user::Model,
    hash: String,
    action: &str,
) -> AppResult<user::Model> {
    let before = audit_view(&user);
    let mut row = user.into_active_model();
    row.password_hash = Set(Some(hash));
    row.password_changed_at = Set(Some(caller.now));
    row.updated_at = Set(caller.now);
    let updated = row.update(tx).await?;
    record(tx, caller, action, Some(before), &updated).await?;
    Ok(updated)
}

/// Records an audited change of `user` made by `change` (MFA enrolment and reset).
pub(super) async fn save(
    tx: &DatabaseTransaction,
    caller: &Caller,
    action: &str,
    user: user::Model,
    change: impl FnOnce(&mut user::ActiveModel),
) -> AppResult<user::Model> {
    let before = audit_view(&user);
    let mut row = user.into_active_model();
    change(&mut row);
    row.updated_at = Set(caller.now);
    let updated = row.update(tx).await?;
    record(tx, caller, action, Some(before), &updated).await?;
    Ok(updated)
}

pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("user", id))
}

pub async fn find_by_email<C: ConnectionTrait>(
    conn: &C,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(conn)
        .await?)
}
