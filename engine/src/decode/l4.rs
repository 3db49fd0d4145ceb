//! Transport layer: TCP (with its header length and flags), UDP, ICMP and ICMPv6.
//! Each parser takes the bytes from the transport header to the end of the IP datagram
//! and returns the header fields and the payload slice.

use super::l2::{be16, be32};

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;
pub const TCP_URG: u8 = 0x20;
pub const TCP_ECE: u8 = 0x40;
pub const TCP_CWR: u8 = 0x80;

/// A TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tcp {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Header length in bytes (data offset × 4).
    pub header_len: u8,
}

impl Tcp {
    /// Whether all bits of `f` are set.
    #[inline]
    pub fn has(&self, f: u8) -> bool {
        self.flags & f == f
    }
}

/// Parses TCP at the start of `b`; returns the header and the payload.
#[inline]
pub fn tcp(b: &[u8]) -> Option<(Tcp, &[u8])> {
    let h = b.get(..20)?;
    let hl = (h[12] >> 4) as usize * 4;
    if hl < 20 {
        return None;
    }
    let t = Tcp {
        sport: be16(h, 0)?,
        dport: be16(h, 2)?,
        seq: be32(h, 4)?,
        ack: be32(h, 8)?,
        flags: h[13],
        window: be16(h, 14)?,
        header_len: hl as u8,
    };
    // Options cut by the snap length still leave a usable header.
    let payload = b.get(hl..).unwrap_or(&[]);
    Some((t, payload))
}

/// A UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Udp {
    pub sport: u16,
    pub dport: u16,
    pub len: u16,
}

/// Parses UDP at the start of `b`; returns the header and the payload (bounded by the
/// UDP length when it is sane).
#[inline]
pub fn udp(b: &[u8]) -> Option<(Udp, &[u8])> {
    let h = b.get(..8)?;
    let u = Udp {
        sport: be16(h, 0)?,
        dport: be16(h, 2)?,
        len: be16(h, 4)?,
    };
    let end = if (u.len as usize) >= 8 && (u.len as usize) <= b.len() {
        u.len as usize
    } else {
        b.len()
    };
    Some((u, &b[8..end]))
}

/// An ICMP or ICMPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Icmp {
    pub typ: u8,
    pub code: u8,
    /// Echo identifier, for echo request/reply (0 otherwise).
    pub id: u16,
}

impl Icmp {
    /// Whether this is an echo request or reply (v4: 8/0, v6: 128/129).
    pub fn is_echo(&self, v6: bool) -> bool {
        if v6 {
            self.typ == 128 || self.typ == 129
        } else {
            self.typ == 8 || self.typ == 0
        }
    }
}

/// Parses ICMP or ICMPv6 at the start of `b`; returns the header and the rest.
#[inline]
pub fn icmp(b: &[u8], v6: bool) -> Option<(Icmp, &[u8])> {
    let h = b.get(..4)?;
    let mut i = Icmp {
        typ: h[0],
        code: h[1],
        id: 0,
    };
    if i.is_echo(v6) {
        i.id = be16(b, 4).unwrap_or(0);
    }
    Some((i, b.get(8..).unwrap_or(&[])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_header_and_payload() {
        let mut b = vec![
            0x30, 0x39, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x18, 0xff, 0xff,
        ];
        b.extend_from_slice(&[0, 0, 0, 0, 2, 4, 5, 0xb4]); // MSS option
        b.extend_from_slice(b"GET /");
        let (t, p) = tcp(&b).unwrap();
        assert_eq!((t.sport, t.dport, t.seq, t.ack), (12345, 443, 1, 2));
        assert!(t.has(TCP_PSH | TCP_ACK) && !t.has(TCP_SYN));
        assert_eq!(p, b"GET /");
        for cut in 0..b.len() {
            let _ = tcp(&b[..cut]);
        }
        b[12] = 0x40; // data offset 4: bogus
        assert!(tcp(&b).is_none());
    }

    #[test]
    fn udp_length_bounds_payload() {
        let b = [0, 53, 0x9c, 0x40, 0, 10, 0, 0, 0xaa, 0xbb, 0, 0];
        let (u, p) = udp(&b).unwrap();
        assert_eq!((u.sport, u.dport), (53, 40000));
        assert_eq!(p, &[0xaa, 0xbb]);
    }

    #[test]
    fn icmp_echo_id() {
        let (i, _) = icmp(&[8, 0, 0, 0, 0x12, 0x34, 0, 1], false).unwrap();
        assert_eq!((i.typ, i.id), (8, 0x1234));
    }
}
