//! What the HTTP layer puts on each request, and how resolvers read it.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::SchemaSettings;
use crate::domain::clock::Clock;
use crate::domain::identity::Identity;
use crate::domain::intake::NationalIdKey;
use crate::domain::intake::tracked::Imports;
use crate::domain::{Actor, Caller};
use crate::error::{AppError, AppResult};

/// The outcome of reading the `Authorization` header.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No credentials were sent.
    Anonymous,
    /// Credentials were sent but are unknown, revoked or expired.
    Invalid,
    Authenticated(Actor),
}

/// Per-request data: who is calling, the request id for logs and the audit trail, and the
/// instant of the request on the service clock (read once, so one request writes one time).
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub auth: Auth,
    pub request_id: String,
    pub now: DateTime<Utc>,
}

pub fn actor<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Actor> {
    match ctx.data_opt::<RequestMeta>().map(|meta| &meta.auth) {
        Some(Auth::Authenticated(actor)) => Ok(actor),
        Some(Auth::Invalid) => Err(AppError::Unauthenticated(
            "the bearer token or session is unknown, revoked or expired (or its user is disabled)",
        )),
        Some(Auth::Anonymous) | None => Err(AppError::Unauthenticated(
            "authentication required: send an 'Authorization: Bearer <token>' header, or sign in at /sign-in",
        )),
    }
}

pub fn caller(ctx: &Context<'_>) -> AppResult<Caller> {
    let actor = actor(ctx)?.clone();
    let meta = ctx.data_unchecked::<RequestMeta>();
    Ok(Caller {
        actor,
        request_id: Some(meta.request_id.clone()),
        now: meta.now,
    })
}

/// The instant of the request on the service clock.
pub fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    ctx.data_unchecked::<RequestMeta>().now
}

/// The service clock (schema data).
pub fn clock<'a>(ctx: &'a Context<'_>) -> &'a Arc<dyn Clock> {
    ctx.data_unchecked::<Arc<dyn Clock>>()
}

pub fn db<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

pub fn settings<'a>(ctx: &'a Context<'_>) -> &'a SchemaSettings {
    ctx.data_unchecked::<SchemaSettings>()
}

/// The account imports this process runs (schema data).
pub fn imports<'a>(ctx: &'a Context<'_>) -> &'a Imports {
    ctx.data_unchecked::<Imports>()
}

pub fn national_id_key<'a>(ctx: &'a Context<'_>) -> &'a NationalIdKey {
    ctx.data_unchecked::<NationalIdKey>()
}

/// Passwords, sessions and MFA policy (schema data).
pub fn identity<'a>(ctx: &'a Context<'_>) -> &'a Identity {
    ctx.data_unchecked::<Identity>()
}
