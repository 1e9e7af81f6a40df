//! The console's pages, one module per area.

mod agencies;
mod agency;
mod agency_staff;
mod allocation;
mod audit;
mod compliance;
mod finance;
mod imports;
mod overview;
mod performance;
mod placements;
mod portfolios;
mod reconciliation;
mod settings;
mod timeline;
mod work;

use axum::Router;

use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(overview::router())
        .merge(finance::router())
        .merge(reconciliation::router())
        .merge(agencies::router())
        .merge(agency::router())
        .merge(agency_staff::router())
        .merge(allocation::router())
        .merge(audit::router())
        .merge(compliance::router())
        .merge(performance::router())
        .merge(placements::router())
        .merge(portfolios::router())
        .merge(imports::router())
        .merge(settings::router())
        .merge(work::router())
}
