//! The HTTP surface: routes, middleware and the GraphQL endpoint.

mod graphiql;
mod graphql;
mod health;
mod limits;
pub mod metrics;
pub mod negotiate;
mod pages;
pub use pages::secured_page;
pub mod request_id;
pub mod session;
mod sign_in;
pub mod sso;

use std::sync::Arc;

use agencyflow_graphql::AppSchema;
use agencyflow_graphql::api::DocumentRules;
use agencyflow_graphql::domain::clock::Clock;
use agencyflow_graphql::domain::identity::Identity;
use axum::http::Request;
use axum::routing::{get, post};
use axum::{Router, middleware};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::{CALLBACK_PATH, ServerSettings};
use limits::Limits;
use session::SessionCookies;
use sso::SingleSignOn;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    /// The service clock: each request reads it once.
    pub clock: Arc<dyn Clock>,
    pub metrics: PrometheusHandle,
    pub graphiql: bool,
    /// Checked on every document before it is validated.
    pub documents: DocumentRules,
    /// The largest file a multipart request may carry.
    pub upload_limit_bytes: usize,
    /// Passwords, sessions, MFA and throttling.
    pub identity: Identity,
    /// The session cookie and how browsers' requests are judged.
    pub cookies: SessionCookies,
    /// The OpenID Connect provider people may sign in through, when one is configured.
    pub sso: Option<Arc<SingleSignOn>>,
}

/// The service's routes, with the console's `pages` (which `crate::console` builds).
pub fn router(state: AppState, settings: &ServerSettings, pages: Router<AppState>) -> Router {
    let request_span = |request: &Request<_>| {
        let request_id = request
            .headers()
            .get(request_id::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // At ERROR level, so the span (and with it the request id on every line logged
        // inside it) exists whatever level the filter lets through.
        tracing::error_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id,
            operation = tracing::field::Empty,
        )
    };
    Router::new()
        .route("/graphql", get(graphiql::page).post(graphql::execute))
        .route(graphiql::ASSET_ROUTE, get(graphiql::asset))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route(sso::BEGIN_ROUTE, get(sso::begin))
        .route(CALLBACK_PATH, get(sso::callback))
        .route(
            "/set-password",
            get(sign_in::set_password_form).post(sign_in::set_password),
        )
        .route(pages::STYLE_ROUTE, get(pages::style))
        .merge(pages)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route_layer(middleware::from_fn(metrics::track_http))
        .layer(
            ServiceBuilder::new()
                .map_request(request_id::drop_unfit)
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(if settings.log_requests {
                            Level::INFO
                        } else {
                            Level::DEBUG
                        })),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::map_response(graphql::error_bodies))
                .layer(middleware::from_fn_with_state(
                    Limits::new(settings),
                    limits::enforce,
                )),
        )
        .with_state(state)
}
