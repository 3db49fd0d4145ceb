//! The worker halves of DNS, HTTP and SSH and protocol detection allocate nothing: a
//! counting global allocator watches every call into them over all the shared captures
//! the DNS and HTTP tests use (plus the bundled one), and over truncated and garbled
//! copies of the same bytes, which must not panic either.

mod app_common;
use app_common::*;
use std::alloc::System;
use vigil::alloc::{hot_allocations, set_hot, CountingAlloc};
use vigil::app::detect::{detect, Transport};
use vigil::app::{dns, http, ssh, Dir, Progress, RecordKind, Sink};
use vigil::wire::{Writer, RECORD_MAX};

#[global_allocator]
static A: CountingAlloc<System> = CountingAlloc(System);

/// A sink that writes into one reusable buffer, as the engine's does.
struct BufSink {
    buf: Vec<u8>,
    records: usize,
    bytes: usize,
}

impl Sink for BufSink {
    fn emit(&mut self, _kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut w = Writer::new(&mut self.buf);
        if body(&mut w) {
            self.records += 1;
            self.bytes += w.len();
        }
    }
}

const CAPTURES: &[&str] = &[
    "suricata-verify/dns-udp-eve-dig/input.pcap",
    "suricata-verify/dns-eve-v2-udp-nxdomain-soa/dns-udp-nxdomain-soa.pcap",
    "suricata-verify/decode-teredo-01/input.pcap",
    "suricata-verify/bug-814/input.pcap",
    "suricata-verify/bug-7657-01/input.pcap",
    "suricata-verify/http-ipv6/input.pcap",
    "suricata-verify/http-not09/input.pcap",
    "suricata-verify/http-post-file/input.pcap",
    "zeek-traces/dns53/dns53.pcap",
    "zeek-traces/gre-sample/gre-sample.pcap",
    "zeek-traces/ipv6-fragmented-dns/ipv6-fragmented-dns.pcap",
    "zeek-traces/get/get.pcap",
    "zeek-traces/pipelined-requests/pipelined-requests.pcap",
    "zeek-traces/post/post.pcap",
    "zeek-traces/wikipedia/wikipedia.pcap",
    "zeek-traces/vxlan-encapsulated-http/vxlan-encapsulated-http.pcap",
    "zeek-traces/Teredo/Teredo.pcap",
    "malware/pcap-attack_cmds_over_dns_txt.pcap",
    "mixed/chrissanders_http_espn.pcapng",
    "mixed/ndpi_1kxun.pcap",
];

/// Deterministic garbling: flips about one byte in 64 and cuts the tail sometimes.
fn garble(b: &[u8], seed: &mut u32) -> Vec<u8> {
    let mut v = b.to_vec();
    for x in v.iter_mut() {
        *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        if (*seed >> 16) & 63 == 0 {
            *x ^= (*seed >> 8) as u8;
        }
    }
    if *seed & 7 == 0 {
        v.truncate(v.len() / 2);
    }
    v
}

/// Calls `f` with the thread marked hot.
#[inline]
fn hot<R>(f: impl FnOnce() -> R) -> R {
    set_hot(true);
    let r = f();
    set_hot(false);
    r
}

enum AnyState {
    Http(http::HttpState),
    Dns(dns::DnsTcpState),
    Ssh(ssh::SshState),
}

impl AnyState {
    fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        match self {
            AnyState::Http(s) => s.data(dir, data, sink),
            AnyState::Dns(s) => s.data(dir, data, sink),
            AnyState::Ssh(s) => s.data(dir, data, sink),
        }
    }
    fn gap(&mut self, dir: Dir) {
        match self {
            AnyState::Http(s) => s.gap(dir),
            AnyState::Dns(s) => s.gap(dir),
            AnyState::Ssh(s) => s.gap(dir),
        }
    }
    fn close(&mut self, dir: Dir, sink: &mut dyn Sink) {
        if let AnyState::Http(s) = self {
            s.close(dir, sink)
        }
    }
}

/// Drives one stream parser over `segs`, allocating only outside the parser calls.
fn drive(st: &mut AnyState, segs: &[Seg], sink: &mut BufSink) {
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut done = [false; 2];
    for seg in segs {
        match seg {
            Seg::Gap(d) => {
                hot(|| st.gap(*d));
                pending[d.index()].clear();
            }
            Seg::Data(d, bytes, _, _) => {
                let i = d.index();
                if done[i] {
                    continue;
                }
                pending[i].extend_from_slice(bytes);
                let p = &pending[i];
                match hot(|| st.data(*d, p, sink)) {
                    Progress::Consumed(n) => {
                        pending[i].drain(..n);
                        done[i] = pending[i].len() > STREAM_BUF_MAX;
                    }
                    Progress::Done => done[i] = true,
                }
            }
        }
    }
    for d in [Dir::ToServer, Dir::ToClient] {
        hot(|| st.close(d, sink));
    }
}

#[test]
fn worker_halves_allocate_nothing() {
    let mut sink = BufSink {
        buf: vec![0u8; RECORD_MAX],
        records: 0,
        bytes: 0,
    };
    let mut seed = 0x00C0_FFEE_u32;
    let mut calls = 0usize;
    let mut paths: Vec<std::path::PathBuf> = CAPTURES.iter().filter_map(|c| shared(c)).collect();
    let bundled = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/loopback-office.pcap");
    if bundled.is_file() {
        paths.push(bundled);
    }
    paths.extend(
        ["http-curl.pcap", "dns-dig.pcap", "ssh-banner.pcap"]
            .iter()
            .map(|p| own(p))
            .filter(|p| p.is_file()),
    );
    // The counter is live: one allocation while hot is seen.
    let probe = hot_allocations();
    hot(|| drop(std::hint::black_box(vec![1u8; 16])));
    assert_eq!(
        hot_allocations() - probe,
        1,
        "counting allocator not active"
    );
    let before = hot_allocations();
    for path in &paths {
        let pkts = packets(path);
        let flows = flows(&pkts);
        for f in &flows {
            if f.proto == 17 {
                for &i in &f.packets {
                    let p = &pkts[i];
                    let g = garble(&p.payload, &mut seed);
                    let dir = f.dir(p);
                    hot(|| {
                        let _ = detect(Transport::Udp, dir, &p.payload);
                        let _ = dns::looks_like_dns(&p.payload);
                        dns::datagram(dir, &p.payload, &mut sink);
                        dns::datagram(dir, &p.payload[..p.payload.len() / 2], &mut sink);
                        dns::datagram(dir, &g, &mut sink);
                        let _ = detect(Transport::Udp, dir, &g);
                    });
                    calls += 1;
                }
                continue;
            }
            let segs = tcp_stream(f, &pkts);
            let garbled: Vec<Seg> = segs
                .iter()
                .map(|s| match s {
                    Seg::Data(d, b, c, t) => Seg::Data(*d, garble(b, &mut seed), *c, *t),
                    Seg::Gap(d) => Seg::Gap(*d),
                })
                .collect();
            // Detection on the first bytes of each direction, then every parser over the
            // real and the garbled stream (a parser fed what is not its protocol must stop
            // cleanly, too).
            for d in [Dir::ToServer, Dir::ToClient] {
                if let Some(Seg::Data(_, b, _, _)) = segs
                    .iter()
                    .find(|s| matches!(s, Seg::Data(x, _, _, _) if *x == d))
                {
                    hot(|| {
                        let _ = detect(Transport::Tcp, d, b);
                        let _ = detect(Transport::Tcp, d, &b[..b.len().min(3)]);
                    });
                }
            }
            for stream in [&segs, &garbled] {
                for mut st in [
                    AnyState::Http(http::HttpState::default()),
                    AnyState::Dns(dns::DnsTcpState::default()),
                    AnyState::Ssh(ssh::SshState::default()),
                ] {
                    drive(&mut st, stream, &mut sink);
                    calls += 1;
                }
            }
        }
    }
    eprintln!(
        "{} captures, {calls} flows/datagrams, {} records, {} bytes",
        paths.len(),
        sink.records,
        sink.bytes
    );
    let allocs = hot_allocations() - before;
    assert_eq!(allocs, 0, "allocations in the worker halves");
    if shared_dir().is_some() {
        assert!(calls > 1000, "{calls} flows/datagrams");
        assert!(sink.records > 1000, "{} records", sink.records);
    }
}
