//! The console: the web application lender staff and agency staff work in, served by the
//! same binary as the API. Pages are rendered on the server (maud) and enhanced by htmx;
//! each runs operation documents of `graphql/operations/` in-process as the signed-in
//! person (`api`), so a page can show and do only what the API lets that person.
//!
//! One file per area under `views/`; `sections` says which roles see which area.

mod api;
mod assets;
mod chart;
mod components;
mod format;
mod forms;
mod layout;
mod me;
mod response;
mod sections;
mod viewer;
mod views;

use axum::Router;
use axum::routing::get;

use crate::http::AppState;

/// Every console route (the sign-in pages are `http::sign_in`'s).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(assets::HTMX_ROUTE, get(assets::htmx))
        .route(assets::SCRIPT_ROUTE, get(assets::script))
        .route(assets::STYLE_ROUTE, get(assets::style))
        .route(assets::ICON_ROUTE, get(assets::icon))
        .merge(views::router())
}
