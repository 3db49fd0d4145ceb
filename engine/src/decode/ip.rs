//! Network layer: IPv4 (with options) and IPv6 (with its extension headers), reading
//! the addresses, the transport protocol, where the transport header starts and whether
//! the datagram is a fragment.
//!
//! Lengths come from the header, not the frame: Ethernet padding after a short IPv4
//! datagram is not payload. A header that claims more than the frame holds is read up to
//! what was captured (snaplen) and flagged `truncated`.

use super::l2::be16;

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_IPIP: u8 = 4;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_IPV6: u8 = 41;
pub const PROTO_GRE: u8 = 47;
pub const PROTO_ESP: u8 = 50;
pub const PROTO_AH: u8 = 51;
pub const PROTO_ICMPV6: u8 = 58;
pub const PROTO_SCTP: u8 = 132;

/// Fragment fields of a datagram that is one fragment of a larger one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frag {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Offset of this fragment's data in the original datagram, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// Length of the part of the header kept in the reassembled datagram (IPv4 header;
    /// IPv6 fixed header plus extension headers before the Fragment header).
    pub unfrag_len: u16,
    /// Offset of the Fragment extension header (IPv6; 0 for IPv4).
    pub frag_hdr_at: u16,
    /// Offset of the byte whose "next header" value named the Fragment header (IPv6).
    pub nh_at: u16,
    /// The Fragment header's own "next header" (the protocol of the reassembled data).
    pub next: u8,
}

/// A parsed IP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ip {
    pub v6: bool,
    /// Source and destination; IPv4 in the first 4 bytes, rest zero.
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// Transport protocol (after IPv6 extension headers).
    pub proto: u8,
    pub ttl: u8,
    /// Offset of the transport header from the start of the IP header.
    pub l4_offset: usize,
    /// Length of the datagram as the header states (bounded by what was captured).
    pub len: usize,
    /// The header claimed more bytes than the frame holds.
    pub truncated: bool,
    /// Set when this datagram is a fragment (first or later).
    pub frag: Option<Frag>,
}

impl Ip {
    /// No header parsed: what `Ip::default()` gives, as a constant.
    pub const EMPTY: Ip = Ip {
        v6: false,
        src: [0; 16],
        dst: [0; 16],
        proto: 0,
        ttl: 0,
        l4_offset: 0,
        len: 0,
        truncated: false,
        frag: None,
    };

    /// The source address as a slice of its real length.
    #[inline]
    pub fn src_bytes(&self) -> &[u8] {
        if self.v6 {
            &self.src
        } else {
            &self.src[..4]
        }
    }

    /// The destination address as a slice of its real length.
    #[inline]
    pub fn dst_bytes(&self) -> &[u8] {
        if self.v6 {
            &self.dst
        } else {
            &self.dst[..4]
        }
    }
}

/// Parses an IPv4 header at the start of `b`.
#[inline]
pub fn ipv4(b: &[u8]) -> Option<Ip> {
    let h = b.get(..20)?;
    if h[0] >> 4 != 4 {
        return None;
    }
    let ihl = (h[0] & 0x0F) as usize * 4;
    if ihl < 20 || b.len() < ihl {
        return None;
    }
    let total = be16(h, 2)? as usize;
    if total < ihl {
        return None;
    }
    let mut ip = Ip {
        v6: false,
        proto: h[9],
        ttl: h[8],
        l4_offset: ihl,
        len: total.min(b.len()),
        truncated: total > b.len(),
        ..Default::default()
    };
    ip.src[..4].copy_from_slice(&h[12..16]);
    ip.dst[..4].copy_from_slice(&h[16..20]);
    let ff = be16(h, 6)?;
    let more = ff & 0x2000 != 0;
    let offset = (ff & 0x1FFF) as u32 * 8;
    if more || offset != 0 {
        ip.frag = Some(Frag {
            id: be16(h, 4)? as u32,
            offset,
            more,
            unfrag_len: ihl as u16,
            frag_hdr_at: 0,
            nh_at: 0,
            next: h[9],
        });
    }
    Some(ip)
}

/// Parses an IPv6 header and its extension headers at the start of `b`.
#[inline]
pub fn ipv6(b: &[u8]) -> Option<Ip> {
    let h = b.get(..40)?;
    if h[0] >> 4 != 6 {
        return None;
    }
    let payload = be16(h, 4)? as usize;
    let total = 40 + payload;
    let mut ip = Ip {
        v6: true,
        ttl: h[7],
        len: total.min(b.len()),
        truncated: total > b.len(),
        ..Default::default()
    };
    ip.src.copy_from_slice(&h[8..24]);
    ip.dst.copy_from_slice(&h[24..40]);
    let mut next = h[6];
    let mut off = 40usize;
    let mut nh_at = 6usize;
    // Extension headers, bounded.
    for _ in 0..8 {
        match next {
            0 | 43 | 60 | 135 | 139 | 140 => {
                let nh = *b.get(off)?;
                let len = (*b.get(off + 1)? as usize + 1) * 8;
                next = nh;
                nh_at = off;
                off += len;
            }
            PROTO_AH => {
                let nh = *b.get(off)?;
                let len = (*b.get(off + 1)? as usize + 2) * 4;
                next = nh;
                nh_at = off;
                off += len;
            }
            44 => {
                let f = b.get(off..off + 8)?;
                let fo = be16(f, 2)?;
                let offset = (fo >> 3) as u32 * 8;
                let more = fo & 1 != 0;
                if more || offset != 0 {
                    ip.frag = Some(Frag {
                        id: u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                        offset,
                        more,
                        unfrag_len: off as u16,
                        frag_hdr_at: off as u16,
                        nh_at: nh_at as u16,
                        next: f[0],
                    });
                }
                next = f[0];
                nh_at = off;
                off += 8;
            }
            _ => break,
        }
    }
    if off > ip.len {
        return None;
    }
    ip.proto = next;
    ip.l4_offset = off;
    Some(ip)
}

/// Parses whichever IP version `b` starts with.
#[inline]
pub fn ip(b: &[u8]) -> Option<Ip> {
    match b.first()? >> 4 {
        4 => ipv4(b),
        6 => ipv6(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(proto: u8, ff: u16, total: u16, ihl: u8) -> Vec<u8> {
        let mut h = vec![0x40 | ihl, 0, 0, 0, 0x12, 0x34, 0, 0, 64, proto, 0, 0];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[6..8].copy_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(&[10, 0, 0, 1, 8, 8, 8, 8]);
        h.resize(ihl as usize * 4, 1); // options
        h.resize(total as usize, 0);
        h
    }

    #[test]
    fn ipv4_with_options_and_padding() {
        let mut b = v4(PROTO_TCP, 0x4000, 44, 6);
        b.extend_from_slice(&[0; 6]); // Ethernet padding
        let ip = ipv4(&b).unwrap();
        assert_eq!((ip.l4_offset, ip.len, ip.proto), (24, 44, PROTO_TCP));
        assert!(ip.frag.is_none() && !ip.truncated);
        assert_eq!(ip.src_bytes(), &[10, 0, 0, 1]);
    }

    #[test]
    fn ipv4_fragments() {
        let ip = ipv4(&v4(PROTO_UDP, 0x2000, 28, 5)).unwrap();
        assert_eq!(ip.frag.unwrap().offset, 0);
        assert!(ip.frag.unwrap().more);
        let ip = ipv4(&v4(PROTO_UDP, 0x0003, 28, 5)).unwrap();
        assert_eq!(ip.frag.unwrap().offset, 24);
        assert_eq!(ip.frag.unwrap().id, 0x1234);
    }

    #[test]
    fn ipv6_extension_headers() {
        let mut b = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        b.extend_from_slice(&[0xfe; 32]);
        // Hop-by-hop (8 bytes) -> fragment header -> UDP.
        b.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        b.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0, 9]);
        b.extend_from_slice(&[0; 8]);
        let plen = (b.len() - 40) as u16;
        b[4..6].copy_from_slice(&plen.to_be_bytes());
        let ip = ipv6(&b).unwrap();
        assert_eq!((ip.proto, ip.l4_offset), (PROTO_UDP, 56));
        let f = ip.frag.unwrap();
        assert_eq!((f.id, f.offset, f.more, f.unfrag_len), (9, 0, true, 48));
        for cut in 0..b.len() {
            let _ = ipv6(&b[..cut]);
        }
    }
}
