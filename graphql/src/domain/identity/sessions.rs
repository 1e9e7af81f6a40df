//! Server-side sessions of signed-in browsers, stored in the database so every service
//! process sees them. The cookie carries a random secret; the row keeps its SHA-256.
//! A session ends at sign-out, after `idle` without a request, at `absolute` after sign-in
//! whatever happens, and when its user is disabled or loses their role or password.

use chrono::{DateTime, Duration, Utc};
use entity::user::{self, UserStatus};
use entity::user_session::{self, EndReason, SignInMethod};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::mfa::MfaPolicy;
use super::records::acting_user;
use crate::domain::actor::{Actor, Caller, Via};
use crate::domain::audit::{self, Change};
use crate::domain::secret;
use crate::error::AppResult;

const SECRET_PREFIX: &str = "afs_";
/// A session's last request is written at most this often.
const LAST_SEEN_RESOLUTION: Duration = Duration::minutes(1);

/// How long sessions last: `idle` after the last request, `absolute` after sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    /// The configuration's defaults: 30 minutes idle, 12 hours at most.
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// Where a request came from, as the session and the audit log keep it.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// A new session's cookie secret (never stored) and its row.
pub struct Started {
    pub secret: String,
    pub session: user_session::Model,
}

/// Starts a session for `user` at `now`.
pub async fn start<C: ConnectionTrait>(
    conn: &C,
    user: &user::Model,
    method: SignInMethod,
    now: DateTime<Utc>,
    policy: SessionPolicy,
    client: &Client,
) -> AppResult<Started> {
    let secret = secret::generate(SECRET_PREFIX);
    let session = user_session::ActiveModel {
        secret_hash: Set(secret::hash(&secret)),
        user_id: Set(user.id),
        method: Set(method),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.absolute),
        ended_at: Set(None),
        end_reason: Set(None),
        client_address: Set(client.address.clone()),
        user_agent: Set(client
            .user_agent
            .as_deref()
            .map(|agent| agent.chars().filter(|c| *c != '\0').take(400).collect())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(Started { secret, session })
}

/// Whether `session` still works at `now`.
pub fn is_live(session: &user_session::Model, now: DateTime<Utc>, policy: SessionPolicy) -> bool {
    session.ended_at.is_none()
        && now < session.expires_at
        && now - session.last_seen_at < policy.idle
}

/// The live session a cookie secret names, with its user.
pub async fn find_live<C: ConnectionTrait>(
    conn: &C,
    cookie_secret: &str,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<Option<(user_session::Model, user::Model)>> {
    if !cookie_secret.starts_with(SECRET_PREFIX) || cookie_secret.len() > 100 {
        return Ok(None);
    }
    let found = user_session::Entity::find()
        .filter(user_session::Column::SecretHash.eq(secret::hash(cookie_secret)))
        .find_also_related(user::Entity)
        .one(conn)
        .await?;
    Ok(match found {
        Some((session, Some(user)))
            if is_live(&session, now, policy) && user.status == UserStatus::Active =>
        {
            Some((session, user))
        }
        _ => None,
    })
}

/// The actor a session cookie stands for at `now`, or `None` when the session is unknown,
/// ended, idle too long, past its lifetime, or its user is disabled. Counts as activity:
/// the session's last request is moved to `now` (at most once a minute).
pub async fn authenticate(
    db: &DatabaseConnection,
    cookie_secret: &str,
    now: DateTime<Utc>,
    policy: SessionPolicy,
    mfa: &MfaPolicy,
) -> AppResult<Option<Actor>> {
    let Some((session, user)) = find_live(db, cookie_secret, now, policy).await? else {
        return Ok(None);
    };
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION {
        user_session::Entity::update_many()
            .col_expr(user_session::Column::LastSeenAt, Expr::value(now))
            .filter(user_session::Column::Id.eq(session.id))
            .filter(user_session::Column::LastSeenAt.lt(now))
            .exec(db)
            .await?;
    }
    let mut actor = acting_user(&user, Via::Session(session.id));
    actor.must_enrol_mfa = session.method == SignInMethod::Password && mfa.must_enrol(&user);
    Ok(Some(actor))
}

fn end_view(session: &user_session::Model, reason: EndReason) -> serde_json::Value {
    json!({
        "sessionId": session.id,
        "userId": session.user_id,
        "method": session.method.to_value(),
        "createdAt": session.created_at,
        "endReason": reason.to_value(),
    })
}

/// Ends one session (sign-out, or rotation at the next sign-in), audited; a session
/// already ended is left as it is. Returns whether it was live.
pub async fn end<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    cookie_secret: &str,
    reason: EndReason,
) -> AppResult<bool> {
    let Some(session) = user_session::Entity::find()
        .filter(user_session::Column::SecretHash.eq(secret::hash(cookie_secret)))
        .filter(user_session::Column::EndedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(false);
    };
    close(conn, caller, vec![session], reason).await?;
    Ok(true)
}

/// Ends every open session of a user (disabled, new role, new password, MFA reset).
pub async fn end_all_of_user<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user_id: i64,
    reason: EndReason,
) -> AppResult<u64> {
    end_open(conn, caller, user_id, None, reason).await
}

/// Ends every open session of a user but the one the caller acts through.
pub async fn end_all_of_user_except<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user_id: i64,
    reason: EndReason,
) -> AppResult<u64> {
    let keep = match caller.actor.via {
        Via::Session(id) => Some(id),
        _ => None,
    };
    end_open(conn, caller, user_id, keep, reason).await
}

async fn end_open<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    user_id: i64,
    keep: Option<i64>,
    reason: EndReason,
) -> AppResult<u64> {
    let mut open = user_session::Entity::find()
        .filter(user_session::Column::UserId.eq(user_id))
        .filter(user_session::Column::EndedAt.is_null());
    if let Some(keep) = keep {
        open = open.filter(user_session::Column::Id.ne(keep));
    }
    let open = open.all(conn).await?;
    let count = open.len() as u64;
    close(conn, caller, open, reason).await?;
    Ok(count)
}

async fn close<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    sessions: Vec<user_session::Model>,
    reason: EndReason,
) -> AppResult<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    user_session::Entity::update_many()
        .col_expr(user_session::Column::EndedAt, Expr::value(caller.now))
        .col_expr(
            user_session::Column::EndReason,
            Expr::value(reason.to_value()),
        )
        .filter(user_session::Column::Id.is_in(sessions.iter().map(|s| s.id)))
        .filter(user_session::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    audit::record_many(
        conn,
        caller,
        sessions.iter().map(|session| Change {
            action: "session.end",
            entity_type: "user_session",
            entity_id: session.id.to_string(),
            before: None,
            after: Some(end_view(session, reason)),
        }),
    )
    .await
}
