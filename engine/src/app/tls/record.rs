//! The binary layouts of the three TLS record kinds (`TlsClientHello`, `TlsServerHello`,
//! `TlsCertificate`): the worker-side writers and the control-plane readers, kept side
//! by side so they stay in step.
//!
//! Layouts (after the engine's own header), in field order:
//!
//! `TlsClientHello`
//! 1. `u16` legacy_version
//! 2. `u16_list` cipher suites, GREASE removed
//! 3. `u16_list` extension types in order, GREASE removed
//! 4. `u16_list` supported_groups, GREASE removed
//! 5. `bytes` ec_point_formats (one byte each)
//! 6. `u16_list` signature_algorithms in order, GREASE removed
//! 7. `u16_list` supported_versions, GREASE removed
//! 8. `bytes` SNI (first host_name; empty if none)
//! 9. `bytes` ALPN protocol_name_list body (each name u8-length-prefixed)
//! 10. `bytes` legacy session id
//! 11. `u8` flags: 1 = server_name extension present, 2 = GREASE seen, 4 = record cut
//!
//! `TlsServerHello`
//! 1. `u16` legacy_version
//! 2. `u16` cipher suite
//! 3. `u8` compression method
//! 4. `u16_list` extension types in order, GREASE removed
//! 5. `u16` supported_versions value (0 if absent)
//! 6. `bytes` selected ALPN protocol (empty if none)
//! 7. `bytes` session id
//! 8. `u8` flags: 1 = the server echoed the client's session id (a resumption),
//!    4 = record cut
//!
//! `TlsCertificate`
//! 1. `u16` number of certificates in the chain (0 = unknown: message too long to count)
//! 2. `u32` length of the certificate_list
//! 3. `u8` flags: 1 = the leaf DER was cut to fit the record
//! 4. `bytes` the leaf certificate's DER

use super::hello::{is_grease, AlpnNames, ClientHelloView, ServerHelloView, U16s};
use crate::wire::{Reader, Writer};

/// ClientHello flag: the server_name extension is present.
pub const CH_HAS_SNI: u8 = 1;
/// Flag: a GREASE value was seen (and removed from the lists).
pub const CH_GREASE: u8 = 2;
/// Flag: the record did not fit and some field was cut.
pub const REC_CUT: u8 = 4;
/// ServerHello flag: the server echoed the client's (non-empty) session id.
pub const SH_RESUMED: u8 = 1;
/// Certificate flag: the leaf DER was cut.
pub const CERT_CUT: u8 = 1;

/// Writes a `TlsClientHello` record body.
pub(crate) fn write_client_hello(w: &mut Writer<'_>, ch: &ClientHelloView<'_>) {
    w.u16(ch.legacy_version);
    w.u16_list(ch.cipher_list(true));
    w.u16_list(ch.ext_types(true));
    w.u16_list(U16s::new(ch.supported_groups, true));
    w.bytes(ch.ec_point_formats);
    w.u16_list(U16s::new(ch.sig_algs, true));
    w.u16_list(U16s::new(ch.supported_versions, true));
    w.bytes(ch.sni.unwrap_or(&[]));
    w.bytes(ch.alpn.unwrap_or(&[]));
    w.bytes(ch.session_id);
    let mut flags = 0;
    if ch.has_sni {
        flags |= CH_HAS_SNI;
    }
    if client_hello_has_grease(ch) {
        flags |= CH_GREASE;
    }
    if w.overflow {
        flags |= REC_CUT;
    }
    w.u8(flags);
}

/// Whether any list of the ClientHello holds a GREASE value.
fn client_hello_has_grease(ch: &ClientHelloView<'_>) -> bool {
    let any = |b: &[u8]| U16s::new(b, false).any(is_grease);
    any(ch.ciphers)
        || ch.ext_types(false).any(is_grease)
        || any(ch.supported_groups)
        || any(ch.supported_versions)
}

/// Writes a `TlsServerHello` record body; `echoed`: the session id is the client's.
pub(crate) fn write_server_hello(w: &mut Writer<'_>, sh: &ServerHelloView<'_>, echoed: bool) {
    w.u16(sh.legacy_version);
    w.u16(sh.cipher);
    w.u8(sh.compression);
    w.u16_list(sh.ext_types(true));
    w.u16(sh.selected_version);
    w.bytes(sh.alpn.unwrap_or(&[]));
    w.bytes(sh.session_id);
    let mut flags = if echoed { SH_RESUMED } else { 0 };
    if w.overflow {
        flags |= REC_CUT;
    }
    w.u8(flags);
}

/// Writes a `TlsCertificate` record body.
/// `cut` says the caller already shortened `leaf`.
pub(crate) fn write_certificate(
    w: &mut Writer<'_>,
    chain_len: u16,
    list_len: u32,
    leaf: &[u8],
    cut: bool,
) {
    w.u16(chain_len);
    w.u32(list_len);
    let cut = cut || leaf.len().saturating_add(3) > w.remaining();
    w.u8(if cut { CERT_CUT } else { 0 });
    w.bytes(leaf);
}

/// A ClientHello as the control plane reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHelloRec {
    /// legacy_version.
    pub legacy_version: u16,
    /// Cipher suites, GREASE removed.
    pub ciphers: Vec<u16>,
    /// Extension types in order, GREASE removed.
    pub extensions: Vec<u16>,
    /// supported_groups, GREASE removed.
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub ec_point_formats: Vec<u8>,
    /// signature_algorithms in order, GREASE removed.
    pub sig_algs: Vec<u16>,
    /// supported_versions, GREASE removed.
    pub versions: Vec<u16>,
    /// The first host_name of server_name.
    pub sni: Option<Vec<u8>>,
    /// ALPN names offered.
    pub alpns: Vec<Vec<u8>>,
    /// Legacy session id.
    pub session_id: Vec<u8>,
    /// `CH_*` / `REC_CUT` flags.
    pub flags: u8,
}

impl ClientHelloRec {
    /// Reads a `TlsClientHello` record body.
    pub fn read(r: &mut Reader<'_>) -> Option<ClientHelloRec> {
        let legacy_version = r.u16()?;
        let ciphers = r.u16_list()?;
        let extensions = r.u16_list()?;
        let groups = r.u16_list()?;
        let ec_point_formats = r.bytes()?.to_vec();
        let sig_algs = r.u16_list()?;
        let versions = r.u16_list()?;
        let sni = r.bytes()?;
        let alpn = r.bytes()?;
        let session_id = r.bytes()?.to_vec();
        let flags = r.u8().unwrap_or(REC_CUT);
        Some(ClientHelloRec {
            legacy_version,
            ciphers,
            extensions,
            groups,
            ec_point_formats,
            sig_algs,
            versions,
            sni: (flags & CH_HAS_SNI != 0 || !sni.is_empty()).then(|| sni.to_vec()),
            alpns: AlpnNames::new(alpn).map(<[u8]>::to_vec).collect(),
            session_id,
            flags,
        })
    }

    /// The same fields straight from a parsed ClientHello (QUIC's control plane).
    pub fn from_view(ch: &ClientHelloView<'_>) -> ClientHelloRec {
        let mut flags = 0;
        if ch.has_sni {
            flags |= CH_HAS_SNI;
        }
        if client_hello_has_grease(ch) {
            flags |= CH_GREASE;
        }
        ClientHelloRec {
            legacy_version: ch.legacy_version,
            ciphers: ch.cipher_list(true).collect(),
            extensions: ch.ext_types(true).collect(),
            groups: U16s::new(ch.supported_groups, true).collect(),
            ec_point_formats: ch.ec_point_formats.to_vec(),
            sig_algs: U16s::new(ch.sig_algs, true).collect(),
            versions: U16s::new(ch.supported_versions, true).collect(),
            sni: ch.has_sni.then(|| ch.sni.unwrap_or(&[]).to_vec()),
            alpns: ch.alpn_names().map(<[u8]>::to_vec).collect(),
            session_id: ch.session_id.to_vec(),
            flags,
        }
    }

    /// The SNI as text, if the extension carried a host name.
    pub fn sni_str(&self) -> Option<String> {
        self.sni
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }
}

/// A ServerHello as the control plane reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHelloRec {
    /// legacy_version.
    pub legacy_version: u16,
    /// Chosen cipher suite.
    pub cipher: u16,
    /// Chosen compression method.
    pub compression: u8,
    /// Extension types in order, GREASE removed.
    pub extensions: Vec<u16>,
    /// supported_versions value, 0 when absent.
    pub selected_version: u16,
    /// Selected ALPN protocol.
    pub alpn: Option<Vec<u8>>,
    /// Session id.
    pub session_id: Vec<u8>,
    /// `SH_RESUMED` / `REC_CUT` flags.
    pub flags: u8,
}

impl ServerHelloRec {
    /// Reads a `TlsServerHello` record body.
    pub fn read(r: &mut Reader<'_>) -> Option<ServerHelloRec> {
        let legacy_version = r.u16()?;
        let cipher = r.u16()?;
        let compression = r.u8()?;
        let extensions = r.u16_list()?;
        let selected_version = r.u16()?;
        let alpn = r.bytes()?;
        let session_id = r.bytes()?.to_vec();
        let flags = r.u8().unwrap_or(REC_CUT);
        Some(ServerHelloRec {
            legacy_version,
            cipher,
            compression,
            extensions,
            selected_version,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
            session_id,
            flags,
        })
    }

    /// The same fields straight from a parsed ServerHello (QUIC's control plane).
    pub fn from_view(sh: &ServerHelloView<'_>) -> ServerHelloRec {
        ServerHelloRec {
            legacy_version: sh.legacy_version,
            cipher: sh.cipher,
            compression: sh.compression,
            extensions: sh.ext_types(true).collect(),
            selected_version: sh.selected_version,
            alpn: sh.alpn.map(<[u8]>::to_vec),
            session_id: sh.session_id.to_vec(),
            flags: 0,
        }
    }

    /// The negotiated version: supported_versions if present, else legacy_version.
    pub fn version(&self) -> u16 {
        if self.selected_version != 0 {
            self.selected_version
        } else {
            self.legacy_version
        }
    }
}

/// A leaf certificate as the control plane reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateRec {
    /// Certificates in the chain (0 = unknown).
    pub chain_len: u16,
    /// Length of the whole certificate_list.
    pub list_len: u32,
    /// `CERT_CUT` flag.
    pub flags: u8,
    /// The leaf's DER.
    pub der: Vec<u8>,
}

impl CertificateRec {
    /// Reads a `TlsCertificate` record body.
    pub fn read(r: &mut Reader<'_>) -> Option<CertificateRec> {
        Some(CertificateRec {
            chain_len: r.u16()?,
            list_len: r.u32()?,
            flags: r.u8()?,
            der: r.bytes()?.to_vec(),
        })
    }
}
