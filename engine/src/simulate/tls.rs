//! TLS as the clients and servers of the simulation speak it: each client software has a
//! fixed ClientHello layout (ciphers, extensions in order, groups, signature algorithms,
//! ALPN), so its JA3/JA4 are stable; only random, session id, key shares and GREASE
//! values change per connection. Servers answer TLS 1.3 (ServerHello, ChangeCipherSpec,
//! then encrypted records) or TLS 1.2 (ServerHello, Certificate with the chain,
//! ServerKeyExchange, ServerHelloDone; client key exchange, ChangeCipherSpec, Finished).
//! Application data goes in records of at most 16 KiB with each version's overhead.

use super::pcap::Capture;
use super::rng::Rng;
use super::tcp::{Conn, Side};

/// A GREASE placeholder in the profile lists (replaced per connection).
const G: u16 = 0x0a0a;

/// One client software's ClientHello.
#[derive(Debug)]
pub struct Hello {
    /// Name used in docs and tests.
    pub name: &'static str,
    pub ciphers: &'static [u16],
    /// Extension types in the order sent (`G` for GREASE); server_name and ALPN are left
    /// out when there is no name or no protocol.
    pub exts: &'static [u16],
    pub groups: &'static [u16],
    pub sig_algs: &'static [u16],
    /// supported_versions content (empty: a TLS 1.2 client).
    pub versions: &'static [u16],
    /// Groups with a key share.
    pub shares: &'static [u16],
    pub alpn: &'static [&'static str],
    pub point_formats: &'static [u8],
    /// Pad the handshake message to 512 bytes (BoringSSL and Apple's padding rule).
    pub pad512: bool,
    /// Send a 32-byte legacy session id.
    pub session_id: bool,
}

impl Hello {
    /// Highest version the client offers.
    pub fn tls13(&self) -> bool {
        self.versions.contains(&0x0304)
    }
}

const CHROMIUM_SIGS: &[u16] = &[
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

/// Chrome and Edge (Chromium 13x) on Windows and macOS; also Teams (WebView2).
pub const CHROMIUM: Hello = Hello {
    name: "chromium",
    ciphers: &[
        G, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47,
        53,
    ],
    exts: &[
        G, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17613, 65037, G,
    ],
    groups: &[G, 4588, 29, 23, 24],
    sig_algs: CHROMIUM_SIGS,
    versions: &[G, 0x0304, 0x0303],
    shares: &[G, 4588, 29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: false,
    session_id: true,
};

/// Safari 18 and Apple's CFNetwork clients on macOS.
pub const SAFARI: Hello = Hello {
    name: "safari",
    ciphers: &[
        G, 4865, 4866, 4867, 49196, 49195, 52393, 49200, 49199, 52392, 49162, 49161, 49172, 49171,
        157, 156, 53, 47, 49160, 49170, 10,
    ],
    exts: &[
        G, 0, 23, 65281, 10, 11, 16, 5, 13, 18, 51, 45, 43, 27, G, 21,
    ],
    groups: &[G, 29, 23, 24, 25],
    sig_algs: &[
        0x0403, 0x0804, 0x0401, 0x0503, 0x0203, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201,
    ],
    versions: &[G, 0x0304, 0x0303, 0x0302, 0x0301],
    shares: &[G, 29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: true,
    session_id: true,
};

/// Firefox 13x on Linux.
pub const FIREFOX: Hello = Hello {
    name: "firefox",
    ciphers: &[
        4865, 4867, 4866, 49195, 49199, 52393, 52392, 49196, 49200, 49162, 49161, 49171, 49172,
        156, 157, 47, 53,
    ],
    exts: &[
        0, 23, 65281, 10, 11, 35, 16, 5, 34, 51, 43, 13, 45, 28, 27, 65037,
    ],
    groups: &[4588, 29, 23, 24, 25, 256, 257],
    sig_algs: &[
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
    ],
    versions: &[0x0304, 0x0303],
    shares: &[4588, 29, 23],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: false,
    session_id: true,
};

/// git and curl on Linux (libcurl with OpenSSL 3).
pub const OPENSSL_CURL: Hello = Hello {
    name: "openssl-curl",
    ciphers: &[
        4866, 4867, 4865, 49196, 49200, 159, 52393, 52392, 52394, 49195, 49199, 158, 49188, 49192,
        107, 49187, 49191, 103, 49162, 49172, 57, 49161, 49171, 51, 157, 156, 61, 60, 53, 47, 255,
    ],
    exts: &[0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51],
    groups: &[29, 23, 30, 25, 24, 256, 257, 258, 259, 260],
    sig_algs: &[
        0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
        0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
    ],
    versions: &[0x0304, 0x0303],
    shares: &[29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0, 1, 2],
    pad512: false,
    session_id: true,
};

/// curl 8.7.1 as shipped with macOS (LibreSSL 3.3).
pub const MACOS_CURL: Hello = Hello {
    name: "macos-curl",
    ciphers: &[
        4867, 4866, 4865, 52393, 52392, 52394, 49200, 49196, 49192, 49188, 49172, 49162, 159, 107,
        57, 157, 61, 53, 49199, 49195, 49191, 49187, 49171, 49161, 158, 103, 51, 156, 60, 47, 255,
    ],
    exts: &[0, 11, 10, 13, 16, 43, 45, 51],
    groups: &[29, 23, 24, 25],
    sig_algs: &[
        0x0806, 0x0601, 0x0603, 0x0805, 0x0501, 0x0503, 0x0804, 0x0401, 0x0403, 0x0201, 0x0203,
    ],
    versions: &[0x0304, 0x0303, 0x0302, 0x0301],
    shares: &[29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: false,
    session_id: true,
};

/// Go's crypto/tls (net/http client), as Go implants use it.
pub const GO: Hello = Hello {
    name: "go",
    ciphers: &[
        49195, 49199, 49196, 49200, 52393, 52392, 49161, 49171, 49162, 49172, 156, 157, 47, 53,
        4865, 4866, 4867,
    ],
    exts: &[0, 5, 10, 11, 13, 65281, 23, 18, 16, 43, 51],
    groups: &[29, 23, 24, 25],
    sig_algs: &[
        0x0804, 0x0403, 0x0805, 0x0503, 0x0806, 0x0603, 0x0401, 0x0501, 0x0601,
    ],
    versions: &[0x0304, 0x0303],
    shares: &[29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: false,
    session_id: true,
};

/// Windows 11 SChannel (WinHTTP: OneDrive, Windows services, implants using WinHTTP).
pub const SCHANNEL11: Hello = Hello {
    name: "schannel-win11",
    ciphers: &[
        4866, 4865, 49196, 49195, 49200, 49199, 159, 158, 49188, 49187, 49192, 49191, 49162, 49161,
        49172, 49171, 157, 156, 61, 60, 53, 47, 10,
    ],
    exts: &[0, 5, 10, 11, 13, 35, 16, 23, 43, 45, 51, 65281],
    groups: &[29, 23, 24],
    sig_algs: &[
        0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601,
        0x0603,
    ],
    versions: &[0x0304, 0x0303],
    shares: &[29],
    alpn: &["h2", "http/1.1"],
    point_formats: &[0],
    pad512: false,
    session_id: true,
};

/// Windows 10 SChannel through .NET Framework (PowerShell 5.1, Windows Update on 10):
/// TLS 1.2 only, no ALPN.
pub const SCHANNEL10: Hello = Hello {
    name: "schannel-win10",
    ciphers: &[
        49196, 49195, 49200, 49199, 159, 158, 49188, 49187, 49192, 49191, 49162, 49161, 49172,
        49171, 157, 156, 61, 60, 53, 47, 10,
    ],
    exts: &[0, 5, 10, 11, 13, 35, 23, 65281],
    groups: &[29, 23, 24],
    sig_algs: &[
        0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601,
        0x0603,
    ],
    versions: &[],
    shares: &[],
    alpn: &[],
    point_formats: &[0],
    pad512: false,
    session_id: false,
};

/// Big-endian u16 push.
fn p16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_be_bytes());
}

/// Writes a 16-bit length prefix at `at` covering everything after it.
fn fix16(b: &mut [u8], at: usize) {
    let len = (b.len() - at - 2) as u16;
    b[at..at + 2].copy_from_slice(&len.to_be_bytes());
}

/// Writes a 24-bit length prefix at `at` covering everything after it.
fn fix24(b: &mut [u8], at: usize) {
    let len = (b.len() - at - 3) as u32;
    b[at..at + 3].copy_from_slice(&len.to_be_bytes()[1..]);
}

/// Key share length of a group.
fn share_len(group: u16) -> usize {
    match group {
        29 => 32,
        23 => 65,
        24 => 97,
        25 => 133,
        4588 => 1216,
        _ => 1,
    }
}

/// Wraps handshake or other bytes in records of `ctype` (at most 16384 bytes each).
pub fn records(ctype: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5 * (body.len() / 16384 + 1));
    for chunk in body.chunks(16384) {
        out.push(ctype);
        p16(&mut out, version);
        p16(&mut out, chunk.len() as u16);
        out.extend_from_slice(chunk);
    }
    out
}

/// The ClientHello record of `h` for `sni` (none: the server is reached by address),
/// and the legacy session id it carries.
pub fn client_hello(h: &Hello, sni: Option<&str>, rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    // Per-connection GREASE values, as BoringSSL picks them.
    let mut greases = [0u16; 4];
    for g in &mut greases {
        let n = rng.below(16) as u16;
        *g = 0x0a0a + n * 0x1010;
    }
    if greases[1] == greases[0] {
        greases[1] ^= 0x1010;
    }
    let g_cipher = greases[0];
    let g_group = greases[2];
    let g_version = greases[3];
    let mut ext_grease = [greases[0], greases[1]].into_iter();

    let mut m = vec![1u8, 0, 0, 0];
    p16(&mut m, 0x0303);
    m.extend_from_slice(&rng.bytes(32));
    let sid = if h.session_id {
        rng.bytes(32)
    } else {
        Vec::new()
    };
    m.push(sid.len() as u8);
    m.extend_from_slice(&sid);
    let at = m.len();
    p16(&mut m, 0);
    for &c in h.ciphers {
        p16(&mut m, if c == G { g_cipher } else { c });
    }
    fix16(&mut m, at);
    m.extend_from_slice(&[1, 0]);
    let ext_at = m.len();
    p16(&mut m, 0);
    for &e in h.exts {
        if (e == 0 && sni.is_none()) || (e == 16 && h.alpn.is_empty()) || e == 21 {
            continue;
        }
        let ty = if e == G {
            ext_grease.next().unwrap_or(0x0a0a)
        } else {
            e
        };
        p16(&mut m, ty);
        let at = m.len();
        p16(&mut m, 0);
        match e {
            G if ty == greases[1] => m.push(0),
            0 => {
                let name = sni.unwrap_or("").as_bytes();
                p16(&mut m, name.len() as u16 + 3);
                m.push(0);
                p16(&mut m, name.len() as u16);
                m.extend_from_slice(name);
            }
            5 => m.extend_from_slice(&[1, 0, 0, 0, 0]),
            10 => {
                p16(&mut m, (h.groups.len() * 2) as u16);
                for &g in h.groups {
                    p16(&mut m, if g == G { g_group } else { g });
                }
            }
            11 => {
                m.push(h.point_formats.len() as u8);
                m.extend_from_slice(h.point_formats);
            }
            13 => {
                p16(&mut m, (h.sig_algs.len() * 2) as u16);
                for &s in h.sig_algs {
                    p16(&mut m, s);
                }
            }
            16 => {
                let a = m.len();
                p16(&mut m, 0);
                for p in h.alpn {
                    m.push(p.len() as u8);
                    m.extend_from_slice(p.as_bytes());
                }
                fix16(&mut m, a);
            }
            27 => m.extend_from_slice(&[2, 0, 2]),
            28 => p16(&mut m, 0x4001),
            34 => {
                p16(&mut m, 8);
                for s in [0x0403u16, 0x0503, 0x0603, 0x0203] {
                    p16(&mut m, s);
                }
            }
            43 => {
                m.push((h.versions.len() * 2) as u8);
                for &v in h.versions {
                    p16(&mut m, if v == G { g_version } else { v });
                }
            }
            45 => m.extend_from_slice(&[1, 1]),
            51 => {
                let a = m.len();
                p16(&mut m, 0);
                for &g in h.shares {
                    let (group, len) = if g == G {
                        (g_group, 1)
                    } else {
                        (g, share_len(g))
                    };
                    p16(&mut m, group);
                    p16(&mut m, len as u16);
                    if g == G {
                        m.push(0);
                    } else {
                        m.extend_from_slice(&rng.bytes(len));
                    }
                }
                fix16(&mut m, a);
            }
            65281 => m.push(0),
            17613 => {
                p16(&mut m, 3);
                m.push(2);
                m.extend_from_slice(b"h2");
            }
            65037 => {
                // GREASE ECH: outer, HKDF-SHA256 / AES-128-GCM, config id, enc, payload.
                m.push(0);
                p16(&mut m, 1);
                p16(&mut m, 1);
                m.push(rng.u16() as u8);
                p16(&mut m, 32);
                m.extend_from_slice(&rng.bytes(32));
                p16(&mut m, 208);
                m.extend_from_slice(&rng.bytes(208));
            }
            // 18 (SCT), 22 (encrypt-then-MAC), 23 (extended master secret), 35 (session
            // ticket): empty.
            _ => {}
        }
        fix16(&mut m, at);
    }
    if h.pad512 {
        let len = m.len();
        let pad = if len + 4 < 512 { 512 - len - 4 } else { 1 };
        p16(&mut m, 21);
        p16(&mut m, pad as u16);
        m.resize(m.len() + pad, 0);
    }
    fix16(&mut m, ext_at);
    fix24(&mut m, 1);
    (records(22, 0x0301, &m), sid)
}

/// How a server speaks TLS.
#[derive(Debug, Clone, Copy)]
pub struct ServerTls {
    /// Highest version it accepts (TLS 1.3 when false only if the client cannot).
    pub tls13: bool,
    /// Certificate chain for TLS 1.2 (leaf first); required when TLS 1.2 can happen.
    pub chain: &'static [&'static [u8]],
    /// Whether the leaf has an ECDSA key (picks the 1.2 cipher suite).
    pub ecdsa: bool,
    /// TLS 1.3 cipher suite it picks.
    pub cipher13: u16,
}

/// What was agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

/// A TLS 1.3 ServerHello record.
fn server_hello13(rng: &mut Rng, sid: &[u8], cipher: u16) -> Vec<u8> {
    let mut m = vec![2u8, 0, 0, 0];
    p16(&mut m, 0x0303);
    m.extend_from_slice(&rng.bytes(32));
    m.push(sid.len() as u8);
    m.extend_from_slice(sid);
    p16(&mut m, cipher);
    m.push(0);
    let at = m.len();
    p16(&mut m, 0);
    p16(&mut m, 43);
    p16(&mut m, 2);
    p16(&mut m, 0x0304);
    p16(&mut m, 51);
    p16(&mut m, 36);
    p16(&mut m, 29);
    p16(&mut m, 32);
    m.extend_from_slice(&rng.bytes(32));
    fix16(&mut m, at);
    fix24(&mut m, 1);
    records(22, 0x0303, &m)
}

/// The TLS 1.2 server flight: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone.
fn server_flight12(
    rng: &mut Rng,
    s: &ServerTls,
    alpn: Option<&str>,
    sni: bool,
    ticket: bool,
) -> Vec<u8> {
    let mut hs = Vec::new();
    // ServerHello.
    let mut m = vec![2u8, 0, 0, 0];
    p16(&mut m, 0x0303);
    m.extend_from_slice(&rng.bytes(32));
    m.push(32);
    m.extend_from_slice(&rng.bytes(32));
    p16(&mut m, if s.ecdsa { 49195 } else { 49199 });
    m.push(0);
    let at = m.len();
    p16(&mut m, 0);
    p16(&mut m, 65281);
    p16(&mut m, 1);
    m.push(0);
    if sni {
        p16(&mut m, 0);
        p16(&mut m, 0);
    }
    p16(&mut m, 11);
    p16(&mut m, 2);
    m.extend_from_slice(&[1, 0]);
    p16(&mut m, 23);
    p16(&mut m, 0);
    if ticket {
        p16(&mut m, 35);
        p16(&mut m, 0);
    }
    if let Some(a) = alpn {
        p16(&mut m, 16);
        p16(&mut m, a.len() as u16 + 3);
        p16(&mut m, a.len() as u16 + 1);
        m.push(a.len() as u8);
        m.extend_from_slice(a.as_bytes());
    }
    fix16(&mut m, at);
    fix24(&mut m, 1);
    hs.extend_from_slice(&m);
    // Certificate.
    let mut c = vec![11u8, 0, 0, 0, 0, 0, 0];
    for der in s.chain {
        let l = der.len() as u32;
        c.extend_from_slice(&l.to_be_bytes()[1..]);
        c.extend_from_slice(der);
    }
    fix24(&mut c, 4);
    fix24(&mut c, 1);
    hs.extend_from_slice(&c);
    // ServerKeyExchange: named curve x25519, public key, signature.
    let mut k = vec![12u8, 0, 0, 0, 3];
    p16(&mut k, 29);
    k.push(32);
    k.extend_from_slice(&rng.bytes(32));
    if s.ecdsa {
        p16(&mut k, 0x0403);
        let n = 70 + rng.below(3) as usize;
        p16(&mut k, n as u16);
        let mut sig = rng.bytes(n);
        sig[0] = 0x30;
        sig[1] = (n - 2) as u8;
        k.extend_from_slice(&sig);
    } else {
        p16(&mut k, 0x0804);
        p16(&mut k, 256);
        k.extend_from_slice(&rng.bytes(256));
    }
    fix24(&mut k, 1);
    hs.extend_from_slice(&k);
    // ServerHelloDone.
    hs.extend_from_slice(&[14, 0, 0, 0]);
    records(22, 0x0303, &hs)
}

/// Application data records carrying `n` plaintext bytes (random ciphertext).
pub fn app_records(rng: &mut Rng, v: Version, n: usize) -> Vec<u8> {
    let overhead = match v {
        Version::Tls13 => 17,
        Version::Tls12 => 24,
    };
    let mut out = Vec::with_capacity(n + (n / 16384 + 1) * (5 + overhead));
    let mut left = n.max(1);
    while left > 0 {
        let take = left.min(16384);
        out.push(23);
        p16(&mut out, 0x0303);
        p16(&mut out, (take + overhead) as u16);
        let at = out.len();
        out.resize(at + take + overhead, 0);
        rng.fill(&mut out[at..]);
        left -= take;
    }
    out
}

/// A TLS session on an open connection.
pub struct Session {
    pub version: Version,
    /// Whether the server's NewSessionTicket messages are still to be sent (TLS 1.3:
    /// with the first response).
    tickets_due: bool,
}

/// Runs the handshake of `hello` (with `sni`) against `server` on `conn`.
pub fn handshake(
    cap: &mut Capture,
    rng: &mut Rng,
    conn: &mut Conn,
    hello: &Hello,
    sni: Option<&str>,
    server: &ServerTls,
) -> Session {
    let (ch, sid) = client_hello(hello, sni, rng);
    conn.send(cap, Side::Client, &ch, 200 + rng.below(2_000));
    let think = 300 + rng.below(3_000);
    if server.tls13 && hello.tls13() {
        // The server echoes the client's session id (compatibility mode).
        let mut flight = server_hello13(rng, &sid, server.cipher13);
        flight.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        // EncryptedExtensions, Certificate, CertificateVerify, Finished: the same size
        // every time for a server (its certificate chain does not change).
        let key = conn.server_end();
        let mut srv = Rng::derive(
            0,
            "tls13-flight",
            u64::from_be_bytes([
                0,
                0,
                key.host.ip[0],
                key.host.ip[1],
                key.host.ip[2],
                key.host.ip[3],
                (key.port >> 8) as u8,
                key.port as u8,
            ]),
        );
        let enc = srv.lognormal(2700.0, 0.3, 1500, 6000) as usize;
        flight.extend_from_slice(&app_records(rng, Version::Tls13, enc));
        conn.send(cap, Side::Server, &flight, think);
        let mut fin = vec![20u8, 3, 3, 0, 1, 1];
        fin.extend_from_slice(&app_records(rng, Version::Tls13, 36));
        conn.send(cap, Side::Client, &fin, 500 + rng.below(3_000));
        Session {
            version: Version::Tls13,
            tickets_due: true,
        }
    } else {
        let alpn = hello.alpn.first().copied();
        let ticket = hello.exts.contains(&35);
        let flight = server_flight12(rng, server, alpn, sni.is_some(), ticket);
        conn.send(cap, Side::Server, &flight, think);
        // ClientKeyExchange, ChangeCipherSpec, Finished.
        let mut c = vec![16u8, 0, 0, 33, 32];
        c.extend_from_slice(&rng.bytes(32));
        let mut out = records(22, 0x0303, &c);
        out.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        out.extend_from_slice(&records(22, 0x0303, &rng.bytes(40)));
        conn.send(cap, Side::Client, &out, 800 + rng.below(3_000));
        // NewSessionTicket, ChangeCipherSpec, Finished.
        let mut s = Vec::new();
        if ticket {
            let mut t = vec![4u8, 0, 0, 0];
            t.extend_from_slice(&7200u32.to_be_bytes());
            p16(&mut t, 192);
            t.extend_from_slice(&rng.bytes(192));
            fix24(&mut t, 1);
            s.extend_from_slice(&records(22, 0x0303, &t));
        }
        s.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        s.extend_from_slice(&records(22, 0x0303, &rng.bytes(40)));
        conn.send(cap, Side::Server, &s, 200);
        Session {
            version: Version::Tls12,
            tickets_due: false,
        }
    }
}

impl Session {
    /// The client sends `n` bytes of application data after `think` µs.
    pub fn client(
        &mut self,
        cap: &mut Capture,
        rng: &mut Rng,
        conn: &mut Conn,
        n: usize,
        think: u64,
    ) {
        let data = app_records(rng, self.version, n);
        conn.send(cap, Side::Client, &data, think);
    }

    /// The server answers with `n` bytes after `think` µs.
    pub fn server(
        &mut self,
        cap: &mut Capture,
        rng: &mut Rng,
        conn: &mut Conn,
        n: usize,
        think: u64,
    ) {
        let mut data = Vec::new();
        if self.tickets_due {
            self.tickets_due = false;
            for _ in 0..2 {
                data.extend_from_slice(&app_records(rng, self.version, 250));
            }
        }
        data.extend_from_slice(&app_records(rng, self.version, n));
        conn.send(cap, Side::Server, &data, think);
    }

    /// One request and its response.
    pub fn exchange(
        &mut self,
        cap: &mut Capture,
        rng: &mut Rng,
        conn: &mut Conn,
        req: usize,
        resp: usize,
        think: u64,
    ) {
        self.client(cap, rng, conn, req, think);
        let server_think = 2_000 + rng.below(40_000);
        self.server(cap, rng, conn, resp, server_think);
    }

    /// close_notify from the client, then the TCP close.
    pub fn close(&mut self, cap: &mut Capture, rng: &mut Rng, conn: &mut Conn, idle: u64) {
        let alert = match self.version {
            Version::Tls13 => app_records(rng, Version::Tls13, 2),
            Version::Tls12 => records(21, 0x0303, &rng.bytes(26)),
        };
        conn.send(cap, Side::Client, &alert, idle);
        conn.close(cap, Side::Client, 200 + rng.below(1_000));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tls::{parse_client_hello, ClientHelloRec};

    fn ja3(h: &Hello, sni: Option<&str>, seed: u64) -> String {
        let (rec, _) = client_hello(h, sni, &mut Rng::new(seed));
        assert_eq!(rec[0], 22);
        let body = &rec[5..];
        let view = parse_client_hello(&body[4..]).expect("parses");
        crate::app::tls::ja3_string(&ClientHelloRec::from_view(&view))
    }

    #[test]
    fn every_profile_parses_with_a_stable_ja3() {
        for h in [
            &CHROMIUM,
            &SAFARI,
            &FIREFOX,
            &OPENSSL_CURL,
            &MACOS_CURL,
            &GO,
            &SCHANNEL11,
            &SCHANNEL10,
        ] {
            let a = ja3(h, Some("www.example.com"), 1);
            let b = ja3(h, Some("www.example.com"), 2);
            assert_eq!(a, b, "{}", h.name);
            for n in a.split([',', '-']) {
                let v: u32 = n.parse().unwrap_or(0);
                assert!(
                    v > 0xffff || !crate::app::tls::is_grease(v as u16),
                    "GREASE left in {}: {a}",
                    h.name
                );
            }
        }
        // No SNI: server_name left out.
        assert!(!ja3(&GO, None, 3).contains(",0-"));
    }

    #[test]
    fn safari_pads_to_512() {
        let (rec, _) = client_hello(&SAFARI, Some("www.apple.com"), &mut Rng::new(5));
        assert_eq!(rec.len(), 5 + 512);
    }
}
