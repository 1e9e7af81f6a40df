//! Settings, for everyone signed in: language and time zone, password, the second factor
//! (QR code, then recovery codes shown once), and personal API tokens.

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use graphql_client::GraphQLQuery;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::api::ApiErrors;
use crate::console::api::scalars::*;
use crate::console::components::{Cell, Table, Tone, field, general_errors};
use crate::console::layout;
use crate::console::viewer::Signed;
use crate::http::AppState;
use crate::i18n::Language;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/my-api-tokens.graphql",
    response_derives = "Debug"
)]
pub struct MyApiTokens;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/update-user.graphql",
    response_derives = "Debug"
)]
pub struct UpdateUser;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/change-password.graphql",
    response_derives = "Debug"
)]
pub struct ChangePassword;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/start-mfa-enrolment.graphql",
    response_derives = "Debug"
)]
pub struct StartMfaEnrolment;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/confirm-mfa-enrolment.graphql",
    response_derives = "Debug"
)]
pub struct ConfirmMfaEnrolment;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/create-api-token.graphql",
    response_derives = "Debug"
)]
pub struct CreateApiToken;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "graphql/operations/revoke-api-token.graphql",
    response_derives = "Debug"
)]
pub struct RevokeApiToken;

const PATH: &str = "/settings";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(show))
        .route("/settings/preferences", post(preferences))
        .route("/settings/password", post(password))
        .route("/settings/mfa", post(start_mfa))
        .route("/settings/mfa/confirm", post(confirm_mfa))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// What a form left to show on the page it returns to.
#[derive(Default)]
struct Outcome {
    /// The form whose errors these are (`preferences`, `password`, `mfa`, `token`).
    form: &'static str,
    errors: Option<ApiErrors>,
    /// Shown once: an enrolment's QR code and secret, recovery codes, a token's secret.
    once: Option<Markup>,
}

impl Outcome {
    fn errors(form: &'static str, errors: ApiErrors) -> Self {
        Self {
            form,
            errors: Some(errors),
            once: None,
        }
    }

    fn for_form(&self, form: &str) -> Option<&ApiErrors> {
        (self.form == form)
            .then_some(self.errors.as_ref())
            .flatten()
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(signed: Signed, Query(query): Query<ShowQuery>) -> Response {
    render(&signed, query.done.as_deref(), Outcome::default()).await
}

async fn render(signed: &Signed, done: Option<&str>, outcome: Outcome) -> Response {
    let tr = &signed.tr;
    let format = signed.format();
    let tokens = match signed
        .api
        .run::<MyApiTokens>(my_api_tokens::Variables {
            first: Some(50),
            after: None,
        })
        .await
    {
        Ok(data) => data.my_api_tokens.edges,
        Err(errors) => return layout::api_error(signed, &errors),
    };
    let mut table = Table::new("my-api-tokens")
        .column(tr.t("token-label"))
        .column(tr.t("token-prefix"))
        .column(tr.t("token-state"))
        .column(tr.t("token-created"))
        .column(tr.t("token-expires"))
        .column(tr.t("token-last-used"))
        .column(tr.t("token-actions"));
    for token in tokens.iter().map(|e| &e.node) {
        let state = if token.revoked_at.is_some() {
            Cell::badge(tr.t("token-revoked"), Tone::Bad)
        } else if token.active {
            Cell::badge(tr.t("token-active"), Tone::Good)
        } else {
            Cell::badge(tr.t("token-expired"), Tone::Warn)
        };
        table.row(vec![
            Cell::text(&token.label),
            Cell::text(&token.prefix),
            state,
            Cell::text(format.datetime(token.created_at)),
            Cell::text(
                token
                    .expires_at
                    .map_or_else(|| tr.t("token-never-expires"), |at| format.datetime(at)),
            ),
            Cell::text(
                token
                    .last_used_at
                    .map_or_else(|| tr.t("token-never-used"), |at| format.datetime(at)),
            ),
            if token.active {
                Cell::action(html! {
                    form.inline method="post" action=(format!("/settings/tokens/{}/revoke", token.id)) {
                        button.danger type="submit" { (tr.t("token-revoke")) }
                    }
                })
            } else {
                Cell::text("")
            },
        ]);
    }
    let status = if outcome.errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if let Some(done) = done.and_then(done_key) { p.notice role="status" { (tr.t(done)) } }
        @if let Some(once) = &outcome.once { (once) }
        section.settings aria-labelledby="preferences" {
            h2 id="preferences" { (tr.t("settings-preferences")) }
            (preferences_form(signed, outcome.for_form("preferences")))
        }
        section.settings aria-labelledby="password" {
            h2 id="password" { (tr.t("settings-password")) }
            (password_form(signed, outcome.for_form("password")))
        }
        section.settings aria-labelledby="mfa" {
            h2 id="mfa" { (tr.t("settings-mfa")) }
            @if signed.mfa_enabled {
                p { (badge_on(signed)) " " (tr.t("mfa-is-on")) }
            } @else {
                p { (tr.t("mfa-explain")) }
                (general_errors(outcome.for_form("mfa"), &[]))
                form method="post" action="/settings/mfa" {
                    button type="submit" { (tr.t("mfa-start")) }
                }
            }
        }
        section.settings aria-labelledby="tokens" {
            h2 id="tokens" { (tr.t("settings-tokens")) }
            p.muted { (tr.t("tokens-explain")) }
            (table.html(html! { (tr.t("tokens-empty")) }))
            (token_form(signed, outcome.for_form("token")))
        }
    };
    layout::page_with_status(signed, status, &tr.t("settings-title"), body)
}

fn badge_on(signed: &Signed) -> Markup {
    crate::console::components::badge(&signed.tr.t("mfa-on"), Tone::Good)
}

fn done_key(done: &str) -> Option<&'static str> {
    match done {
        "preferences" => Some("done-preferences"),
        "password" => Some("done-password"),
        "mfa" => Some("done-mfa"),
        "revoked" => Some("done-token-revoked"),
        _ => None,
    }
}

fn preferences_form(signed: &Signed, errors: Option<&ApiErrors>) -> Markup {
    let tr = &signed.tr;
    html! {
        form.stack method="post" action="/settings/preferences" {
            (field(&tr.t("preference-language"), "language", html! {
                select name="language" {
                    @for language in Language::ALL {
                        option value=(language.tag()) selected[language == signed.language] lang=(language.tag()) {
                            (language.endonym())
                        }
                    }
                }
            }, errors))
            (field(&tr.t("preference-time-zone"), "timeZone", html! {
                select name="timeZone" {
                    @for tz in chrono_tz::TZ_VARIANTS {
                        option value=(tz.name()) selected[tz.name() == signed.time_zone] { (tz.name()) }
                    }
                }
            }, errors))
            (general_errors(errors, &["language", "timeZone"]))
            div { button type="submit" { (tr.t("save")) } }
        }
    }
}

fn password_form(signed: &Signed, errors: Option<&ApiErrors>) -> Markup {
    let tr = &signed.tr;
    let invalid = |name: &str| errors.and_then(|e| e.for_field(name)).map(|_| "true");
    html! {
        form.stack method="post" action="/settings/password" {
            input type="hidden" name="username" value=(signed.email) autocomplete="username";
            (field(&tr.t("password-current"), "currentPassword", html! {
                input type="password" name="currentPassword" required autocomplete="current-password"
                    aria-invalid=[invalid("currentPassword")];
            }, errors))
            (field(&tr.t("password-new"), "newPassword", html! {
                input type="password" name="newPassword" required minlength="12" autocomplete="new-password"
                    aria-invalid=[invalid("newPassword")];
            }, errors))
            p.muted { (tr.t("password-rules")) }
            (general_errors(errors, &["currentPassword", "newPassword"]))
            div { button type="submit" { (tr.t("password-change")) } }
        }
    }
}

fn token_form(signed: &Signed, errors: Option<&ApiErrors>) -> Markup {
    let tr = &signed.tr;
    html! {
        form.inline method="post" action="/settings/tokens" {
            (field(&tr.t("token-label"), "label", html! {
                input type="text" name="label" required maxlength="200";
            }, errors))
            (general_errors(errors, &["label"]))
            button type="submit" { (tr.t("token-create")) }
        }
    }
}

#[derive(Deserialize)]
struct PreferencesForm {
    language: String,
    #[serde(rename = "timeZone")]
    time_zone: String,
}

async fn preferences(signed: Signed, Form(form): Form<PreferencesForm>) -> Response {
    let variables = update_user::Variables {
        id: signed.user_id.clone(),
        input: update_user::UpdateUserInput {
            display_name: None,
            role: None,
            agency_id: None,
            language: Some(form.language),
            time_zone: Some(form.time_zone),
        },
    };
    match signed.api.run::<UpdateUser>(variables).await {
        Ok(_) => layout::redirect("/settings?done=preferences"),
        Err(errors) => render(&signed, None, Outcome::errors("preferences", errors)).await,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(rename = "currentPassword")]
    current_password: String,
    #[serde(rename = "newPassword")]
    new_password: String,
}

async fn password(signed: Signed, Form(form): Form<PasswordForm>) -> Response {
    let variables = change_password::Variables {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match signed.api.run::<ChangePassword>(variables).await {
        Ok(_) => layout::redirect("/settings?done=password"),
        Err(errors) => render(&signed, None, Outcome::errors("password", errors)).await,
    }
}

/// Starts an enrolment: the page shows the QR code and the form for the app's first code.
async fn start_mfa(signed: Signed) -> Response {
    match signed
        .api
        .run::<StartMfaEnrolment>(start_mfa_enrolment::Variables)
        .await
    {
        Ok(data) => {
            let enrolment = data.start_mfa_enrolment;
            render(
                &signed,
                None,
                Outcome {
                    once: Some(enrolment_panel(
                        &signed,
                        &enrolment.qr_svg,
                        &enrolment.secret,
                        None,
                    )),
                    ..Outcome::default()
                },
            )
            .await
        }
        Err(errors) => render(&signed, None, Outcome::errors("mfa", errors)).await,
    }
}

fn enrolment_panel(
    signed: &Signed,
    qr_svg: &str,
    secret: &str,
    errors: Option<&ApiErrors>,
) -> Markup {
    let tr = &signed.tr;
    let qr = base64::engine::general_purpose::STANDARD.encode(qr_svg);
    html! {
        section.once aria-labelledby="enrol" {
            h2 id="enrol" { (tr.t("mfa-scan")) }
            img.qr-code src=(format!("data:image/svg+xml;base64,{qr}")) alt=(tr.t("mfa-qr-alt")) width="200" height="200";
            p { (tr.t("mfa-secret")) " " code { (secret) } }
            form.inline method="post" action="/settings/mfa/confirm" {
                input type="hidden" name="secret" value=(secret);
                input type="hidden" name="qr" value=(qr_svg);
                (field(&tr.t("mfa-code"), "code", html! {
                    input type="text" name="code" required inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6";
                }, errors))
                (general_errors(errors, &["code"]))
                button type="submit" { (tr.t("mfa-confirm")) }
            }
        }
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    code: String,
    secret: String,
    qr: String,
}

async fn confirm_mfa(signed: Signed, Form(form): Form<ConfirmForm>) -> Response {
    let tr = &signed.tr;
    match signed
        .api
        .run::<ConfirmMfaEnrolment>(confirm_mfa_enrolment::Variables { code: form.code })
        .await
    {
        Ok(data) => {
            let codes = data.confirm_mfa_enrolment.recovery_codes;
            let once = html! {
                section.once aria-labelledby="recovery" {
                    h2 id="recovery" { (tr.t("mfa-recovery-codes")) }
                    p.notice role="status" { (tr.t("done-mfa")) }
                    p { (tr.t("mfa-recovery-explain")) }
                    ol.recovery-codes { @for code in &codes { li { code { (code) } } } }
                }
            };
            render(
                &signed,
                None,
                Outcome {
                    once: Some(once),
                    ..Outcome::default()
                },
            )
            .await
        }
        Err(errors) => {
            let panel = enrolment_panel(&signed, &form.qr, &form.secret, Some(&errors));
            let mut response = render(
                &signed,
                None,
                Outcome {
                    once: Some(panel),
                    ..Outcome::default()
                },
            )
            .await;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
    }
}

#[derive(Deserialize)]
struct TokenForm {
    label: String,
}

async fn create_token(signed: Signed, Form(form): Form<TokenForm>) -> Response {
    let tr = &signed.tr;
    let variables = create_api_token::Variables {
        input: create_api_token::CreateApiTokenInput {
            integration_id: None,
            label: form.label,
            expires_at: None,
        },
    };
    match signed.api.run::<CreateApiToken>(variables).await {
        Ok(data) => {
            let once = html! {
                section.once aria-labelledby="new-token" {
                    h2 id="new-token" { (tr.t("token-created-title")) }
                    p { (tr.t("token-shown-once")) }
                    p { code.secret { (data.create_api_token.token) } }
                }
            };
            render(
                &signed,
                None,
                Outcome {
                    once: Some(once),
                    ..Outcome::default()
                },
            )
            .await
        }
        Err(errors) => render(&signed, None, Outcome::errors("token", errors)).await,
    }
}

async fn revoke_token(signed: Signed, Path(id): Path<String>) -> Response {
    match signed
        .api
        .run::<RevokeApiToken>(revoke_api_token::Variables { id })
        .await
    {
        Ok(_) => layout::redirect("/settings?done=revoked"),
        Err(errors) => layout::api_error(&signed, &errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_the_page_announces_has_words() {
        for done in ["preferences", "password", "mfa", "revoked"] {
            assert!(done_key(done).is_some(), "{done}");
        }
        assert_eq!(done_key("<script>"), None);
    }
}
