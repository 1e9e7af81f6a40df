//! Where webhooks may be sent. An endpoint is an https URL (plain http only for the
//! hosts named in `webhooks.allow_http_hosts`), and neither it nor any address its name
//! resolves to may be this machine, a private or shared network, link-local (with the
//! cloud metadata services), unspecified or multicast, IPv4-mapped forms included,
//! unless the host is named in `webhooks.allow_private_hosts`. Endpoints are checked when
//! registered and again at every delivery: by [`check_url`] for address literals and by
//! the resolver of [`client`] for names, so a name that later resolves to an internal
//! address is refused too. The client uses no proxy and follows no redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::validate;
use crate::error::{AppError, AppResult};

/// How long registration waits for a name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The exemptions the configuration grants, for development and tests.
#[derive(Clone, Debug, Default)]
pub struct TargetPolicy {
    /// Hosts that may be reached over plain http.
    pub allow_http_hosts: Vec<String>,
    /// Hosts exempt from the address check.
    pub allow_private_hosts: Vec<String>,
}

/// A host as listed: lowercase, without the brackets of an IPv6 literal.
fn bare(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn listed(hosts: &[String], host: &str) -> bool {
    let host = bare(host);
    hosts.iter().any(|h| bare(h) == host)
}

/// Why an address may not receive webhooks, if it may not.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => refusal_v4(ip),
        IpAddr::V6(ip) => refusal_v6(ip),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match () {
        () if ip == Ipv4Addr::new(169, 254, 169, 254) => "a cloud metadata address",
        () if a == 0 => "an unspecified address",
        () if ip.is_loopback() => "a loopback address",
        () if ip.is_private() => "a private address",
        () if ip.is_link_local() => "a link-local address",
        () if a == 100 && (64..128).contains(&b) => "a shared (CGNAT) address",
        () if ip.is_multicast() => "a multicast address",
        () if ip.is_broadcast() || a >= 240 => "a reserved address",
        () => return None,
    })
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return refusal_v4(Ipv4Addr::new(a, b, c, d));
    }
    Some(match segments[0] {
        _ if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => "a cloud metadata address",
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        s if s & 0xfe00 == 0xfc00 => "a private (unique local) address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    })
}

/// A webhook URL as the policy allows it, checked without resolving its name.
pub fn check_url(policy: &TargetPolicy, field: &str, value: &str) -> AppResult<url::Url> {
    let refuse = |why: &str| AppError::bad_input(field, format!("{field}: {why}"));
    let value = validate::text(field, value, 2000)?;
    let parsed = url::Url::parse(&value).map_err(|_| refuse("use an https:// URL"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| refuse("use an https:// URL"))?;
    let scheme_allowed = match parsed.scheme() {
        "https" => true,
        "http" => listed(&policy.allow_http_hosts, host),
        _ => false,
    };
    if !scheme_allowed {
        return Err(refuse("use an https:// URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("a webhook URL carries no user name or password"));
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(why) = literal.and_then(refusal)
        && !listed(&policy.allow_private_hosts, host)
    {
        return Err(refuse(&format!("{host} is {why}")));
    }
    Ok(parsed)
}

/// [`check_url`], and the addresses the name resolves to now. A name that does not
/// resolve yet is accepted: every delivery checks it again.
pub async fn check_registration(
    policy: &TargetPolicy,
    field: &str,
    value: &str,
) -> AppResult<String> {
    let parsed = check_url(policy, field, value)?;
    if let Some(url::Host::Domain(name)) = parsed.host()
        && !listed(&policy.allow_private_hosts, name)
    {
        let port = parsed.port_or_known_default().unwrap_or(443);
        let resolved = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port)))
            .await
            .ok()
            .and_then(Result::ok);
        if let Some(addrs) = resolved {
            for addr in addrs {
                if let Some(why) = refusal(addr.ip()) {
                    return Err(AppError::bad_input(
                        field,
                        format!("{field}: {name} resolves to {}, {why}", addr.ip()),
                    ));
                }
            }
        }
    }
    Ok(parsed.into())
}

/// Resolves names as the system does, and refuses a name any of whose addresses
/// [`refusal`] names, unless the name is exempt.
struct GuardedResolver {
    allow_private_hosts: Vec<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let exempt = listed(&self.allow_private_hosts, name.as_str());
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !exempt
                && let Some((addr, why)) = addrs.iter().find_map(|a| Some((a, refusal(a.ip())?)))
            {
                return Err(format!("{name} resolves to {}, {why}: refused", addr.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client deliveries go through: the guarded resolver, no proxy, no redirects
/// (a redirect would also turn the POST into a GET without the event: a 3xx fails).
pub fn client(policy: &TargetPolicy) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("agencyflow/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private_hosts: policy.allow_private_hosts.clone(),
        }))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(address: &str) -> bool {
        refusal(address.parse().unwrap()).is_some()
    }

    #[test]
    fn internal_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
        ] {
            assert!(refused(address), "{address}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:2800:220:1:248:1893:25c8:1946",
            "::ffff:8.8.8.8",
        ] {
            assert!(!refused(address), "{address}");
        }
        assert_eq!(
            refusal("169.254.169.254".parse().unwrap()),
            Some("a cloud metadata address")
        );
    }

    #[test]
    fn urls_are_https_and_not_internal_unless_listed() {
        let strict = TargetPolicy::default();
        let ok = |policy: &TargetPolicy, url: &str| check_url(policy, "u", url).is_ok();
        assert!(ok(&strict, "https://hooks.agency.example/x"));
        assert!(ok(&strict, "https://93.184.216.34/x"));
        for url in [
            "http://hooks.agency.example/x",
            "http://127.0.0.1:9000/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://[::ffff:7f00:1]/x",
            "https://[fd00:ec2::254]/latest",
            "https://169.254.169.254/latest/meta-data",
            "https://user:pw@hooks.agency.example/x",
            "ftp://hooks.agency.example/x",
            "https://hooks.agency.example/\0",
        ] {
            assert!(!ok(&strict, url), "{url}");
        }
        let local = TargetPolicy {
            allow_http_hosts: vec!["127.0.0.1".into(), "[::1]".into()],
            allow_private_hosts: vec!["127.0.0.1".into(), "::1".into()],
        };
        assert!(ok(&local, "http://127.0.0.1:9000/x"));
        assert!(ok(&local, "http://[::1]:9000/x"));
        assert!(!ok(&local, "http://10.0.0.1/x"));
        assert!(!ok(&local, "https://10.0.0.1/x"));
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_unless_listed() {
        let strict = TargetPolicy::default();
        assert!(
            check_registration(&strict, "u", "https://localhost/x")
                .await
                .is_err()
        );
        let listed = TargetPolicy {
            allow_http_hosts: vec!["localhost".into()],
            allow_private_hosts: vec!["localhost".into()],
        };
        assert!(
            check_registration(&listed, "u", "http://localhost:9000/x")
                .await
                .is_ok()
        );
    }
}
