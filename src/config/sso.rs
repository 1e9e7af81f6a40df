//! `[sso]`: single sign-on through an OpenID Connect provider; off while `issuer` is empty.

use std::collections::BTreeMap;

use agencyflow_graphql::domain::identity::sso::SsoPolicy;
use anyhow::{Context, bail};
use entity::api_token::Role;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::sign_in::is_loopback;

/// Where the provider sends browsers back, under `sign_in.public_url`.
pub const CALLBACK_PATH: &str = "/sign-in/sso/callback";

#[derive(Clone, Debug, Deserialize)]
pub struct SsoSettings {
    /// The provider's issuer URL (its discovery document is under it); empty: SSO is off.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes asked for; `openid` must be one.
    pub scopes: Vec<String>,
    /// The claim (of the ID token, else userinfo) whose values map to a role: a string or
    /// an array of strings.
    pub role_claim: String,
    /// Claim value → role; the first of the claim's values that is mapped wins.
    pub role_map: BTreeMap<String, Role>,
    /// The claim with the agency code of an AGENCY user.
    pub agency_claim: String,
    /// Create a user for a verified e-mail no user has (else the sign-in is refused).
    pub create_users: bool,
}

/// The provider and client, validated.
#[derive(Clone, Debug)]
pub struct SsoConfig {
    /// As configured: ID tokens name their issuer with exactly this string.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    pub role_claim: String,
    pub agency_claim: String,
    pub policy: SsoPolicy,
}

impl SsoSettings {
    /// The validated settings, or `None` when SSO is off; an error names the key at fault.
    /// The callback is under `public_url` (`sign_in.public_url`).
    pub fn config(&self, public_url: &str) -> anyhow::Result<Option<SsoConfig>> {
        let issuer = self.issuer.trim();
        if issuer.is_empty() {
            return Ok(None);
        }
        let issuer_url =
            Url::parse(issuer).with_context(|| format!("sso.issuer: '{issuer}' is not a URL"))?;
        match issuer_url.scheme() {
            "https" => {}
            "http" if is_loopback(&issuer_url) => {}
            _ => bail!("sso.issuer: must be an https URL (plain http only on a loopback host)"),
        }
        if self.client_id.trim().is_empty() {
            bail!("sso.client_id: must be set when sso.issuer is");
        }
        if self.client_secret.expose_secret().is_empty() {
            bail!(
                "sso.client_secret: must be set when sso.issuer is (AGENCYFLOW__SSO__CLIENT_SECRET)"
            );
        }
        if !self.scopes.iter().any(|scope| scope == "openid") {
            bail!("sso.scopes: must include openid");
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            bail!("sso.scopes: '{bad}' is not a scope (one word each)");
        }
        if self.role_claim.trim().is_empty() {
            bail!("sso.role_claim: must name the claim whose values map to roles, e.g. groups");
        }
        if self.role_map.is_empty() {
            bail!(
                "sso.role_map: map at least one value of sso.role_claim to a role, e.g. {{ \"af-admin\" = \"ADMIN\" }}"
            );
        }
        if self.role_map.values().any(|role| *role == Role::Agency)
            && self.agency_claim.trim().is_empty()
        {
            bail!("sso.agency_claim: must be set when sso.role_map maps to AGENCY");
        }
        let redirect_uri = Url::parse(public_url)
            .and_then(|base| base.join(CALLBACK_PATH))
            .context("sign_in.public_url: not a URL, so the SSO callback has no address")?;
        Ok(Some(SsoConfig {
            issuer: issuer.to_owned(),
            client_id: self.client_id.trim().to_owned(),
            client_secret: self.client_secret.clone(),
            redirect_uri,
            scopes: self.scopes.clone(),
            role_claim: self.role_claim.trim().to_owned(),
            agency_claim: self.agency_claim.trim().to_owned(),
            policy: SsoPolicy {
                issuer: issuer.to_owned(),
                role_map: self.role_map.clone(),
                create_users: self.create_users,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC_URL: &str = "https://collections.lender.example";

    fn on() -> SsoSettings {
        SsoSettings {
            issuer: "https://id.lender.example".into(),
            client_id: "agencyflow".into(),
            client_secret: SecretString::from("s3cret"),
            scopes: vec!["openid".into(), "email".into()],
            role_claim: "groups".into(),
            role_map: BTreeMap::from([("af-agency".to_owned(), Role::Agency)]),
            agency_claim: "agency".into(),
            create_users: true,
        }
    }

    fn refusal(change: impl FnOnce(&mut SsoSettings)) -> String {
        let mut settings = on();
        change(&mut settings);
        settings.config(PUBLIC_URL).unwrap_err().to_string()
    }

    #[test]
    fn an_empty_issuer_turns_sso_off() {
        let settings = SsoSettings {
            issuer: " ".into(),
            client_id: String::new(),
            ..on()
        };
        assert!(settings.config(PUBLIC_URL).unwrap().is_none());
    }

    #[test]
    fn the_callback_is_under_the_public_url() {
        let config = on().config(PUBLIC_URL).unwrap().unwrap();
        assert_eq!(
            config.redirect_uri.as_str(),
            "https://collections.lender.example/sign-in/sso/callback"
        );
        assert_eq!(config.policy.issuer, "https://id.lender.example");
    }

    #[test]
    fn validation_names_the_key() {
        type Change = fn(&mut SsoSettings);
        let cases: [(&str, Change); 8] = [
            ("sso.issuer", |s| s.issuer = "id.lender.example".into()),
            ("sso.issuer", |s| {
                s.issuer = "http://id.lender.example".into()
            }),
            ("sso.client_id", |s| s.client_id = String::new()),
            ("sso.client_secret", |s| {
                s.client_secret = SecretString::from("")
            }),
            ("sso.scopes", |s| s.scopes = vec!["email".into()]),
            ("sso.role_claim", |s| s.role_claim = " ".into()),
            ("sso.role_map", |s| s.role_map.clear()),
            ("sso.agency_claim", |s| s.agency_claim = String::new()),
        ];
        for (key, change) in cases {
            let err = refusal(change);
            assert!(err.starts_with(key), "{key}: {err}");
        }
        assert!(on().config(PUBLIC_URL).is_ok());
    }

    #[test]
    fn http_issuers_are_for_loopback_hosts() {
        let settings = SsoSettings {
            issuer: "http://127.0.0.1:9000".into(),
            ..on()
        };
        assert!(settings.config(PUBLIC_URL).unwrap().is_some());
    }
}
