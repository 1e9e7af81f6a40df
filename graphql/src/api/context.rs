//! What the HTTP layer puts on each request, and how resolvers read it.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::SchemaSettings;
use crate::domain::intake::NationalIdKey;
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

/// Per-request data: who is calling, and the request id for logs and the audit trail.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub auth: Auth,
    pub request_id: String,
}

pub fn actor<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Actor> {
    match ctx.data_opt::<RequestMeta>().map(|meta| &meta.auth) {
        Some(Auth::Authenticated(actor)) => Ok(actor),
        Some(Auth::Invalid) => Err(AppError::Unauthenticated(
            "the bearer token is unknown, revoked or expired",
        )),
        Some(Auth::Anonymous) | None => Err(AppError::Unauthenticated(
            "authentication required: send an 'Authorization: Bearer <token>' header",
        )),
    }
}

pub fn caller(ctx: &Context<'_>) -> AppResult<Caller> {
    let actor = actor(ctx)?.clone();
    let request_id = ctx
        .data_opt::<RequestMeta>()
        .map(|meta| meta.request_id.clone());
    Ok(Caller { actor, request_id })
}

pub fn db<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

pub fn settings<'a>(ctx: &'a Context<'_>) -> &'a SchemaSettings {
    ctx.data_unchecked::<SchemaSettings>()
}

pub fn national_id_key<'a>(ctx: &'a Context<'_>) -> &'a NationalIdKey {
    ctx.data_unchecked::<NationalIdKey>()
}
