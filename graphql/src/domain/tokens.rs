//! API tokens: random secrets shown once, stored as SHA-256, revocable, expiring (after a
//! default lifetime unless asked otherwise, never past a maximum), with the time each was
//! last used.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use entity::{agency, api_token, api_token::Role};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::actor::{Actor, Caller, Principal};
use super::audit::{self, Change};
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult, display_chain};

const SECRET_PREFIX: &str = "af_";
/// A token's last use is written at most this often, so requests rarely write.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

pub struct NewToken {
    pub role: Role,
    pub agency_id: Option<i64>,
    pub label: String,
    /// When the token stops working; after the default lifetime when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// How long tokens live: `default` when no expiry is asked for, never longer than `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLifetime {
    pub default: Duration,
    pub max: Duration,
}

impl Default for TokenLifetime {
    /// The configuration's defaults: 90 days, at most 365.
    fn default() -> Self {
        Self {
            default: Duration::days(90),
            max: Duration::days(365),
        }
    }
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

/// Creates a token in its own transaction, audited. Without an expiry it expires after
/// `lifetime.default`; an expiry past `lifetime.max` from now is BAD_USER_INPUT.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewToken,
    lifetime: TokenLifetime,
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
    let expires_at = new.expires_at.unwrap_or(caller.now + lifetime.default);
    if expires_at <= caller.now {
        return Err(AppError::bad_input(
            "expiresAt",
            "the expiry must be in the future",
        ));
    }
    if expires_at > caller.now + lifetime.max {
        return Err(AppError::bad_input(
            "expiresAt",
            format!(
                "a token lives at most {} days (security.max_token_lifetime_days)",
                lifetime.max.num_days()
            ),
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
        expires_at: Set(Some(expires_at)),
        revoked_at: Set(None),
        last_used_at: Set(None),
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

/// Whether the token authenticates at `now`: not revoked, not expired.
pub fn is_active(token: &api_token::Model, now: DateTime<Utc>) -> bool {
    token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > now)
}

/// The token a bearer secret names, or `None` when it is unknown, revoked or expired at
/// `now`. Records nothing: [`authenticate`] is the lookup that counts as a use.
pub async fn find_active<C: ConnectionTrait>(
    conn: &C,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<api_token::Model>> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Ok(None);
    }
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(secret)))
        .one(conn)
        .await?
        .filter(|t| is_active(t, now))
        .filter(|t| t.role != Role::Agency || t.agency_id.is_some()))
}

/// The actor a bearer secret stands for, as [`find_active`] finds its token at `now` (the
/// instant of the request on the service clock). The token's last use is recorded in the
/// background, in the request's span, at most once a minute, so the request does not
/// wait on it.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Actor>> {
    let Some(token) = find_active(db, secret, now).await? else {
        return Ok(None);
    };
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_RESOLUTION)
    {
        let (db, id) = (db.clone(), token.id);
        tokio::spawn(
            async move {
                if let Err(err) = record_use(&db, id, now).await {
                    tracing::warn!(
                        token = id,
                        error = %display_chain(&err),
                        "could not record a token's last use"
                    );
                }
            }
            .in_current_span(),
        );
    }
    Ok(Some(Actor {
        principal: Principal::Token(token.id),
        role: token.role,
        agency_id: token.agency_id,
    }))
}

/// Sets the token's last use to `now` unless another request did within the minute.
async fn record_use<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_token::Column::LastUsedAt.is_null())
                .add(api_token::Column::LastUsedAt.lte(now - LAST_USED_RESOLUTION)),
        )
        .exec(conn)
        .await?;
    Ok(())
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

/// Every token with its agency, oldest first; only those active at `now` unless `all`.
pub async fn list_all<C: ConnectionTrait>(
    conn: &C,
    all: bool,
    now: DateTime<Utc>,
) -> AppResult<Vec<(api_token::Model, Option<agency::Model>)>> {
    let mut select = api_token::Entity::find().find_also_related(agency::Entity);
    if !all {
        select = select.filter(active_at(now));
    }
    Ok(select.order_by_asc(api_token::Column::Id).all(conn).await?)
}

/// Tokens neither revoked nor expired at `now`, as [`is_active`] judges one.
fn active_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(api_token::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(api_token::Column::ExpiresAt.is_null())
                .add(api_token::Column::ExpiresAt.gt(now)),
        )
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
