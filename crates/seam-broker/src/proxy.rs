//! Reverse proxies the broker trusts to name the client: behind them the
//! per-address connection limit counts the client's address, taken from
//! `X-Forwarded-For`, not the proxy's.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::error::ConfigError;

/// The `limits.trusted_proxies` networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TrustedProxies {
    networks: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`, `::1`) and networks (`10.0.0.0/8`).
    pub(crate) fn parse(entries: &[String]) -> Result<TrustedProxies, ConfigError> {
        let mut networks = Vec::with_capacity(entries.len());
        for entry in entries {
            let bad = || {
                ConfigError::Limit(format!(
                    "limits.trusted_proxies: `{entry}` is not an IP address or network (10.0.0.0/8)"
                ))
            };
            let (address, bits) = match entry.split_once('/') {
                Some((address, bits)) => (address, Some(bits.parse::<u8>().map_err(|_| bad())?)),
                None => (entry.as_str(), None),
            };
            let address: IpAddr = address.trim().parse().map_err(|_| bad())?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return Err(bad());
            }
            networks.push((address, bits));
        }
        Ok(TrustedProxies { networks })
    }

    /// Whether `ip` is one of the trusted proxies.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.networks
            .iter()
            .any(|&(network, bits)| within(ip, canonical(network), bits))
    }

    /// The client behind a trusted proxy: the rightmost `X-Forwarded-For`
    /// address that is not itself a trusted proxy (entries to its left may
    /// be forged by the client). `None` when the header names no such
    /// address.
    pub(crate) fn client(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let mut hops: Vec<IpAddr> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(value) = value.to_str() else {
                return None;
            };
            for hop in value.split(',') {
                hops.push(parse_hop(hop.trim())?);
            }
        }
        hops.into_iter().rev().find(|&hop| !self.contains(hop))
    }
}

/// One `X-Forwarded-For` entry: an address, possibly `[v6]` or with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn within(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn networks_match_their_addresses() {
        let proxies = trusted(&["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
        assert!(proxies.contains("10.200.3.4".parse().unwrap()));
        assert!(proxies.contains("192.168.1.7".parse().unwrap()));
        assert!(!proxies.contains("192.168.1.8".parse().unwrap()));
        assert!(proxies.contains("fd12::1".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!proxies.contains("11.0.0.1".parse().unwrap()));
        assert!(trusted(&["0.0.0.0/0"]).contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", "::1/129"] {
            assert!(TrustedProxies::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let client = |values: &[&str]| proxies.client(&forwarded(values));
        assert_eq!(
            client(&["203.0.113.5"]),
            Some("203.0.113.5".parse().unwrap())
        );
        // A forged entry on the left does not matter.
        assert_eq!(
            client(&["1.2.3.4, 203.0.113.5, 10.0.0.2"]),
            Some("203.0.113.5".parse().unwrap())
        );
        assert_eq!(
            client(&["1.2.3.4", "203.0.113.5:4711"]),
            Some("203.0.113.5".parse().unwrap())
        );
        assert_eq!(
            client(&["[2001:db8::1]"]),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(client(&["10.0.0.3"]), None, "only proxies");
        assert_eq!(client(&["not an address"]), None);
        assert_eq!(client(&[]), None);
    }
}
