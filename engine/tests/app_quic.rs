//! The QUIC parser (worker half `QuicState` + control plane `QuicTracker`) against real
//! captures and their expectations (suricata-verify test.yaml / rules, Zeek quic.log and
//! ssl.log), plus Initials built here (CRYPTO frames out of order, spread over packets,
//! coalesced with other packets; v1 and v2) and the EVE schema.

#[path = "app_tls_support.rs"]
mod support;
use ring::aead::quic::{HeaderProtectionKey, AES_128};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use ring::hkdf::{KeyType, Prk, Salt, HKDF_SHA256};
use std::collections::HashMap;
use support::*;
use vigil::app::quic::{looks_like_quic, QuicState, QuicTracker, QUIC_V1, QUIC_V2};
use vigil::app::{Dir, RecordCtx, RecordKind, Tracker, VecSink};
use vigil::wire::Reader;

const QUIC_CAPTURES: &[&str] = &[
    "suricata-verify/ja4-quic/input.pcap",
    "suricata-verify/ja4-tls-quic/input.pcap",
    "suricata-verify/quic-v2/input.pcap",
    "suricata-verify/quic-ietf-ja3/input.pcap",
    "zeek-traces/curl-8.1.2-dev-http3-www-google-de/curl-8.1.2-dev-http3-www-google-de.pcap",
    "malware/zeek_merlinc2_Zeek_example.pcapng",
];

/// suricata-verify ja4-quic (11 flows, one JA4), ja4-tls-quic (TLS and QUIC JA4),
/// quic-v2 (extension names and values).
#[test]
fn suricata_verify_quic_expectations() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in ["ja4-quic", "ja4-tls-quic", "quic-v2"] {
        let (Some(y), Some(p)) = (
            shared(&format!("suricata-verify/{dir}/test.yaml")),
            shared(&format!("suricata-verify/{dir}/input.pcap")),
        ) else {
            continue;
        };
        for (ok, line) in run_sv_checks(&y, &events(&p)) {
            ran += 1;
            println!("{} {line}", if ok { "ok  " } else { "FAIL" });
            if !ok {
                failures.push(line);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    if pcaps().is_some() {
        assert_eq!(ran, 4);
    }
}

/// quic-ietf-ja3's rules: `ja3s.string; content:"771,4866,43-51-41"` matches (the server's
/// ServerHello), `ja3.hash; content:"deadbeef..."` does not.
#[test]
fn quic_ietf_ja3_rules() {
    let Some(p) = shared("suricata-verify/quic-ietf-ja3/input.pcap") else {
        return;
    };
    let ev = events(&p);
    let quic = of_type(&ev, "quic");
    let ja3s: Vec<String> = quic
        .iter()
        .filter_map(|e| e.obj("quic").get("ja3s"))
        .map(|j| j["string"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ja3s.len(), 1);
    assert!(ja3s[0].contains("771,4866,43-51-41"), "{ja3s:?}");
    for e in &quic {
        if let Some(j) = e.obj("quic").get("ja3") {
            assert!(!j["hash"].as_str().unwrap().contains("deadbeef"));
        }
    }
    let client = quic.iter().find(|e| e.body.dir == Dir::ToServer).unwrap();
    assert_eq!(client.s("quic", "sni").unwrap(), "msquic.net");
    assert_eq!(client.s("quic", "version").unwrap(), "1");
}

/// QUIC version 2: the version is written as Suricata does (`6b3343cf`) and both sides'
/// Initials decrypt with the v2 salt and labels.
#[test]
fn quic_v2_both_sides() {
    let Some(p) = shared("suricata-verify/quic-v2/input.pcap") else {
        return;
    };
    let ev = events(&p);
    let quic = of_type(&ev, "quic");
    assert_eq!(quic.len(), 2);
    for e in &quic {
        assert_eq!(e.s("quic", "version").unwrap(), "6b3343cf");
    }
    let server = quic.iter().find(|e| e.body.dir == Dir::ToClient).unwrap();
    assert_eq!(server.body.fields["vigil"]["tls_version"], "TLS 1.3");
}

/// A Zeek log as rows of named fields.
fn zeek_log(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(String::from).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(String::from))
                    .collect(),
            );
        }
    }
    rows
}

/// Zeek quic.log (version, client_initial_dcid, client_scid, server_scid, server_name,
/// client_protocol) and ssl.log (TLSv13, TLS_AES_128_GCM_SHA256) for curl's HTTP/3 to
/// www.google.de and the Merlin C2 capture.
#[test]
fn zeek_quic_baselines() {
    let cases = [
        (
            "zeek-traces/curl-8.1.2-dev-http3-www-google-de/curl-8.1.2-dev-http3-www-google-de.pcap",
            "zeek-traces/curl-8.1.2-dev-http3-www-google-de/baseline/scripts.base.protocols.quic.curl-http3.quic.log",
            "zeek-traces/curl-8.1.2-dev-http3-www-google-de/baseline/scripts.base.protocols.quic.curl-http3.ssl.log",
        ),
        (
            "malware/zeek_merlinc2_Zeek_example.pcapng",
            "malware/zeek_merlinc2.baseline.quic.log",
            "malware/zeek_merlinc2.baseline.ssl.log",
        ),
    ];
    let mut checked = 0;
    for (pcap, qlog, slog) in cases {
        let (Some(p), Some(q), Some(s)) = (shared(pcap), shared(qlog), shared(slog)) else {
            continue;
        };
        let ev = events(&p);
        let quic = of_type(&ev, "quic");
        let qrows = zeek_log(&q);
        let srows = zeek_log(&s);
        for row in qrows
            .iter()
            .filter(|r| r.contains_key("client_initial_dcid"))
        {
            let port: u16 = row["id.orig_p"].parse().unwrap();
            let Some(client) = quic
                .iter()
                .find(|e| e.flow.client.1 == port && e.body.dir == Dir::ToServer)
            else {
                continue;
            };
            let server = quic
                .iter()
                .find(|e| e.flow.client.1 == port && e.body.dir == Dir::ToClient)
                .expect("server event");
            let ctx = client.full().to_string();
            assert_eq!(
                client.s("quic", "version").unwrap(),
                row["version"],
                "{ctx}"
            );
            let v = &client.body.fields["vigil"];
            assert_eq!(
                v["client_initial_dcid"],
                row["client_initial_dcid"].as_str(),
                "{ctx}"
            );
            assert_eq!(v["client_scid"], row["client_scid"].as_str(), "{ctx}");
            assert_eq!(
                server.body.fields["vigil"]["server_scid"],
                row["server_scid"].as_str()
            );
            let sni = client.s("quic", "sni").unwrap_or_else(|| "-".into());
            assert_eq!(sni, row["server_name"]);
            let alpn = client.obj("quic")["extensions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["type"] == 16)
                .map(|e| e["values"][0].as_str().unwrap().to_string());
            assert_eq!(alpn.as_deref(), Some(row["client_protocol"].as_str()));
            let ssl = srows
                .iter()
                .find(|r| r.get("id.orig_p") == Some(&row["id.orig_p"]) && r.contains_key("cipher"))
                .unwrap();
            assert_eq!(ssl["version"], "TLSv13");
            assert_eq!(ssl["cipher"], "TLS_AES_128_GCM_SHA256");
            assert_eq!(server.body.fields["vigil"]["tls_version"], "TLS 1.3");
            assert_eq!(server.body.fields["vigil"]["cipher"], 0x1301);
            checked += 1;
        }
    }
    if pcaps().is_some() {
        assert_eq!(checked, 2);
    }
}

/// Every quic event validates against Suricata's EVE schema (vigil set aside).
#[test]
fn quic_events_validate_against_eve_schema() {
    let Some(v) = schema() else {
        eprintln!("SKIPPED: schema not found");
        return;
    };
    let mut n = 0;
    for rel in QUIC_CAPTURES {
        let Some(p) = shared(rel) else { continue };
        let ev = events(&p);
        n += ev.len();
        let errs = schema_errors(&v, &ev);
        assert!(errs.is_empty(), "{rel}: {errs:#?}");
    }
    let ev = synthetic_events();
    n += ev.len();
    assert!(schema_errors(&v, &ev).is_empty());
    assert!(n >= 12);
}

/// UDP that is not QUIC (DNS, short headers first, unknown versions) is refused.
#[test]
fn non_quic_is_refused() {
    let dns = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    assert!(!looks_like_quic(&dns));
    let mut st = QuicState::default();
    let mut sink = VecSink::default();
    assert!(!st.datagram(Dir::ToServer, &dns, &mut sink));
    assert!(!st.datagram(Dir::ToServer, &[0xc3, 0, 0, 0, 1, 0, 0, 0, 1, 0], &mut sink));
    assert!(sink.records.is_empty());
    // Unknown version in a long header.
    let mut st = QuicState::default();
    assert!(!st.datagram(
        Dir::ToServer,
        &[0xc3, 0xaa, 0xbb, 0, 1, 0, 0, 0, 1, 0],
        &mut sink
    ));
    if let Some(p) = shared("zeek-traces/dns53/dns53.pcap") {
        for fl in flows(&p).into_iter().filter(|f| !f.tcp) {
            assert!(!looks_like_quic(&fl.pkts[0].1.payload));
        }
    }
}

// --- Initials built here -------------------------------------------------------------

struct Len(usize);
impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &Prk, label: &str, n: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let len = (n as u16).to_be_bytes();
    let info: [&[u8]; 4] = [&len, &[full.len() as u8], full.as_bytes(), &[0]];
    let mut out = vec![0u8; n];
    prk.expand(&info, Len(n)).unwrap().fill(&mut out).unwrap();
    out
}

/// A protected client Initial (an independent implementation of RFC 9001 §5 for tests).
fn seal_initial(version: u32, dcid: &[u8], scid: &[u8], pn: u32, frames: &[u8]) -> Vec<u8> {
    let salt: &[u8] = if version == QUIC_V2 {
        &[
            0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
            0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
        ]
    } else {
        &[
            0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
            0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
        ]
    };
    let pre = if version == QUIC_V2 {
        "quicv2 "
    } else {
        "quic "
    };
    let initial = Salt::new(HKDF_SHA256, salt).extract(dcid);
    let secret = expand(&initial, "client in", 32);
    let prk = Prk::new_less_safe(HKDF_SHA256, &secret);
    let key = expand(&prk, &format!("{pre}key"), 16);
    let iv = expand(&prk, &format!("{pre}iv"), 12);
    let hp = expand(&prk, &format!("{pre}hp"), 16);
    let mut payload = frames.to_vec();
    if payload.len() < 20 {
        payload.resize(20, 0); // PADDING
    }
    let ty = if version == QUIC_V2 { 0x10 } else { 0x00 };
    let mut hdr = vec![0xc3 | ty];
    hdr.extend_from_slice(&version.to_be_bytes());
    hdr.push(dcid.len() as u8);
    hdr.extend_from_slice(dcid);
    hdr.push(scid.len() as u8);
    hdr.extend_from_slice(scid);
    hdr.push(0); // token length
    let length = 4 + payload.len() + 16;
    hdr.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
    let pn_offset = hdr.len();
    hdr.extend_from_slice(&pn.to_be_bytes());
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    for (i, b) in u64::from(pn).to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let k = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).unwrap());
    k.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&hdr[..]),
        &mut payload,
    )
    .unwrap();
    let mask = HeaderProtectionKey::new(&AES_128, &hp)
        .unwrap()
        .new_mask(&payload[..16])
        .unwrap();
    hdr[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        hdr[pn_offset + i] ^= mask[1 + i];
    }
    hdr.extend_from_slice(&payload);
    hdr
}

/// A CRYPTO frame (4-byte varints).
fn crypto(offset: usize, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend_from_slice(&(0x8000_0000u32 | offset as u32).to_be_bytes());
    f.extend_from_slice(&(0x8000_0000u32 | data.len() as u32).to_be_bytes());
    f.extend_from_slice(data);
    f
}

/// A real ClientHello handshake message (from the TLS flow of ja4-tls-quic, else a
/// minimal one).
fn client_hello() -> Vec<u8> {
    if let Some(p) = shared("suricata-verify/ja4-tls-quic/input.pcap") {
        let fl = flows(&p).into_iter().find(|f| f.tcp).unwrap();
        let stream: Vec<u8> = tcp_chunks(&fl)
            .into_iter()
            .filter(|c| c.1 == Dir::ToServer)
            .flat_map(|c| c.2)
            .collect();
        let len = usize::from(u16::from_be_bytes([stream[3], stream[4]]));
        return stream[5..5 + len].to_vec();
    }
    // legacy_version, random, no session id, 1 cipher, null compression, SNI "q.test".
    let mut body = vec![3, 3];
    body.extend_from_slice(&[1; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    let sni = b"q.test";
    let mut ext = vec![0, 0];
    let list_len = 3 + sni.len();
    ext.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
    ext.extend_from_slice(&(list_len as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    ext.extend_from_slice(sni);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut m = vec![1];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(&body);
    m
}

/// Runs datagrams (client side) through the worker and the tracker.
fn run(dgrams: &[Vec<u8>]) -> (Vec<(RecordKind, Vec<u8>)>, Vec<vigil::app::EveBody>) {
    let mut st = QuicState::default();
    let mut tr = QuicTracker::default();
    let mut recs = Vec::new();
    let mut out = Vec::new();
    let ctx = RecordCtx {
        flow_id: 7,
        ts_ns: 1_700_000_000_000_000_000,
        dir: Dir::ToServer,
    };
    for d in dgrams {
        let mut sink = VecSink::default();
        assert!(st.datagram(Dir::ToServer, d, &mut sink));
        for (k, b) in sink.records {
            tr.record(k, &ctx, &mut Reader::new(&b), &mut out);
            recs.push((k, b));
        }
    }
    tr.flow_end(&ctx, &mut out);
    (recs, out)
}

/// The ClientHello split in three CRYPTO frames, sent in reverse order over two
/// Initials, the second coalesced with a (junk) Handshake packet: reassembled.
fn split_datagrams(version: u32) -> Vec<Vec<u8>> {
    let ch = client_hello();
    let (a, rest) = ch.split_at(ch.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let dcid = [0xd1, 0xc1, 0xd0, 0x01, 0x02, 0x03, 0x04, 0x05];
    let mut f1 = crypto(a.len() + b.len(), c);
    f1.extend_from_slice(&[0x01, 0x00, 0x00]); // PING, PADDING
    f1.extend_from_slice(&crypto(a.len(), b));
    let p1 = seal_initial(version, &dcid, &[0xee; 4], 0, &f1);
    let p2 = seal_initial(version, &dcid, &[0xee; 4], 1, &crypto(0, a));
    let mut d2 = p2;
    // A Handshake packet coalesced after the Initial (type 2 in v1, 3 in v2).
    let hs_type = if version == QUIC_V2 { 0x30 } else { 0x20 };
    let mut hs = vec![0xc0 | hs_type];
    hs.extend_from_slice(&version.to_be_bytes());
    hs.extend_from_slice(&[8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0x40, 30]);
    hs.extend_from_slice(&[0x5a; 30]);
    d2.extend_from_slice(&hs);
    vec![p1, d2]
}

fn synthetic_events() -> Vec<Event> {
    let fl = Flow {
        id: 7,
        tcp: false,
        client: ("10.0.0.1".parse().unwrap(), 50000),
        server: ("10.0.0.2".parse().unwrap(), 443),
        pkts: Vec::new(),
    };
    let mut out = Vec::new();
    for v in [QUIC_V1, QUIC_V2] {
        for body in run(&split_datagrams(v)).1 {
            out.push(Event {
                flow: fl.clone(),
                body,
            });
        }
    }
    out
}

#[test]
fn crypto_frames_out_of_order_over_two_initials() {
    let ch = client_hello();
    let want = vigil::app::tls::parse_client_hello(&ch[4..]).unwrap();
    let want = vigil::app::tls::ClientHelloRec::from_view(&want);
    for v in [QUIC_V1, QUIC_V2] {
        let (recs, out) = run(&split_datagrams(v));
        assert_eq!(recs.len(), 2);
        assert!(recs.iter().all(|r| r.0 == RecordKind::QuicInitial));
        assert_eq!(out.len(), 1, "one client event");
        let q = out[0].fields["quic"].as_object().unwrap();
        assert_eq!(q["version"], format!("{v:x}"));
        assert_eq!(
            q.get("sni").and_then(|s| s.as_str()),
            want.sni_str().as_deref()
        );
        assert_eq!(q["ja4"], vigil::app::tls::ja4(&want, true));
        assert!(q["ja4"].as_str().unwrap().starts_with('q'));
        assert_eq!(
            q["extensions"].as_array().unwrap().len(),
            vigil::app::tls::Extensions::new(
                vigil::app::tls::parse_client_hello(&ch[4..])
                    .unwrap()
                    .extensions
            )
            .count()
        );
    }
    // Only the second half: no event until the flow ends, then a bare one.
    let d = split_datagrams(QUIC_V1);
    let (_, out) = run(&d[..1]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].fields["vigil"]["client_hello_incomplete"], true);
}

/// At most four client Initials are shipped, whatever the client sends.
#[test]
fn initials_shipped_are_bounded() {
    let d = split_datagrams(QUIC_V1);
    let many: Vec<Vec<u8>> = (0..10).map(|i| d[i % 2].clone()).collect();
    let (recs, _) = run(&many);
    assert_eq!(recs.len(), 4);
}

/// Truncated, garbled and random datagrams never panic either half.
#[test]
fn fuzz_entry_smoke() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut dgrams: Vec<(Dir, Vec<u8>)> = split_datagrams(QUIC_V1)
        .into_iter()
        .map(|d| (Dir::ToServer, d))
        .collect();
    for rel in QUIC_CAPTURES {
        let Some(p) = shared(rel) else { continue };
        for fl in flows(&p).into_iter().filter(|f| !f.tcp).take(3) {
            dgrams.extend(fl.pkts.iter().take(6).map(|(d, p)| (*d, p.payload.clone())));
        }
    }
    let encode = |ds: &[(Dir, Vec<u8>)]| {
        let mut v = Vec::new();
        for (d, p) in ds {
            v.push(d.index() as u8);
            v.extend_from_slice(&(p.len() as u16).to_be_bytes());
            v.extend_from_slice(p);
        }
        v
    };
    inputs.push(encode(&dgrams));
    for _ in 0..200 {
        let mut ds = dgrams.clone();
        for (_, p) in ds.iter_mut() {
            if p.is_empty() {
                continue;
            }
            for _ in 0..(rnd() % 4) {
                let i = (rnd() as usize) % p.len();
                p[i] ^= 1 << (rnd() % 8);
            }
            let keep = (rnd() as usize) % (p.len() + 1);
            if rnd() % 3 == 0 {
                p.truncate(keep);
            }
        }
        inputs.push(encode(&ds));
    }
    for i in &inputs {
        vigil::app::quic::fuzz_entry(i);
    }
}
