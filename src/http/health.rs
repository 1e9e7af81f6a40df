//! Liveness, readiness and the metrics endpoint.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;
use crate::db;

/// How long the readiness check waits for the database, once through the pool and once
/// more, if that fails, for a direct connection that tells why.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// The process is up and serving.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can reach its database: 200 `{"status":"ready"}`, else 503
/// `{"status":"unavailable","reason":…}` saying why.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ping = match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
        Ok(Ok(())) => return (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(Err(err)) => Some(err),
        Err(_) => None,
    };
    let reason = db::unreachable_reason(&state.db, ping, READY_WITHIN).await;
    tracing::warn!(%reason, "readiness check failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
