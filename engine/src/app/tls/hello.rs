//! Zero-copy views of the TLS handshake messages Vigil reads: ClientHello, ServerHello
//! and the first certificate of a (TLS ≤ 1.2) Certificate message.
//!
//! In the style of smoltcp's `wire` module: every length is checked before the bytes it
//! covers are touched, all access goes through checked `get`, nothing allocates, and a
//! malformed message gives `None`, never a panic. Both the worker half (TCP TLS) and the
//! QUIC control plane (CRYPTO frames) parse ClientHellos with [`parse_client_hello`].

/// Handshake message type of a ClientHello.
pub const HS_CLIENT_HELLO: u8 = 1;
/// Handshake message type of a ServerHello.
pub const HS_SERVER_HELLO: u8 = 2;
/// Handshake message type of a Certificate.
pub const HS_CERTIFICATE: u8 = 11;
/// Handshake message type of a ServerHelloDone.
pub const HS_SERVER_HELLO_DONE: u8 = 14;

/// Extension type: server_name.
pub const EXT_SERVER_NAME: u16 = 0;
/// Extension type: supported_groups (elliptic_curves).
pub const EXT_SUPPORTED_GROUPS: u16 = 10;
/// Extension type: ec_point_formats.
pub const EXT_EC_POINT_FORMATS: u16 = 11;
/// Extension type: signature_algorithms.
pub const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
/// Extension type: application_layer_protocol_negotiation.
pub const EXT_ALPN: u16 = 16;
/// Extension type: supported_versions.
pub const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Whether `v` is a GREASE value (RFC 8701: `0x?a?a` with both bytes equal).
#[inline]
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// A bounds-checked reader over a byte slice (big-endian, as TLS writes).
#[derive(Clone, Copy)]
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    /// A cursor at the start of `b`.
    #[inline]
    pub(crate) fn new(b: &'a [u8]) -> Cur<'a> {
        Cur { b, pos: 0 }
    }

    /// Bytes not yet read.
    #[inline]
    pub(crate) fn left(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// One byte.
    #[inline]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    /// A big-endian `u16`.
    #[inline]
    pub(crate) fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
    }

    /// A big-endian 24-bit length.
    #[inline]
    pub(crate) fn u24(&mut self) -> Option<usize> {
        let s = self.take(3)?;
        be24(s)
    }

    /// A vector with a one-byte length prefix.
    #[inline]
    pub(crate) fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    /// A vector with a two-byte length prefix.
    #[inline]
    pub(crate) fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }

    /// A vector with a three-byte length prefix.
    #[inline]
    pub(crate) fn vec24(&mut self) -> Option<&'a [u8]> {
        let n = self.u24()?;
        self.take(n)
    }
}

/// A big-endian 24-bit number from the first three bytes of `s`.
#[inline]
pub(crate) fn be24(s: &[u8]) -> Option<usize> {
    Some(((*s.first()? as usize) << 16) | ((*s.get(1)? as usize) << 8) | (*s.get(2)? as usize))
}

/// A big-endian `u16` at `off` of `s`.
#[inline]
pub(crate) fn be16(s: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *s.get(off)?,
        *s.get(off.checked_add(1)?)?,
    ]))
}

/// The `u16` values of a TLS list body (cipher suites, groups, signature algorithms),
/// optionally without GREASE values. Exact-size, so it feeds `Writer::u16_list`.
#[derive(Clone)]
pub struct U16s<'a> {
    b: &'a [u8],
    skip_grease: bool,
    left: usize,
}

impl<'a> U16s<'a> {
    /// The values of `b` (an odd trailing byte is ignored).
    pub fn new(b: &'a [u8], skip_grease: bool) -> U16s<'a> {
        let b = b.get(..b.len() & !1).unwrap_or(&[]);
        let left = if skip_grease {
            b.chunks_exact(2)
                .filter(|c| be16(c, 0).is_some_and(|v| !is_grease(v)))
                .count()
        } else {
            b.len() / 2
        };
        U16s {
            b,
            skip_grease,
            left,
        }
    }
}

impl Iterator for U16s<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        loop {
            let v = be16(self.b, 0)?;
            self.b = self.b.get(2..).unwrap_or(&[]);
            if self.skip_grease && is_grease(v) {
                continue;
            }
            self.left = self.left.saturating_sub(1);
            return Some(v);
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for U16s<'_> {}

/// The `(type, body)` of each extension of an extension block that
/// [`validate_extensions`] accepted.
#[derive(Clone)]
pub struct Extensions<'a> {
    c: Cur<'a>,
}

impl<'a> Extensions<'a> {
    /// Iterates over the extensions of `block` (the bytes after the block's length).
    pub fn new(block: &'a [u8]) -> Extensions<'a> {
        Extensions { c: Cur::new(block) }
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let t = self.c.u16()?;
        let body = self.c.vec16()?;
        Some((t, body))
    }
}

/// The extension types of an extension block in order, optionally without GREASE.
/// Exact-size, so it feeds `Writer::u16_list`.
#[derive(Clone)]
pub struct ExtTypes<'a> {
    it: Extensions<'a>,
    skip_grease: bool,
    left: usize,
}

impl<'a> ExtTypes<'a> {
    /// The types in `block`.
    pub fn new(block: &'a [u8], skip_grease: bool) -> ExtTypes<'a> {
        let it = Extensions::new(block);
        let left = it
            .clone()
            .filter(|(t, _)| !(skip_grease && is_grease(*t)))
            .count();
        ExtTypes {
            it,
            skip_grease,
            left,
        }
    }
}

impl Iterator for ExtTypes<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        loop {
            let (t, _) = self.it.next()?;
            if self.skip_grease && is_grease(t) {
                continue;
            }
            self.left = self.left.saturating_sub(1);
            return Some(t);
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ExtTypes<'_> {}

/// Whether `block` is a well-formed sequence of extensions (type, length, body) that
/// ends exactly at its end.
pub fn validate_extensions(block: &[u8]) -> bool {
    let mut c = Cur::new(block);
    while c.left() > 0 {
        if c.u16().is_none() || c.vec16().is_none() {
            return false;
        }
    }
    true
}

/// The names of an ALPN `protocol_name_list` body (each a one-byte-length string).
#[derive(Clone)]
pub struct AlpnNames<'a> {
    c: Cur<'a>,
}

impl<'a> AlpnNames<'a> {
    /// Iterates over the names in `list` (the bytes after the list's two-byte length).
    pub fn new(list: &'a [u8]) -> AlpnNames<'a> {
        AlpnNames { c: Cur::new(list) }
    }
}

impl<'a> Iterator for AlpnNames<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.c.vec8()
    }
}

/// The parts of a ClientHello that fingerprints and EVE use, borrowed from its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientHelloView<'a> {
    /// `legacy_version` (what JA3 uses).
    pub legacy_version: u16,
    /// The 32-byte random.
    pub random: &'a [u8],
    /// The legacy session id (0..32 bytes).
    pub session_id: &'a [u8],
    /// Cipher suites, raw (pairs of big-endian bytes; see [`U16s`]).
    pub ciphers: &'a [u8],
    /// Compression methods.
    pub compression: &'a [u8],
    /// The extension block (see [`Extensions`]); empty when there is none.
    pub extensions: &'a [u8],
    /// Whether a server_name extension is present.
    pub has_sni: bool,
    /// The first `host_name` of the server_name extension.
    pub sni: Option<&'a [u8]>,
    /// The ALPN `protocol_name_list` body (see [`AlpnNames`]).
    pub alpn: Option<&'a [u8]>,
    /// supported_groups list body, raw.
    pub supported_groups: &'a [u8],
    /// ec_point_formats list body (one byte each).
    pub ec_point_formats: &'a [u8],
    /// signature_algorithms list body, raw.
    pub sig_algs: &'a [u8],
    /// supported_versions list body, raw.
    pub supported_versions: &'a [u8],
}

impl<'a> ClientHelloView<'a> {
    /// Cipher suites in order (`skip_grease` drops GREASE values).
    pub fn cipher_list(&self, skip_grease: bool) -> U16s<'a> {
        U16s::new(self.ciphers, skip_grease)
    }

    /// Extension types in order.
    pub fn ext_types(&self, skip_grease: bool) -> ExtTypes<'a> {
        ExtTypes::new(self.extensions, skip_grease)
    }

    /// The ALPN names offered, in order.
    pub fn alpn_names(&self) -> AlpnNames<'a> {
        AlpnNames::new(self.alpn.unwrap_or(&[]))
    }

    /// The highest non-GREASE version of supported_versions, else `legacy_version`.
    pub fn max_version(&self) -> u16 {
        U16s::new(self.supported_versions, true)
            .max_by_key(|v| version_rank(*v))
            .unwrap_or(self.legacy_version)
    }
}

/// Orders protocol versions so that TLS 1.3 drafts sort just under TLS 1.3.
fn version_rank(v: u16) -> u32 {
    match v >> 8 {
        0x7f | 0xfb => 0x0303_8000 | u32::from(v & 0xff),
        _ => u32::from(v) << 16,
    }
}

/// Parses the body of a ClientHello handshake message (after its 4-byte header).
///
/// Returns `None` when a length runs past the end or the extension block is malformed.
pub fn parse_client_hello(body: &[u8]) -> Option<ClientHelloView<'_>> {
    let mut c = Cur::new(body);
    let legacy_version = c.u16()?;
    let random = c.take(32)?;
    let session_id = c.vec8()?;
    if session_id.len() > 32 {
        return None;
    }
    let ciphers = c.vec16()?;
    if ciphers.len() % 2 != 0 {
        return None;
    }
    let compression = c.vec8()?;
    let extensions = if c.left() >= 2 { c.vec16()? } else { &[] };
    if !validate_extensions(extensions) {
        return None;
    }
    let mut v = ClientHelloView {
        legacy_version,
        random,
        session_id,
        ciphers,
        compression,
        extensions,
        ..Default::default()
    };
    for (t, ext) in Extensions::new(extensions) {
        match t {
            EXT_SERVER_NAME => {
                v.has_sni = true;
                v.sni = first_host_name(ext);
            }
            EXT_ALPN => v.alpn = Cur::new(ext).vec16(),
            EXT_SUPPORTED_GROUPS => v.supported_groups = Cur::new(ext).vec16().unwrap_or(&[]),
            EXT_EC_POINT_FORMATS => v.ec_point_formats = Cur::new(ext).vec8().unwrap_or(&[]),
            EXT_SIGNATURE_ALGORITHMS => v.sig_algs = Cur::new(ext).vec16().unwrap_or(&[]),
            EXT_SUPPORTED_VERSIONS => v.supported_versions = Cur::new(ext).vec8().unwrap_or(&[]),
            _ => {}
        }
    }
    Some(v)
}

/// The first `host_name` entry of a server_name extension body.
fn first_host_name(ext: &[u8]) -> Option<&[u8]> {
    let mut list = Cur::new(Cur::new(ext).vec16()?);
    while list.left() > 0 {
        let kind = list.u8()?;
        let name = list.vec16()?;
        if kind == 0 {
            return Some(name);
        }
    }
    None
}

/// The parts of a ServerHello that fingerprints and EVE use.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerHelloView<'a> {
    /// `legacy_version` (what JA3S uses).
    pub legacy_version: u16,
    /// The 32-byte random.
    pub random: &'a [u8],
    /// The session id the server chose (an echo of the client's on resumption).
    pub session_id: &'a [u8],
    /// The chosen cipher suite.
    pub cipher: u16,
    /// The chosen compression method.
    pub compression: u8,
    /// The extension block; empty when there is none.
    pub extensions: &'a [u8],
    /// The supported_versions extension's value (TLS 1.3), 0 when absent.
    pub selected_version: u16,
    /// The protocol the server selected with ALPN.
    pub alpn: Option<&'a [u8]>,
}

impl<'a> ServerHelloView<'a> {
    /// The negotiated version: supported_versions if present, else `legacy_version`.
    pub fn version(&self) -> u16 {
        if self.selected_version != 0 {
            self.selected_version
        } else {
            self.legacy_version
        }
    }

    /// Extension types in order.
    pub fn ext_types(&self, skip_grease: bool) -> ExtTypes<'a> {
        ExtTypes::new(self.extensions, skip_grease)
    }
}

/// Whether `v` is TLS 1.3 or one of its drafts (after which the handshake is encrypted).
pub fn is_tls13(v: u16) -> bool {
    v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb
}

/// Parses the body of a ServerHello handshake message (after its 4-byte header).
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHelloView<'_>> {
    let mut c = Cur::new(body);
    let legacy_version = c.u16()?;
    let random = c.take(32)?;
    // TLS 1.3 drafts before 22 had no session id in the ServerHello.
    let draft_no_sid = (legacy_version >> 8) == 0x7f && (legacy_version & 0xff) < 22;
    let session_id = if draft_no_sid { &[][..] } else { c.vec8()? };
    if session_id.len() > 32 {
        return None;
    }
    let cipher = c.u16()?;
    let compression = if draft_no_sid { 0 } else { c.u8()? };
    let extensions = if c.left() >= 2 { c.vec16()? } else { &[] };
    if !validate_extensions(extensions) {
        return None;
    }
    let mut v = ServerHelloView {
        legacy_version,
        random,
        session_id,
        cipher,
        compression,
        extensions,
        ..Default::default()
    };
    for (t, ext) in Extensions::new(extensions) {
        match t {
            EXT_SUPPORTED_VERSIONS => v.selected_version = be16(ext, 0).unwrap_or(0),
            EXT_ALPN => v.alpn = Cur::new(ext).vec16().and_then(|l| AlpnNames::new(l).next()),
            _ => {}
        }
    }
    Some(v)
}

/// The start of a TLS ≤ 1.2 Certificate message body: the total length of the
/// certificate list and the first (leaf) certificate's length.
#[derive(Debug, Clone, Copy)]
pub struct CertificateHead {
    /// Length of `certificate_list`.
    pub list_len: usize,
    /// Length of the first certificate's DER.
    pub leaf_len: usize,
}

/// Reads the first 6 bytes of a Certificate body.
pub fn certificate_head(body: &[u8]) -> Option<CertificateHead> {
    let mut c = Cur::new(body);
    let list_len = c.u24()?;
    let leaf_len = c.u24()?;
    if leaf_len.checked_add(3)? > list_len {
        return None;
    }
    Some(CertificateHead { list_len, leaf_len })
}

/// Counts the certificates of a complete `certificate_list` body; `None` if malformed.
pub fn count_certificates(list: &[u8]) -> Option<u16> {
    let mut c = Cur::new(list);
    let mut n: u16 = 0;
    while c.left() > 0 {
        c.vec24()?;
        n = n.saturating_add(1);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x3a3a));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0x0000));
    }

    #[test]
    fn lists_skip_grease_and_stay_exact() {
        let b = [0x0a, 0x0a, 0x13, 0x01, 0x13, 0x02, 0x7a];
        let it = U16s::new(&b, true);
        assert_eq!(it.len(), 2);
        assert_eq!(it.collect::<Vec<_>>(), vec![0x1301, 0x1302]);
        assert_eq!(U16s::new(&b, false).len(), 3);
    }

    #[test]
    fn truncated_hellos_are_none() {
        let mut ch = vec![0x03, 0x03];
        ch.extend_from_slice(&[0u8; 32]);
        ch.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0, 0, 9, 0, 0, 0, 5, 0, 3, 0, 0, 1]);
        for n in 0..ch.len() {
            let _ = parse_client_hello(&ch[..n]);
            let _ = parse_server_hello(&ch[..n]);
        }
    }
}
