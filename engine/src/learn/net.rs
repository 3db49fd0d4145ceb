//! Internal networks: the address ranges whose hosts are devices (RFC 1918 and ULA by
//! default). A fixed-size list so workers can ask "is this address internal?" without
//! allocating.

use std::net::IpAddr;

/// Most ranges a profile may list.
pub const MAX_NETS: usize = 64;

/// One address range: `addr/prefix`, the address in the flow key's 16-byte form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cidr {
    pub addr: [u8; 16],
    pub prefix: u8,
    pub v6: bool,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fc00::/7` or a bare address (a host).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address range (like 10.0.0.0/8)"))?;
        let (v6, max) = match ip {
            IpAddr::V4(_) => (false, 32u8),
            IpAddr::V6(_) => (true, 128u8),
        };
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        let mut addr = [0u8; 16];
        match ip {
            IpAddr::V4(v) => addr[..4].copy_from_slice(&v.octets()),
            IpAddr::V6(v) => addr.copy_from_slice(&v.octets()),
        }
        Ok(Cidr { addr, prefix, v6 })
    }

    /// Whether `addr` lies in the range.
    #[inline]
    pub fn contains(&self, addr: &[u8; 16], v6: bool) -> bool {
        if v6 != self.v6 {
            return false;
        }
        let full = (self.prefix / 8) as usize;
        if addr[..full] != self.addr[..full] {
            return false;
        }
        let rem = self.prefix % 8;
        if rem == 0 {
            return true;
        }
        let mask = 0xffu8 << (8 - rem);
        addr[full] & mask == self.addr[full] & mask
    }
}

/// The internal networks.
#[derive(Debug, Clone, Copy)]
pub struct Networks {
    nets: [Cidr; MAX_NETS],
    n: usize,
}

impl Default for Networks {
    /// RFC 1918 and the IPv6 unique local range.
    fn default() -> Self {
        Networks::parse(&DEFAULT_INTERNAL.map(String::from)).expect("default networks parse")
    }
}

/// The default internal networks.
pub const DEFAULT_INTERNAL: [&str; 4] =
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

impl Networks {
    /// Parses a profile's list.
    pub fn parse(list: &[String]) -> Result<Networks, String> {
        if list.len() > MAX_NETS {
            return Err(format!(
                "at most {MAX_NETS} internal networks, not {}",
                list.len()
            ));
        }
        let mut n = Networks {
            nets: [Cidr::default(); MAX_NETS],
            n: 0,
        };
        for s in list {
            n.nets[n.n] = Cidr::parse(s)?;
            n.n += 1;
        }
        Ok(n)
    }

    /// Whether `addr` is internal (a device).
    #[inline]
    pub fn contains(&self, addr: &[u8; 16], v6: bool) -> bool {
        self.nets[..self.n].iter().any(|c| c.contains(addr, v6))
    }

    /// Whether an address given as an `IpAddr` is internal.
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        let (a, v6) = to_key(ip);
        self.contains(&a, v6)
    }
}

/// An `IpAddr` in the flow key's 16-byte form.
pub fn to_key(ip: IpAddr) -> ([u8; 16], bool) {
    let mut a = [0u8; 16];
    match ip {
        IpAddr::V4(v) => {
            a[..4].copy_from_slice(&v.octets());
            (a, false)
        }
        IpAddr::V6(v) => (v.octets(), true),
    }
}

/// The flow key's 16-byte form as an `IpAddr`.
pub fn from_key(a: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from(*a)
    } else {
        IpAddr::from([a[0], a[1], a[2], a[3]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let n = Networks::default();
        let ip = |s: &str| n.contains_ip(s.parse().unwrap());
        assert!(ip("10.20.1.17"));
        assert!(ip("172.31.255.1"));
        assert!(!ip("172.32.0.1"));
        assert!(ip("192.168.5.9"));
        assert!(!ip("8.8.8.8"));
        assert!(ip("fd12::1"));
        assert!(!ip("2001:db8::1"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("ten/8").is_err());
        let host = Networks::parse(&["203.0.113.7".into()]).unwrap();
        assert!(host.contains_ip("203.0.113.7".parse().unwrap()));
        assert!(!host.contains_ip("203.0.113.8".parse().unwrap()));
    }
}
