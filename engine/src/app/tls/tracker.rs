//! The TLS control-plane half: pairs the ClientHello, ServerHello and certificate records
//! of a flow and writes one Suricata-style `tls` EVE body per session.
//!
//! A session is written when what Suricata would log is known: after the certificate
//! (TLS ≤ 1.2), after the ServerHello for TLS 1.3 or a resumed session, otherwise when
//! the flow ends, with whatever was seen.

use super::cert::{cert_fields, fingerprint, format_time, CertFields};
use super::fingerprint::{ja3_string, ja3s_string, ja4, md5_hex};
use super::hello::is_tls13;
use super::record::{CertificateRec, ClientHelloRec, ServerHelloRec, CERT_CUT, SH_RESUMED};
use crate::app::{Dir, EveBody, RecordCtx, RecordKind, Tracker};
use crate::wire::Reader;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Suricata's name of a protocol version (`TLS 1.2`, `TLSv1`, `TLS 1.3 draft-28`, ...).
pub fn version_name(v: u16) -> String {
    match v {
        0 => "UNDETERMINED".into(),
        0x0002 => "SSLv2".into(),
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0x7f10..=0x7f1d => format!("TLS 1.3 draft-{}", v & 0xff),
        0x7f01 => "TLS 1.3 draft-<16".into(),
        0xfb14..=0xfb17 | 0xfb1a => format!("TLS 1.3 draft-{}-fb", v & 0xff),
        _ => format!("0x{v:04x}"),
    }
}

/// What one flow's TLS session has shown so far.
#[derive(Debug, Default)]
struct Session {
    ch: Option<ClientHelloRec>,
    sh: Option<ServerHelloRec>,
    cert: Option<CertificateRec>,
    /// Packet time of the last record.
    ts_ns: u64,
    /// Already written.
    logged: bool,
}

impl Session {
    /// Whether the server resumed the client's session (it echoed a non-empty id).
    fn resumed(&self) -> bool {
        match (&self.ch, &self.sh) {
            (Some(ch), Some(sh)) => !ch.session_id.is_empty() && ch.session_id == sh.session_id,
            (None, Some(sh)) => sh.flags & SH_RESUMED != 0,
            _ => false,
        }
    }

    /// Whether the server will send nothing more in the clear that Vigil logs.
    fn complete(&self) -> bool {
        self.cert.is_some()
            || self
                .sh
                .as_ref()
                .is_some_and(|sh| is_tls13(sh.version()) || self.resumed())
    }
}

/// Builds the `tls` object and Vigil's extras for a session.
fn eve_fields(s: &Session) -> Map<String, Value> {
    let mut tls = Map::new();
    let mut vigil = Map::new();
    let cert: Option<CertFields> = s
        .cert
        .as_ref()
        .filter(|c| c.flags & CERT_CUT == 0)
        .and_then(|c| cert_fields(&c.der));
    if let Some(c) = &cert {
        tls.insert("subject".into(), json!(c.subject));
        tls.insert("issuerdn".into(), json!(c.issuerdn));
    }
    let tls13 = s.sh.as_ref().is_some_and(|sh| is_tls13(sh.version()));
    if s.resumed() && s.cert.is_none() && !tls13 {
        tls.insert("session_resumed".into(), json!(true));
    }
    if let Some(c) = &cert {
        tls.insert("serial".into(), json!(c.serial));
        tls.insert("fingerprint".into(), json!(c.fingerprint));
    } else if let Some(rec) = s.cert.as_ref().filter(|c| c.flags & CERT_CUT == 0) {
        // Not parseable as X.509, but the bytes are whole: the fingerprint still holds.
        tls.insert("fingerprint".into(), json!(fingerprint(&rec.der)));
    }
    if let Some(sni) = s.ch.as_ref().and_then(ClientHelloRec::sni_str) {
        tls.insert("sni".into(), json!(sni));
    }
    // The server's version; without a ServerHello, the client's (as Suricata ≥ 8.0.3).
    let version = match (&s.sh, &s.ch) {
        (Some(sh), _) => sh.version(),
        (None, Some(ch)) => ch.legacy_version,
        (None, None) => 0,
    };
    tls.insert("version".into(), json!(version_name(version)));
    if let Some(c) = &cert {
        // Suricata leaves out a time of exactly 0.
        for (k, t) in [("notbefore", c.not_before), ("notafter", c.not_after)] {
            if let Some(f) = (t != 0).then(|| format_time(t)).flatten() {
                tls.insert(k.into(), json!(f));
            }
        }
    }
    if let Some(ch) = &s.ch {
        let j = ja3_string(ch);
        tls.insert("ja3".into(), json!({"hash": md5_hex(&j), "string": j}));
    }
    if let Some(sh) = &s.sh {
        let j = ja3s_string(sh);
        tls.insert("ja3s".into(), json!({"hash": md5_hex(&j), "string": j}));
    }
    if let Some(ch) = &s.ch {
        tls.insert("ja4".into(), json!(ja4(ch, false)));
    }
    if let Some(c) = cert.as_ref().filter(|c| !c.sans.is_empty()) {
        tls.insert("subjectaltname".into(), json!(c.sans));
    }
    if let Some(ch) = s.ch.as_ref().filter(|ch| !ch.alpns.is_empty()) {
        let a: Vec<String> = ch
            .alpns
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        tls.insert("client_alpns".into(), json!(a));
    }
    if let Some(a) = s.sh.as_ref().and_then(|sh| sh.alpn.as_ref()) {
        tls.insert(
            "server_alpns".into(),
            json!([String::from_utf8_lossy(a).into_owned()]),
        );
    }
    if let Some(sh) = &s.sh {
        vigil.insert("cipher".into(), json!(sh.cipher));
    }
    if let Some(c) = &cert {
        vigil.insert("self_signed".into(), json!(c.self_signed));
        let now = (s.ts_ns / 1_000_000_000) as i64;
        vigil.insert("cert_expired".into(), json!(c.not_after < now));
    }
    if let Some(rec) = &s.cert {
        if rec.chain_len > 0 {
            vigil.insert("cert_chain_len".into(), json!(rec.chain_len));
        }
        if rec.flags & CERT_CUT != 0 {
            vigil.insert("cert_truncated".into(), json!(true));
        }
    }
    let mut fields = Map::new();
    fields.insert("event_type".into(), json!("tls"));
    fields.insert("tls".into(), Value::Object(tls));
    if !vigil.is_empty() {
        fields.insert("vigil".into(), Value::Object(vigil));
    }
    fields
}

/// Turns TLS records into `tls` EVE bodies (one per session).
#[derive(Debug, Default)]
pub struct TlsTracker {
    flows: HashMap<u64, Session>,
}

impl TlsTracker {
    /// Flows with a session still waiting.
    pub fn pending(&self) -> usize {
        self.flows.len()
    }

    fn log(s: &mut Session, out: &mut Vec<EveBody>) {
        if s.logged || (s.ch.is_none() && s.sh.is_none() && s.cert.is_none()) {
            return;
        }
        s.logged = true;
        out.push(EveBody {
            dir: Dir::ToServer,
            ts_ns: s.ts_ns,
            fields: eve_fields(s),
        });
    }
}

impl Tracker for TlsTracker {
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        let s = self.flows.entry(ctx.flow_id).or_default();
        match kind {
            RecordKind::TlsClientHello => {
                let Some(ch) = ClientHelloRec::read(r) else {
                    return;
                };
                if s.logged || s.ch.is_some() {
                    // A new handshake on the same flow: a new session.
                    Self::log(s, out);
                    *s = Session::default();
                }
                s.ch = Some(ch);
            }
            RecordKind::TlsServerHello => {
                let Some(sh) = ServerHelloRec::read(r) else {
                    return;
                };
                if s.sh.is_some() {
                    return;
                }
                s.sh = Some(sh);
            }
            RecordKind::TlsCertificate => {
                let Some(c) = CertificateRec::read(r) else {
                    return;
                };
                if s.cert.is_some() {
                    return;
                }
                s.cert = Some(c);
            }
            _ => return,
        }
        s.ts_ns = ctx.ts_ns;
        if s.complete() {
            Self::log(s, out);
        }
    }

    fn flow_end(&mut self, ctx: &RecordCtx, out: &mut Vec<EveBody>) {
        if let Some(mut s) = self.flows.remove(&ctx.flow_id) {
            Self::log(&mut s, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names() {
        assert_eq!(version_name(0x0301), "TLSv1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x0304), "TLS 1.3");
        assert_eq!(version_name(0x7f1c), "TLS 1.3 draft-28");
        assert_eq!(version_name(0), "UNDETERMINED");
        assert_eq!(version_name(0x1234), "0x1234");
    }
}
