//! The service's own small pages (sign-in, set-password), rendered on
//! the server with maud (escaped by construction) and styled by one embedded stylesheet:
//! no script, so a Content-Security-Policy forbids every script.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::i18n::Tr;

/// No script at all; styles and forms only from here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub const STYLE_ROUTE: &str = concat!(
    "/assets/agencyflow@",
    env!("CARGO_PKG_VERSION"),
    "/pages.css"
);
const STYLE: &str = include_str!("pages.css");

/// The stylesheet, cached for a year (its URL names the version).
pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLE,
    )
        .into_response()
}

/// A whole page with `status` in `tr`'s language, never cached, under the page policy.
pub fn page(status: StatusCode, tr: Tr, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(tr.language.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · agencyflow" }
                link rel="stylesheet" href=(STYLE_ROUTE);
            }
            body {
                main {
                    h1 { "agencyflow" }
                    (body)
                }
            }
        }
    };
    secured_page((status, markup).into_response(), PAGE_POLICY, "no-referrer")
}

/// The headers an HTML page of this service carries: its content policy, no caching, no
/// content sniffing, and how much of its address a link passes on.
pub fn secured_page(
    mut response: Response,
    policy: &'static str,
    referrer: &'static str,
) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    response
}

/// What the sign-in form shows.
#[derive(Default)]
pub struct SignInView<'a> {
    /// The language the page is in (the browser's `Accept-Language`).
    pub tr: Tr,
    pub email: &'a str,
    /// Already in `tr`'s language.
    pub error: Option<String>,
    /// Ask for the authenticator's code (the password was right, MFA is on).
    pub ask_code: bool,
    pub return_to: Option<&'a str>,
    /// Offer single sign-on (it is configured).
    pub sso: bool,
}

pub fn sign_in(status: StatusCode, view: SignInView<'_>) -> Response {
    let tr = view.tr;
    page(
        status,
        tr,
        &tr.t("sign-in-title"),
        html! {
            h2 { (tr.t("sign-in-title")) }
            @if let Some(error) = &view.error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/sign-in" {
                label { (tr.t("sign-in-email")) input type="email" name="email" value=(view.email) required autocomplete="username"; }
                label { (tr.t("sign-in-password")) input type="password" name="password" required autocomplete="current-password"; }
                @if view.ask_code {
                    label { (tr.t("sign-in-code"))
                        input type="text" name="code" required autocomplete="one-time-code" inputmode="numeric" autofocus; }
                }
                @if let Some(return_to) = view.return_to {
                    input type="hidden" name="return_to" value=(return_to);
                }
                button type="submit" { (tr.t("sign-in-submit")) }
            }
            @if view.sso {
                form method="get" action=(super::sso::BEGIN_ROUTE) {
                    @if let Some(return_to) = view.return_to {
                        input type="hidden" name="return_to" value=(return_to);
                    }
                    button.secondary type="submit" { (tr.t("sign-in-sso")) }
                }
            }
        },
    )
}

pub fn set_password(status: StatusCode, tr: Tr, token: &str, error: Option<&str>) -> Response {
    page(
        status,
        tr,
        &tr.t("set-password-title"),
        html! {
            h2 { (tr.t("set-password-title")) }
            p { (tr.t("set-password-advice")) }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/set-password" {
                input type="hidden" name="token" value=(token);
                label { (tr.t("set-password-new")) input type="password" name="password" required minlength="12" autocomplete="new-password"; }
                button type="submit" { (tr.t("set-password-submit")) }
            }
        },
    )
}

pub fn password_set(tr: Tr) -> Response {
    page(
        StatusCode::OK,
        tr,
        &tr.t("password-set-title"),
        html! {
            h2 { (tr.t("password-set-title")) }
            p { a href="/sign-in" { (tr.t("password-set-sign-in")) } }
        },
    )
}
