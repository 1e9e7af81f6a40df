//! The console's files, vendored at pinned versions and compiled into the binary (no CDN,
//! no build step): htmx 2.0.8 (0BSD, `assets/htmx-LICENSE`), the console's own script
//! (upload progress), the stylesheet and the icon.
//! Their URLs name their versions, so browsers may keep them for a year.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub const HTMX_ROUTE: &str = "/assets/htmx@2.0.8/htmx.min.js";
const HTMX: &str = include_str!("assets/htmx-2.0.8.min.js");

pub const STYLE_ROUTE: &str = concat!(
    "/assets/agencyflow@",
    env!("CARGO_PKG_VERSION"),
    "/console.css"
);
const STYLE: &str = include_str!("assets/console.css");

pub const SCRIPT_ROUTE: &str = concat!(
    "/assets/agencyflow@",
    env!("CARGO_PKG_VERSION"),
    "/console.js"
);
const SCRIPT: &str = include_str!("assets/console.js");

pub const ICON_ROUTE: &str = concat!(
    "/assets/agencyflow@",
    env!("CARGO_PKG_VERSION"),
    "/icon.svg"
);
const ICON: &str = include_str!("assets/icon.svg");

fn immutable(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

pub async fn htmx() -> Response {
    immutable("text/javascript; charset=utf-8", HTMX)
}

pub async fn script() -> Response {
    immutable("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    immutable("text/css; charset=utf-8", STYLE)
}

pub async fn icon() -> Response {
    immutable("image/svg+xml", ICON)
}
