//! QUIC long-header parsing (RFC 9000 §17.2, RFC 9369 §3.2), zero-copy and
//! bounds-checked, shared by the worker half (detection, which packets to ship) and the
//! control plane (where the packet number and payload start).

/// QUIC version 1 (RFC 9000).
pub const QUIC_V1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const QUIC_V2: u32 = 0x6b33_43cf;

/// Whether Vigil knows how to read (and decrypt) `v`: v1, v2 or an IETF draft
/// (`0xff0000xx`).
#[inline]
pub fn is_known_version(v: u32) -> bool {
    v == QUIC_V1 || v == QUIC_V2 || (v & 0xffff_ff00) == 0xff00_0000
}

/// Whether a long header's first byte marks an Initial packet of version `v`
/// (type 0 in v1 and drafts, type 1 in v2).
#[inline]
pub fn is_initial(first: u8, v: u32) -> bool {
    let ty = (first >> 4) & 0x03;
    if v == QUIC_V2 {
        ty == 1
    } else {
        ty == 0
    }
}

/// A QUIC variable-length integer at `off`: (value, bytes used).
#[inline]
pub(crate) fn varint(b: &[u8], off: usize) -> Option<(u64, usize)> {
    let first = *b.get(off)?;
    let n = 1usize << (first >> 6);
    let mut v = u64::from(first & 0x3f);
    for i in 1..n {
        v = (v << 8) | u64::from(*b.get(off.checked_add(i)?)?);
    }
    Some((v, n))
}

/// A big-endian `u32` at `off`.
#[inline]
pub(crate) fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

/// The parsed long header of one packet of a datagram.
#[derive(Debug, Clone, Copy)]
pub struct LongHeader<'a> {
    /// First byte, still header-protected.
    pub first: u8,
    /// Version.
    pub version: u32,
    /// Destination connection id.
    pub dcid: &'a [u8],
    /// Source connection id.
    pub scid: &'a [u8],
    /// Offset of the packet number field (Initial, 0-RTT, Handshake).
    pub pn_offset: usize,
    /// Bytes from `pn_offset` to the end of the packet (the Length field).
    pub length: usize,
}

impl<'a> LongHeader<'a> {
    /// Parses the long header at the start of `b`. For Initial, 0-RTT and Handshake
    /// packets the Length must fit in `b`; Retry and version negotiation packets fill
    /// the datagram.
    pub fn parse(b: &'a [u8]) -> Option<LongHeader<'a>> {
        let first = *b.first()?;
        if first & 0x80 == 0 {
            return None;
        }
        let version = be32(b, 1)?;
        let dlen = usize::from(*b.get(5)?);
        if dlen > 20 && version != 0 {
            return None;
        }
        let dcid = b.get(6..6 + dlen)?;
        let mut off = 6 + dlen;
        let slen = usize::from(*b.get(off)?);
        if slen > 20 && version != 0 {
            return None;
        }
        let scid = b.get(off + 1..off + 1 + slen)?;
        off += 1 + slen;
        let ty = (first >> 4) & 0x03;
        let retry = if version == QUIC_V2 { ty == 0 } else { ty == 3 };
        if version == 0 || retry {
            return Some(LongHeader {
                first,
                version,
                dcid,
                scid,
                pn_offset: b.len(),
                length: 0,
            });
        }
        if is_initial(first, version) {
            let (tlen, n) = varint(b, off)?;
            off = off
                .checked_add(n)?
                .checked_add(usize::try_from(tlen).ok()?)?;
        }
        let (length, n) = varint(b, off)?;
        let length = usize::try_from(length).ok()?;
        let pn_offset = off + n;
        if pn_offset.checked_add(length)? > b.len() {
            return None;
        }
        Some(LongHeader {
            first,
            version,
            dcid,
            scid,
            pn_offset,
            length,
        })
    }

    /// Total bytes of this packet within the datagram.
    pub fn packet_len(&self) -> usize {
        self.pn_offset + self.length
    }
}

/// Whether a UDP payload starts with a QUIC long-header packet (fixed bit set) of a
/// known version whose header is well formed.
pub fn looks_like_quic(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    if first & 0xc0 != 0xc0 {
        return false;
    }
    match LongHeader::parse(payload) {
        Some(h) => is_known_version(h.version),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x25], 0), Some((37, 1)));
        assert_eq!(varint(&[0x7b, 0xbd], 0), Some((15293, 2)));
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d], 0), Some((494878333, 4)));
        assert_eq!(varint(&[0xc0], 0), None);
    }

    #[test]
    fn detection() {
        assert!(!looks_like_quic(&[]));
        assert!(!looks_like_quic(&[0xc0, 0, 0, 0, 1]));
        // Initial v1, dcid 8 bytes, scid 0, token 0, length 1, pn.
        let mut p = vec![0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 1, 0];
        assert!(looks_like_quic(&p));
        p[4] = 2; // unknown version
        assert!(!looks_like_quic(&p));
        for n in 0..p.len() {
            let _ = LongHeader::parse(&p[..n]);
        }
    }
}
