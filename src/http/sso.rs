//! Single sign-on through the configured OpenID Connect provider, the protocol half:
//! `GET /sign-in/sso` sends the browser to the provider (authorization code flow with
//! PKCE, state and nonce; the flow is stored server-side and bound to the browser by a
//! short-lived cookie) and `GET /sign-in/sso/callback` completes it: the flow is spent,
//! the code exchanged, the ID token verified (signature against the provider's keys,
//! issuer, audience, expiry, nonce), and the workflow (`identity::sso`) decides who signs
//! in. The provider's discovery document and keys are fetched once and fetched again when
//! they fail: a token signed with a key they lack, or a provider that stopped answering.
//! A refusal shows the sign-in page with a message, never the provider's own words
//! beyond its error code.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::identity::sessions::Client;
use agencyflow_graphql::domain::identity::sign_in::Browser;
use agencyflow_graphql::domain::identity::sso::{
    self, Claims, FLOW_LIFETIME, Flow, NewFlow, Outcome, Refusal,
};
use agencyflow_graphql::error::{AppError, display_chain};
use anyhow::Context;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AppState;
use super::pages::{self, SignInView};
use super::sign_in::{ReturnTo, internal, local_path, redirect};
use crate::config::SsoConfig;
use crate::i18n::{Tr, arg};

/// Where a browser begins single sign-on; the callback is [`crate::config::CALLBACK_PATH`].
pub const BEGIN_ROUTE: &str = "/sign-in/sso";
/// How long the provider may take to answer.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The claims beyond the standard ones, by name: the role and agency claims are named by
/// the configuration.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct OtherClaims(Map<String, Value>);

impl AdditionalClaims for OtherClaims {}

impl OtherClaims {
    /// The claim's values: a string, or the strings of an array.
    fn values(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Value::String(value)) => vec![value.clone()],
            Some(Value::Array(values)) => values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// The relying party as built from the provider's discovery document and keys.
type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The configured provider, and what it said about itself.
pub struct SingleSignOn {
    config: SsoConfig,
    /// Follows no redirects, as OpenID Connect requests must not.
    http: reqwest::Client,
    /// Built from the discovery document and the keys once fetched; dropped to fetch them
    /// again.
    client: RwLock<Option<Arc<OidcClient>>>,
}

impl SingleSignOn {
    pub fn new(config: SsoConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .context("the HTTP client of single sign-on")?;
        Ok(Self {
            config,
            http,
            client: RwLock::new(None),
        })
    }

    /// The relying party, from the cached discovery document and keys or, without them,
    /// fetched now. `None` when the provider cannot be reached or is not one.
    async fn client(&self) -> Option<Arc<OidcClient>> {
        let cached = self.client.read().expect("the SSO client lock").clone();
        match cached {
            Some(client) => Some(client),
            None => self.discover().await,
        }
    }

    /// Fetches the discovery document and keys afresh.
    async fn discover(&self) -> Option<Arc<OidcClient>> {
        let config = &self.config;
        let issuer = IssuerUrl::new(config.issuer.clone()).ok()?;
        let metadata = match CoreProviderMetadata::discover_async(issuer, &self.http).await {
            Ok(metadata) => metadata,
            Err(err) => {
                tracing::warn!(error = %display_chain(&err), issuer = %config.issuer, "OpenID provider discovery failed");
                return None;
            }
        };
        let client = Arc::new(
            OidcClient::from_provider_metadata(
                metadata,
                ClientId::new(config.client_id.clone()),
                Some(ClientSecret::new(
                    config.client_secret.expose_secret().to_owned(),
                )),
            )
            .set_redirect_uri(RedirectUrl::from_url(config.redirect_uri.clone())),
        );
        *self.client.write().expect("the SSO client lock") = Some(client.clone());
        Some(client)
    }

    fn forget(&self) {
        *self.client.write().expect("the SSO client lock") = None;
    }

    /// Exchanges the callback's code and verifies what the provider answers: the ID token,
    /// and userinfo when the token lacks a claim the service reads.
    async fn verify(&self, code: String, flow: Flow) -> Result<Claims, Refusal> {
        let client = self.client().await.ok_or(Refusal::ProviderUnavailable)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| Refusal::ProviderUnavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier));
        let tokens = match request.request_async(&self.http).await {
            Ok(tokens) => tokens,
            Err(RequestTokenError::ServerResponse(refusal)) => {
                return Err(Refusal::CodeRefused(error_code(refusal.error().as_ref())));
            }
            Err(err) => {
                tracing::warn!(error = %display_chain(&err), "OpenID provider token request failed");
                self.forget();
                return Err(Refusal::ProviderUnavailable);
            }
        };
        let id_token = tokens.id_token().ok_or(Refusal::InvalidIdToken)?;
        let nonce = Nonce::new(flow.nonce);
        let verified = id_token.claims(&client.id_token_verifier(), &nonce);
        let (client, claims) = match verified {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys since they were fetched.
                let client = self.discover().await.ok_or(Refusal::ProviderUnavailable)?;
                let claims = id_token.claims(&client.id_token_verifier(), &nonce);
                (client, claims)
            }
            verified => (client, verified),
        };
        let claims = claims.map_err(|err| match err {
            ClaimsVerificationError::InvalidNonce(_) => Refusal::NonceMismatch,
            err => {
                tracing::warn!(error = %display_chain(&err), "an ID token failed verification");
                Refusal::InvalidIdToken
            }
        })?;

        let config = &self.config;
        let extra = claims.additional_claims();
        let mut found = Claims {
            subject: claims.subject().to_string(),
            email: claims.email().map(|email| email.to_string()),
            email_verified: claims.email_verified() == Some(true),
            name: claims
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.to_string()),
            roles: extra.values(&config.role_claim),
            agency: extra.values(&config.agency_claim).into_iter().next(),
        };
        let lacking = found.email.is_none()
            || !found.email_verified
            || found.roles.is_empty()
            || found.agency.is_none();
        if lacking && client.user_info_url().is_some() {
            self.add_userinfo(&client, tokens.access_token(), &mut found)
                .await;
        }
        Ok(found)
    }

    /// Fills in from userinfo what the ID token lacks; the ID token's own claims win. A
    /// userinfo answer that fails leaves the claims as they are (the workflow then refuses
    /// what they lack).
    async fn add_userinfo(
        &self,
        client: &OidcClient,
        access_token: &AccessToken,
        found: &mut Claims,
    ) {
        let subject = openidconnect::SubjectIdentifier::new(found.subject.clone());
        let Ok(request) = client.user_info(access_token.clone(), Some(subject)) else {
            return;
        };
        let info = match request
            .request_async::<OtherClaims, _, CoreGenderClaim>(&self.http)
            .await
        {
            Ok(info) => info,
            Err(err) => {
                tracing::warn!(error = %display_chain(&err), "OpenID provider userinfo failed");
                return;
            }
        };
        if found.email.is_none() {
            found.email = info.email().map(|email| email.to_string());
            found.email_verified = info.email_verified() == Some(true);
        } else if !found.email_verified
            && info.email().map(|e| e.as_str()) == found.email.as_deref()
        {
            found.email_verified = info.email_verified() == Some(true);
        }
        if found.name.is_none() {
            found.name = info
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.to_string());
        }
        let extra = info.additional_claims();
        if found.roles.is_empty() {
            found.roles = extra.values(&self.config.role_claim);
        }
        if found.agency.is_none() {
            found.agency = extra.values(&self.config.agency_claim).into_iter().next();
        }
    }
}

/// An OAuth error code as the audit log and the page show it: its token characters only.
fn error_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect()
}

/// The flow cookie: `__Host-` over https, where browsers allow the prefix.
fn flow_cookie_name(state: &AppState) -> &'static str {
    if state.cookies.policy.secure {
        "__Host-agencyflow_sso"
    } else {
        "agencyflow_sso"
    }
}

/// The sign-in page of a service without single sign-on.
fn not_configured(tr: Tr) -> Response {
    pages::sign_in(
        StatusCode::NOT_FOUND,
        SignInView {
            tr,
            error: Some(tr.t("sso-not-configured")),
            ..SignInView::default()
        },
    )
}

/// The sign-in page saying why single sign-on was refused.
fn refused(tr: Tr, refusal: &Refusal) -> Response {
    let key = match refusal {
        Refusal::UnknownFlow | Refusal::FlowUsed => "sso-unknown-flow",
        Refusal::FlowExpired => "sso-flow-expired",
        Refusal::OtherBrowser => "sso-other-browser",
        Refusal::ProviderError(code) => {
            return refused_with(
                tr,
                refusal,
                tr.args("sso-provider-error", &[("code", arg(code.as_str()))]),
            );
        }
        Refusal::ProviderUnavailable => "sso-provider-unavailable",
        Refusal::CodeRefused(_) | Refusal::InvalidIdToken | Refusal::NonceMismatch => {
            "sso-untrusted"
        }
        Refusal::EmailNotVerified => "sso-email-not-verified",
        Refusal::EmailUnusable => "sso-email-unusable",
        Refusal::NoRole => "sso-no-role",
        Refusal::UnknownAgency(_) => "sso-unknown-agency",
        Refusal::UserDisabled => "sso-user-disabled",
        Refusal::NoAccount => "sso-no-account",
        Refusal::LinkedElsewhere => "sso-linked-elsewhere",
        Refusal::RoleChangeRefused(why) => {
            return refused_with(
                tr,
                refusal,
                tr.args("sso-role-change-refused", &[("why", arg(why.to_string()))]),
            );
        }
    };
    refused_with(tr, refusal, tr.t(key))
}

fn refused_with(tr: Tr, refusal: &Refusal, message: String) -> Response {
    let status = match refusal {
        Refusal::ProviderUnavailable => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    pages::sign_in(
        status,
        SignInView {
            tr,
            error: Some(message),
            sso: true,
            ..SignInView::default()
        },
    )
}

/// Audits a refusal made before the workflow saw any claims, and shows it.
async fn refuse(
    state: &AppState,
    tr: Tr,
    caller: &Caller,
    refusal: Refusal,
    client: &Client,
) -> Response {
    match sso::refuse(&state.db, caller, &refusal, None, None, client).await {
        Ok(()) => refused(tr, &refusal),
        Err(err) => internal(tr, &err),
    }
}

/// `GET /sign-in/sso`: sends the browser to the provider.
pub async fn begin(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<ReturnTo>,
) -> Response {
    let tr = Tr::for_browser(&headers);
    let Some(sso) = state.sso.as_deref() else {
        return not_configured(tr);
    };
    let now = state.clock.now();
    let Some(client) = sso.client().await else {
        let caller = Caller::system("sso", now);
        let client = state.cookies.client(&headers, Some(peer));
        return refuse(&state, tr, &caller, Refusal::ProviderUnavailable, &client).await;
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let scopes = sso.config.scopes.iter().filter(|scope| *scope != "openid");
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(scopes.map(|scope| Scope::new(scope.clone())))
        .set_pkce_challenge(challenge)
        .url();
    let flow = NewFlow {
        state: csrf.into_secret(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.into_secret(),
        return_to: local_path(query.return_to.as_deref()).map(str::to_owned),
    };
    match sso::begin(&state.db, now, flow).await {
        Ok(browser) => {
            let mut response = redirect(url.as_str());
            let cookie = state.cookies.build(
                flow_cookie_name(&state),
                browser,
                FLOW_LIFETIME.num_seconds(),
            );
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(err) => internal(tr, &err),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /sign-in/sso/callback`: completes the flow and signs the person in.
pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<Callback>, QueryRejection>,
) -> Response {
    let Some(sso) = state.sso.as_deref() else {
        return not_configured(Tr::for_browser(&headers));
    };
    let mut response = complete(&state, sso, peer, &headers, query.ok().map(|Query(q)| q)).await;
    let spent = state
        .cookies
        .build(flow_cookie_name(&state), String::new(), 0);
    response.headers_mut().append(header::SET_COOKIE, spent);
    response
}

async fn complete(
    state: &AppState,
    sso: &SingleSignOn,
    peer: SocketAddr,
    headers: &HeaderMap,
    query: Option<Callback>,
) -> Response {
    let tr = Tr::for_browser(headers);
    let caller = Caller::system("sso", state.clock.now());
    let previous = state.cookies.secret(headers);
    let browser = Browser {
        client: state.cookies.client(headers, Some(peer)),
        previous_session: previous.as_deref(),
    };
    let (flow_return, claims) = match check(state, sso, &caller, headers, query).await {
        Ok(found) => found,
        Err(Failure::Refused(refusal)) => {
            return refuse(state, tr, &caller, refusal, &browser.client).await;
        }
        Err(Failure::Internal(err)) => return internal(tr, &err),
    };
    match sso::sign_in(
        &state.db,
        &caller,
        &state.identity,
        &sso.config.policy,
        &claims,
        &browser,
    )
    .await
    {
        Ok(Outcome::SignedIn(started)) => {
            let mut response = redirect(flow_return.as_deref().unwrap_or("/"));
            response
                .headers_mut()
                .insert(header::SET_COOKIE, state.cookies.set(started.secret));
            response
        }
        Ok(Outcome::Refused(refusal)) => refused(tr, &refusal),
        Err(err) => internal(tr, &err),
    }
}

/// Why a callback did not get as far as the workflow.
enum Failure {
    Refused(Refusal),
    Internal(AppError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// Spends the callback's flow and verifies what the provider vouches for: the flow's
/// `return_to` and the claims.
async fn check(
    state: &AppState,
    sso: &SingleSignOn,
    caller: &Caller,
    headers: &HeaderMap,
    query: Option<Callback>,
) -> Result<(Option<String>, Claims), Failure> {
    let query = query.ok_or(Refusal::UnknownFlow)?;
    let flow_state = query.state.ok_or(Refusal::UnknownFlow)?;
    let cookie = super::session::read(headers, flow_cookie_name(state));
    let flow = sso::take(&state.db, caller.now, &flow_state, cookie.as_deref())
        .await
        .map_err(Failure::Internal)??;
    if let Some(error) = query.error {
        return Err(Refusal::ProviderError(error_code(&error)).into());
    }
    let code = query
        .code
        .ok_or_else(|| Refusal::ProviderError("no_code".into()))?;
    let return_to = flow.return_to.clone();
    let claims = sso.verify(code, flow).await?;
    Ok((return_to, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_values_are_a_string_or_the_strings_of_an_array() {
        let claims: OtherClaims = serde_json::from_value(json!({
            "groups": ["af-finance", 7, "staff"], "agency": "ACME", "level": 3,
        }))
        .unwrap();
        assert_eq!(claims.values("groups"), ["af-finance", "staff"]);
        assert_eq!(claims.values("agency"), ["ACME"]);
        assert!(claims.values("level").is_empty());
        assert!(claims.values("missing").is_empty());
    }

    #[test]
    fn error_codes_keep_only_token_characters() {
        assert_eq!(error_code("access_denied"), "access_denied");
        assert_eq!(error_code("<script>x</script>"), "scriptxscript");
        assert_eq!(error_code(&"a".repeat(100)).len(), 64);
    }
}
