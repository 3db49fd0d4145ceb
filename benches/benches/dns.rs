//! DNS worker half per message: the datagrams of the recorded DNS capture
//! (tests/data/app/dns-dig.pcap: queries and responses with CNAME, A, AAAA, MX, TXT, SOA)
//! parsed and written as records, and detection on them. Run:
//! `cargo bench -p vigil-benches --bench dns`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pcap_file::pcap::PcapReader;
use vigil::app::detect::{detect, Transport};
use vigil::app::{dns, Dir, RecordKind, Sink};
use vigil::wire::{Writer, RECORD_MAX};

/// A sink writing into one reused buffer, like the engine's.
struct BufSink(Vec<u8>, usize);

impl Sink for BufSink {
    fn emit(&mut self, _k: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut w = Writer::new(&mut self.0);
        if body(&mut w) {
            self.1 += w.len();
        }
    }
}

/// UDP payloads of the IPv4 Ethernet frames of the recorded capture.
fn datagrams() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/app/dns-dig.pcap"
    );
    let mut r = PcapReader::new(std::fs::File::open(path).expect("recorded capture")).unwrap();
    let mut out = Vec::new();
    while let Some(Ok(p)) = r.next_packet() {
        let f = &p.data;
        if f.len() < 42 || f[12..14] != [0x08, 0x00] || f[23] != 17 {
            continue;
        }
        let ihl = usize::from(f[14] & 0x0F) * 4;
        out.push(f[14 + ihl + 8..].to_vec());
    }
    out
}

fn bench(c: &mut Criterion) {
    let msgs = datagrams();
    assert!(msgs.len() >= 10);
    let mut sink = BufSink(vec![0u8; RECORD_MAX], 0);
    let mut g = c.benchmark_group("dns");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("datagram (per message)", |b| {
        b.iter(|| {
            for m in &msgs {
                dns::datagram(Dir::ToServer, black_box(m), &mut sink);
            }
        })
    });
    g.bench_function("detect udp (per message)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for m in &msgs {
                n += detect(Transport::Udp, Dir::ToServer, black_box(m)) as usize;
            }
            n
        })
    });
    let responses: Vec<&Vec<u8>> = msgs.iter().filter(|m| m[2] & 0x80 != 0).collect();
    g.throughput(Throughput::Elements(responses.len() as u64));
    g.bench_function("datagram (per response)", |b| {
        b.iter(|| {
            for m in &responses {
                dns::datagram(Dir::ToClient, black_box(m), &mut sink);
            }
        })
    });
    g.finish();
    black_box(sink.1);
}

criterion_group!(benches, bench);
criterion_main!(benches);
