//! The frames of a decrypted Initial packet (RFC 9000 §19) — only CRYPTO data is kept —
//! and the reassembly of the CRYPTO stream, whose frames may come out of order and
//! spread over several packets. Control plane only.

use super::packet::varint;
use std::collections::BTreeMap;

/// Most CRYPTO stream bytes kept per direction (a ClientHello is far smaller).
const MAX_STREAM: u64 = 65536;

/// The CRYPTO frames `(offset, data)` of a decrypted Initial payload. Stops at the
/// first frame type an Initial packet may not carry (or at malformed bytes).
pub fn crypto_frames(p: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < p.len() {
        let Some((ty, n)) = varint(p, i) else {
            break;
        };
        i += n;
        let ok = match ty {
            0x00 | 0x01 => Some(i), // PADDING, PING
            0x02 | 0x03 => ack(p, i, ty == 0x03),
            0x06 => (|| {
                let (off, a) = varint(p, i)?;
                let (len, b) = varint(p, i + a)?;
                let start = i + a + b;
                let end = start.checked_add(usize::try_from(len).ok()?)?;
                out.push((off, p.get(start..end)?));
                Some(end)
            })(),
            0x1c | 0x1d => close(p, i, ty == 0x1c),
            _ => None,
        };
        match ok {
            Some(next) => i = next,
            None => break,
        }
    }
    out
}

/// Skips an ACK frame body; returns the offset after it.
fn ack(p: &[u8], mut i: usize, ecn: bool) -> Option<usize> {
    let read = |i: &mut usize| -> Option<u64> {
        let (v, n) = varint(p, *i)?;
        *i += n;
        Some(v)
    };
    read(&mut i)?; // largest acknowledged
    read(&mut i)?; // delay
    let ranges = read(&mut i)?;
    read(&mut i)?; // first range
    for _ in 0..ranges.min(p.len() as u64) {
        read(&mut i)?;
        read(&mut i)?;
    }
    if ecn {
        for _ in 0..3 {
            read(&mut i)?;
        }
    }
    Some(i)
}

/// Skips a CONNECTION_CLOSE frame body; returns the offset after it.
fn close(p: &[u8], mut i: usize, transport: bool) -> Option<usize> {
    let (_, n) = varint(p, i)?;
    i += n;
    if transport {
        let (_, n) = varint(p, i)?;
        i += n;
    }
    let (len, n) = varint(p, i)?;
    i = i.checked_add(n)?.checked_add(usize::try_from(len).ok()?)?;
    (i <= p.len()).then_some(i)
}

/// One direction's CRYPTO stream, put back together from frames in any order.
#[derive(Debug, Default, Clone)]
pub struct CryptoStream {
    parts: BTreeMap<u64, Vec<u8>>,
}

impl CryptoStream {
    /// Adds a frame's data at `offset` (data beyond 64 KB is dropped).
    pub fn add(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() || offset >= MAX_STREAM {
            return;
        }
        let keep = (MAX_STREAM - offset).min(data.len() as u64) as usize;
        let e = self.parts.entry(offset).or_default();
        if e.len() < keep {
            *e = data[..keep].to_vec();
        }
    }

    /// The contiguous bytes from offset 0 (empty if offset 0 is missing).
    pub fn contiguous(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (&off, d) in &self.parts {
            let have = out.len() as u64;
            if off > have {
                break;
            }
            let skip = (have - off) as usize;
            if let Some(rest) = d.get(skip..) {
                out.extend_from_slice(rest);
            }
        }
        out
    }

    /// The first complete handshake message of the stream, header included.
    pub fn first_message(&self) -> Option<Vec<u8>> {
        let s = self.contiguous();
        let len = (usize::from(*s.get(1)?) << 16)
            | (usize::from(*s.get(2)?) << 8)
            | usize::from(*s.get(3)?);
        s.get(..4 + len).map(<[u8]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_crypto() {
        let mut s = CryptoStream::default();
        s.add(4, b"efgh");
        assert!(s.first_message().is_none());
        s.add(0, &[1, 0, 0, 4]);
        assert_eq!(
            s.first_message().unwrap(),
            vec![1, 0, 0, 4, b'e', b'f', b'g', b'h']
        );
        s.add(2, &[0, 4, b'e']); // overlap
        assert_eq!(s.contiguous().len(), 8);
    }

    #[test]
    fn frames_parse() {
        // PING, PADDING x2, CRYPTO off 0 len 3, ACK, CRYPTO off 3 len 1
        let p = [1, 0, 0, 6, 0, 3, 9, 9, 9, 2, 0, 0, 0, 0, 6, 3, 1, 7];
        let f = crypto_frames(&p);
        assert_eq!(f, vec![(0, &[9u8, 9, 9][..]), (3, &[7u8][..])]);
        for n in 0..p.len() {
            let _ = crypto_frames(&p[..n]);
        }
    }
}
