//! The worker halves (`TlsState::data`, `QuicState::datagram`) allocate nothing: a
//! counting global allocator watches them handle every TLS and QUIC flow of the
//! captures, and truncated, garbled and re-cut copies of the same bytes, which they
//! must also survive without panicking.

#[path = "app_tls_support.rs"]
mod support;
use std::alloc::System;
use support::*;
use vigil::alloc::{hot_allocations, set_hot, CountingAlloc};
use vigil::app::quic::QuicState;
use vigil::app::tls::TlsState;
use vigil::app::{Dir, Progress, RecordKind, Sink};
use vigil::wire::{Writer, RECORD_MAX};

#[global_allocator]
static A: CountingAlloc<System> = CountingAlloc(System);

/// A sink like the engine's: one fixed buffer, records counted, nothing kept.
struct FixedSink {
    buf: Box<[u8; RECORD_MAX]>,
    records: u64,
    bytes: u64,
}

impl Sink for FixedSink {
    fn emit(&mut self, _kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut w = Writer::new(&mut self.buf[..]);
        if body(&mut w) {
            self.records += 1;
            self.bytes += w.len() as u64;
        }
    }
}

const TLS: &[&str] = &[
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
    "mixed/sv_tls-subjectaltname_input.pcap",
];

const QUIC: &[&str] = &[
    "suricata-verify/ja4-quic/input.pcap",
    "suricata-verify/ja4-tls-quic/input.pcap",
    "suricata-verify/quic-v2/input.pcap",
    "suricata-verify/quic-ietf-ja3/input.pcap",
    "zeek-traces/curl-8.1.2-dev-http3-www-google-de/curl-8.1.2-dev-http3-www-google-de.pcap",
    "malware/zeek_merlinc2_Zeek_example.pcapng",
];

/// A deterministic xorshift generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

type Chunks = Vec<(Dir, Vec<u8>)>;

/// The TCP byte chunks of every TLS flow, then variants: cut in half, garbled, 1-byte
/// and 3-byte segments, directions swapped.
fn tls_inputs() -> Vec<Chunks> {
    let mut paths: Vec<_> = TLS.iter().filter_map(|r| shared(r)).collect();
    for n in [
        "tls13-alpn",
        "tls12-chain",
        "tls12-small-records",
        "tls12-resumed",
    ] {
        paths.push(root().join(format!("tests/data/tls/{n}.pcap")));
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut out = Vec::new();
    for p in paths {
        for fl in flows(&p).into_iter().filter(|f| f.tcp) {
            let base: Chunks = tcp_chunks(&fl)
                .into_iter()
                .filter(|c| !c.3)
                .map(|c| (c.1, c.2))
                .collect();
            if base.is_empty() {
                continue;
            }
            let halves: Chunks = base
                .iter()
                .map(|(d, b)| (*d, b[..b.len() / 2].to_vec()))
                .collect();
            let mut garbled = base.clone();
            for (_, b) in garbled.iter_mut() {
                for _ in 0..(1 + b.len() / 64) {
                    if !b.is_empty() {
                        let i = (rng.next() as usize) % b.len();
                        b[i] = rng.next() as u8;
                    }
                }
            }
            let swapped: Chunks = base.iter().map(|(d, b)| (d.flip(), b.clone())).collect();
            out.push(base.clone());
            out.push(halves);
            out.push(garbled);
            out.push(swapped);
            if out.len() < 400 {
                for size in [1usize, 3] {
                    let mut small = Chunks::new();
                    for (d, b) in &base {
                        for piece in b.chunks(size) {
                            small.push((*d, piece.to_vec()));
                        }
                    }
                    out.push(small);
                }
            }
        }
    }
    out
}

/// The datagrams of every QUIC flow, then truncated and garbled copies.
fn quic_inputs() -> Vec<Chunks> {
    let mut rng = Rng(0xfeed_beef_cafe_f00d);
    let mut out = Vec::new();
    for p in QUIC.iter().filter_map(|r| shared(r)) {
        for fl in flows(&p).into_iter().filter(|f| !f.tcp) {
            let base: Chunks = fl
                .pkts
                .iter()
                .map(|(d, p)| (*d, p.payload.clone()))
                .collect();
            let cut: Chunks = base
                .iter()
                .map(|(d, b)| (*d, b[..(rng.next() as usize) % (b.len() + 1)].to_vec()))
                .collect();
            let mut garbled = base.clone();
            for (_, b) in garbled.iter_mut() {
                if let Some(x) = b.get_mut((rng.next() as usize) % 64) {
                    *x ^= 0x5a;
                }
            }
            out.push(base);
            out.push(cut);
            out.push(garbled);
        }
    }
    out
}

#[test]
fn worker_halves_allocate_nothing() {
    if pcaps().is_none() {
        eprintln!("SKIPPED: shared captures not found");
        return;
    }
    let tls = tls_inputs();
    let quic = quic_inputs();
    assert!(tls.len() > 200 && quic.len() > 30);
    // Everything the hot path touches is allocated up front.
    let mut sink = FixedSink {
        buf: Box::new([0u8; RECORD_MAX]),
        records: 0,
        bytes: 0,
    };
    let mut scratch = vec![0u8; 65536];
    let cap = 1 << 20;
    let mut pending = [Vec::with_capacity(cap), Vec::with_capacity(cap)];
    let mut tls_flows = 0u64;
    let mut quic_flows = 0u64;

    // The counter does see an allocation made while hot.
    let probe = hot_allocations();
    set_hot(true);
    let v = std::hint::black_box(vec![1u8; 3]);
    set_hot(false);
    drop(v);
    assert!(
        hot_allocations() > probe,
        "the counting allocator is not active"
    );

    let before = hot_allocations();
    set_hot(true);
    for input in &tls {
        let mut st = TlsState::default();
        let mut done = [false; 2];
        pending[0].clear();
        pending[1].clear();
        for (dir, bytes) in input {
            let i = dir.index();
            if done[i] || pending[i].len() + bytes.len() > cap {
                continue;
            }
            pending[i].extend_from_slice(bytes);
            match st.data(*dir, &pending[i], &mut scratch, &mut sink) {
                Progress::Done => done[i] = true,
                Progress::Consumed(n) => {
                    let n = n.min(pending[i].len());
                    pending[i].drain(..n);
                    if pending[i].len() >= KEEP {
                        done[i] = true;
                    }
                }
            }
        }
        tls_flows += 1;
    }
    for input in &quic {
        let mut st = QuicState::default();
        for (dir, d) in input {
            if !st.datagram(*dir, d, &mut sink) {
                break;
            }
        }
        quic_flows += 1;
    }
    set_hot(false);
    let allocs = hot_allocations() - before;
    assert_eq!(allocs, 0, "allocations on the hot path");
    assert!(tls_flows > 200 && quic_flows > 30);
    assert!(sink.records > 300, "{} records", sink.records);
    println!(
        "{tls_flows} TLS inputs, {quic_flows} QUIC inputs, {} records ({} bytes), 0 allocations",
        sink.records, sink.bytes
    );
}

/// The state sizes the flow table budgets for.
#[test]
fn state_sizes() {
    assert!(std::mem::size_of::<TlsState>() <= 64);
    assert!(std::mem::size_of::<QuicState>() <= 16);
    println!(
        "TlsState {} bytes, QuicState {} bytes",
        std::mem::size_of::<TlsState>(),
        std::mem::size_of::<QuicState>()
    );
}
