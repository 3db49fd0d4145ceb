//! The compact binary form of the records workers hand to the control plane.
//!
//! A worker may not allocate, so it cannot build JSON. It writes each record (a DNS
//! message, an HTTP request, a TLS ClientHello, a finished flow, ...) into a fixed buffer
//! with a [`Writer`]: integers little-endian, byte strings with a `u16` length prefix. The
//! control plane reads it back with a [`Reader`] and builds the EVE JSON there.
//!
//! Neither side panics on any input: a `Writer` that runs out of room sets `overflow`
//! (byte strings are truncated to fit and still well-formed); a `Reader` returns `None`
//! past the end. Writer and reader of one record kind live together in the module of
//! that protocol, so the two stay in step.

/// The largest record a worker sends (header included): a leaf certificate of up to
/// about 8 KB fits; anything longer is cut (and flagged) by the [`Writer`].
pub const RECORD_MAX: usize = 8192;

/// Writes a record into a borrowed buffer.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    /// Set when something did not fit (the record is still readable; fields were cut).
    pub overflow: bool,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    #[inline]
    pub fn new(buf: &'a mut [u8]) -> Writer<'a> {
        Writer {
            buf,
            len: 0,
            overflow: false,
        }
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes still free.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }

    /// What has been written.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    #[inline]
    fn raw(&mut self, b: &[u8]) -> bool {
        if b.len() > self.remaining() {
            self.overflow = true;
            return false;
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
        true
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.raw(&[v]);
    }

    /// A `u16`, little-endian.
    #[inline]
    pub fn u16(&mut self, v: u16) {
        self.raw(&v.to_le_bytes());
    }

    /// A `u32`, little-endian.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.raw(&v.to_le_bytes());
    }

    /// A `u64`, little-endian.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }

    /// A bool as one byte.
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }

    /// Fixed-size bytes with no length prefix (addresses).
    #[inline]
    pub fn fixed(&mut self, b: &[u8]) {
        self.raw(b);
    }

    /// A byte string: `u16` length, then the bytes, cut to what fits (and to 65535).
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        if self.remaining() < 2 {
            self.overflow = true;
            // Fill what is left so the reader sees a clean end rather than a half field.
            self.len = self.buf.len();
            return;
        }
        let room = (self.remaining() - 2).min(u16::MAX as usize);
        let n = b.len().min(room);
        if n < b.len() {
            self.overflow = true;
        }
        self.u16(n as u16);
        self.raw(&b[..n]);
    }

    /// A `u16` count followed by that many `u16` values (cipher suites, extensions, ...),
    /// cut to what fits.
    #[inline]
    pub fn u16_list(&mut self, items: impl ExactSizeIterator<Item = u16>) {
        if self.remaining() < 2 {
            self.overflow = true;
            self.len = self.buf.len();
            return;
        }
        let room = (self.remaining() - 2) / 2;
        let n = items.len().min(room).min(u16::MAX as usize);
        if n < items.len() {
            self.overflow = true;
        }
        self.u16(n as u16);
        for v in items.take(n) {
            self.u16(v);
        }
    }
}

/// Reads a record written by a [`Writer`].
#[derive(Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(b)
    }

    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }

    /// A bool.
    pub fn bool(&mut self) -> Option<bool> {
        Some(self.u8()? != 0)
    }

    /// `n` fixed bytes.
    pub fn fixed(&mut self, n: usize) -> Option<&'a [u8]> {
        self.take(n)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }

    /// A length-prefixed byte string as text (invalid UTF-8 replaced, as Suricata
    /// escapes it).
    pub fn string(&mut self) -> Option<String> {
        Some(String::from_utf8_lossy(self.bytes()?).into_owned())
    }

    /// A counted list of `u16`.
    pub fn u16_list(&mut self) -> Option<Vec<u16>> {
        let n = self.u16()? as usize;
        let mut v = Vec::with_capacity(n.min(self.remaining() / 2));
        for _ in 0..n {
            v.push(self.u16()?);
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.u8(7);
        w.u16(0x1234);
        w.u32(0xdead_beef);
        w.u64(u64::MAX - 1);
        w.bytes(b"example.com");
        w.u16_list([1u16, 2, 3].into_iter());
        assert!(!w.overflow);
        let n = w.len();
        let mut r = Reader::new(&buf[..n]);
        assert_eq!(r.u8(), Some(7));
        assert_eq!(r.u16(), Some(0x1234));
        assert_eq!(r.u32(), Some(0xdead_beef));
        assert_eq!(r.u64(), Some(u64::MAX - 1));
        assert_eq!(r.bytes(), Some(&b"example.com"[..]));
        assert_eq!(r.u16_list(), Some(vec![1, 2, 3]));
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
    }

    #[test]
    fn overflow_truncates_but_stays_readable() {
        let mut buf = [0u8; 10];
        let mut w = Writer::new(&mut buf);
        w.u16(1);
        w.bytes(b"a long hostname that does not fit");
        assert!(w.overflow);
        let n = w.len();
        let mut r = Reader::new(&buf[..n]);
        assert_eq!(r.u16(), Some(1));
        assert_eq!(r.bytes(), Some(&b"a long"[..]));
        // Later writes fail cleanly.
        let mut w = Writer::new(&mut buf);
        for _ in 0..20 {
            w.u64(1);
            w.bytes(b"x");
            w.u16_list([1u16, 2].into_iter());
        }
        assert!(w.overflow && w.len() <= 10);
    }
}
