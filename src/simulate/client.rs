//! GraphQL over HTTP, as the lender's staff and the agencies' systems call it: one
//! shared connection pool, one bearer token per caller, every call timed.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The API's address, the connection pool, the optional rate limit and the timings.
pub struct Api {
    http: reqwest::Client,
    url: String,
    limiter: Option<DefaultDirectRateLimiter>,
    timings: Mutex<Vec<Duration>>,
}

impl Api {
    /// `rate`: the most calls per second across every caller.
    pub fn new(url: String, rate: Option<NonZeroU32>) -> anyhow::Result<Arc<Self>> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("agencyflow-simulate/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(Arc::new(Self {
            http,
            url,
            limiter: rate.map(|rate| RateLimiter::direct(Quota::per_second(rate))),
            timings: Mutex::new(Vec::new()),
        }))
    }

    /// A caller holding `token`.
    pub fn session(self: &Arc<Self>, token: impl Into<String>) -> Session {
        Session {
            api: Arc::clone(self),
            token: token.into(),
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

/// One caller: the API and its token.
#[derive(Clone)]
pub struct Session {
    api: Arc<Api>,
    token: String,
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
        let response = self
            .api
            .http
            .post(&self.api.url)
            .bearer_auth(&self.token)
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
