//! The page every console view sits in: navigation for the viewer's role, who is signed
//! in, and one security policy: scripts and styles only from this service (htmx, vendored),
//! no inline script, no eval, nothing remote.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::api::ApiErrors;
use super::assets::{HTMX_ROUTE, ICON_ROUTE, SCRIPT_ROUTE, STYLE_ROUTE};
use super::response::{HTMX_CONFIG, secured};
pub use super::response::{bare_error, redirect};
use super::sections::Section;
use super::viewer::Signed;

/// A whole page titled `title` (already in the viewer's language).
pub fn page(signed: &Signed, title: &str, body: Markup) -> Response {
    page_with_status(signed, StatusCode::OK, title, body)
}

pub fn page_with_status(
    signed: &Signed,
    status: StatusCode,
    title: &str,
    body: Markup,
) -> Response {
    let tr = &signed.tr;
    let current = Section::of_path(&signed.path);
    let markup = html! {
        (DOCTYPE)
        html lang=(signed.language.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=(HTMX_CONFIG);
                title { (title) " · agencyflow" }
                link rel="icon" href=(ICON_ROUTE) type="image/svg+xml";
                link rel="stylesheet" href=(STYLE_ROUTE);
                script src=(HTMX_ROUTE) defer {}
                script src=(SCRIPT_ROUTE) defer {}
            }
            body {
                a.skip href="#content" { (tr.t("skip-to-content")) }
                header.side {
                    a.brand href="/" { img src=(ICON_ROUTE) alt=""; "agencyflow" }
                    nav aria-label=(tr.t("nav-label")) hx-boost="true" {
                        ul {
                            @for section in Section::ALL.into_iter().filter(|s| signed.may(*s)) {
                                li {
                                    a href=(section.path())
                                        aria-current=[(current == Some(section)).then_some("page")] {
                                        (tr.t(section.label()))
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span { strong { (signed.name) } br; (tr.t(role_key(&signed.role))) }
                        @if let Some((_, code)) = &signed.agency { span { (code) } }
                        form method="post" action="/sign-out" {
                            button.secondary type="submit" { (tr.t("sign-out")) }
                        }
                    }
                }
                main id="content" tabindex="-1" {
                    @if signed.must_enrol_mfa {
                        p.alert role="alert" {
                            (tr.t("mfa-must-enrol")) " "
                            a href="/settings#mfa" { (tr.t("mfa-enrol-now")) }
                        }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    secured((status, markup).into_response())
}

/// A fragment for htmx to swap in.
pub fn fragment(markup: Markup) -> Response {
    secured(markup.into_response())
}

pub fn role_key(role: &super::me::Role) -> &'static str {
    use super::me::Role::*;
    match role {
        ADMIN => "role-admin",
        VENDOR_MANAGER => "role-vendor-manager",
        AGENCY => "role-agency",
        FINANCE => "role-finance",
        AUDITOR => "role-auditor",
        Other(_) => "role-unknown",
    }
}

/// The section's page is not for this role.
pub fn not_for_role(signed: &Signed) -> Response {
    let tr = &signed.tr;
    page_with_status(
        signed,
        StatusCode::FORBIDDEN,
        &tr.t("forbidden-title"),
        html! { p { (tr.t("forbidden-body")) } p { a href="/" { (tr.t("go-home")) } } },
    )
}

/// What the API refused, as a page: not found, forbidden, or an error in words.
pub fn api_error(signed: &Signed, errors: &ApiErrors) -> Response {
    let tr = &signed.tr;
    let first = errors.first();
    let (status, title) = match first.code.as_str() {
        "NOT_FOUND" => (StatusCode::NOT_FOUND, tr.t("not-found-title")),
        "FORBIDDEN" => (StatusCode::FORBIDDEN, tr.t("forbidden-title")),
        "MFA_REQUIRED" => return redirect("/settings#mfa"),
        "UNAUTHENTICATED" => return redirect("/sign-in"),
        "INTERNAL" => (StatusCode::INTERNAL_SERVER_ERROR, tr.t("internal-title")),
        _ => (StatusCode::BAD_REQUEST, tr.t("bad-request-title")),
    };
    let body = html! {
        @for error in &errors.0 { p.alert role="alert" { (error.message) } }
        p { a href="/" { (tr.t("go-home")) } }
    };
    if signed.htmx {
        let mut response = fragment(body);
        *response.status_mut() = status;
        response
    } else {
        page_with_status(signed, status, &title, body)
    }
}
