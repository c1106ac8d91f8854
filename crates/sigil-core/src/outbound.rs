//! Where Sigil may send its own requests (identity providers' discovery documents and key
//! sets): public addresses only, unless `--allow-insecure-issuers`. An issuer URL is a value
//! any federation owner sets, so without this rule it would be a way into the network Sigil
//! runs in (loopback services, cloud metadata endpoints, private hosts). The ranges are
//! hand-listed because the standard library's `is_global` is not stable.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

/// IPv4 ranges that are not the public Internet (RFC 6890 and its updates).
static V4_FORBIDDEN: LazyLock<Vec<Ipv4Net>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",       // "this network", unspecified
        "10.0.0.0/8",      // private (RFC 1918)
        "100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",     // loopback
        "169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",   // private (RFC 1918)
        "192.0.0.0/24",    // IETF protocol assignments
        "192.0.2.0/24",    // documentation (TEST-NET-1)
        "192.88.99.0/24",  // 6to4 relay anycast
        "192.168.0.0/16",  // private (RFC 1918)
        "198.18.0.0/15",   // benchmarking
        "198.51.100.0/24", // documentation (TEST-NET-2)
        "203.0.113.0/24",  // documentation (TEST-NET-3)
        "224.0.0.0/4",     // multicast
        "240.0.0.0/4",     // reserved, and the broadcast address
    ]
    .iter()
    .filter_map(|n| n.parse().ok())
    .collect()
});

/// IPv6 ranges that are not the public Internet; the forms that embed an IPv4 address are
/// judged by that address instead (see [`embedded_v4`]).
static V6_FORBIDDEN: LazyLock<Vec<Ipv6Net>> = LazyLock::new(|| {
    [
        "::/128",        // unspecified
        "::1/128",       // loopback
        "100::/64",      // discard
        "2001::/32",     // Teredo
        "2001:db8::/32", // documentation
        "fc00::/7",      // unique local, AWS metadata (fd00:ec2::254)
        "fe80::/10",     // link-local
        "fec0::/10",     // site-local (deprecated)
        "ff00::/8",      // multicast
    ]
    .iter()
    .filter_map(|n| n.parse().ok())
    .collect()
});

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::/96`) or 6to4 (`2002:aabb:ccdd::/48`) address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, _, _] if v6 != Ipv6Addr::UNSPECIFIED && v6 != Ipv6Addr::LOCALHOST => {
            Some(low)
        }
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

/// Whether Sigil may connect to `ip` when insecure issuers are not allowed.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !V4_FORBIDDEN.iter().any(|n| n.contains(&v4)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => !V6_FORBIDDEN.iter().any(|n| n.contains(&v6)),
        },
    }
}

/// Whether a URL's host names this machine or a non-public address literally (`localhost`,
/// `127.0.0.1`, `[::1]`, `10.0.0.1`…), so an issuer can be refused when it is set rather
/// than only when it is fetched. Names are checked again, resolved, at every connection.
pub fn is_forbidden_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(v4) => !is_public(IpAddr::V4(*v4)),
        url::Host::Ipv6(v6) => !is_public(IpAddr::V6(*v6)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an address"))
    }

    #[test]
    fn only_public_addresses_are_reachable() {
        for forbidden in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.7",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(!public(forbidden), "{forbidden} must be refused");
        }
        for allowed in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(public(allowed), "{allowed} is public");
        }
    }

    #[test]
    fn local_hosts_are_recognised_in_urls() {
        let host = |u: &str| {
            let url = url::Url::parse(u).expect("url");
            is_forbidden_host(&url.host().expect("host"))
        };
        assert!(host("https://localhost/"));
        assert!(host("https://LOCALHOST.:8443/"));
        assert!(host("https://idp.localhost/"));
        assert!(host("https://127.0.0.1:1/"));
        assert!(host("https://[::1]/"));
        assert!(host("https://[::ffff:a9fe:a9fe]/"));
        assert!(
            host("https://0x7f.1/"),
            "the URL parser reads other IPv4 forms as addresses"
        );
        assert!(!host("https://idp.example.com/"));
        assert!(!host("https://8.8.8.8/"));
    }
}
