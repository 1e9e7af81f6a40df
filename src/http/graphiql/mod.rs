//! GraphiQL on `GET /graphql`, served whole from the binary: React, GraphiQL (vendored,
//! pinned, with their licences: `vendor/README.md`) and the script that starts it. The
//! page's Content-Security-Policy lets it load scripts only from this service.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Where the assets are served; each URL names its version, so they are cached for a year.
pub const ASSET_ROUTE: &str = "/graphiql/{*file}";

/// Scripts and styles only from here, and no inline script. Styles may be inline: the
/// bundle's dialogs inject `<style>` elements. Its fonts and icons are `data:` URLs.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

struct Asset {
    /// Below `/graphiql/`.
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// In the order the page loads them.
const STYLES: &[Asset] = &[
    Asset {
        path: "graphiql@3.9.0/graphiql.min.css",
        content_type: CSS,
        body: include_bytes!("vendor/graphiql.min.css"),
    },
    Asset {
        path: concat!("agencyflow@", env!("CARGO_PKG_VERSION"), "/start.css"),
        content_type: CSS,
        body: include_bytes!("start.css"),
    },
];

const SCRIPTS: &[Asset] = &[
    Asset {
        path: "react@18.3.1/react.production.min.js",
        content_type: JS,
        body: include_bytes!("vendor/react.production.min.js"),
    },
    Asset {
        path: "react-dom@18.3.1/react-dom.production.min.js",
        content_type: JS,
        body: include_bytes!("vendor/react-dom.production.min.js"),
    },
    Asset {
        path: "graphiql@3.9.0/graphiql.min.js",
        content_type: JS,
        body: include_bytes!("vendor/graphiql.min.js"),
    },
    Asset {
        path: concat!("agencyflow@", env!("CARGO_PKG_VERSION"), "/start.js"),
        content_type: JS,
        body: include_bytes!("start.js"),
    },
];

/// `GET /graphql`: the page, or 405 where GraphiQL is off.
pub async fn page(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html(),
    )
        .into_response()
}

/// `GET /graphiql/<package>@<version>/<file>`: 404 for anything else, or where GraphiQL is off.
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let found = STYLES
        .iter()
        .chain(SCRIPTS)
        .find(|asset| asset.path == file);
    let Some(asset) = found.filter(|_| state.graphiql) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn html() -> String {
    let styles: String = STYLES
        .iter()
        .map(|a| {
            format!(
                "  <link rel=\"stylesheet\" href=\"/graphiql/{}\">\n",
                a.path
            )
        })
        .collect();
    let scripts: String = SCRIPTS
        .iter()
        .map(|a| format!("  <script src=\"/graphiql/{}\"></script>\n", a.path))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  \
         <title>agencyflow · GraphiQL</title>\n{styles}</head>\n<body>\n  \
         <div id=\"graphiql\">Loading…</div>\n{scripts}</body>\n</html>\n"
    )
}
