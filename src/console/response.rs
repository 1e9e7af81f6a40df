//! What every console answer carries, whoever it is for: one security policy (scripts
//! and styles only from this service, no inline script, no eval, nothing remote), no
//! caching; and the answers given before a person is known (a redirect, a bare error).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, html};

use super::assets::STYLE_ROUTE;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// htmx without the inline style it would add and without `eval` (the policy forbids both).
pub const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0}"#;

/// The headers every console answer carries; it varies by htmx's header and the session.
pub fn secured(response: Response) -> Response {
    let mut response = crate::http::secured_page(response, POLICY, "same-origin");
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request, Cookie"));
    response
}

/// A 303 to `to` (after a form, the page that shows its outcome).
pub fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    secured(response)
}

/// A page without a signed-in person (refusals before the session is known).
pub fn bare_error(status: StatusCode, message: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "agencyflow" }
                link rel="stylesheet" href=(STYLE_ROUTE);
            }
            body { main { h1 { "agencyflow" } p.alert role="alert" { (message) } p { a href="/" { "Home" } } } }
        }
    };
    secured((status, markup).into_response())
}
