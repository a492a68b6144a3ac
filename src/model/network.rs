//! IP networks in CIDR notation, for credentials that may only be used from some addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7/32`.
///
/// Always canonical: the bits after the prefix are zero (`10.0.0.1/8` is refused, not rounded
/// down), and an IPv4 network is written as IPv4 (`::ffff:10.0.0.0/104` is refused). An IPv4 peer
/// that connects over IPv6 (`::ffff:10.1.2.3`) is matched as the IPv4 address it is.
///
/// ```
/// use fgac::model::Network;
/// use std::net::IpAddr;
///
/// let net: Network = "10.0.0.0/8".parse()?;
/// assert!(net.contains("10.200.0.1".parse::<IpAddr>()?));
/// assert!(net.contains("::ffff:10.200.0.1".parse::<IpAddr>()?));
/// assert!(!net.contains("11.0.0.1".parse::<IpAddr>()?));
/// assert_eq!(
///     "10.0.0.1/8".parse::<Network>().unwrap_err().to_string(),
///     "`10.0.0.1/8` has bits set after its prefix of 8 bits; did you mean `10.0.0.0/8`?"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// Why a string is not a [`Network`]: a lowercase message naming the text, with a suggestion
/// after `; ` where one exists.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NetworkError {
    message: String,
    help: Option<String>,
}

impl NetworkError {
    fn new(message: String, help: Option<String>) -> NetworkError {
        let message = match &help {
            Some(h) => format!("{message}; {h}"),
            None => message,
        };
        NetworkError { message, help }
    }

    /// The message without its suggestion, and the suggestion (for diagnostics that print help
    /// on a line of its own).
    #[must_use]
    pub fn parts(&self) -> (&str, Option<&str>) {
        match &self.help {
            Some(h) => (
                self.message
                    .strip_suffix(h.as_str())
                    .and_then(|m| m.strip_suffix("; "))
                    .unwrap_or(&self.message),
                Some(h),
            ),
            None => (&self.message, None),
        }
    }
}

impl Network {
    /// The network of `addr` with a prefix of `prefix` bits; refused when the prefix is longer
    /// than the address or bits after it are set.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Network, NetworkError> {
        let bits = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > bits {
            return Err(NetworkError::new(
                format!("`{addr}/{prefix}` has a prefix longer than the address's {bits} bits"),
                None,
            ));
        }
        if let IpAddr::V6(v6) = addr
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            let help = (prefix >= 96).then(|| format!("write `{v4}/{}`", prefix - 96));
            return Err(NetworkError::new(
                format!("`{addr}/{prefix}` is an IPv4 network written as IPv6"),
                help.or_else(|| Some("write IPv4 networks in IPv4 form".to_owned())),
            ));
        }
        let net = Network { addr, prefix };
        let masked = net.masked(addr);
        if masked != addr {
            return Err(NetworkError::new(
                format!("`{addr}/{prefix}` has bits set after its prefix of {prefix} bits"),
                Some(format!("did you mean `{masked}/{prefix}`?")),
            ));
        }
        Ok(net)
    }

    /// The network's first address.
    #[must_use]
    pub fn addr(self) -> IpAddr {
        self.addr
    }

    /// The number of leading bits that are the network's.
    #[must_use]
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// `addr` with the bits after this network's prefix cleared.
    fn masked(self, addr: IpAddr) -> IpAddr {
        match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from_bits(a.to_bits() & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from_bits(a.to_bits() & mask))
            }
        }
    }

    /// Whether `peer` is in this network. An IPv4-mapped IPv6 peer (`::ffff:a.b.c.d`) is matched
    /// as its IPv4 address; IPv4 and IPv6 networks otherwise never contain each other's peers.
    #[must_use]
    #[inline]
    pub fn contains(self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, peer) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                self.masked(peer) == self.addr
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = NetworkError;

    /// `ADDRESS/PREFIX`, with the prefix always written (`192.0.2.7/32` for one address).
    fn from_str(s: &str) -> Result<Network, NetworkError> {
        let Some((addr, prefix)) = s.split_once('/') else {
            let help = match s.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) => Some(format!("for this one address, write `{a}/32`")),
                Ok(IpAddr::V6(a)) => Some(format!("for this one address, write `{a}/128`")),
                Err(_) => Some("write a network as `10.0.0.0/8` or `2001:db8::/32`".to_owned()),
            };
            return Err(NetworkError::new(
                format!("`{s}` is not a network in CIDR notation"),
                help,
            ));
        };
        let addr: IpAddr = addr.parse().map_err(|_| {
            NetworkError::new(
                format!("`{addr}` is not an IPv4 or IPv6 address"),
                Some("write a network as `10.0.0.0/8` or `2001:db8::/32`".to_owned()),
            )
        })?;
        // Decimal digits only: no sign, no leading zero, no spaces.
        let valid = !prefix.is_empty()
            && prefix.len() <= 3
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && (prefix == "0" || !prefix.starts_with('0'));
        let prefix = valid
            .then(|| prefix.parse::<u8>().ok())
            .flatten()
            .ok_or_else(|| {
                NetworkError::new(
                    format!("`{prefix}` is not a prefix length"),
                    Some(
                        "write the number of network bits, 0 to 32 for IPv4, 0 to 128 for IPv6"
                            .to_owned(),
                    ),
                )
            })?;
        Network::new(addr, prefix)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Arbitrary networks are canonical: an address with its host bits cleared.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Network {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Network> {
        let v4: bool = u.arbitrary()?;
        let (addr, bits) = if v4 {
            (IpAddr::V4(Ipv4Addr::from_bits(u.arbitrary()?)), 32)
        } else {
            let a = Ipv6Addr::from_bits(u.arbitrary()?);
            // An IPv4-mapped address is written as IPv4; move it out of that range.
            let a = if a.to_ipv4_mapped().is_some() {
                Ipv6Addr::from_bits(a.to_bits() | (1 << 127))
            } else {
                a
            };
            (IpAddr::V6(a), 128)
        };
        let prefix = u.int_in_range(0..=bits)?;
        let net = Network { addr, prefix };
        Ok(Network {
            addr: net.masked(addr),
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_canonical_networks_and_refuses_the_rest() {
        for ok in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "192.0.2.7/32",
            "2001:db8::/32",
            "::/0",
            "::1/128",
        ] {
            assert_eq!(ok.parse::<Network>().unwrap().to_string(), ok);
        }
        for (bad, message) in [
            (
                "10.0.0.0",
                "`10.0.0.0` is not a network in CIDR notation; for this one address, write `10.0.0.0/32`",
            ),
            (
                "10.0.0.1/8",
                "`10.0.0.1/8` has bits set after its prefix of 8 bits; did you mean `10.0.0.0/8`?",
            ),
            (
                "10.0.0.0/33",
                "`10.0.0.0/33` has a prefix longer than the address's 32 bits",
            ),
            (
                "10.0.0.0/08",
                "`08` is not a prefix length; write the number of network bits, 0 to 32 for IPv4, 0 to 128 for IPv6",
            ),
            (
                "10.0.0.0/+8",
                "`+8` is not a prefix length; write the number of network bits, 0 to 32 for IPv4, 0 to 128 for IPv6",
            ),
            (
                "10.0.0.0/",
                "`` is not a prefix length; write the number of network bits, 0 to 32 for IPv4, 0 to 128 for IPv6",
            ),
            (
                "::ffff:10.0.0.0/104",
                "`::ffff:10.0.0.0/104` is an IPv4 network written as IPv6; write `10.0.0.0/8`",
            ),
            (
                "example.com/8",
                "`example.com` is not an IPv4 or IPv6 address; write a network as `10.0.0.0/8` or `2001:db8::/32`",
            ),
            (
                "2001:db8::1/32",
                "`2001:db8::1/32` has bits set after its prefix of 32 bits; did you mean `2001:db8::/32`?",
            ),
        ] {
            assert_eq!(
                bad.parse::<Network>().unwrap_err().to_string(),
                message,
                "{bad}"
            );
        }
        let e = "10.0.0.1/8".parse::<Network>().unwrap_err();
        assert_eq!(
            e.parts(),
            (
                "`10.0.0.1/8` has bits set after its prefix of 8 bits",
                Some("did you mean `10.0.0.0/8`?")
            )
        );
    }

    #[test]
    fn matches_by_prefix_and_maps_ipv4_peers_over_ipv6() {
        let v4: Network = "10.1.0.0/16".parse().unwrap();
        assert!(v4.contains(ip("10.1.255.255")));
        assert!(!v4.contains(ip("10.2.0.0")));
        assert!(v4.contains(ip("::ffff:10.1.2.3")));
        assert!(
            !v4.contains(ip("::10.1.2.3")),
            "IPv4-compatible is not IPv4-mapped"
        );
        let v6: Network = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.1.2.3")));
        let everything: Network = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("255.255.255.255")));
        assert!(everything.contains(ip("::ffff:1.2.3.4")));
        assert!(
            !everything.contains(ip("::1")),
            "an IPv4 network holds no IPv6 peer"
        );
        let one: Network = "192.0.2.7/32".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.6")));
    }
}
