//! Who is looking at a page: the session cookie resolved to a person (the one lookup the
//! console makes outside the API, exactly as `/graphql` makes it), then the `Viewer`
//! operation for their name, role, language and time zone.

use agencyflow_graphql::domain::identity::sessions;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;

use super::api::Api;
use super::format::Format;
use super::response;
use super::sections::Section;
use crate::http::AppState;
use crate::i18n::{Language, Tr};

pub use super::me::Role;
use super::me::{Viewer, viewer};

/// The signed-in person a page is for, with the API as them.
#[derive(Clone)]
pub struct Signed {
    pub api: Api,
    /// The person's user id, as the API names it.
    pub user_id: String,
    pub tr: Tr,
    pub tz: Tz,
    pub role: Role,
    pub name: String,
    pub email: String,
    /// The agency of an AGENCY user: `(id, code)`.
    pub agency: Option<(String, String)>,
    pub must_enrol_mfa: bool,
    pub mfa_enabled: bool,
    pub language: Language,
    pub time_zone: String,
    /// This page's path and query, to return to after a form.
    pub path: String,
    /// htmx asked for a part of a page (not a boosted link, which wants the whole).
    pub htmx: bool,
}

impl Signed {
    /// Whether this person's role may open `section`.
    pub fn may(&self, section: Section) -> bool {
        section.allows(&self.role)
    }

    /// Today in this person's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.api.now.with_timezone(&self.tz).date_naive()
    }

    /// Numbers, money and times as this person reads them.
    pub fn format(&self) -> Format {
        Format {
            language: self.language,
            tz: self.tz,
        }
    }
}

/// Why a page cannot be shown to this request.
pub enum Refusal {
    /// No live session: to the sign-in page, back here after.
    SignIn(String),
    /// A form posted from another site (CSRF): refused.
    CrossSite,
    Internal,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn(path) => {
                let to = format!(
                    "/sign-in?return_to={}",
                    url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
                );
                response::redirect(&to)
            }
            Self::CrossSite => response::bare_error(
                StatusCode::FORBIDDEN,
                "Send forms from this service's own pages.",
            ),
            Self::Internal => response::bare_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again in a moment.",
            ),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone())
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD);
        if changes_state && !state.cookies.is_same_origin(&parts.headers) {
            return Err(Refusal::CrossSite);
        }
        let Some(secret) = state.cookies.secret(&parts.headers) else {
            return Err(Refusal::SignIn(path));
        };
        let now = state.clock.now();
        let identity = &state.identity;
        let actor =
            match sessions::authenticate(&state.db, &secret, now, identity.sessions, &identity.mfa)
                .await
            {
                Ok(Some(actor)) => actor,
                Ok(None) => return Err(Refusal::SignIn(path)),
                Err(err) => {
                    tracing::error!(error = ?err, "session lookup failed");
                    return Err(Refusal::Internal);
                }
            };
        let mut api = Api {
            schema: state.schema.clone(),
            db: state.db.clone(),
            actor,
            request_id: crate::http::request_id::of(&parts.headers),
            now,
            language: Language::default(),
        };
        let me = match api.run::<Viewer>(viewer::Variables).await {
            Ok(data) => data.me,
            Err(errors) => {
                tracing::error!(error = ?errors.first(), "the console's Viewer operation failed");
                return Err(Refusal::Internal);
            }
        };
        let Some(user) = me.user else {
            // A session always belongs to a person.
            return Err(Refusal::Internal);
        };
        let language = Language::from_tag(&user.language).unwrap_or_else(|| {
            Language::negotiate(header_str(&parts.headers, header::ACCEPT_LANGUAGE))
        });
        api.language = language;
        Ok(Self {
            api,
            user_id: user.id,
            tr: Tr::new(language),
            tz: user.time_zone.parse().unwrap_or(Tz::UTC),
            role: me.role,
            name: user.display_name,
            email: user.email,
            agency: me.agency.map(|a| (a.id, a.code)),
            must_enrol_mfa: me.mfa_enrolment_required,
            mfa_enabled: user.mfa_enabled,
            language,
            time_zone: user.time_zone,
            path,
            htmx: parts.headers.contains_key("hx-request")
                && !parts.headers.contains_key("hx-boosted"),
        })
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
