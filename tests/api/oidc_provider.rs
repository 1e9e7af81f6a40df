//! A real OpenID Connect provider, served by the tests themselves, for end-to-end tests
//! of SSO sign-in: discovery, a JWKS with a real RSA key, the authorization code flow
//! with PKCE (S256), ID tokens signed RS256, and userinfo.
//!
//! There is no login page: `/authorize` signs in the provider's current user (see
//! [`OidcProvider::sign_in_as`]) and redirects straight back to the registered
//! redirect URI. Knobs make the next answer go wrong in the ways a relying party must
//! cope with ([`OidcProvider::deny_next`], [`OidcProvider::tamper_next_nonce`]).
//!
//! ```ignore
//! let provider = OidcProvider::start("agencyflow", "s3cret", "http://127.0.0.1:9/cb").await;
//! // ... spawn the service with provider.issuer(), "agencyflow" and "s3cret", then:
//! provider.set_redirect_uri(&format!("{}/sso/callback", app.base));
//! provider.sign_in_as(json!({"sub": "u-1", "email": "ada@acme.test", "email_verified": true,
//!                            "name": "Ada", "groups": ["af-finance"], "agency": "ACME"}));
//! ```

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

const KEY_ID: &str = "agencyflow-test-rs256";
/// Lifetime of ID and access tokens, in seconds.
const TOKEN_LIFETIME: i64 = 300;

type Claims = Map<String, Value>;
type Params = HashMap<String, String>;

/// The provider's signing key: one real 2048-bit RSA key per test process (generating
/// one is slow, so every provider shares it).
struct SigningKey {
    encoding: jsonwebtoken::EncodingKey,
    jwk: Value,
}

static SIGNING_KEY: LazyLock<SigningKey> = LazyLock::new(|| {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;

    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
    let der = key.to_pkcs1_der().expect("PKCS#1 DER of the RSA key");
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    SigningKey {
        encoding: jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kid": KEY_ID, "kty": "RSA", "use": "sig", "alg": "RS256",
            "n": b64(key.n()), "e": b64(key.e()),
        }),
    }
});

/// An OpenID provider on 127.0.0.1 with one registered client; stops when dropped.
pub struct OidcProvider {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// What the handlers share with the test.
struct Shared {
    issuer: String,
    client: RegisteredClient,
    state: Mutex<ProviderState>,
}

struct RegisteredClient {
    id: String,
    secret: String,
}

struct ProviderState {
    /// The client's only redirect URI.
    redirect_uri: String,
    user: Claims,
    deny_next: bool,
    tamper_next_nonce: bool,
    token_requests: usize,
    /// Authorization codes not yet redeemed.
    codes: HashMap<String, Grant>,
    /// Access tokens issued, with the claims userinfo answers for them.
    access_tokens: HashMap<String, Claims>,
}

/// What an authorization code stands for.
struct Grant {
    redirect_uri: String,
    code_challenge: String,
    nonce: String,
    user: Claims,
}

impl OidcProvider {
    /// Starts a provider that knows one client, `client_id` with `client_secret`, whose
    /// only redirect URI is `redirect_uri`. Its user is Ada until [`Self::sign_in_as`].
    pub async fn start(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        LazyLock::force(&SIGNING_KEY);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shared = Arc::new(Shared {
            issuer: format!("http://{}", listener.local_addr().unwrap()),
            client: RegisteredClient {
                id: client_id.to_owned(),
                secret: client_secret.to_owned(),
            },
            state: Mutex::new(ProviderState {
                redirect_uri: redirect_uri.to_owned(),
                user: user_claims(json!({
                    "sub": "ada", "email": "ada@example.test", "email_verified": true,
                    "name": "Ada Lovelace",
                })),
                deny_next: false,
                tamper_next_nonce: false,
                token_requests: 0,
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
            }),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(shared.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { shared, server }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    /// Replaces the client's registered redirect URI: the service's address is known
    /// only once it is spawned, and it needs the issuer for that.
    pub fn set_redirect_uri(&self, redirect_uri: &str) {
        self.shared.state().redirect_uri = redirect_uri.to_owned();
    }

    /// Replaces the user the next authorize request signs in: an object with at least
    /// `sub` (a string), typically also `email`, `email_verified` and `name`; any other
    /// member (`"groups": ["af-finance"]`, `"agency": "ACME"`) becomes an extra claim of
    /// the ID token and of userinfo.
    pub fn sign_in_as(&self, claims: Value) {
        self.shared.state().user = user_claims(claims);
    }

    /// The next authorize request redirects back with `error=access_denied`.
    pub fn deny_next(&self) {
        self.shared.state().deny_next = true;
    }

    /// The next ID token carries a nonce other than the one the client sent.
    pub fn tamper_next_nonce(&self) {
        self.shared.state().tamper_next_nonce = true;
    }

    /// How many requests reached the token endpoint, refused ones included.
    pub fn token_requests(&self) -> usize {
        self.shared.state().token_requests
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn user_claims(claims: Value) -> Claims {
    match claims {
        Value::Object(claims) if claims.get("sub").is_some_and(Value::is_string) => claims,
        other => panic!("a signed-in user is a JSON object with a string sub, not {other}"),
    }
}

/// An OAuth 2.0 error answer: `{"error": .., "error_description": ..}`, with a
/// `WWW-Authenticate` challenge when it is a 401.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
    challenge: Option<&'static str>,
}

impl OAuthError {
    fn bad_request(error: &'static str, description: &'static str) -> Self {
        let status = StatusCode::BAD_REQUEST;
        Self {
            status,
            error,
            description,
            challenge: None,
        }
    }

    fn invalid_request(description: &'static str) -> Self {
        Self::bad_request("invalid_request", description)
    }

    fn invalid_grant(description: &'static str) -> Self {
        Self::bad_request("invalid_grant", description)
    }

    fn unauthorized(
        error: &'static str,
        description: &'static str,
        challenge: &'static str,
    ) -> Self {
        let status = StatusCode::UNAUTHORIZED;
        Self {
            status,
            error,
            description,
            challenge: Some(challenge),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.error, "error_description": self.description}));
        let mut response = (self.status, body).into_response();
        if let Some(challenge) = self.challenge {
            let challenge = header::HeaderValue::from_static(challenge);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

async fn discovery(State(provider): State<Arc<Shared>>) -> Json<Value> {
    let issuer = &provider.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "aud", "sub", "iat", "exp", "nonce", "email", "email_verified", "name",
        ],
    }))
}

async fn jwks() -> Json<Value> {
    Json(json!({"keys": [SIGNING_KEY.jwk]}))
}

async fn authorize(
    State(provider): State<Arc<Shared>>,
    Query(params): Query<Params>,
) -> Result<Redirect, OAuthError> {
    provider
        .authorize(&params)
        .map(|to| Redirect::to(to.as_str()))
}

async fn token(
    State(provider): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Result<Json<Value>, OAuthError> {
    provider.token(&headers, &form).map(Json)
}

async fn userinfo(
    State(provider): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Claims>, OAuthError> {
    provider.userinfo(&headers).map(Json)
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, ProviderState> {
        self.state.lock().unwrap()
    }

    /// Checks an authentication request, signs the current user in and answers where
    /// to redirect the browser: the redirect URI with `code` and `state`, or with
    /// `error=access_denied` when the test asked for a denial.
    fn authorize(&self, params: &Params) -> Result<url::Url, OAuthError> {
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let mut state = self.state();
        let checks = [
            (
                param("response_type") == Some("code"),
                "response_type must be code",
            ),
            (
                param("client_id") == Some(self.client.id.as_str()),
                "unknown client_id",
            ),
            (
                param("redirect_uri") == Some(state.redirect_uri.as_str()),
                "redirect_uri is not the registered one",
            ),
            (
                param("scope").is_some_and(|scope| scope.split(' ').any(|s| s == "openid")),
                "scope must include openid",
            ),
            (param("state").is_some(), "state is required"),
            (param("nonce").is_some(), "nonce is required"),
            (
                param("code_challenge").is_some(),
                "code_challenge is required",
            ),
            (
                param("code_challenge_method") == Some("S256"),
                "code_challenge_method must be S256",
            ),
        ];
        if let Some(&(_, refusal)) = checks.iter().find(|(passed, _)| !passed) {
            return Err(OAuthError::invalid_request(refusal));
        }

        let answer = if std::mem::take(&mut state.deny_next) {
            [("error", "access_denied".to_owned())]
        } else {
            let code = random_token();
            let grant = Grant {
                redirect_uri: state.redirect_uri.clone(),
                code_challenge: params["code_challenge"].clone(),
                nonce: params["nonce"].clone(),
                user: state.user.clone(),
            };
            state.codes.insert(code.clone(), grant);
            [("code", code)]
        };
        let mut to = url::Url::parse(&state.redirect_uri).expect("redirect_uri is a URL");
        to.query_pairs_mut()
            .extend_pairs(answer)
            .append_pair("state", &params["state"]);
        Ok(to)
    }

    /// Redeems an authorization code (once) for an access token and an ID token.
    fn token(&self, headers: &HeaderMap, form: &Params) -> Result<Value, OAuthError> {
        let mut state = self.state();
        state.token_requests += 1;
        self.authenticate_client(headers, form)?;
        let field = |name: &str| form.get(name).map(String::as_str);
        if field("grant_type") != Some("authorization_code") {
            return Err(OAuthError::bad_request(
                "unsupported_grant_type",
                "only authorization_code is supported",
            ));
        }
        let code = field("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        // Removed before any other check: a code is good for one attempt only.
        let grant = state
            .codes
            .remove(code)
            .ok_or_else(|| OAuthError::invalid_grant("unknown or already used code"))?;
        if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::invalid_grant("redirect_uri does not match"));
        }
        let verifier = field("code_verifier").unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier)) != grant.code_challenge {
            return Err(OAuthError::invalid_grant("code_verifier does not match"));
        }

        let nonce = if std::mem::take(&mut state.tamper_next_nonce) {
            format!("{}-tampered", grant.nonce)
        } else {
            grant.nonce
        };
        let access_token = random_token();
        let id_token = self.id_token(grant.user.clone(), nonce);
        state.access_tokens.insert(access_token.clone(), grant.user);
        Ok(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
            "scope": "openid email profile",
        }))
    }

    /// Client authentication by HTTP Basic (RFC 6749 2.3.1: both parts form-urlencoded)
    /// or by `client_id` and `client_secret` in the form, not both.
    fn authenticate_client(&self, headers: &HeaderMap, form: &Params) -> Result<(), OAuthError> {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .map(basic_credentials);
        let posted = form.get("client_secret").map(|secret| {
            let id = form.get("client_id").cloned().unwrap_or_default();
            Some((id, secret.clone()))
        });
        let credentials = match (basic, posted) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not two",
                ));
            }
            (Some(credentials), None) | (None, Some(credentials)) => credentials,
            (None, None) => None,
        };
        match credentials {
            Some((id, secret)) if id == self.client.id && secret == self.client.secret => Ok(()),
            _ => Err(OAuthError::unauthorized(
                "invalid_client",
                "client authentication failed",
                "Basic realm=\"token\"",
            )),
        }
    }

    /// The signed ID token: the user's claims plus the protocol's, which win.
    fn id_token(&self, user: Claims, nonce: String) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = user;
        claims.extend([
            ("iss".to_owned(), json!(self.issuer)),
            ("aud".to_owned(), json!(self.client.id)),
            ("iat".to_owned(), json!(now)),
            ("exp".to_owned(), json!(now + TOKEN_LIFETIME)),
            ("nonce".to_owned(), json!(nonce)),
        ]);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, &claims, &SIGNING_KEY.encoding).expect("signed ID token")
    }

    fn userinfo(&self, headers: &HeaderMap) -> Result<Claims, OAuthError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        token
            .and_then(|token| self.state().access_tokens.get(token).cloned())
            .ok_or_else(|| {
                OAuthError::unauthorized(
                    "invalid_token",
                    "unknown access token",
                    "Bearer error=\"invalid_token\"",
                )
            })
    }
}

/// `base64(urlencode(id) ":" urlencode(secret))`, decoded; None when malformed.
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |part: &str| {
        url::form_urlencoded::parse(part.as_bytes())
            .map(|(key, _)| key.into_owned())
            .next()
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// An unguessable single-use value (authorization codes, access tokens).
fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The provider driven by a genuine relying party: the `openidconnect` crate.
mod self_tests {
    use openidconnect::core::{
        CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
        CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
        CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
    };
    use openidconnect::{
        AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, Client, ClientId,
        ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet,
        EndpointSet, HttpClientError, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse,
        PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
        StandardErrorResponse, StandardTokenResponse, TokenResponse,
    };
    use reqwest::StatusCode;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::OidcProvider;

    const CLIENT_ID: &str = "agencyflow";
    const CLIENT_SECRET: &str = "s3cret+/=";
    const REDIRECT_URI: &str = "http://127.0.0.1:9/sso/callback";

    /// The claims beyond the standard ones that the service reads.
    #[derive(Clone, Debug, Default, Deserialize, Serialize)]
    struct AgencyClaims {
        #[serde(default)]
        groups: Vec<String>,
        agency: Option<String>,
    }

    impl AdditionalClaims for AgencyClaims {}

    type AgencyTokenResponse = StandardTokenResponse<
        IdTokenFields<
            AgencyClaims,
            EmptyExtraTokenFields,
            CoreGenderClaim,
            CoreJweContentEncryptionAlgorithm,
            CoreJwsSigningAlgorithm,
        >,
        CoreTokenType,
    >;

    /// `CoreClient` with [`AgencyClaims`] in its ID tokens, as built from discovery.
    type AgencyClient = Client<
        AgencyClaims,
        CoreAuthDisplay,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJsonWebKey,
        CoreAuthPrompt,
        StandardErrorResponse<CoreErrorResponseType>,
        AgencyTokenResponse,
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

    type TokenError = RequestTokenError<
        HttpClientError<reqwest::Error>,
        StandardErrorResponse<CoreErrorResponseType>,
    >;

    struct RelyingParty {
        client: AgencyClient,
        /// Follows no redirect: the authorize answer is read, not followed.
        http: reqwest::Client,
    }

    /// A sign-in under way: what the relying party keeps between redirect and callback.
    struct Attempt {
        url: url::Url,
        csrf: CsrfToken,
        nonce: Nonce,
        verifier: PkceCodeVerifier,
    }

    impl RelyingParty {
        async fn discover(provider: &OidcProvider, secret: &str, auth_type: AuthType) -> Self {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let issuer = IssuerUrl::new(provider.issuer()).unwrap();
            let metadata = CoreProviderMetadata::discover_async(issuer, &http)
                .await
                .expect("discovery");
            let client = AgencyClient::from_provider_metadata(
                metadata,
                ClientId::new(CLIENT_ID.to_owned()),
                Some(ClientSecret::new(secret.to_owned())),
            )
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
            .set_auth_type(auth_type);
            Self { client, http }
        }

        async fn new(provider: &OidcProvider) -> Self {
            Self::discover(provider, CLIENT_SECRET, AuthType::BasicAuth).await
        }

        fn begin(&self) -> Attempt {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, csrf, nonce) = self
                .client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                )
                .add_scope(Scope::new("email".to_owned()))
                .add_scope(Scope::new("profile".to_owned()))
                .set_pkce_challenge(challenge)
                .url();
            Attempt {
                url,
                csrf,
                nonce,
                verifier,
            }
        }

        /// What the browser would be sent back with: the query of the redirect.
        async fn follow(&self, url: &url::Url) -> Vec<(String, String)> {
            let response = self.http.get(url.as_str()).send().await.unwrap();
            assert!(response.status().is_redirection(), "{}", response.status());
            let location = response.headers()[reqwest::header::LOCATION]
                .to_str()
                .unwrap();
            let location = url::Url::parse(location).unwrap();
            assert_eq!(location.path(), "/sso/callback");
            location.query_pairs().into_owned().collect()
        }

        /// Begins a sign-in and returns the code the callback got, its state checked.
        async fn sign_in(&self) -> (AuthorizationCode, Attempt) {
            let attempt = self.begin();
            let callback = self.follow(&attempt.url).await;
            assert_eq!(
                query(&callback, "state"),
                Some(attempt.csrf.secret().as_str())
            );
            let code = query(&callback, "code").expect("a code on the callback");
            (AuthorizationCode::new(code.to_owned()), attempt)
        }

        async fn exchange(
            &self,
            code: AuthorizationCode,
            verifier: PkceCodeVerifier,
        ) -> Result<AgencyTokenResponse, TokenError> {
            self.client
                .exchange_code(code)
                .unwrap()
                .set_pkce_verifier(verifier)
                .request_async(&self.http)
                .await
        }
    }

    fn query<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `url` with its query parameter `name` set to `value`, or removed for None.
    fn with_param(mut url: url::Url, name: &str, value: Option<&str>) -> url::Url {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .filter_map(|(key, original)| match (key == name, value) {
                (false, _) => Some((key, original)),
                (true, value) => value.map(|value| (key, value.to_owned())),
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url
    }

    /// The OAuth error code of a refused token request.
    fn refusal(result: Result<AgencyTokenResponse, TokenError>) -> CoreErrorResponseType {
        match result {
            Err(RequestTokenError::ServerResponse(response)) => response.error().clone(),
            Err(other) => panic!("expected an OAuth error answer, got {other:?}"),
            Ok(_) => panic!("expected a refusal, got tokens"),
        }
    }

    async fn provider() -> OidcProvider {
        OidcProvider::start(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI).await
    }

    #[tokio::test]
    async fn a_real_client_completes_the_code_flow() {
        let provider = provider().await;
        provider.sign_in_as(json!({
            "sub": "grace", "email": "grace@acme.test", "email_verified": true,
            "name": "Grace Hopper", "groups": ["af-finance"], "agency": "ACME",
        }));
        let rp = RelyingParty::new(&provider).await;

        let (code, attempt) = rp.sign_in().await;
        let tokens = rp.exchange(code, attempt.verifier).await.expect("tokens");
        assert_eq!(provider.token_requests(), 1);

        let id_token = tokens.id_token().expect("an ID token");
        let claims = id_token
            .claims(&rp.client.id_token_verifier(), &attempt.nonce)
            .expect("a valid ID token");
        assert_eq!(claims.issuer().as_str(), provider.issuer());
        assert_eq!(claims.subject().as_str(), "grace");
        assert_eq!(claims.email().unwrap().as_str(), "grace@acme.test");
        assert_eq!(claims.email_verified(), Some(true));
        assert_eq!(
            claims.name().unwrap().get(None).unwrap().as_str(),
            "Grace Hopper"
        );
        assert_eq!(claims.additional_claims().groups, ["af-finance"]);
        assert_eq!(claims.additional_claims().agency.as_deref(), Some("ACME"));

        let userinfo = rp
            .client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .unwrap()
            .request_async::<AgencyClaims, _, CoreGenderClaim>(&rp.http)
            .await
            .expect("userinfo");
        assert_eq!(userinfo.email().unwrap().as_str(), "grace@acme.test");
        assert_eq!(userinfo.additional_claims().groups, ["af-finance"]);
    }

    #[tokio::test]
    async fn client_secret_post_works_and_a_wrong_secret_is_refused() {
        let provider = provider().await;

        let posting = RelyingParty::discover(&provider, CLIENT_SECRET, AuthType::RequestBody).await;
        let (code, attempt) = posting.sign_in().await;
        assert!(posting.exchange(code, attempt.verifier).await.is_ok());

        for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
            let wrong = RelyingParty::discover(&provider, "not-the-secret", auth_type).await;
            let (code, attempt) = wrong.sign_in().await;
            let refused = wrong.exchange(code, attempt.verifier).await;
            assert_eq!(refusal(refused), CoreErrorResponseType::InvalidClient);
        }
        assert_eq!(provider.token_requests(), 3);
    }

    #[tokio::test]
    async fn a_wrong_code_verifier_is_refused() {
        let provider = provider().await;
        let rp = RelyingParty::new(&provider).await;
        let (code, _attempt) = rp.sign_in().await;

        let (_, other_verifier) = PkceCodeChallenge::new_random_sha256();
        let refused = rp.exchange(code, other_verifier).await;
        assert_eq!(refusal(refused), CoreErrorResponseType::InvalidGrant);
    }

    #[tokio::test]
    async fn a_code_is_usable_once() {
        let provider = provider().await;
        let rp = RelyingParty::new(&provider).await;
        let (code, attempt) = rp.sign_in().await;
        let same_verifier = PkceCodeVerifier::new(attempt.verifier.secret().clone());

        assert!(rp.exchange(code.clone(), attempt.verifier).await.is_ok());
        let again = rp.exchange(code, same_verifier).await;
        assert_eq!(refusal(again), CoreErrorResponseType::InvalidGrant);
        assert_eq!(provider.token_requests(), 2);
    }

    #[tokio::test]
    async fn a_tampered_nonce_fails_the_clients_verification() {
        let provider = provider().await;
        let rp = RelyingParty::new(&provider).await;
        provider.tamper_next_nonce();

        let (code, attempt) = rp.sign_in().await;
        let tokens = rp.exchange(code, attempt.verifier).await.expect("tokens");
        let verified = tokens
            .id_token()
            .unwrap()
            .claims(&rp.client.id_token_verifier(), &attempt.nonce);
        assert!(
            matches!(verified, Err(ClaimsVerificationError::InvalidNonce(_))),
            "{verified:?}"
        );

        // Only the next token was tampered with.
        let (code, attempt) = rp.sign_in().await;
        let tokens = rp.exchange(code, attempt.verifier).await.expect("tokens");
        let verifier = rp.client.id_token_verifier();
        assert!(
            tokens
                .id_token()
                .unwrap()
                .claims(&verifier, &attempt.nonce)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn deny_next_redirects_with_access_denied_once() {
        let provider = provider().await;
        let rp = RelyingParty::new(&provider).await;
        provider.deny_next();

        let attempt = rp.begin();
        let callback = rp.follow(&attempt.url).await;
        assert_eq!(query(&callback, "error"), Some("access_denied"));
        assert_eq!(
            query(&callback, "state"),
            Some(attempt.csrf.secret().as_str())
        );
        assert_eq!(query(&callback, "code"), None);

        rp.sign_in().await;
    }

    #[tokio::test]
    async fn the_redirect_uri_can_be_registered_after_start() {
        let placeholder = "http://127.0.0.1:9/not-yet";
        let provider = OidcProvider::start(CLIENT_ID, CLIENT_SECRET, placeholder).await;
        let rp = RelyingParty::new(&provider).await;
        let early = rp.http.get(rp.begin().url.as_str()).send().await.unwrap();
        assert_eq!(early.status(), StatusCode::BAD_REQUEST);

        provider.set_redirect_uri(REDIRECT_URI);
        let (code, attempt) = rp.sign_in().await;
        assert!(rp.exchange(code, attempt.verifier).await.is_ok());
    }

    #[tokio::test]
    async fn authorize_refuses_requests_it_must_not_redirect() {
        let provider = provider().await;
        let rp = RelyingParty::new(&provider).await;
        let broken = [
            ("response_type", Some("token")),
            ("client_id", Some("someone-else")),
            ("redirect_uri", Some("http://127.0.0.1:9/elsewhere")),
            ("scope", Some("email profile")),
            ("state", None),
            ("nonce", None),
            ("code_challenge", None),
            ("code_challenge_method", Some("plain")),
        ];
        for (name, value) in broken {
            let url = with_param(rp.begin().url, name, value);
            let response = rp.http.get(url.as_str()).send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{name}={value:?}"
            );
        }
        assert!(provider.shared.state().codes.is_empty());
    }
}
