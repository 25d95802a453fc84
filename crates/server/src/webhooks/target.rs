//! Where webhooks may point. A webhook URL is chosen by a tenant's admin and
//! fetched by the server, so without a check it could reach the server's own
//! network: loopback services, the cloud metadata address, private ranges
//! (server-side request forgery). Unless the server runs with
//! `--webhook-allow-private`, such targets are refused when a webhook is
//! registered (an address in the URL) and again at every delivery, after
//! DNS (a name that resolves to one), so a name re-pointed later cannot
//! slip past the first check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a target is refused, in the words the API and delivery log use.
pub const PRIVATE_TARGET: &str = "points at a private, loopback or link-local address; \
     the server refuses those unless started with --webhook-allow-private";

/// Addresses a webhook must not reach: this host, private and shared
/// networks, link-local (cloud metadata), and anything not unicast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => private_v4(v4),
            None => private_v6(v6),
        },
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Benchmarking 198.18.0.0/15 and reserved 240.0.0.0/4.
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7 and link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// The URL's own host, when it names an address or this machine: refused
/// unless private targets are allowed. Names are checked after DNS by
/// [`PublicOnly`].
pub fn check_url_host(url: &reqwest::Url, allow_private: bool) -> Result<(), &'static str> {
    if allow_private {
        return Ok(());
    }
    let private = match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => true,
    };
    if private { Err(PRIVATE_TARGET) } else { Ok(()) }
}

/// A resolver that drops private addresses, and fails when none is left.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| !is_private(addr.ip()))
                .collect();
            if found.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} {PRIVATE_TARGET}").into();
                return Err(error);
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised_and_public_ones_are_not() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_naming_this_host_or_a_private_address_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/hook",
            "https://LOCALHOST./hook",
            "https://10.0.0.5:8443/hook",
        ] {
            let parsed = reqwest::Url::parse(url).unwrap();
            assert!(check_url_host(&parsed, false).is_err(), "{url}");
            assert!(check_url_host(&parsed, true).is_ok(), "{url}");
        }
        let public = reqwest::Url::parse("https://hooks.example.com/x").unwrap();
        assert!(check_url_host(&public, false).is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_this_host_is_refused_at_delivery() {
        let name: Name = "localhost".parse().unwrap();
        let error = PublicOnly.resolve(name).await.err().expect("refused");
        assert!(
            error.to_string().contains("--webhook-allow-private"),
            "{error}"
        );
    }
}
