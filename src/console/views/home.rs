//! `/`: an agency's staff go to their worklist; lender staff see the first area their
//! role may open.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use crate::console::layout;
use crate::console::sections::Section;
use crate::console::viewer::Signed;
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(signed: Signed) -> Response {
    let first = Section::ALL
        .into_iter()
        .find(|s| *s != Section::Overview && signed.may(*s))
        .unwrap_or(Section::Settings);
    layout::redirect(first.path())
}
