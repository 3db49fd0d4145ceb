//! The QUIC control-plane half: decrypts the Initial datagrams the workers ship,
//! reassembles each side's CRYPTO stream and writes Suricata-style `quic` EVE bodies:
//! one for the client (`version`, `sni`, `ja3`, `ja4`, `extensions`) once its
//! ClientHello is complete, one for the server (`version`, `ja3s`, `extensions`) once
//! its ServerHello is. Connection ids go under `vigil` (as Zeek's quic.log has them).

use super::crypto::{initial_keys, InitialKeys};
use super::frames::{crypto_frames, CryptoStream};
use super::packet::{is_initial, is_known_version, LongHeader};
use crate::app::tls::{
    ja3_string, ja3s_string, ja4, md5_hex, parse_client_hello, parse_server_hello, version_name,
    AlpnNames, ClientHelloRec, Extensions, ServerHelloRec, HS_CLIENT_HELLO, HS_SERVER_HELLO,
};
use crate::app::{Dir, EveBody, RecordCtx, RecordKind, Tracker};
use crate::wire::Reader;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Suricata's `quic.version`: lowercase hex without leading zeros (`1`, `6b3343cf`).
pub fn version_string(v: u32) -> String {
    format!("{v:x}")
}

/// The name Suricata gives a TLS extension type in `quic.extensions[].name`.
pub fn extension_name(t: u16) -> Option<&'static str> {
    const NAMES: [&str; 60] = [
        "server_name",
        "max_fragment_length",
        "client_certificate_url",
        "trusted_ca_keys",
        "truncated_hmac",
        "status_request",
        "user_mapping",
        "client_authz",
        "server_authz",
        "cert_type",
        "supported_groups",
        "ec_point_formats",
        "srp",
        "signature_algorithms",
        "use_srtp",
        "heartbeat",
        "alpn",
        "status_request_v2",
        "signed_certificate_timestamp",
        "client_certificate_type",
        "server_certificate_type",
        "padding",
        "encrypt_then_mac",
        "extended_master_secret",
        "token_binding",
        "cached_info",
        "tls_lts",
        "compress_certificate",
        "record_size_limit",
        "pwd_protect",
        "pwd_clear",
        "password_salt",
        "ticket_pinning",
        "tls_cert_with_extern_psk",
        "delegated_credentials",
        "session_ticket",
        "tlmsp",
        "tlmsp_proxying",
        "tlmsp_delegate",
        "supported_ekt_ciphers",
        "",
        "pre_shared_key",
        "early_data",
        "supported_versions",
        "cookie",
        "psk_key_exchange_modes",
        "",
        "certificate_authorities",
        "oid_filters",
        "post_handshake_auth",
        "signature_algorithms_cert",
        "key_share",
        "transparency_info",
        "connection_id_deprecated",
        "connection_id",
        "external_id_hash",
        "external_session_id",
        "quic_transport_parameters",
        "ticket_request",
        "dnssec_chain",
    ];
    match t {
        13172 => Some("next_protocol_negotiation"),
        65281 => Some("renegotiation_info"),
        _ => NAMES.get(usize::from(t)).copied().filter(|n| !n.is_empty()),
    }
}

/// `quic.extensions` as Suricata writes it: every extension in order (GREASE included,
/// without a name), with `values` for server_name and ALPN.
fn extensions_json(block: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    for (t, body) in Extensions::new(block) {
        let mut e = Map::new();
        if let Some(n) = extension_name(t) {
            e.insert("name".into(), json!(n));
        }
        e.insert("type".into(), json!(t));
        let mut values: Vec<String> = Vec::new();
        let list = body.get(2..).unwrap_or(&[]);
        match t {
            0 => {
                // server_name_list: (type u8, name vec16)*
                let mut i = 0usize;
                while let (Some(_), Some(hi), Some(lo)) =
                    (list.get(i), list.get(i + 1), list.get(i + 2))
                {
                    let n = usize::from(*hi) << 8 | usize::from(*lo);
                    let Some(name) = list.get(i + 3..i + 3 + n) else {
                        break;
                    };
                    values.push(String::from_utf8_lossy(name).into_owned());
                    i += 3 + n;
                }
            }
            16 => {
                values.extend(AlpnNames::new(list).map(|a| String::from_utf8_lossy(a).into_owned()))
            }
            _ => {}
        }
        if !values.is_empty() {
            e.insert("values".into(), json!(values));
        }
        out.push(Value::Object(e));
    }
    out
}

/// What one flow has shown so far.
#[derive(Debug, Default)]
struct QuicFlow {
    version: u32,
    /// DCID of the client's first Initial (names the Initial keys).
    first_dcid: Vec<u8>,
    /// DCID of the client's latest Initial (after a Retry the keys change).
    last_dcid: Vec<u8>,
    client_scid: Vec<u8>,
    server_scid: Vec<u8>,
    client: CryptoStream,
    server: CryptoStream,
    client_logged: bool,
    server_logged: bool,
    /// Keys cache: (dcid, client keys, server keys).
    keys: Option<(Vec<u8>, Option<InitialKeys>, Option<InitialKeys>)>,
    ts_ns: u64,
}

impl QuicFlow {
    /// The Initial keys of `dcid` for one side.
    fn keys(&mut self, version: u32, dcid: &[u8], server: bool) -> Option<&InitialKeys> {
        let fresh = match &self.keys {
            Some((d, _, _)) => d.as_slice() != dcid,
            None => true,
        };
        if fresh {
            self.keys = Some((
                dcid.to_vec(),
                initial_keys(version, dcid, false),
                initial_keys(version, dcid, true),
            ));
        }
        let (_, c, s) = self.keys.as_ref()?;
        if server {
            s.as_ref()
        } else {
            c.as_ref()
        }
    }

    /// Decrypts the Initial packets of a datagram into a side's CRYPTO stream.
    fn absorb(&mut self, dgram: &[u8], server: bool) {
        let mut rest = dgram;
        while let Some(h) = LongHeader::parse(rest) {
            let len = h.packet_len();
            if len == 0 || !is_known_version(h.version) {
                break;
            }
            let pkt = rest.get(..len).unwrap_or(&[]);
            if is_initial(h.first, h.version) {
                if server {
                    if self.server_scid.is_empty() {
                        self.server_scid = h.scid.to_vec();
                    }
                } else {
                    if self.first_dcid.is_empty() {
                        self.first_dcid = h.dcid.to_vec();
                        self.client_scid = h.scid.to_vec();
                    }
                    self.last_dcid = h.dcid.to_vec();
                }
                self.version = h.version;
                let dcid = self.last_dcid.clone();
                if let Some((_, plain)) = self
                    .keys(h.version, &dcid, server)
                    .and_then(|k| k.open(pkt, &h))
                {
                    let stream = if server {
                        &mut self.server
                    } else {
                        &mut self.client
                    };
                    for (off, data) in crypto_frames(&plain) {
                        stream.add(off, data);
                    }
                }
            }
            rest = rest.get(len..).unwrap_or(&[]);
        }
    }

    fn client_event(&self, ts_ns: u64) -> Option<EveBody> {
        let msg = self.client.first_message()?;
        if msg.first() != Some(&HS_CLIENT_HELLO) {
            return None;
        }
        let ch = parse_client_hello(msg.get(4..)?)?;
        let rec = ClientHelloRec::from_view(&ch);
        let mut q = Map::new();
        q.insert("version".into(), json!(version_string(self.version)));
        if let Some(sni) = rec.sni_str() {
            q.insert("sni".into(), json!(sni));
        }
        let j = ja3_string(&rec);
        q.insert("ja3".into(), json!({"hash": md5_hex(&j), "string": j}));
        q.insert("ja4".into(), json!(ja4(&rec, true)));
        let ext = extensions_json(ch.extensions);
        if !ext.is_empty() {
            q.insert("extensions".into(), Value::Array(ext));
        }
        let vigil = json!({
            "client_initial_dcid": hex::encode(&self.first_dcid),
            "client_scid": hex::encode(&self.client_scid),
        });
        Some(body(Dir::ToServer, ts_ns, q, vigil))
    }

    fn server_event(&self, ts_ns: u64) -> Option<EveBody> {
        let msg = self.server.first_message()?;
        if msg.first() != Some(&HS_SERVER_HELLO) {
            return None;
        }
        let sh = parse_server_hello(msg.get(4..)?)?;
        let rec = ServerHelloRec::from_view(&sh);
        let mut q = Map::new();
        q.insert("version".into(), json!(version_string(self.version)));
        let j = ja3s_string(&rec);
        q.insert("ja3s".into(), json!({"hash": md5_hex(&j), "string": j}));
        let ext = extensions_json(sh.extensions);
        if !ext.is_empty() {
            q.insert("extensions".into(), Value::Array(ext));
        }
        let vigil = json!({
            "server_scid": hex::encode(&self.server_scid),
            "tls_version": version_name(rec.version()),
            "cipher": rec.cipher,
        });
        Some(body(Dir::ToClient, ts_ns, q, vigil))
    }

    /// A client event with only the version, for a flow whose ClientHello never
    /// completed.
    fn bare_event(&self) -> EveBody {
        let q = Map::from_iter([("version".to_string(), json!(version_string(self.version)))]);
        let vigil = json!({
            "client_initial_dcid": hex::encode(&self.first_dcid),
            "client_scid": hex::encode(&self.client_scid),
            "client_hello_incomplete": true,
        });
        body(Dir::ToServer, self.ts_ns, q, vigil)
    }
}

fn body(dir: Dir, ts_ns: u64, quic: Map<String, Value>, vigil: Value) -> EveBody {
    let mut fields = Map::new();
    fields.insert("event_type".into(), json!("quic"));
    fields.insert("quic".into(), Value::Object(quic));
    fields.insert("vigil".into(), vigil);
    EveBody { dir, ts_ns, fields }
}

/// Turns QUIC Initial records into `quic` EVE bodies.
#[derive(Debug, Default)]
pub struct QuicTracker {
    flows: HashMap<u64, QuicFlow>,
}

impl Tracker for QuicTracker {
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        let server = match kind {
            RecordKind::QuicInitial => false,
            RecordKind::QuicServerInitial => true,
            _ => return,
        };
        let Some(_version) = r.u32() else {
            return;
        };
        if server {
            if r.bytes().is_none() {
                return;
            }
        } else if r.u8().is_none() {
            return;
        }
        let Some(dgram) = r.bytes() else {
            return;
        };
        let fl = self.flows.entry(ctx.flow_id).or_default();
        if server && fl.first_dcid.is_empty() {
            // Without the client's DCID the server's keys are unknown.
            return;
        }
        fl.ts_ns = ctx.ts_ns;
        if server {
            if fl.server_logged {
                return;
            }
            fl.absorb(dgram, true);
            if let Some(e) = fl.server_event(ctx.ts_ns) {
                fl.server_logged = true;
                out.push(e);
            }
        } else {
            if fl.client_logged {
                return;
            }
            fl.absorb(dgram, false);
            if let Some(e) = fl.client_event(ctx.ts_ns) {
                fl.client_logged = true;
                out.push(e);
            }
        }
    }

    fn flow_end(&mut self, ctx: &RecordCtx, out: &mut Vec<EveBody>) {
        if let Some(fl) = self.flows.remove(&ctx.flow_id) {
            if !fl.client_logged && !fl.first_dcid.is_empty() {
                out.push(fl.bare_event());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(extension_name(5), Some("status_request"));
        assert_eq!(extension_name(16), Some("alpn"));
        assert_eq!(extension_name(57), Some("quic_transport_parameters"));
        assert_eq!(extension_name(40), None);
        assert_eq!(extension_name(0x0a0a), None);
        assert_eq!(version_string(1), "1");
        assert_eq!(version_string(0x6b3343cf), "6b3343cf");
    }
}
