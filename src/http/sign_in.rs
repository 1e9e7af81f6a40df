//! Signing in and out in a browser: `GET/POST /sign-in`, `POST /sign-out`,
//! and `GET/POST /set-password` (the console, at `/`, is `crate::console`'s). Success answers a 303
//! redirect that sets the session cookie; a refusal shows the form again, saying only
//! that the e-mail, password or code is wrong.

use std::net::SocketAddr;

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::credentials;
use agencyflow_graphql::domain::identity::records;
use agencyflow_graphql::domain::identity::sessions;
use agencyflow_graphql::domain::identity::sign_in::{self, Attempt, Browser, Outcome};
use agencyflow_graphql::error::AppError;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entity::user_session::EndReason;
use serde::Deserialize;

use super::AppState;
use super::pages::{self, SignInView};
use crate::i18n::Tr;

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    return_to: Option<String>,
}

#[derive(Deserialize)]
pub struct ReturnTo {
    pub(super) return_to: Option<String>,
}

/// A path on this service to go to after sign-in; anything else (another host, `//x`) is
/// dropped, so the form cannot redirect elsewhere.
pub(super) fn local_path(path: Option<&str>) -> Option<&str> {
    path.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.starts_with("/\\")
            && p.len() <= 2000
            && !p.chars().any(char::is_control)
    })
}

pub(super) fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

pub(super) fn internal(tr: Tr, err: &AppError) -> Response {
    tracing::error!(error = ?err, "sign-in failed");
    pages::sign_in(
        StatusCode::INTERNAL_SERVER_ERROR,
        SignInView {
            tr,
            error: Some(tr.t("sign-in-internal")),
            ..SignInView::default()
        },
    )
}

/// A form posted from another site's page (its `Origin` or `Sec-Fetch-Site` says so) is
/// refused; scripts and tools that send neither are not browsers and may post.
fn posted_cross_site(state: &AppState, headers: &HeaderMap) -> bool {
    let says = headers.contains_key("sec-fetch-site") || headers.contains_key(header::ORIGIN);
    says && !state.cookies.is_same_origin(headers)
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ReturnTo>,
) -> Response {
    pages::sign_in(
        StatusCode::OK,
        SignInView {
            tr: Tr::for_browser(&headers),
            return_to: local_path(query.return_to.as_deref()),
            sso: state.sso.is_some(),
            ..SignInView::default()
        },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let tr = Tr::for_browser(&headers);
    let Ok(Form(form)) = form else {
        return pages::sign_in(
            StatusCode::BAD_REQUEST,
            SignInView {
                tr,
                error: Some(tr.t("sign-in-send-fields")),
                ..SignInView::default()
            },
        );
    };
    let return_to = local_path(form.return_to.as_deref());
    let view = |error: String, ask_code| SignInView {
        tr,
        email: &form.email,
        error: Some(error),
        ask_code,
        return_to,
        sso: state.sso.is_some(),
    };
    if posted_cross_site(&state, &headers) {
        return pages::sign_in(StatusCode::FORBIDDEN, view(tr.t("sign-in-own-page"), false));
    }
    let previous = state.cookies.secret(&headers);
    let caller = Caller::system("sign-in", state.clock.now());
    let attempt = Attempt {
        email: &form.email,
        password: &form.password,
        code: form.code.as_deref(),
        browser: Browser {
            client: state.cookies.client(&headers, Some(peer)),
            previous_session: previous.as_deref(),
        },
    };
    match sign_in::sign_in(&state.db, &caller, &state.identity, attempt).await {
        Ok(Outcome::SignedIn(started)) => {
            let mut response = redirect(return_to.unwrap_or("/"));
            response
                .headers_mut()
                .insert(header::SET_COOKIE, state.cookies.set(started.secret));
            response
        }
        Ok(Outcome::CodeRequired) => pages::sign_in(
            StatusCode::UNAUTHORIZED,
            view(tr.t("sign-in-code-required"), true),
        ),
        Ok(Outcome::Refused) => pages::sign_in(
            StatusCode::UNAUTHORIZED,
            view(tr.t("sign-in-refused"), form.code.is_some()),
        ),
        Ok(Outcome::Throttled(wait)) => {
            let secs = wait.num_seconds().max(1);
            let message = tr.args("sign-in-throttled", &[("seconds", secs.into())]);
            let mut response = pages::sign_in(StatusCode::TOO_MANY_REQUESTS, view(message, false));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
        Err(err) => internal(tr, &err),
    }
}

/// Ends the browser's session and removes its cookie; only from this service's pages.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let tr = Tr::for_browser(&headers);
    if !state.cookies.is_same_origin(&headers) {
        return pages::sign_in(
            StatusCode::FORBIDDEN,
            SignInView {
                tr,
                error: Some(tr.t("sign-out-own-page")),
                ..SignInView::default()
            },
        );
    }
    if let Some(secret) = state.cookies.secret(&headers) {
        let now = state.clock.now();
        let identity = &state.identity;
        let found = sessions::find_live(&state.db, &secret, now, identity.sessions).await;
        let ended = match found {
            Ok(Some((session, user))) => {
                let caller = Caller {
                    actor: records::acting_user(
                        &user,
                        agencyflow_graphql::domain::actor::Via::Session(session.id),
                    ),
                    request_id: None,
                    now,
                };
                sessions::end(&state.db, &caller, &secret, EndReason::SignedOut).await
            }
            Ok(None) => Ok(false),
            Err(err) => Err(err),
        };
        if let Err(err) = ended {
            return internal(tr, &err);
        }
    }
    let mut response = redirect("/sign-in");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state.cookies.clear());
    response
}

#[derive(Deserialize)]
pub struct LinkToken {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    token: String,
    password: String,
}

pub async fn set_password_form(headers: HeaderMap, Query(link): Query<LinkToken>) -> Response {
    pages::set_password(StatusCode::OK, Tr::for_browser(&headers), &link.token, None)
}

pub async fn set_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SetPasswordForm>, FormRejection>,
) -> Response {
    let tr = Tr::for_browser(&headers);
    let Ok(Form(form)) = form else {
        return pages::set_password(
            StatusCode::BAD_REQUEST,
            tr,
            "",
            Some(&tr.t("set-password-send-fields")),
        );
    };
    if posted_cross_site(&state, &headers) {
        return pages::set_password(
            StatusCode::FORBIDDEN,
            tr,
            &form.token,
            Some(&tr.t("set-password-own-page")),
        );
    }
    let caller = Caller::system("set-password", state.clock.now());
    match credentials::use_link(
        &state.db,
        &caller,
        &state.identity,
        &form.token,
        &form.password,
    )
    .await
    {
        Ok(_) => pages::password_set(tr),
        Err(AppError::BadUserInput { message, .. }) => {
            pages::set_password(StatusCode::BAD_REQUEST, tr, &form.token, Some(&message))
        }
        Err(err) => {
            tracing::error!(error = ?err, "setting a password failed");
            pages::set_password(
                StatusCode::INTERNAL_SERVER_ERROR,
                tr,
                &form.token,
                Some(&tr.t("set-password-internal")),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path(Some("/graphql")), Some("/graphql"));
        for away in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "graphql",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(away)), None, "{away}");
        }
        assert_eq!(local_path(None), None);
    }
}
