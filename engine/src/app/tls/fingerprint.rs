//! TLS client and server fingerprints: JA3 / JA3S (Salesforce; MD5 of a decimal string)
//! and JA4 (FoxIO; `t13d1516h2_8daaf6152771_e5627efa2ab1`), from hello records whose
//! lists already have GREASE values removed. Control plane only (allocates).

use super::record::{ClientHelloRec, ServerHelloRec};
use md5::{Digest, Md5};
use std::fmt::Write as _;

/// Joins numbers with `-` as JA3 does.
fn dash<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            s.push('-');
        }
        let _ = write!(s, "{v}");
    }
    s
}

/// Lowercase hex MD5 of `s`.
pub fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// The JA3 string: `version,ciphers,extensions,groups,point_formats`.
pub fn ja3_string(ch: &ClientHelloRec) -> String {
    format!(
        "{},{},{},{},{}",
        ch.legacy_version,
        dash(&ch.ciphers),
        dash(&ch.extensions),
        dash(&ch.groups),
        dash(&ch.ec_point_formats)
    )
}

/// The JA3S string: `version,cipher,extensions`.
pub fn ja3s_string(sh: &ServerHelloRec) -> String {
    format!(
        "{},{},{}",
        sh.legacy_version,
        sh.cipher,
        dash(&sh.extensions)
    )
}

/// JA4's two-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's two ALPN characters: first and last of the first ALPN value ("00" if none; the
/// first and last hex digits when either end is not ASCII alphanumeric).
fn ja4_alpn(first: Option<&[u8]>) -> String {
    let Some(a) = first.filter(|a| !a.is_empty()) else {
        return "00".into();
    };
    let (f, l) = (a[0], a[a.len() - 1]);
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        let mut s = String::new();
        s.push(char::from(f));
        s.push(char::from(l));
        s
    } else {
        let h = hex::encode(a);
        let b = h.as_bytes();
        let mut s = String::new();
        s.push(char::from(b[0]));
        s.push(char::from(b[b.len() - 1]));
        s
    }
}

/// First 12 hex digits of the SHA-256 of `s` ("000000000000" for an empty list).
fn sha12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    let mut h = hex::encode(d.as_ref());
    h.truncate(12);
    h
}

/// Comma-joined 4-digit lowercase hex.
fn hex_list(items: &[u16]) -> String {
    let mut s = String::new();
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

/// The numerically highest version of supported_versions (as JA4 takes it), else
/// legacy_version.
pub fn client_max_version(ch: &ClientHelloRec) -> u16 {
    ch.versions
        .iter()
        .copied()
        .max()
        .unwrap_or(ch.legacy_version)
}

/// JA4 of a ClientHello; `quic` selects the `q` prefix.
pub fn ja4(ch: &ClientHelloRec, quic: bool) -> String {
    let proto = if quic { 'q' } else { 't' };
    let version = ja4_version(client_max_version(ch));
    let sni = if ch.extensions.contains(&0) { 'd' } else { 'i' };
    let nc = ch.ciphers.len().min(99);
    let ne = ch.extensions.len().min(99);
    let alpn = ja4_alpn(ch.alpns.first().map(Vec::as_slice));
    let a = format!("{proto}{version}{sni}{nc:02}{ne:02}{alpn}");

    let mut ciphers = ch.ciphers.clone();
    ciphers.sort_unstable();
    let b = sha12(&hex_list(&ciphers));

    let mut exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| *e != 0x0000 && *e != 0x0010)
        .collect();
    exts.sort_unstable();
    let mut c_raw = hex_list(&exts);
    if !ch.sig_algs.is_empty() {
        c_raw.push('_');
        c_raw.push_str(&hex_list(&ch.sig_algs));
    }
    let c = if exts.is_empty() {
        "000000000000".into()
    } else {
        sha12(&c_raw)
    };
    format!("{a}_{b}_{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_chars() {
        assert_eq!(ja4_alpn(None), "00");
        assert_eq!(ja4_alpn(Some(b"h2")), "h2");
        assert_eq!(ja4_alpn(Some(b"http/1.1")), "h1");
        assert_eq!(ja4_alpn(Some(b"h")), "hh");
        // 0xab 0x01: not alphanumeric, hex "ab01" -> "a1".
        assert_eq!(ja4_alpn(Some(&[0xab, 0x01])), "a1");
    }

    #[test]
    fn ja3_of_known_hello() {
        let ch = ClientHelloRec {
            legacy_version: 771,
            ciphers: vec![4865, 4866],
            extensions: vec![0, 10, 11],
            groups: vec![29, 23],
            ec_point_formats: vec![0],
            ..Default::default()
        };
        assert_eq!(ja3_string(&ch), "771,4865-4866,0-10-11,29-23,0");
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
