//! API tokens: random secrets shown once, stored as SHA-256, revocable, optionally expiring.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::{agency, api_token, api_token::Role};
use rand::RngCore;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::actor::{Actor, Caller, Principal};
use super::audit::{self, Change};
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult};

const SECRET_PREFIX: &str = "af_";

pub struct NewToken {
    pub role: Role,
    pub agency_id: Option<i64>,
    pub label: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A freshly created token: the secret exists only in this value.
pub struct CreatedToken {
    pub secret: String,
    pub token: api_token::Model,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn audit_view(token: &api_token::Model) -> serde_json::Value {
    json!({
        "id": token.id,
        "prefix": token.token_prefix,
        "role": token.role.to_value(),
        "agencyId": token.agency_id,
        "label": token.label,
        "expiresAt": token.expires_at,
        "revokedAt": token.revoked_at,
    })
}

/// Creates a token in its own transaction, audited.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewToken,
) -> AppResult<CreatedToken> {
    let label = validate::text("label", &new.label, 200)?;
    match (new.role, new.agency_id) {
        (Role::Agency, None) => {
            return Err(AppError::bad_input(
                "agencyId",
                "an AGENCY token must name its agency",
            ));
        }
        (role, Some(_)) if role != Role::Agency => {
            return Err(AppError::bad_input(
                "agencyId",
                "only AGENCY tokens are bound to an agency",
            ));
        }
        _ => {}
    }
    if let Some(expires_at) = new.expires_at
        && expires_at <= caller.now
    {
        return Err(AppError::bad_input(
            "expiresAt",
            "the expiry must be in the future",
        ));
    }

    let tx = begin_write(db).await?;
    if let Some(agency_id) = new.agency_id {
        agency::Entity::find_by_id(agency_id)
            .one(&tx)
            .await?
            .ok_or_else(|| AppError::not_found("agency", agency_id))?;
    }
    let secret = generate_secret();
    let token = api_token::ActiveModel {
        token_hash: Set(hash(&secret)),
        token_prefix: Set(secret.chars().take(10).collect()),
        role: Set(new.role),
        agency_id: Set(new.agency_id),
        label: Set(label),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "api_token.create",
            entity_type: "api_token",
            entity_id: token.id.to_string(),
            before: None,
            after: Some(audit_view(&token)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken { secret, token })
}

/// Revokes a token; revoking a revoked token is a CONFLICT, so the audit log keeps one revocation.
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i64,
) -> AppResult<api_token::Model> {
    let tx = begin_write(db).await?;
    let token = api_token::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("API token", id))?;
    if token.revoked_at.is_some() {
        return Err(AppError::Conflict(format!(
            "API token {id} is already revoked"
        )));
    }
    let before = audit_view(&token);
    let mut active = token.into_active_model();
    active.revoked_at = Set(Some(caller.now));
    let token = active.update(&tx).await?;
    audit::record(
        &tx,
        caller,
        Change {
            action: "api_token.revoke",
            entity_type: "api_token",
            entity_id: id.to_string(),
            before: Some(before),
            after: Some(audit_view(&token)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The actor a bearer secret stands for, or `None` when it is unknown, revoked or expired
/// at `now` (the instant of the request on the service clock).
pub async fn authenticate<C: ConnectionTrait>(
    conn: &C,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Actor>> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Ok(None);
    }
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(secret)))
        .one(conn)
        .await?;
    Ok(token
        .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now))
        .filter(|t| t.role != Role::Agency || t.agency_id.is_some())
        .map(|t| Actor {
            principal: Principal::Token(t.id),
            role: t.role,
            agency_id: t.agency_id,
        }))
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    page: PageRequest,
) -> AppResult<Page<api_token::Model>> {
    fetch_page(
        conn,
        api_token::Entity::find(),
        api_token::Column::Id,
        page,
        Direction::Ascending,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hash_stably() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
    }
}
