//! The SSRF guard for webhook targets: only http(s), never redirected, and never an address that
//! is loopback, private, link-local, multicast, unspecified, or an IPv4-mapped form of one. The
//! check runs on the addresses the connection will actually use: the guarded client resolves
//! names itself and hands the connector only permitted addresses, so a name cannot resolve to a
//! public address when checked and a private one when connected (no DNS-rebinding gap).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Why a target is refused.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4).map(|_| "an IPv4-mapped forbidden address");
            }
            let segments = v6.segments();
            let embedded_v4 = |hi: u16, lo: u16| {
                Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            // NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and IPv4-translated (::ffff:0:0:0/96) reach
            // IPv4 through a gateway; 6to4 (2002::/16) embeds an IPv4 address.
            if segments[0] == 0x64 && segments[1] == 0xff9b {
                return Some("NAT64 (reaches IPv4 through a gateway)");
            }
            if segments[0..4] == [0, 0, 0, 0] && segments[4] == 0xffff && segments[5] == 0 {
                return Some("IPv4-translated");
            }
            if segments[0] == 0x2002
                && forbidden_v4(embedded_v4(segments[1], segments[2])).is_some()
            {
                return Some("6to4 with a forbidden IPv4 address");
            }
            if segments[0] & 0xffc0 == 0xfec0 {
                return Some("site-local");
            }
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if segments[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if segments[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if segments[0..6] == [0, 0, 0, 0, 0, 0] {
                Some("an IPv4-compatible address")
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        Some("IETF protocol assignments")
    } else if a == 198 && (18..20).contains(&b) {
        Some("benchmarking")
    } else if a >= 240 {
        Some("reserved")
    } else {
        None
    }
}

/// A refused target, with a message a person can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("refused webhook target: {0}")]
pub struct Refused(pub String);

/// Checks a URL before any connection: http(s) only, and an IP literal must be permitted.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, Refused> {
    let parsed = Url::parse(url).map_err(|e| Refused(format!("'{url}' is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused(format!("'{url}' must use http or https")));
    }
    let ip = match parsed.host() {
        None => return Err(Refused(format!("'{url}' has no host"))),
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => None,
    };
    if let (Some(ip), false) = (ip, allow_private) {
        if let Some(reason) = forbidden_reason(ip) {
            return Err(Refused(format!("{ip} is {reason}")));
        }
    }
    Ok(parsed)
}

/// Resolves names and keeps only permitted addresses.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = Vec::new();
            let permitted: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match forbidden_reason(addr.ip()) {
                    Some(reason) => {
                        refused.push(format!("{} is {reason}", addr.ip()));
                        false
                    }
                    None => true,
                })
                .collect();
            if permitted.is_empty() {
                let why = if refused.is_empty() {
                    "it does not resolve".to_string()
                } else {
                    refused.join(", ")
                };
                return Err(Box::new(Refused(format!("{host}: {why}")))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client for webhooks: no redirects, a timeout, and (unless private targets are
/// allowed) the guarded resolver.
pub fn webhook_client(allow_private: bool, timeout: Duration) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the target itself, past the guard.
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("boltworks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_internal_address_form() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "::ffff:0:a00:1",
            "2002:a00:1::1",
            "fec0::1",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(forbidden_reason(ip).is_some(), "{ip} must be refused");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(forbidden_reason(ip), None, "{ip} is public");
        }
    }

    #[test]
    fn checks_scheme_and_ip_literals_before_connecting() {
        assert!(check_url("ftp://example.com/", false).is_err());
        assert!(check_url("not a url", false).is_err());
        let refused =
            check_url("http://169.254.169.254/latest/meta-data", false).expect_err("metadata");
        assert!(refused.to_string().contains("link-local"), "{refused}");
        assert!(check_url("http://[::ffff:127.0.0.1]:8080/", false).is_err());
        assert!(
            check_url("http://10.0.0.1/", true).is_ok(),
            "allowed when private targets are"
        );
        assert!(check_url("https://example.com/hook", false).is_ok());
    }
}
