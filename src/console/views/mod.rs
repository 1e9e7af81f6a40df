//! The console's pages, one module per area.

mod agencies;
mod home;

use axum::Router;

use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(agencies::router())
}
