//! Flow keys: the canonical, direction-free identity of a flow (addresses, ports or ICMP
//! identity, protocol, VLAN ids, tunnel id), equal for both directions, and its hash.

use crate::decode::{Decoded, L4};

/// A flow's identity. The lower (address, port) pair comes first, so a packet and its
/// reply give the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    pub lo: [u8; 16],
    pub hi: [u8; 16],
    pub lo_port: u16,
    pub hi_port: u16,
    pub proto: u8,
    pub v6: bool,
    /// The VLAN ids, outermost first (0 when absent).
    pub vlan: [u16; 3],
    /// Tunnel id (VNI, GRE key, ERSPAN session) when tunnelled, else 0.
    pub tunnel_id: u32,
}

/// Which side of a key a packet's source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Lo,
    Hi,
}

impl FlowKey {
    /// The key of a decoded packet and which side its source is on. ICMP echo uses the
    /// identifier as both ports (request and reply are one flow); other ICMP uses
    /// (type, code), as Zeek does.
    #[inline]
    pub fn of(d: &Decoded<'_>) -> (FlowKey, Side) {
        let (sp, dp) = match d.l4 {
            L4::Tcp(t) => (t.sport, t.dport),
            L4::Udp(u) => (u.sport, u.dport),
            L4::Icmp(i) if i.is_echo(d.ip.v6) => (i.id, i.id),
            L4::Icmp(i) => (icmp_pair(i.typ, d.ip.v6) as u16, i.code as u16),
            L4::Other => (0, 0),
        };
        let mut k = FlowKey {
            proto: d.ip.proto,
            v6: d.ip.v6,
            vlan: d.vlans,
            tunnel_id: d.tunnel.id,
            ..Default::default()
        };
        let a = (d.ip.src, sp);
        let b = (d.ip.dst, dp);
        if a <= b {
            k.lo = a.0;
            k.lo_port = a.1;
            k.hi = b.0;
            k.hi_port = b.1;
            (k, Side::Lo)
        } else {
            k.lo = b.0;
            k.lo_port = b.1;
            k.hi = a.0;
            k.hi_port = a.1;
            (k, Side::Hi)
        }
    }

    /// A 64-bit hash for table slots (multiply-rotate over the key's words).
    #[inline]
    pub fn hash64(&self) -> u64 {
        const M: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut h = (self.lo_port as u64)
            | (self.hi_port as u64) << 16
            | (self.proto as u64) << 32
            | (self.v6 as u64) << 40;
        h ^= ((self.vlan[0] as u64) << 48)
            ^ ((self.vlan[1] as u64) << 20)
            ^ ((self.vlan[2] as u64) << 4)
            ^ self.tunnel_id as u64;
        for chunk in [&self.lo, &self.hi] {
            let x = u64::from_le_bytes([
                chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
            ]);
            let y = u64::from_le_bytes([
                chunk[8], chunk[9], chunk[10], chunk[11], chunk[12], chunk[13], chunk[14],
                chunk[15],
            ]);
            h = (h ^ x).wrapping_mul(M).rotate_left(29);
            h = (h ^ y).wrapping_mul(M).rotate_left(29);
        }
        h ^ (h >> 32)
    }
}

/// ICMP types that pair as request/reply map to one value so both directions meet.
#[inline]
fn icmp_pair(typ: u8, v6: bool) -> u8 {
    if v6 {
        match typ {
            129 => 128,
            _ => typ,
        }
    } else {
        match typ {
            14 => 13, // timestamp reply
            16 => 15, // information reply
            18 => 17, // address mask reply
            _ => typ,
        }
    }
}
