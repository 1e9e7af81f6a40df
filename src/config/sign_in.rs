//! `[sign_in]`: people's sessions, passwords, multi-factor and throttling.

use std::sync::Arc;

use agencyflow_graphql::domain::identity::Identity;
use agencyflow_graphql::domain::identity::mfa::MfaPolicy;
use agencyflow_graphql::domain::identity::password::{HashCost, Passwords};
use agencyflow_graphql::domain::identity::sessions::SessionPolicy;
use agencyflow_graphql::domain::identity::throttle::ThrottlePolicy;
use anyhow::{Context, bail};
use chrono::Duration;
use entity::api_token::Role;
use serde::Deserialize;
use url::Url;

#[derive(Clone, Debug, Deserialize)]
pub struct SignInSettings {
    /// Where people reach the service. Its scheme decides the session cookie: https gives a
    /// `__Host-` cookie marked Secure; plain http is allowed only on a loopback host.
    pub public_url: String,
    pub session_idle_minutes: u32,
    pub session_lifetime_hours: u32,
    /// Roles whose users must enrol in TOTP before doing anything else.
    pub mfa_required_roles: Vec<Role>,
    /// The name authenticator apps show beside the code.
    pub mfa_issuer: String,
    pub set_password_link_hours: u32,
    /// Failed attempts (per e-mail, and per client address) before attempts must wait.
    pub free_failures: u32,
    pub backoff_base_secs: u32,
    pub backoff_max_secs: u32,
    /// Behind a reverse proxy: the header carrying the client's address (its first
    /// address is taken). Empty: the connection's peer address.
    pub client_address_header: String,
    pub password_hash: HashCost,
}

/// How the session cookie is named and marked, from `public_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookiePolicy {
    pub name: &'static str,
    pub secure: bool,
    /// `scheme://host[:port]` of `public_url`: a browser's `Origin` for same-origin requests.
    pub origin: String,
}

/// The cookie over https: the prefix binds it to this host and path `/`, Secure.
pub const SECURE_COOKIE: &str = "__Host-agencyflow_session";
/// The cookie over plain http on a loopback host, where browsers refuse `__Host-`.
pub const LOCAL_COOKIE: &str = "agencyflow_session";

impl SignInSettings {
    pub fn cookie(&self) -> anyhow::Result<CookiePolicy> {
        let url = Url::parse(&self.public_url).with_context(|| {
            format!(
                "sign_in.public_url: '{}' is not a URL (set AGENCYFLOW__SIGN_IN__PUBLIC_URL, e.g. https://collections.lender.example)",
                self.public_url
            )
        })?;
        let origin = url.origin().ascii_serialization();
        match url.scheme() {
            "https" => Ok(CookiePolicy {
                name: SECURE_COOKIE,
                secure: true,
                origin,
            }),
            "http" if is_loopback(&url) => Ok(CookiePolicy {
                name: LOCAL_COOKIE,
                secure: false,
                origin,
            }),
            "http" => bail!(
                "sign_in.public_url: plain http is for a loopback host only (localhost, 127.0.0.1, [::1]); serve {} over https",
                self.public_url
            ),
            other => bail!("sign_in.public_url: the scheme must be https, not {other}"),
        }
    }

    /// The proxy header with the client's address, if one is configured.
    pub fn client_address_header(&self) -> anyhow::Result<Option<axum::http::HeaderName>> {
        let name = self.client_address_header.trim();
        if name.is_empty() {
            return Ok(None);
        }
        axum::http::HeaderName::from_bytes(name.as_bytes())
            .map(Some)
            .with_context(|| {
                format!("sign_in.client_address_header: '{name}' is not a header name")
            })
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.cookie()?;
        self.client_address_header()?;
        if self.session_idle_minutes == 0 || self.session_lifetime_hours == 0 {
            bail!("sign_in.session_idle_minutes and session_lifetime_hours: must be at least 1");
        }
        if u64::from(self.session_idle_minutes) > u64::from(self.session_lifetime_hours) * 60 {
            bail!("sign_in.session_idle_minutes: must not exceed session_lifetime_hours");
        }
        if self.set_password_link_hours == 0 || self.set_password_link_hours > 24 * 30 {
            bail!("sign_in.set_password_link_hours: must be 1 to 720");
        }
        if self.free_failures == 0 || self.backoff_base_secs == 0 {
            bail!("sign_in.free_failures and backoff_base_secs: must be at least 1");
        }
        if self.backoff_max_secs < self.backoff_base_secs {
            bail!("sign_in.backoff_max_secs: must be at least backoff_base_secs");
        }
        if self.mfa_issuer.trim().is_empty() || self.mfa_issuer.contains(':') {
            bail!("sign_in.mfa_issuer: must be a non-empty name without ':'");
        }
        Passwords::new(self.password_hash).context("sign_in.password_hash")?;
        Ok(())
    }

    /// The identity policies the workflows and the HTTP layer share.
    pub fn identity(&self) -> anyhow::Result<Identity> {
        Ok(Identity {
            passwords: Arc::new(Passwords::new(self.password_hash)?),
            sessions: SessionPolicy {
                idle: Duration::minutes(self.session_idle_minutes.into()),
                absolute: Duration::hours(self.session_lifetime_hours.into()),
            },
            mfa: MfaPolicy {
                required_roles: self.mfa_required_roles.clone(),
                issuer: self.mfa_issuer.clone(),
            },
            throttle: ThrottlePolicy {
                free_failures: self.free_failures,
                base_delay: Duration::seconds(self.backoff_base_secs.into()),
                max_delay: Duration::seconds(self.backoff_max_secs.into()),
                ..ThrottlePolicy::default()
            },
            reset_lifetime: Duration::hours(self.set_password_link_hours.into()),
        })
    }
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> SignInSettings {
        SignInSettings {
            public_url: url.to_owned(),
            session_idle_minutes: 30,
            session_lifetime_hours: 12,
            mfa_required_roles: vec![Role::Admin],
            mfa_issuer: "agencyflow".into(),
            set_password_link_hours: 72,
            free_failures: 5,
            backoff_base_secs: 1,
            backoff_max_secs: 900,
            client_address_header: String::new(),
            password_hash: HashCost::default(),
        }
    }

    #[test]
    fn https_gets_the_host_prefixed_secure_cookie() {
        let cookie = with_url("https://collections.lender.example/")
            .cookie()
            .unwrap();
        assert_eq!(cookie.name, "__Host-agencyflow_session");
        assert!(cookie.secure);
        assert_eq!(cookie.origin, "https://collections.lender.example");
    }

    #[test]
    fn plain_http_only_on_loopback_and_without_the_prefix() {
        for local in [
            "http://localhost:8080",
            "http://127.0.0.1:9000",
            "http://[::1]:8080",
        ] {
            let cookie = with_url(local).cookie().unwrap();
            assert_eq!(cookie.name, "agencyflow_session", "{local}");
            assert!(!cookie.secure);
        }
        let err = with_url("http://collections.lender.example")
            .cookie()
            .unwrap_err();
        assert!(err.to_string().starts_with("sign_in.public_url"), "{err}");
        assert!(with_url("").cookie().is_err());
        assert!(with_url("ftp://x.example").cookie().is_err());
    }

    #[test]
    fn validation_names_the_key() {
        let mut settings = with_url("https://x.example");
        assert!(settings.validate().is_ok());
        settings.session_idle_minutes = 24 * 60;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.starts_with("sign_in.session_idle_minutes"), "{err}");
    }
}
