//! The TLS parser (worker half `TlsState` + control plane `TlsTracker`) against real
//! captures and the expectations recorded beside them: suricata-verify `test.yaml`
//! checks, Zeek ssl.log / x509.log / notice.log baselines; plus re-segmentation,
//! re-fragmentation and oversized-chain cases built from the same bytes, and the EVE
//! schema. Captures are read from `../shared/pcaps` (tests skip when it is absent).

#[path = "app_tls_support.rs"]
mod support;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use support::*;
use vigil::app::tls::{ClientHelloRec, TlsState};
use vigil::app::{Dir, Progress, RecordKind, VecSink};
use vigil::wire::Reader;

/// Prints the events of the captures named in `DUMP` (comma-separated, relative to the
/// shared captures): a debugging aid, `DUMP=... cargo test --test app_tls dump -- --nocapture`.
#[test]
fn dump() {
    let list = std::env::var("DUMP").unwrap_or_default();
    for rel in list.split(',').filter(|s| !s.is_empty()) {
        let p = if rel.starts_with('/') {
            std::path::PathBuf::from(rel)
        } else {
            let Some(p) = shared(rel) else { continue };
            p
        };
        for e in events(&p) {
            println!("{}", e.full());
        }
    }
}

/// (test.yaml, capture) pairs of suricata-verify tests about TLS.
const SV_TLS: &[(&str, &str)] = &[
    (
        "suricata-verify/ja4-tls/test.yaml",
        "suricata-verify/ja4-tls/input.pcap",
    ),
    (
        "suricata-verify/tls13-draft28/test.yaml",
        "suricata-verify/tls13-draft28/tls13_draft28.pcap",
    ),
    (
        "suricata-verify/tls-cert-issuer/test.yaml",
        "suricata-verify/tls-cert-issuer/tls.pcap",
    ),
    (
        "suricata-verify/tls-cert-validity/test.yaml",
        "suricata-verify/tls-cert-issuer/tls.pcap",
    ),
    (
        "suricata-verify/tls-pre-1970/test.yaml",
        "suricata-verify/tls-pre-1970/input.pcap",
    ),
    (
        "suricata-verify/tls-glupteba/test.yaml",
        "suricata-verify/tls-glupteba/input.pcap",
    ),
    (
        "suricata-verify/tls-client-hello-frag-01/test.yaml",
        "suricata-verify/tls-client-hello-frag-01/dump_mtu300.pcap",
    ),
    (
        "suricata-verify/community-id-ipv4/test.yaml",
        "suricata-verify/community-id-ipv4/input.pcap",
    ),
    (
        "suricata-verify/community-id-ipv6/test.yaml",
        "suricata-verify/community-id-ipv6/input.pcap",
    ),
    (
        "malware/sv_bug-5713-01.test.yaml",
        "malware/sv_bug-5713-01_TLSv1-Extracted-MaliciousC2.pcap",
    ),
    (
        "malware/sv_tls-glupteba.test.yaml",
        "malware/sv_tls-glupteba.pcap",
    ),
    (
        "mixed/sv_tls-subjectaltname.test.yaml",
        "mixed/sv_tls-subjectaltname_input.pcap",
    ),
];

/// Every `tls` check of those test.yaml files holds (counts and field values).
#[test]
fn suricata_verify_tls_expectations() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (yaml, pcap) in SV_TLS {
        let (Some(y), Some(p)) = (shared(yaml), shared(pcap)) else {
            continue;
        };
        let ev = events(&p);
        let res = run_sv_checks(&y, &ev);
        assert!(!res.is_empty(), "{yaml}: no tls check found");
        for (ok, line) in res {
            ran += 1;
            println!("{} {line}", if ok { "ok  " } else { "FAIL" });
            if !ok {
                failures.push(line);
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    if pcaps().is_some() {
        assert!(ran >= 16, "only {ran} checks ran");
    }
}

/// tls-cert-issuer: the four full handshakes carry the self-signed SELKS certificate;
/// the fifth connection resumed the session.
#[test]
fn selks_self_signed_and_resumed() {
    let Some(p) = shared("suricata-verify/tls-cert-issuer/tls.pcap") else {
        return;
    };
    let ev = events(&p);
    let tls = of_type(&ev, "tls");
    assert_eq!(tls.len(), 5);
    let with_cert: Vec<_> = tls
        .iter()
        .filter(|e| e.s("tls", "subject").is_some())
        .collect();
    assert_eq!(with_cert.len(), 4);
    for e in &with_cert {
        let v = &e.body.fields["vigil"];
        assert_eq!(v["self_signed"], true, "{}", e.full());
        assert_eq!(v["cert_chain_len"], 1);
        assert_eq!(
            e.s("tls", "subject").unwrap(),
            "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS"
        );
        assert_eq!(e.s("tls", "version").unwrap(), "TLS 1.2");
        assert_eq!(
            e.obj("tls")["client_alpns"],
            serde_json::json!(["spdy/3.1", "http/1.1"])
        );
    }
    let resumed: Vec<_> = tls
        .iter()
        .filter(|e| e.obj("tls").get("session_resumed") == Some(&Value::Bool(true)))
        .collect();
    assert_eq!(resumed.len(), 1);
    assert!(resumed[0].s("tls", "subject").is_none());
}

/// The JA3S of a TLS 1.3 draft server and the JA3 of its client, checked against the
/// test.yaml strings by hand too (the MD5 of the string).
#[test]
fn ja3_hash_is_md5_of_string() {
    let Some(p) = shared("suricata-verify/tls13-draft28/tls13_draft28.pcap") else {
        return;
    };
    for e in of_type(&events(&p), "tls") {
        for k in ["ja3", "ja3s"] {
            let o = &e.obj("tls")[k];
            let s = o["string"].as_str().unwrap();
            assert_eq!(o["hash"].as_str().unwrap(), vigil::app::tls::md5_hex(s));
        }
    }
}

/// A Zeek log as rows of named fields (all sections of the file).
fn zeek_log(path: &Path) -> Vec<HashMap<String, String>> {
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

/// Zeek's version names to Suricata's.
fn zeek_version(v: &str) -> &'static str {
    match v {
        "TLSv10" => "TLSv1",
        "TLSv11" => "TLS 1.1",
        "TLSv12" => "TLS 1.2",
        "TLSv13" => "TLS 1.3",
        "SSLv3" => "SSLv3",
        _ => "?",
    }
}

/// IANA numbers of the cipher suites the baselines name.
fn cipher_number(name: &str) -> u64 {
    match name {
        "TLS_RSA_WITH_RC4_128_MD5" => 0x0004,
        "TLS_RSA_WITH_AES_256_CBC_SHA" => 0x0035,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" => 0x0039,
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA" => 0xc011,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => 0xc030,
        "TLS_AES_128_GCM_SHA256" => 0x1301,
        _ => panic!("cipher {name} not in the test's table"),
    }
}

/// Zeek's DN (`CN=a,OU=b,...`, most specific first, `\,` escapes) in Suricata's form.
fn zeek_dn(dn: &str) -> String {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = dn.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts.reverse();
    parts
        .iter()
        .map(|p| p.replacen("street=", "streetAddress=", 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds since the epoch of Suricata's `2015-02-12T18:07:27`.
fn epoch(s: &str) -> i64 {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s, &f)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
}

/// ssl.log (version, cipher, server_name, resumption, chain length) and x509.log
/// (subject, issuer, serial, validity, SAN DNS names of the leaf) baselines.
#[test]
fn zeek_ssl_and_x509_baselines() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "zeek-traces/tls1.2/tls1.2.pcap",
            "zeek-traces/tls1.2/baseline/scripts.base.protocols.ssl.tls-1.2.ssl.log",
            Some("zeek-traces/tls1.2/baseline/scripts.base.protocols.ssl.tls-1.2.x509.log"),
        ),
        (
            "zeek-traces/tls-conn-with-extensions/tls-conn-with-extensions.pcap",
            "zeek-traces/tls-conn-with-extensions/baseline/scripts.base.protocols.ssl.basic.ssl.log",
            Some("zeek-traces/tls-conn-with-extensions/baseline/scripts.base.protocols.ssl.basic.x509.log"),
        ),
        (
            "zeek-traces/tls-expired-cert/tls-expired-cert.pcap",
            "zeek-traces/tls-expired-cert/baseline/scripts.policy.protocols.ssl.validate-certs.ssl-all.log",
            None,
        ),
        (
            "zeek-traces/missing-intermediate/missing-intermediate.pcap",
            "zeek-traces/missing-intermediate/baseline/scripts.policy.protocols.ssl.validate-certs-no-cache.ssl.log",
            None,
        ),
    ];
    let mut checked = 0;
    for (pcap, ssl, x509) in cases {
        let (Some(p), Some(ssl)) = (shared(pcap), shared(ssl)) else {
            continue;
        };
        let ev = events(&p);
        let tls = of_type(&ev, "tls");
        let rows = zeek_log(&ssl);
        let mut matched = 0;
        for e in &tls {
            let port = e.flow.client.1.to_string();
            let Some(row) = rows.iter().find(|r| r["id.orig_p"] == port) else {
                continue;
            };
            matched += 1;
            let ctx = format!("{pcap} port {port}: {}", e.full());
            assert_eq!(
                e.s("tls", "version").unwrap(),
                zeek_version(&row["version"]),
                "{ctx}"
            );
            assert_eq!(
                e.body.fields["vigil"]["cipher"].as_u64().unwrap(),
                cipher_number(&row["cipher"]),
                "{ctx}"
            );
            let sni = e.s("tls", "sni").unwrap_or_else(|| "-".into());
            assert_eq!(sni, row["server_name"], "{ctx}");
            let resumed = e.obj("tls").contains_key("session_resumed");
            assert_eq!(resumed, row["resumed"] == "T", "{ctx}");
            let fps = &row["cert_chain_fps"];
            if fps != "(empty)" && fps != "-" {
                let n = fps.split(',').count() as u64;
                assert_eq!(
                    e.body.fields["vigil"]["cert_chain_len"].as_u64(),
                    Some(n),
                    "{ctx}"
                );
            }
        }
        assert_eq!(
            matched,
            rows.iter()
                .filter(|r| tls
                    .iter()
                    .any(|e| e.flow.client.1.to_string() == r["id.orig_p"]))
                .count()
        );
        assert!(matched >= 1, "{pcap}: no ssl.log row matched");
        checked += matched;
        if let Some(x) = x509.and_then(shared) {
            let leaf = zeek_log(&x)
                .into_iter()
                .find(|r| r["host_cert"] == "T")
                .unwrap();
            let e = tls[0];
            let ctx = e.full().to_string();
            assert_eq!(
                e.s("tls", "subject").unwrap(),
                zeek_dn(&leaf["certificate.subject"]),
                "{ctx}"
            );
            assert_eq!(
                e.s("tls", "issuerdn").unwrap(),
                zeek_dn(&leaf["certificate.issuer"]),
                "{ctx}"
            );
            let serial = e.s("tls", "serial").unwrap().replace(':', "");
            assert_eq!(
                serial.trim_start_matches('0'),
                leaf["certificate.serial"].trim_start_matches('0')
            );
            let nb: f64 = leaf["certificate.not_valid_before"].parse().unwrap();
            let na: f64 = leaf["certificate.not_valid_after"].parse().unwrap();
            assert_eq!(epoch(&e.s("tls", "notbefore").unwrap()), nb as i64);
            assert_eq!(epoch(&e.s("tls", "notafter").unwrap()), na as i64);
            let sans: Vec<String> = e.obj("tls")["subjectaltname"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert_eq!(sans.join(","), leaf["san.dns"]);
            assert_eq!(e.body.fields["vigil"]["self_signed"], false);
        }
    }
    if pcaps().is_some() {
        assert!(checked >= 7, "only {checked} sessions compared");
    }
}

/// notice.log of tls-expired-cert: www.spidh.org had expired at packet time (notAfter
/// 2014-03-04 23:59:59); www.tobu-estate.com was about to (2014-03-14 23:59:59).
#[test]
fn zeek_expired_certificate_notice() {
    let Some(p) = shared("zeek-traces/tls-expired-cert/tls-expired-cert.pcap") else {
        return;
    };
    let ev = events(&p);
    let by_port = |port: u16| {
        of_type(&ev, "tls")
            .into_iter()
            .find(|e| e.flow.client.1 == port)
            .unwrap()
            .clone()
    };
    let spidh = by_port(60539);
    assert_eq!(
        spidh.s("tls", "subject").unwrap(),
        zeek_dn("CN=www.spidh.org,OU=COMODO SSL,OU=Domain Control Validated")
    );
    assert_eq!(spidh.s("tls", "notafter").unwrap(), "2014-03-04T23:59:59");
    assert_eq!(spidh.body.fields["vigil"]["cert_expired"], true);
    let tobu = by_port(60540);
    assert_eq!(
        tobu.s("tls", "subject").unwrap(),
        zeek_dn("CN=www.tobu-estate.com,OU=Terms of use at www.verisign.com/rpa (c)05,O=TOBU RAILWAY Co.\\,Ltd.,L=Sumida-ku,ST=Tokyo,C=JP")
    );
    assert_eq!(tobu.s("tls", "notafter").unwrap(), "2014-03-14T23:59:59");
    assert_eq!(tobu.body.fields["vigil"]["cert_expired"], false);
}

/// Captures with TLS over TCP used by the generic tests below.
const TLS_CAPTURES: &[&str] = &[
    "suricata-verify/ja4-tls/input.pcap",
    "suricata-verify/ja4-tls-quic/input.pcap",
    "suricata-verify/tls13-draft28/tls13_draft28.pcap",
    "suricata-verify/tls-cert-issuer/tls.pcap",
    "suricata-verify/tls-pre-1970/input.pcap",
    "suricata-verify/tls-glupteba/input.pcap",
    "suricata-verify/tls-client-hello-frag-01/dump_mtu300.pcap",
    "suricata-verify/community-id-ipv4/input.pcap",
    "suricata-verify/community-id-ipv6/input.pcap",
    "suricata-verify/tls-certs-alert/input.pcap",
    "zeek-traces/tls1.2/tls1.2.pcap",
    "zeek-traces/tls-conn-with-extensions/tls-conn-with-extensions.pcap",
    "zeek-traces/tls-expired-cert/tls-expired-cert.pcap",
    "zeek-traces/missing-intermediate/missing-intermediate.pcap",
    "malware/sv_bug-5713-01_TLSv1-Extracted-MaliciousC2.pcap",
];

/// Our own captures, recorded on loopback by tests/data/tls/record.sh.
const OWN: &[&str] = &[
    "tls13-alpn.pcap",
    "tls12-chain.pcap",
    "tls12-selfsigned-ec.pcap",
    "tls12-resumed.pcap",
    "tls12-small-records.pcap",
];

/// (name, path) of the shared TLS captures present and of our own.
fn all_tls_captures() -> Vec<(String, std::path::PathBuf)> {
    let mut v: Vec<_> = TLS_CAPTURES
        .iter()
        .filter_map(|r| shared(r).map(|p| (r.to_string(), p)))
        .collect();
    v.extend(OWN.iter().map(|n| (n.to_string(), own(n))));
    v
}

/// The TCP flows of the TLS captures that have payload, with their natural records.
fn tls_flows() -> Vec<(String, Flow, Vec<Rec>)> {
    let mut out = Vec::new();
    for (rel, p) in all_tls_captures() {
        for fl in flows(&p).into_iter().filter(|f| f.tcp) {
            let recs = drive_tls(&fl);
            if !recs.is_empty() {
                out.push((rel.to_string(), fl, recs));
            }
        }
    }
    out
}

/// (kind byte, body) of each record; sortable, to compare regardless of the order the
/// two directions interleave.
fn kinds_and_bodies(r: &[Rec]) -> Vec<(u8, Vec<u8>)> {
    r.iter().map(|(_, _, k, b)| (*k as u8, b.clone())).collect()
}

/// Whatever the TCP segmentation (1 byte at a time up to everything at once), the
/// worker emits the same records.
#[test]
fn resegmentation_does_not_change_records() {
    let all = tls_flows();
    for (rel, fl, natural) in &all {
        let want = kinds_and_bodies(natural);
        let chunks = tcp_chunks(fl);
        for size in [1usize, 2, 3, 5, 7, 64, 300, 1000, 5000, 1 << 20] {
            let mut re = Vec::new();
            for dir in [Dir::ToServer, Dir::ToClient] {
                let stream: Vec<u8> = chunks
                    .iter()
                    .filter(|c| c.1 == dir && !c.3)
                    .flat_map(|c| c.2.clone())
                    .collect();
                for (i, piece) in stream.chunks(size).enumerate() {
                    re.push((i as u64, dir, piece.to_vec(), false));
                }
            }
            // All of one direction, then the other, keeps the per-direction order; the
            // tracker side is not involved here.
            let got = kinds_and_bodies(&drive_tls_chunks(&re));
            let mut w = want.clone();
            let mut g = got.clone();
            w.sort();
            g.sort();
            assert_eq!(g, w, "{rel} flow {} chunk size {size}", fl.id);
        }
    }
    if pcaps().is_some() {
        assert!(all.len() >= 20, "only {} flows", all.len());
    }
}

/// Splits the handshake records at the start of a direction's stream into records of
/// at most `n` bytes (what a server with a small record size does).
fn refragment(stream: &[u8], n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 5 <= stream.len() && stream[i] == 22 {
        let len = usize::from(u16::from_be_bytes([stream[i + 3], stream[i + 4]]));
        let Some(body) = stream.get(i + 5..i + 5 + len) else {
            break;
        };
        for piece in body.chunks(n) {
            out.extend_from_slice(&stream[i..i + 3]);
            out.extend_from_slice(&(piece.len() as u16).to_be_bytes());
            out.extend_from_slice(piece);
        }
        i += 5 + len;
    }
    out.extend_from_slice(&stream[i.min(stream.len())..]);
    out
}

/// Handshake messages split over many small TLS records are put back together.
#[test]
fn handshake_split_over_records_is_reassembled() {
    for (rel, fl, natural) in &tls_flows() {
        let want = kinds_and_bodies(natural);
        let chunks = tcp_chunks(fl);
        for n in [9usize, 50, 333, 4000] {
            let mut re = Vec::new();
            for dir in [Dir::ToServer, Dir::ToClient] {
                let stream: Vec<u8> = chunks
                    .iter()
                    .filter(|c| c.1 == dir && !c.3)
                    .flat_map(|c| c.2.clone())
                    .collect();
                for piece in refragment(&stream, n).chunks(1448) {
                    re.push((0, dir, piece.to_vec(), false));
                }
            }
            let mut got = kinds_and_bodies(&drive_tls_chunks(&re));
            let mut w = want.clone();
            got.sort();
            w.sort();
            assert_eq!(got, w, "{rel} flow {} records of {n}", fl.id);
        }
    }
}

/// A TLS record header + body.
fn tls_record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A handshake message.
fn hs(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![ty];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// The SELKS leaf certificate DER, from the tls-cert-issuer capture.
fn selks_leaf() -> Option<Vec<u8>> {
    let p = shared("suricata-verify/tls-cert-issuer/tls.pcap")?;
    let fl = flows(&p).into_iter().find(|f| f.tcp)?;
    drive_tls(&fl).into_iter().find_map(|(_, _, k, b)| {
        (k == RecordKind::TlsCertificate).then(|| {
            vigil::app::tls::CertificateRec::read(&mut Reader::new(&b))
                .unwrap()
                .der
        })
    })
}

/// A Certificate message far larger than the 16 KB the stream layer keeps: the leaf is
/// still emitted, nothing ever stays pending past the limit, and the direction ends.
#[test]
fn oversized_certificate_chain() {
    let Some(leaf) = selks_leaf() else { return };
    let mut list = Vec::new();
    for cert in [
        leaf.clone(),
        vec![0x30; 9000],
        vec![0x30; 12000],
        vec![0x30; 9000],
    ] {
        list.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(&cert);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    let msg = hs(11, &body);
    let mut sh = vec![3, 3];
    sh.extend_from_slice(&[7; 32]);
    sh.extend_from_slice(&[0, 0x00, 0x2f, 0]);
    let mut stream = tls_record(22, &hs(2, &sh));
    for piece in msg.chunks(16384) {
        stream.extend_from_slice(&tls_record(22, piece));
    }
    stream.extend_from_slice(&tls_record(22, &hs(14, &[])));
    for seg in [1usize, 1448, 20000] {
        let chunks: Vec<_> = stream
            .chunks(seg)
            .map(|c| (0u64, Dir::ToClient, c.to_vec(), false))
            .collect();
        let recs = drive_tls_chunks(&chunks);
        let certs: Vec<_> = recs
            .iter()
            .filter(|r| r.2 == RecordKind::TlsCertificate)
            .map(|r| vigil::app::tls::CertificateRec::read(&mut Reader::new(&r.3)).unwrap())
            .collect();
        assert_eq!(certs.len(), 1, "segments of {seg}");
        assert_eq!(certs[0].der, leaf);
        assert_eq!(certs[0].chain_len, 0, "too long to count");
        assert_eq!(certs[0].list_len as usize, list.len());
    }
    // A leaf too big for a record is cut and flagged, not dropped.
    let big = vec![0x42u8; 20000];
    let mut body = ((big.len() + 3) as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&(big.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&big);
    let mut stream = Vec::new();
    for piece in hs(11, &body).chunks(16000) {
        stream.extend_from_slice(&tls_record(22, piece));
    }
    let chunks: Vec<_> = stream
        .chunks(1448)
        .map(|c| (0u64, Dir::ToClient, c.to_vec(), false))
        .collect();
    let recs = drive_tls_chunks(&chunks);
    let c = vigil::app::tls::CertificateRec::read(&mut Reader::new(&recs[0].3)).unwrap();
    assert_eq!(c.flags & 1, 1);
    assert!(c.der.len() > 7000 && c.der.len() < 8192);
}

/// Not TLS at all (HTTP, SSH banners, random bytes): `Done` right away, nothing emitted.
#[test]
fn non_tls_is_rejected_quickly() {
    for junk in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        &[0x16, 0x03],
        &[0x16, 0x07, 0x01, 0x00, 0x10],
        &[0x17, 0x03, 0x03, 0x00, 0x01, 0x00],
    ] {
        let mut st = TlsState::default();
        let mut sink = VecSink::default();
        let mut scratch = vec![0u8; 65536];
        let p = st.data(Dir::ToServer, junk, &mut scratch, &mut sink);
        if junk == [0x16, 0x03] {
            assert_eq!(p, Progress::Consumed(0), "a header in progress waits");
        } else {
            assert_eq!(p, Progress::Done, "{junk:?}");
        }
        assert!(sink.records.is_empty());
    }
}

/// The ClientHello record reads back with what JA3/JA4 need, GREASE removed.
#[test]
fn client_hello_record_fields() {
    let Some(p) = shared("suricata-verify/ja4-tls-quic/input.pcap") else {
        return;
    };
    let fl = flows(&p).into_iter().find(|f| f.tcp).unwrap();
    let recs = drive_tls(&fl);
    let (_, _, k, b) = &recs[0];
    assert_eq!(*k, RecordKind::TlsClientHello);
    let ch = ClientHelloRec::read(&mut Reader::new(b)).unwrap();
    assert_eq!(ch.sni_str().as_deref(), Some("cloudflare-quic.com"));
    assert_eq!(ch.alpns, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(ch.versions.contains(&0x0304));
    assert!(!ch.ciphers.iter().any(|c| vigil::app::tls::is_grease(*c)));
    assert_eq!(ch.flags & 2, 2, "Chrome sends GREASE");
    assert_eq!(ch.ciphers.len(), 15);
    assert_eq!(ch.extensions.len(), 16);
    assert_eq!(ch.session_id.len(), 32);
}

/// Every event of every TLS capture validates against Suricata's EVE schema.
#[test]
fn tls_events_validate_against_eve_schema() {
    let Some(v) = schema() else {
        eprintln!("SKIPPED: schema not found");
        return;
    };
    let mut n = 0;
    let mut caps = all_tls_captures();
    caps.extend(
        shared("mixed/sv_tls-subjectaltname_input.pcap").map(|p| ("subjectaltname".into(), p)),
    );
    for (rel, p) in caps {
        let ev = events(&p);
        n += ev.len();
        let errs = schema_errors(&v, &ev);
        assert!(errs.is_empty(), "{rel}: {errs:#?}");
    }
    if pcaps().is_some() {
        assert!(n >= 60, "only {n} events");
    }
}

/// The fuzz entry point survives the captures' bytes, cut and garbled.
#[test]
fn fuzz_entry_smoke() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (_, fl, _) in tls_flows().iter().take(12) {
        let mut input = Vec::new();
        for (_, dir, bytes, _) in tcp_chunks(fl) {
            for piece in bytes.chunks(255) {
                input.push(dir.index() as u8);
                input.push(piece.len() as u8);
                input.extend_from_slice(piece);
            }
        }
        vigil::app::tls::fuzz_entry(&input);
        for _ in 0..20 {
            let mut m = input.clone();
            for _ in 0..8 {
                let i = (rnd() as usize) % m.len();
                m[i] = rnd() as u8;
            }
            m.truncate((rnd() as usize) % (m.len() + 1));
            vigil::app::tls::fuzz_entry(&m);
        }
    }
}

/// Our own loopback captures (tests/data/tls, recorded by record.sh).
fn own(name: &str) -> std::path::PathBuf {
    root().join("tests/data/tls").join(name)
}

/// DER of the first certificate of a PEM file (test-only base64 decoder).
fn pem_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            _ => 63,
        }
    };
    let bytes: Vec<u8> = b64.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= val(*c) << (18 - 6 * i);
        }
        let n = chunk.len() * 6 / 8;
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    out
}

fn sha1_colons(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    d.as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// TLS 1.3 with SNI and ALPN: logged after the ServerHello, no certificate (encrypted).
#[test]
fn own_tls13_alpn() {
    let ev = events(&own("tls13-alpn.pcap"));
    let tls = of_type(&ev, "tls");
    assert_eq!(tls.len(), 1);
    let e = tls[0];
    assert_eq!(e.s("tls", "version").unwrap(), "TLS 1.3");
    assert_eq!(e.s("tls", "sni").unwrap(), "vigil.test");
    assert_eq!(
        e.obj("tls")["client_alpns"],
        serde_json::json!(["h2", "http/1.1"])
    );
    assert!(e.s("tls", "ja4").unwrap().starts_with("t13d"));
    assert!(e.s("tls", "subject").is_none());
}

/// TLS 1.2 with a CA-signed leaf: certificate fields, chain of 2, not self-signed, the
/// fingerprint is the SHA-1 of the certificate the server was given.
#[test]
fn own_tls12_chain_and_small_records() {
    let leaf = pem_der(&own("leaf.crt.pem"));
    for name in ["tls12-chain.pcap", "tls12-small-records.pcap"] {
        let ev = events(&own(name));
        let tls = of_type(&ev, "tls");
        assert_eq!(tls.len(), 1, "{name}");
        let e = tls[0];
        assert_eq!(e.s("tls", "version").unwrap(), "TLS 1.2");
        assert_eq!(e.s("tls", "sni").unwrap(), "leaf.vigil.test");
        assert_eq!(
            e.s("tls", "subject").unwrap(),
            "O=Vigil Test, CN=leaf.vigil.test"
        );
        assert_eq!(
            e.s("tls", "issuerdn").unwrap(),
            "O=Vigil Test, CN=Vigil Test CA"
        );
        assert_eq!(
            e.obj("tls")["subjectaltname"],
            serde_json::json!(["leaf.vigil.test", "alt.vigil.test"])
        );
        assert_eq!(e.s("tls", "fingerprint").unwrap(), sha1_colons(&leaf));
        assert_eq!(e.body.fields["vigil"]["cert_chain_len"], 2);
        assert_eq!(e.body.fields["vigil"]["self_signed"], false);
    }
    // The small-records capture really spreads the Certificate over many records.
    let fl = flows(&own("tls12-small-records.pcap"))
        .into_iter()
        .next()
        .unwrap();
    let server: Vec<u8> = tcp_chunks(&fl)
        .into_iter()
        .filter(|c| c.1 == Dir::ToClient)
        .flat_map(|c| c.2)
        .collect();
    let mut i = 0;
    let mut handshake_records = 0;
    while i + 5 <= server.len() && server[i] == 22 {
        handshake_records += 1;
        i += 5 + usize::from(u16::from_be_bytes([server[i + 3], server[i + 4]]));
    }
    assert!(handshake_records >= 4, "{handshake_records} records");
}

/// A self-signed ECDSA P-256 certificate: flagged self-signed (signature checked).
#[test]
fn own_tls12_self_signed_ec() {
    let der = pem_der(&own("ec.crt.pem"));
    let f = vigil::app::tls::cert_fields(&der).unwrap();
    assert!(f.self_signed);
    assert_eq!(f.self_sig_checked, Some(true));
    let ev = events(&own("tls12-selfsigned-ec.pcap"));
    let e = of_type(&ev, "tls")[0];
    assert_eq!(e.body.fields["vigil"]["self_signed"], true);
    assert_eq!(e.s("tls", "fingerprint").unwrap(), sha1_colons(&der));
    assert_eq!(
        e.s("tls", "subject").unwrap(),
        "C=FR, O=Vigil Test, CN=vigil.test"
    );
    // The CA-signed leaf is not self-signed, and the CA is.
    let leaf = vigil::app::tls::cert_fields(&pem_der(&own("leaf.crt.pem"))).unwrap();
    assert!(!leaf.self_signed);
    let ca = vigil::app::tls::cert_fields(&pem_der(&own("ca.crt.pem"))).unwrap();
    assert!(ca.self_signed && ca.self_sig_checked == Some(true));
}

/// A full handshake then a session-id resumption: the second session is logged at its
/// ServerHello with `session_resumed` and no certificate.
#[test]
fn own_tls12_resumption() {
    let ev = events(&own("tls12-resumed.pcap"));
    let tls = of_type(&ev, "tls");
    assert_eq!(tls.len(), 2);
    assert!(tls[0].s("tls", "subject").is_some());
    assert!(!tls[0].obj("tls").contains_key("session_resumed"));
    assert_eq!(tls[1].obj("tls")["session_resumed"], true);
    assert!(tls[1].s("tls", "subject").is_none());
    assert_eq!(tls[1].s("tls", "sni").unwrap(), "leaf.vigil.test");
    // The worker flags the echo itself in the ServerHello record.
    let sh_flags: Vec<u8> = flows(&own("tls12-resumed.pcap"))
        .iter()
        .map(|fl| {
            let recs = drive_tls(fl);
            let sh = recs
                .iter()
                .find(|r| r.2 == RecordKind::TlsServerHello)
                .unwrap();
            vigil::app::tls::ServerHelloRec::read(&mut Reader::new(&sh.3))
                .unwrap()
                .flags
        })
        .collect();
    assert_eq!(sh_flags, vec![0, 1]);
    // TLS 1.3 echoes the client's id too, which is not a resumption.
    let fl = &flows(&own("tls13-alpn.pcap"))[0];
    let recs = drive_tls(fl);
    let sh = recs
        .iter()
        .find(|r| r.2 == RecordKind::TlsServerHello)
        .unwrap();
    let sh = vigil::app::tls::ServerHelloRec::read(&mut Reader::new(&sh.3)).unwrap();
    assert_eq!(sh.session_id.len(), 32);
    assert_eq!(sh.flags, 0);
}

/// Random but TLS-shaped streams (plausible record headers, handshake headers with
/// random types and lengths, hellos and certificates cut anywhere, records of any size,
/// random segmentation): the worker never panics, never consumes past the end and
/// never leaves 16 KB pending (`drive_tls_chunks` asserts both).
#[test]
fn tls_shaped_random_streams_respect_the_pending_limit() {
    let mut seed = 0x0123_4567_89ab_cdefu64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n.max(1)
    };
    let real: Vec<Vec<u8>> = tls_flows()
        .iter()
        .take(10)
        .flat_map(|(_, fl, _)| {
            let c = tcp_chunks(fl);
            [Dir::ToServer, Dir::ToClient].map(|d| {
                c.iter()
                    .filter(|x| x.1 == d)
                    .flat_map(|x| x.2.clone())
                    .collect::<Vec<u8>>()
            })
        })
        .collect();
    let mut emitted = 0;
    for round in 0..3000 {
        // A handshake payload: a few messages with random types and lengths, bodies
        // random or cut from real handshakes.
        let mut hs_bytes = Vec::new();
        for _ in 0..1 + rnd(4) {
            let ty = [1u8, 2, 11, 14, 12, 16, 0, 99][rnd(8) as usize];
            let len = match rnd(4) {
                0 => rnd(64) as usize,
                1 => rnd(4000) as usize,
                2 => rnd(20000) as usize,
                _ => rnd(1 << 24) as usize,
            };
            hs_bytes.push(ty);
            hs_bytes.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
            let body_len = len.min(rnd(20000) as usize);
            if !real.is_empty() && rnd(2) == 0 {
                let r = &real[rnd(real.len() as u64) as usize];
                let start = rnd(r.len() as u64 + 1) as usize;
                hs_bytes.extend(r.iter().skip(start).take(body_len));
            } else {
                hs_bytes.extend((0..body_len).map(|_| rnd(256) as u8));
            }
        }
        // Cut into records of random sizes, with the odd alert / bad header / CCS.
        let mut stream = Vec::new();
        let mut i = 0;
        while i < hs_bytes.len() {
            let cap = if rnd(3) == 0 { 16 } else { 17000 };
            let n = (1 + rnd(cap) as usize).min(hs_bytes.len() - i);
            let ct = match rnd(40) {
                0 => 21,
                1 => 20,
                2 => 23,
                3 => rnd(256) as u8,
                _ => 22,
            };
            stream.extend_from_slice(&[ct, 3, (1 + rnd(4)) as u8]);
            stream.extend_from_slice(&(n as u16).to_be_bytes());
            stream.extend_from_slice(&hs_bytes[i..i + n]);
            i += n;
        }
        let dir = if round % 2 == 0 {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let mut chunks = Vec::new();
        let mut j = 0;
        while j < stream.len() {
            let cap = if rnd(2) == 0 { 8 } else { 3000 };
            let n = (1 + rnd(cap) as usize).min(stream.len() - j);
            chunks.push((0u64, dir, stream[j..j + n].to_vec(), false));
            j += n;
        }
        emitted += drive_tls_chunks(&chunks).len();
    }
    println!("{emitted} records from random streams");
}
