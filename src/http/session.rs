//! What browsers send and are sent for sessions: the session cookie, the client's
//! address, and the same-origin proof a cookie-authenticated state change must carry.

use std::net::SocketAddr;

use agencyflow_graphql::domain::identity::sessions::Client;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use cookie::{Cookie, SameSite};

use crate::config::CookiePolicy;

/// How sessions reach browsers and how their requests are judged.
#[derive(Clone, Debug)]
pub struct SessionCookies {
    pub policy: CookiePolicy,
    /// The proxy header with the client's address, when behind one.
    pub client_address_header: Option<HeaderName>,
    /// How long the cookie lives in the browser (the session's absolute lifetime).
    pub max_age_secs: i64,
}

impl SessionCookies {
    /// The session secret the request's `Cookie` header carries, if any.
    pub fn secret(&self, headers: &HeaderMap) -> Option<String> {
        read(headers, self.policy.name)
    }

    /// `Set-Cookie` for this service's cookie `name` (removed at `max_age_secs` 0):
    /// host-only, path `/`, HttpOnly, SameSite=Lax, and Secure when served over https.
    pub fn build(&self, name: &'static str, value: String, max_age_secs: i64) -> HeaderValue {
        let cookie = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.policy.secure)
            .max_age(cookie::time::Duration::seconds(max_age_secs))
            .build();
        HeaderValue::from_str(&cookie.to_string()).expect("a cookie of base64url is a header value")
    }

    /// `Set-Cookie` for a new session.
    pub fn set(&self, secret: String) -> HeaderValue {
        self.build(self.policy.name, secret, self.max_age_secs)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear(&self) -> HeaderValue {
        self.build(self.policy.name, String::new(), 0)
    }

    /// The client's address: the proxy header's first address when configured, else the
    /// connection's peer; and its user agent.
    pub fn client(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Client {
        let forwarded = self.client_address_header.as_ref().and_then(|name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 64)
                .map(str::to_owned)
        });
        Client {
            address: forwarded.or_else(|| peer.map(|addr| addr.ip().to_string())),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// Whether a request made with the session cookie comes from this service's own pages:
    /// `Sec-Fetch-Site` says same-origin (or none: typed by the user), or, from a browser
    /// that does not send it, `Origin` is the service's (the configured public URL, or
    /// the host the request was sent to). A request with neither is refused.
    pub fn is_same_origin(&self, headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site") {
            return matches!(site.to_str(), Ok("same-origin" | "none"));
        }
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        if origin == self.policy.origin {
            return true;
        }
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        match (origin.split_once("://"), host) {
            (Some((_, origin_host)), Some(host)) => origin_host.eq_ignore_ascii_case(host),
            _ => false,
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers, if it has one.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies() -> SessionCookies {
        SessionCookies {
            policy: CookiePolicy {
                name: "__Host-agencyflow_session",
                secure: true,
                origin: "https://collections.example".into(),
            },
            client_address_header: Some(HeaderName::from_static("x-forwarded-for")),
            max_age_secs: 3600,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_cookie_is_host_only_http_only_lax_and_secure() {
        let set = cookies().set("afs_secret".into());
        let set = set.to_str().unwrap();
        for part in [
            "__Host-agencyflow_session=afs_secret",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(!set.contains("Domain"), "{set}");
        assert!(cookies().clear().to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn the_secret_is_found_among_other_cookies() {
        let found = cookies().secret(&headers(&[(
            "cookie",
            "theme=dark; __Host-agencyflow_session=afs_abc; x=1",
        )]));
        assert_eq!(found.as_deref(), Some("afs_abc"));
        assert_eq!(
            cookies().secret(&headers(&[("cookie", "agencyflow_session=afs_abc")])),
            None
        );
    }

    #[test]
    fn same_origin_needs_fetch_metadata_or_a_matching_origin() {
        let c = cookies();
        assert!(c.is_same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!c.is_same_origin(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://collections.example")
        ])));
        assert!(!c.is_same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(c.is_same_origin(&headers(&[("origin", "https://collections.example")])));
        assert!(c.is_same_origin(&headers(&[
            ("origin", "http://127.0.0.1:4000"),
            ("host", "127.0.0.1:4000")
        ])));
        assert!(!c.is_same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "collections.example")
        ])));
        assert!(!c.is_same_origin(&headers(&[("origin", "null")])));
        assert!(!c.is_same_origin(&headers(&[])));
    }

    #[test]
    fn the_client_address_comes_from_the_proxy_header_when_configured() {
        let peer: SocketAddr = "10.0.0.5:5555".parse().unwrap();
        let c = cookies();
        let client = c.client(
            &headers(&[
                ("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
                ("user-agent", "Firefox"),
            ]),
            Some(peer),
        );
        assert_eq!(client.address.as_deref(), Some("203.0.113.9"));
        assert_eq!(client.user_agent.as_deref(), Some("Firefox"));
        let direct = SessionCookies {
            client_address_header: None,
            ..c
        };
        assert_eq!(
            direct
                .client(&headers(&[("x-forwarded-for", "1.2.3.4")]), Some(peer))
                .address
                .as_deref(),
            Some("10.0.0.5")
        );
    }
}
