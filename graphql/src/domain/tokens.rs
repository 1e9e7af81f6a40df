//! API tokens: random secrets shown once, stored as SHA-256, revocable, expiring (after a
//! default lifetime unless asked otherwise, never past a maximum), with the time each was
//! last used.

use chrono::{DateTime, Duration, Utc};
use entity::api_token::Role;
use entity::user::UserStatus;
use entity::{agency, api_token, integration, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tracing::Instrument;

use super::actor::{Actor, Caller, Principal, Via};
use super::audit::{self, Change};
use super::identity::mfa::MfaPolicy;
use super::identity::records::person_name;
use super::page::{Direction, Page, PageRequest, fetch_page};
use super::secret;
use super::tx::begin_write;
use super::validate;
use crate::error::{AppError, AppResult, display_chain};

const SECRET_PREFIX: &str = "af_";
/// A token's last use is written at most this often, so requests rarely write.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// Whose token it is: its role and agency are the owner's.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TokenOwner {
    /// A personal token: made by the user themself, with the user's role.
    User(i64),
    /// An integration's token: made by an ADMIN (or the operator's CLI).
    Integration(i64),
}

pub struct NewToken {
    pub owner: TokenOwner,
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

fn audit_view(token: &api_token::Model) -> serde_json::Value {
    json!({
        "id": token.id,
        "prefix": token.token_prefix,
        "role": token.role.to_value(),
        "agencyId": token.agency_id,
        "userId": token.user_id,
        "integrationId": token.integration_id,
        "label": token.label,
        "expiresAt": token.expires_at,
        "revokedAt": token.revoked_at,
    })
}

/// Creates a token in its own transaction, audited. A personal token is made by its
/// owner, an integration's by an ADMIN; the service itself (CLI, demo) makes either.
/// Without an expiry it expires after `lifetime.default`; an expiry past `lifetime.max`
/// from now is BAD_USER_INPUT.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewToken,
    lifetime: TokenLifetime,
) -> AppResult<CreatedToken> {
    let label = validate::text("label", &new.label, 200)?;
    let internal = matches!(caller.actor.principal, Principal::System(_));
    match new.owner {
        TokenOwner::User(id) if !internal && caller.actor.user_id() != Some(id) => {
            return Err(AppError::Forbidden(
                "a personal token is made by its owner, signed in".into(),
            ));
        }
        TokenOwner::Integration(_) if !internal && caller.actor.role != Role::Admin => {
            return Err(AppError::Forbidden(
                "an integration's tokens are made by an ADMIN".into(),
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
    let (role, agency_id, user_id, integration_id) = match new.owner {
        TokenOwner::User(id) => {
            let owner = user::Entity::find_by_id(id)
                .one(&tx)
                .await?
                .ok_or_else(|| AppError::not_found("user", id))?;
            if owner.status != UserStatus::Active {
                return Err(AppError::Conflict(format!("user {id} is disabled")));
            }
            (owner.role, owner.agency_id, Some(id), None)
        }
        TokenOwner::Integration(id) => {
            let owner = integration::Entity::find_by_id(id)
                .one(&tx)
                .await?
                .ok_or_else(|| AppError::not_found("integration", id))?;
            (owner.role, owner.agency_id, None, Some(id))
        }
    };
    let secret = secret::generate(SECRET_PREFIX);
    let token = api_token::ActiveModel {
        token_hash: Set(secret::hash(&secret)),
        token_prefix: Set(secret.chars().take(10).collect()),
        role: Set(role),
        agency_id: Set(agency_id),
        label: Set(label),
        created_by: Set(caller.actor.audit_name()),
        created_at: Set(caller.now),
        expires_at: Set(Some(expires_at)),
        revoked_at: Set(None),
        last_used_at: Set(None),
        user_id: Set(user_id),
        integration_id: Set(integration_id),
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
    let own = token.user_id.is_some() && token.user_id == caller.actor.user_id();
    if !own && caller.actor.role != Role::Admin {
        return Err(AppError::Forbidden(
            "a token is revoked by its owner or an ADMIN".into(),
        ));
    }
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
        .filter(api_token::Column::TokenHash.eq(secret::hash(secret)))
        .one(conn)
        .await?
        .filter(|t| is_active(t, now))
        .filter(|t| t.role != Role::Agency || t.agency_id.is_some()))
}

/// The actor a bearer secret stands for, as [`find_active`] finds its token at `now` (the
/// instant of the request on the service clock), acting for its owner: a personal token
/// works while its user is ACTIVE and still holds the token's role. The token's last use
/// is recorded in the background, in the request's span, at most once a minute, so the
/// request does not wait on it.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
    mfa: &MfaPolicy,
) -> AppResult<Option<Actor>> {
    let Some(token) = find_active(db, secret, now).await? else {
        return Ok(None);
    };
    let Some(actor) = owner_actor(db, &token, mfa).await? else {
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
    Ok(Some(actor))
}

/// The principal an active token acts for, or `None` when its user is disabled or no
/// longer holds the token's role.
async fn owner_actor<C: ConnectionTrait>(
    conn: &C,
    token: &api_token::Model,
    mfa: &MfaPolicy,
) -> AppResult<Option<Actor>> {
    let via = Via::Token(token.id);
    if let Some(user_id) = token.user_id {
        let Some(owner) = user::Entity::find_by_id(user_id).one(conn).await? else {
            return Ok(None);
        };
        if owner.status != UserStatus::Active
            || owner.role != token.role
            || owner.agency_id != token.agency_id
        {
            return Ok(None);
        }
        return Ok(Some(Actor {
            principal: Principal::User {
                id: owner.id,
                name: person_name(&owner),
            },
            role: owner.role,
            agency_id: owner.agency_id,
            via,
            must_enrol_mfa: mfa.must_enrol(&owner),
        }));
    }
    let Some(owner) = token.integration_id else {
        return Ok(None);
    };
    let Some(owner) = integration::Entity::find_by_id(owner).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(Actor {
        principal: Principal::Integration {
            id: owner.id,
            name: owner.name,
        },
        role: token.role,
        agency_id: token.agency_id,
        via,
        must_enrol_mfa: false,
    }))
}

/// Revokes every active token of `user_id` (when they are disabled or lose their role),
/// audited; returns how many.
pub async fn revoke_all_of_user<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user_id: i64,
) -> AppResult<u64> {
    let active = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(active_at(caller.now))
        .all(conn)
        .await?;
    if active.is_empty() {
        return Ok(0);
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(caller.now))
        .filter(api_token::Column::Id.is_in(active.iter().map(|t| t.id)))
        .exec(conn)
        .await?;
    audit::record_many(
        conn,
        caller,
        active.iter().map(|token| {
            let mut revoked = token.clone();
            revoked.revoked_at = Some(caller.now);
            Change {
                action: "api_token.revoke",
                entity_type: "api_token",
                entity_id: token.id.to_string(),
                before: Some(audit_view(token)),
                after: Some(audit_view(&revoked)),
            }
        }),
    )
    .await?;
    Ok(active.len() as u64)
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

/// The tokens a person made for themself, newest first (revoked and expired ones too).
pub async fn list_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    page: PageRequest,
) -> AppResult<Page<api_token::Model>> {
    fetch_page(
        conn,
        api_token::Entity::find().filter(api_token::Column::UserId.eq(user_id)),
        api_token::Column::Id,
        page,
        Direction::Descending,
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
