//! The console's pages, one module per area.

mod agencies;
mod overview;
mod settings;
mod work;

use axum::Router;

use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(overview::router())
        .merge(agencies::router())
        .merge(settings::router())
        .merge(work::router())
}
