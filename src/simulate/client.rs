//! GraphQL over HTTP, as the lender's staff and the agencies' systems call it: one
//! shared connection pool, one credential per caller (a bearer token; a person's session
//! cookie while they make their token), every call timed.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The API's address, the connection pool, the optional rate limit and the timings.
pub struct Api {
    http: reqwest::Client,
    url: String,
    /// `scheme://host:port` of `url`: where `/sign-in` is, and the `Origin` a browser on
    /// the service's pages sends.
    origin: String,
    limiter: Option<DefaultDirectRateLimiter>,
    timings: Mutex<Vec<Duration>>,
}

impl Api {
    /// `rate`: the most calls per second across every caller.
    pub fn new(url: String, rate: Option<NonZeroU32>) -> anyhow::Result<Arc<Self>> {
        let origin = url::Url::parse(&url)
            .with_context(|| format!("{url} is not a URL"))?
            .origin()
            .ascii_serialization();
        let http = reqwest::Client::builder()
            .user_agent(concat!("agencyflow-simulate/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(300))
            // Signing in answers a redirect that carries the cookie: read it, not follow it.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self {
            http,
            url,
            origin,
            limiter: rate.map(|rate| RateLimiter::direct(Quota::per_second(rate))),
            timings: Mutex::new(Vec::new()),
        }))
    }

    /// A caller holding `token`.
    pub fn session(self: &Arc<Self>, token: impl Into<String>) -> Session {
        self.caller(Credential::Bearer(token.into()))
    }

    /// A caller nobody signed in as (to set a password with a link).
    pub fn anonymous(self: &Arc<Self>) -> Session {
        self.caller(Credential::None)
    }

    /// A person signed in as a browser would (`POST /sign-in` from the service's own
    /// page), calling with the session cookie that answered.
    pub async fn sign_in(self: &Arc<Self>, email: &str, password: &str) -> anyhow::Result<Session> {
        let url = format!("{}/sign-in", self.origin);
        let response = self
            .http
            .post(&url)
            .header(ORIGIN, &self.origin)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        if status != reqwest::StatusCode::SEE_OTHER {
            bail!(
                "signing in as {email} answered {status}, not a redirect (a role that must use \
                 MFA, sign_in.mfa_required_roles, cannot be simulated)"
            );
        }
        // The cookie's `name=value`, without its attributes.
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
            .with_context(|| format!("signing in as {email} set no cookie"))?;
        Ok(self.caller(Credential::Cookie(cookie)))
    }

    fn caller(self: &Arc<Self>, credential: Credential) -> Session {
        Session {
            api: Arc::clone(self),
            credential,
        }
    }

    /// How many calls were made so far.
    pub fn calls(&self) -> usize {
        self.timings.lock().expect("timings lock").len()
    }

    /// Every call's duration so far.
    pub fn timings(&self) -> Vec<Duration> {
        self.timings.lock().expect("timings lock").clone()
    }
}

/// How a caller proves who they are.
#[derive(Clone)]
enum Credential {
    None,
    Bearer(String),
    /// A session cookie (`name=value`), sent with the service's `Origin` as its own pages
    /// send it.
    Cookie(String),
}

/// One caller: the API and its credential.
#[derive(Clone)]
pub struct Session {
    api: Arc<Api>,
    credential: Credential,
}

impl Session {
    /// Runs `query` and decodes its `data`; a GraphQL error fails the call with its code.
    pub async fn call<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<T> {
        if let Some(limiter) = &self.api.limiter {
            limiter.until_ready().await;
        }
        let started = Instant::now();
        let request = self.api.http.post(&self.api.url);
        let request = match &self.credential {
            Credential::None => request,
            Credential::Bearer(token) => request.bearer_auth(token),
            Credential::Cookie(cookie) => request
                .header(COOKIE, cookie)
                .header(ORIGIN, &self.api.origin),
        };
        let response = request
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .with_context(|| format!("POST {}", self.api.url))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{status}: the answer is not JSON"))?;
        self.api
            .timings
            .lock()
            .expect("timings lock")
            .push(started.elapsed());
        if let Some(errors) = body.get("errors").and_then(Value::as_array) {
            let first = errors.first().cloned().unwrap_or(Value::Null);
            bail!(
                "{} ({}): {}",
                operation(query),
                first["extensions"]["code"].as_str().unwrap_or("UNKNOWN"),
                first["message"].as_str().unwrap_or("no message")
            );
        }
        serde_json::from_value(body["data"].clone()).with_context(|| {
            let data = body["data"].to_string();
            let shown: String = data.chars().take(300).collect();
            format!("{}: unexpected answer {shown}", operation(query))
        })
    }
}

/// The operation's first line, to name it in errors.
fn operation(query: &str) -> &str {
    query
        .trim()
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('{')
        .trim()
}
