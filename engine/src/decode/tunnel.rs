//! Tunnels seen on mirror ports: GRE (plain, transparent Ethernet bridging, ERSPAN types
//! I, II and III), VXLAN, Geneve and Teredo. Each parser takes the bytes after the outer
//! header and says what is inside and where it starts; flows are tracked on the inner
//! packet and the tunnel is noted on them.

use super::l2::{be16, ETH_IPV4, ETH_IPV6};

/// The kind of tunnel a packet came through (outermost first wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum TunnelKind {
    #[default]
    None = 0,
    Gre = 1,
    Erspan = 2,
    Vxlan = 3,
    Geneve = 4,
    Teredo = 5,
    /// IPv4 or IPv6 directly inside IPv4 or IPv6 (protocols 4 and 41).
    IpInIp = 6,
}

impl TunnelKind {
    /// A short name for EVE output.
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::None => "none",
            TunnelKind::Gre => "GRE",
            TunnelKind::Erspan => "ERSPAN",
            TunnelKind::Vxlan => "VXLAN",
            TunnelKind::Geneve => "Geneve",
            TunnelKind::Teredo => "Teredo",
            TunnelKind::IpInIp => "IPIP",
        }
    }

    /// From the byte written by `as u8`.
    pub fn from_u8(v: u8) -> TunnelKind {
        match v {
            1 => TunnelKind::Gre,
            2 => TunnelKind::Erspan,
            3 => TunnelKind::Vxlan,
            4 => TunnelKind::Geneve,
            5 => TunnelKind::Teredo,
            6 => TunnelKind::IpInIp,
            _ => TunnelKind::None,
        }
    }
}

/// What is inside a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner {
    /// An Ethernet frame at this offset.
    Ethernet(usize),
    /// An IP datagram (`ethertype` says which version) at this offset.
    Ip(usize, u16),
}

/// A decapsulated tunnel: its kind, an id (GRE key, ERSPAN session, VNI) and the inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decap {
    pub kind: TunnelKind,
    pub id: u32,
    pub inner: Inner,
}

const GRE_TEB: u16 = 0x6558;
const GRE_ERSPAN_2: u16 = 0x88BE;
const GRE_ERSPAN_3: u16 = 0x22EB;

/// Well-known UDP ports of UDP tunnels (VXLAN must be told apart from other UDP by port:
/// its header has no magic of its own beyond one flag bit).
pub const VXLAN_PORT: u16 = 4789;
pub const GENEVE_PORT: u16 = 6081;
pub const TEREDO_PORT: u16 = 3544;

/// Parses a GRE header (version 0) and what it carries.
pub fn gre(b: &[u8]) -> Option<Decap> {
    let flags = be16(b, 0)?;
    if flags & 0x0007 != 0 {
        // Version 1 (PPTP enhanced GRE) carries PPP; not followed.
        return None;
    }
    let proto = be16(b, 2)?;
    let mut off = 4;
    if flags & 0x8000 != 0 {
        off += 4; // checksum + reserved
    }
    let mut key = 0u32;
    if flags & 0x2000 != 0 {
        key = u32::from_be_bytes(b.get(off..off + 4)?.try_into().ok()?);
        off += 4;
    }
    let seq = flags & 0x1000 != 0;
    if seq {
        off += 4;
    }
    if b.len() < off {
        return None;
    }
    Some(match proto {
        ETH_IPV4 | ETH_IPV6 => Decap {
            kind: TunnelKind::Gre,
            id: key,
            inner: Inner::Ip(off, proto),
        },
        GRE_TEB => Decap {
            kind: TunnelKind::Gre,
            id: key,
            inner: Inner::Ethernet(off),
        },
        GRE_ERSPAN_2 if !seq => Decap {
            // Type I: no ERSPAN header.
            kind: TunnelKind::Erspan,
            id: 0,
            inner: Inner::Ethernet(off),
        },
        GRE_ERSPAN_2 => {
            let h = b.get(off..off + 8)?;
            if h[0] >> 4 != 1 {
                return None;
            }
            let session = be16(h, 2)? & 0x03FF;
            Decap {
                kind: TunnelKind::Erspan,
                id: session as u32,
                inner: Inner::Ethernet(off + 8),
            }
        }
        GRE_ERSPAN_3 => {
            let h = b.get(off..off + 12)?;
            if h[0] >> 4 != 2 {
                return None;
            }
            let session = be16(h, 2)? & 0x03FF;
            let platform = h[11] & 0x01 != 0;
            Decap {
                kind: TunnelKind::Erspan,
                id: session as u32,
                inner: Inner::Ethernet(off + 12 + if platform { 8 } else { 0 }),
            }
        }
        _ => return None,
    })
}

/// Parses a VXLAN header (UDP payload).
pub fn vxlan(b: &[u8]) -> Option<Decap> {
    let h = b.get(..8)?;
    if h[0] & 0x08 == 0 || b.len() < 8 + 14 {
        return None;
    }
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    Some(Decap {
        kind: TunnelKind::Vxlan,
        id: vni,
        inner: Inner::Ethernet(8),
    })
}

/// Parses a Geneve header (UDP payload).
pub fn geneve(b: &[u8]) -> Option<Decap> {
    let h = b.get(..8)?;
    if h[0] >> 6 != 0 {
        return None;
    }
    let opt_len = (h[0] & 0x3F) as usize * 4;
    let proto = be16(h, 2)?;
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    let off = 8 + opt_len;
    if b.len() < off {
        return None;
    }
    let inner = match proto {
        GRE_TEB => Inner::Ethernet(off),
        ETH_IPV4 | ETH_IPV6 => Inner::Ip(off, proto),
        _ => return None,
    };
    Some(Decap {
        kind: TunnelKind::Geneve,
        id: vni,
        inner,
    })
}

/// Parses a Teredo payload: an IPv6 datagram, possibly after an origin indication or
/// an authentication header. The IPv6 header must be consistent with the datagram's
/// length, since Teredo has no magic of its own.
pub fn teredo(b: &[u8]) -> Option<Decap> {
    let mut off = 0usize;
    for _ in 0..2 {
        match (b.get(off)?, b.get(off + 1)?) {
            (0, 1) => {
                // Authentication: 4-byte header + client id + auth value + nonce + confirmation.
                let id_len = *b.get(off + 2)? as usize;
                let auth_len = *b.get(off + 3)? as usize;
                off += 4 + id_len + auth_len + 9;
            }
            (0, 0) => off += 8, // origin indication
            _ => break,
        }
    }
    let ip = b.get(off..)?;
    if ip.len() < 40 || ip[0] >> 4 != 6 {
        return None;
    }
    let plen = be16(ip, 4)? as usize;
    if 40 + plen != ip.len() {
        return None;
    }
    Some(Decap {
        kind: TunnelKind::Teredo,
        id: 0,
        inner: Inner::Ip(off, ETH_IPV6),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_variants() {
        // Plain GRE with a key carrying IPv4.
        let b = [0x20, 0, 0x08, 0, 0, 0, 0, 7, 0x45];
        let d = gre(&b).unwrap();
        assert_eq!(
            (d.kind, d.id, d.inner),
            (TunnelKind::Gre, 7, Inner::Ip(8, ETH_IPV4))
        );
        // ERSPAN II: sequence bit, 8-byte header with session 5.
        let b = [
            0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x64, 0x00, 0x05, 0, 0, 0, 0,
        ];
        let d = gre(&b).unwrap();
        assert_eq!(
            (d.kind, d.id, d.inner),
            (TunnelKind::Erspan, 5, Inner::Ethernet(16))
        );
        // ERSPAN III with the platform subheader.
        let mut b = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0, 0, 9];
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0; 8]);
        let d = gre(&b).unwrap();
        assert_eq!((d.id, d.inner), (9, Inner::Ethernet(28)));
        for cut in 0..b.len() {
            let _ = gre(&b[..cut]);
        }
    }

    #[test]
    fn teredo_needs_a_consistent_ipv6_header() {
        let mut b = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        b.extend_from_slice(&[0; 32]);
        b.extend_from_slice(&[0; 8]);
        assert_eq!(teredo(&b).unwrap().inner, Inner::Ip(0, ETH_IPV6));
        let mut with_origin = vec![0, 0, 1, 2, 3, 4, 5, 6];
        with_origin.extend_from_slice(&b);
        assert_eq!(teredo(&with_origin).unwrap().inner, Inner::Ip(8, ETH_IPV6));
        b.push(0);
        assert!(teredo(&b).is_none());
    }
}
