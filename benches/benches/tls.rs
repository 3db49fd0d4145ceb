//! TLS and QUIC parsing costs, over real handshakes from Vigil's own loopback captures
//! (tests/data/tls): the zero-copy ClientHello parse, the worker half over a whole
//! ClientHello record and over the server's ServerHello + Certificate flight (ns per
//! emitted certificate record), and on the control plane the certificate fields,
//! JA3/JA4, and a QUIC Initial's decryption (when the shared captures are present).
//! Run: `cargo bench -p vigil-benches --bench tls`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pcap_file::pcap::PcapReader;
use vigil::app::quic::QuicTracker;
use vigil::app::tls::{
    cert_fields, ja3_string, ja4, md5_hex, parse_client_hello, CertificateRec, ClientHelloRec,
    TlsState,
};
use vigil::app::{Dir, RecordCtx, RecordKind, Sink, Tracker};
use vigil::wire::{Reader, Writer, RECORD_MAX};

/// A sink like the engine's: one buffer, records counted.
struct FixedSink {
    buf: Vec<u8>,
    last: Vec<u8>,
    n: u64,
}

impl Sink for FixedSink {
    fn emit(&mut self, _k: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut w = Writer::new(&mut self.buf);
        if body(&mut w) {
            self.n += 1;
        }
    }
}

impl FixedSink {
    fn new() -> FixedSink {
        FixedSink {
            buf: vec![0; RECORD_MAX],
            last: Vec::new(),
            n: 0,
        }
    }

    /// Like `emit`, but keeps a copy of the record (setup only).
    fn keep(&mut self) -> impl Sink + '_ {
        struct Keep<'a>(&'a mut FixedSink);
        impl Sink for Keep<'_> {
            fn emit(&mut self, _k: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
                let mut w = Writer::new(&mut self.0.buf);
                if body(&mut w) {
                    let n = w.len();
                    self.0.last = self.0.buf[..n].to_vec();
                }
            }
        }
        Keep(self)
    }
}

/// The TCP payload bytes of each direction of the first flow of an Ethernet/IPv4 capture
/// (our loopback captures: no reordering, no loss).
fn streams(name: &str) -> (Vec<u8>, Vec<u8>) {
    let path = format!("{}/../tests/data/tls/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut r = PcapReader::new(std::fs::File::open(path).expect("capture")).unwrap();
    let mut client_port = None;
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    while let Some(Ok(p)) = r.next_packet() {
        let f = &p.data;
        if f.len() < 34 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6 {
            continue;
        }
        let ihl = usize::from(f[14] & 0x0f) * 4;
        let tcp = 14 + ihl;
        let total = usize::from(u16::from_be_bytes([f[16], f[17]])) + 14;
        let doff = usize::from(f[tcp + 12] >> 4) * 4;
        let sport = u16::from_be_bytes([f[tcp], f[tcp + 1]]);
        let syn = f[tcp + 13] & 0x02 != 0;
        let ack = f[tcp + 13] & 0x10 != 0;
        if syn && !ack {
            client_port = Some(sport);
        }
        let payload = &f[tcp + doff..total.min(f.len())];
        if Some(sport) == client_port {
            to_server.extend_from_slice(payload);
        } else {
            to_client.extend_from_slice(payload);
        }
    }
    (to_server, to_client)
}

/// The first TLS record of a stream (header + body).
fn first_record(s: &[u8]) -> &[u8] {
    let len = usize::from(u16::from_be_bytes([s[3], s[4]]));
    &s[..5 + len]
}

/// The client's first Initial datagram of a shared QUIC capture, if present.
fn quic_initial() -> Option<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/pcaps/suricata-verify/ja4-quic/input.pcap"
    );
    let mut r = PcapReader::new(std::fs::File::open(path).ok()?).ok()?;
    let p = r.next_packet()?.ok()?;
    let f = &p.data;
    let ihl = usize::from(f[14] & 0x0f) * 4;
    Some(f[14 + ihl + 8..].to_vec())
}

fn bench(c: &mut Criterion) {
    let (ch_stream, _) = streams("tls13-alpn.pcap");
    let ch_record = first_record(&ch_stream).to_vec();
    let ch_body = ch_record[9..].to_vec();
    let (_, server) = streams("tls12-chain.pcap");
    let mut scratch = vec![0u8; 65536];
    let mut sink = FixedSink::new();

    let mut g = c.benchmark_group("tls");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_client_hello", |b| {
        b.iter(|| parse_client_hello(black_box(&ch_body)).map(|v| v.cipher_list(true).len()))
    });
    g.bench_function("worker_client_hello_record", |b| {
        b.iter(|| {
            let mut st = TlsState::default();
            st.data(
                Dir::ToServer,
                black_box(&ch_record),
                &mut scratch,
                &mut sink,
            )
        })
    });
    g.bench_function("worker_server_flight_to_certificate", |b| {
        b.iter(|| {
            let mut st = TlsState::default();
            st.data(Dir::ToClient, black_box(&server), &mut scratch, &mut sink)
        })
    });

    // Control plane.
    let mut st = TlsState::default();
    st.data(Dir::ToClient, &server, &mut scratch, &mut sink.keep());
    let cert = CertificateRec::read(&mut Reader::new(&sink.last)).expect("certificate record");
    let mut st = TlsState::default();
    st.data(Dir::ToServer, &ch_record, &mut scratch, &mut sink.keep());
    let ch = ClientHelloRec::read(&mut Reader::new(&sink.last)).expect("client hello record");
    g.bench_function("cert_fields", |b| {
        b.iter(|| cert_fields(black_box(&cert.der)))
    });
    g.bench_function("ja3_md5+ja4", |b| {
        b.iter(|| (md5_hex(&ja3_string(black_box(&ch))), ja4(&ch, false)))
    });
    if let Some(dgram) = quic_initial() {
        let mut rec = vec![0u8; RECORD_MAX];
        let mut w = Writer::new(&mut rec);
        w.u32(1);
        w.u8(0);
        w.bytes(&dgram);
        let n = w.len();
        rec.truncate(n);
        g.bench_function("quic_initial_decrypt_parse", |b| {
            b.iter(|| {
                let mut t = QuicTracker::default();
                let mut out = Vec::new();
                let ctx = RecordCtx {
                    flow_id: 1,
                    ts_ns: 0,
                    dir: Dir::ToServer,
                };
                t.record(
                    RecordKind::QuicInitial,
                    &ctx,
                    &mut Reader::new(&rec),
                    &mut out,
                );
                out.len()
            })
        });
    }
    g.finish();
    black_box(sink.n);
}

criterion_group!(benches, bench);
criterion_main!(benches);
