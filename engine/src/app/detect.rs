//! Protocol detection from payload bytes (never from port numbers).
//!
//! [`detect`] looks at the first payload bytes of one direction and says which of the
//! protocols Vigil reads they are: HTTP/1.x (request or response), TLS (a handshake
//! record carrying ClientHello or ServerHello, an SSLv2-compatible ClientHello, or, for a
//! flow picked up mid-stream, a ChangeCipherSpec / Alert / application-data record), SSH,
//! DNS over TCP (length prefix and a sane DNS header) on TCP; DNS and QUIC on UDP. When
//! the bytes so far are a prefix of something it recognises it answers
//! [`AppProto::Unknown`] ("show me more"); when nothing can match, [`AppProto::Failed`].
//! Runs on the hot path: no allocation, no panics.

use super::{dns, http, quic, AppProto, Dir};

/// The transport a payload came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP stream bytes (the first bytes of a direction).
    Tcp,
    /// One UDP datagram's payload.
    Udp,
}

/// What one candidate check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    NeedMore,
}

/// Longest known method plus its space: shorter payloads may still become a request.
const METHOD_PREFIX_MAX: usize = 16;

fn http_verdict(p: &[u8]) -> Verdict {
    if http::looks_like_http_request(p) || http::looks_like_http_response(p) {
        return Verdict::Yes;
    }
    let resp = b"HTTP/1.";
    if p.len() < resp.len() && resp.starts_with(p) {
        return Verdict::NeedMore;
    }
    // A prefix of "<METHOD> ": only token characters so far, short.
    if p.len() < METHOD_PREFIX_MAX && p.iter().all(|b| b.is_ascii_uppercase() || *b == b'-') {
        return Verdict::NeedMore;
    }
    Verdict::No
}

fn tls_verdict(p: &[u8]) -> Verdict {
    let Some(&first) = p.first() else {
        return Verdict::NeedMore;
    };
    if first == 0x16 {
        // Handshake record: 0x16, version 3.0..3.4, length, handshake type.
        let checks = [
            p.get(1).map(|&v| v == 0x03),
            p.get(2).map(|&v| v <= 0x04),
            p.get(5).map(|&t| t == 1 || t == 2),
        ];
        if checks.contains(&Some(false)) {
            return Verdict::No;
        }
        if p.len() < 6 {
            return Verdict::NeedMore;
        }
        let len = u16::from_be_bytes([p[3], p[4]]);
        return if len >= 4 { Verdict::Yes } else { Verdict::No };
    }
    if matches!(first, 0x14 | 0x15 | 0x17) {
        // A flow picked up mid-stream: ChangeCipherSpec, Alert or application data
        // records of TLS 1.0-1.3 (SSL 3.0) with a length TLS allows.
        let checks = [p.get(1).map(|&v| v == 0x03), p.get(2).map(|&v| v <= 0x04)];
        if checks.contains(&Some(false)) {
            return Verdict::No;
        }
        if p.len() < 5 {
            return Verdict::NeedMore;
        }
        let len = u16::from_be_bytes([p[3], p[4]]);
        return if len > 0 && len <= 16384 + 2048 {
            Verdict::Yes
        } else {
            Verdict::No
        };
    }
    if first & 0x80 != 0 {
        // SSLv2-compatible ClientHello: 2-byte length, type 1, version 0x0002 or 3.x.
        if p.len() < 5 {
            return Verdict::NeedMore;
        }
        let len = (usize::from(first & 0x7F) << 8) | usize::from(p[1]);
        let version_ok = matches!((p[3], p[4]), (0x00, 0x02) | (0x03, 0x00..=0x04));
        return if p[2] == 1 && version_ok && len >= 9 {
            Verdict::Yes
        } else {
            Verdict::No
        };
    }
    Verdict::No
}

fn ssh_verdict(p: &[u8]) -> Verdict {
    let tag = b"SSH-";
    if p.starts_with(tag) {
        Verdict::Yes
    } else if p.len() < tag.len() && tag.starts_with(p) {
        Verdict::NeedMore
    } else {
        Verdict::No
    }
}

fn dns_tcp_verdict(p: &[u8]) -> Verdict {
    if p.len() < 2 {
        return Verdict::NeedMore;
    }
    let mlen = usize::from(u16::from_be_bytes([p[0], p[1]]));
    if mlen < 17 {
        return Verdict::No;
    }
    let avail = &p[2..p.len().min(2 + mlen)];
    if avail.len() < 12 {
        return Verdict::NeedMore;
    }
    if dns::looks_like_dns(avail) {
        Verdict::Yes
    } else {
        Verdict::No
    }
}

/// From the first payload bytes of a direction: which protocol this is.
/// `AppProto::Unknown` means "cannot tell yet, show me more"; `AppProto::Failed` means
/// "none of ours". `dir` is accepted for symmetry: either side may speak first (an SSH
/// server's banner, a response seen before its request), so both are read alike.
pub fn detect(transport: Transport, dir: Dir, payload: &[u8]) -> AppProto {
    let _ = dir;
    if payload.is_empty() {
        return AppProto::Unknown;
    }
    match transport {
        Transport::Udp => {
            if quic::looks_like_quic(payload) {
                AppProto::Quic
            } else if super::dhcp::looks_like_dhcp(payload) {
                AppProto::Dhcp
            } else if dns::looks_like_dns(payload) {
                AppProto::Dns
            } else {
                AppProto::Failed
            }
        }
        Transport::Tcp => {
            let candidates = [
                (AppProto::Tls, tls_verdict(payload)),
                (AppProto::Ssh, ssh_verdict(payload)),
                (AppProto::Http, http_verdict(payload)),
                (AppProto::Dns, dns_tcp_verdict(payload)),
            ];
            if let Some((p, _)) = candidates.iter().find(|(_, v)| *v == Verdict::Yes) {
                return *p;
            }
            if candidates.iter().any(|(_, v)| *v == Verdict::NeedMore) {
                AppProto::Unknown
            } else {
                AppProto::Failed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(p: &[u8]) -> AppProto {
        detect(Transport::Tcp, Dir::ToServer, p)
    }

    #[test]
    fn tcp_protocols() {
        assert_eq!(tcp(b"GET / HTTP/1.1\r\n"), AppProto::Http);
        assert_eq!(tcp(b"HTTP/1.1 200 OK\r\n"), AppProto::Http);
        assert_eq!(tcp(b"GE"), AppProto::Unknown);
        assert_eq!(tcp(b"SSH-2.0-OpenSSH_8.9\r\n"), AppProto::Ssh);
        assert_eq!(tcp(b"SS"), AppProto::Unknown);
        assert_eq!(
            tcp(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0, 1, 0xfc]),
            AppProto::Tls
        );
        assert_eq!(tcp(&[0x16, 0x03]), AppProto::Unknown);
        assert_eq!(tcp(&[0x17, 0x03, 0x03, 0x04, 0x40, 0x2c]), AppProto::Tls);
        assert_eq!(
            tcp(&[0x17, 0x03, 0x03, 0xff, 0xff, 0x2c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            AppProto::Failed
        );
        assert_eq!(
            tcp(&[0x16, 0x03, 0x01, 0x00, 0x40, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            AppProto::Failed
        );
        assert_eq!(
            tcp(&[0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00]),
            AppProto::Tls
        );
        let mut q = vec![0, 29, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        assert_eq!(tcp(&q), AppProto::Dns);
        assert_eq!(
            detect(Transport::Udp, Dir::ToServer, &q[2..]),
            AppProto::Dns
        );
        assert_eq!(tcp(b"\x00\x01\x02\x03 binary junk here"), AppProto::Failed);
        assert_eq!(tcp(b"220 smtp.example.com ESMTP\r\n"), AppProto::Failed);
        assert_eq!(tcp(b""), AppProto::Unknown);
    }

    #[test]
    fn udp_protocols() {
        // A v1 Initial: 8-byte DCID, no SCID, no token, 32 bytes of protected payload.
        let mut quic = vec![0xC3, 0, 0, 0, 1, 8];
        quic.extend_from_slice(&[0xAA; 8]);
        quic.extend_from_slice(&[0, 0, 32]);
        quic.extend_from_slice(&[0x55; 32]);
        assert_eq!(detect(Transport::Udp, Dir::ToServer, &quic), AppProto::Quic);
        assert_eq!(
            detect(Transport::Udp, Dir::ToServer, &[1, 2, 3]),
            AppProto::Failed
        );
    }

    #[test]
    fn never_panics() {
        let mut seed = 7u32;
        for len in 0..200 {
            let mut v = vec![0u8; len];
            for b in v.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (seed >> 16) as u8;
            }
            for t in [Transport::Tcp, Transport::Udp] {
                let _ = detect(t, Dir::ToClient, &v);
            }
        }
    }
}
