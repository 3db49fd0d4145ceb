//! Decoding and the whole per-packet pipeline, in ns per packet, over real captures:
//! the bundled one and, when present, ../shared/pcaps/mixed/ndpi_1kxun.pcap (HTTP, TLS,
//! DNS) and the VXLAN and Teredo traces. Run: `cargo bench -p vigil-benches --bench decode`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pcap_file::pcap::PcapReader;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use vigil::capture::rss::LinkType;
use vigil::decode::{decode, DecodeStats};
use vigil::worker::pipeline::{Pipeline, PipelineConf};
use vigil::worker::records::RecordQueue;

fn frames(rel: &str) -> Vec<(Vec<u8>, u64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel);
    let Ok(f) = std::fs::File::open(&path) else {
        return Vec::new();
    };
    let Ok(mut r) = PcapReader::new(f) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Some(Ok(p)) = r.next_packet() {
        out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
    }
    out
}

fn bench(c: &mut Criterion) {
    let sets = [
        ("bundled", frames("tests/data/loopback-office.pcap")),
        ("1kxun", frames("../shared/pcaps/mixed/ndpi_1kxun.pcap")),
        (
            "vxlan",
            frames(
                "../shared/pcaps/zeek-traces/vxlan-encapsulated-http/vxlan-encapsulated-http.pcap",
            ),
        ),
        (
            "teredo",
            frames("../shared/pcaps/zeek-traces/Teredo/Teredo.pcap"),
        ),
    ];
    let mut g = c.benchmark_group("decode");
    for (name, fr) in sets.iter().filter(|(_, f)| !f.is_empty()) {
        g.throughput(Throughput::Elements(fr.len() as u64));
        g.bench_function(*name, |b| {
            let mut st = DecodeStats::default();
            b.iter(|| {
                let mut n = 0usize;
                for (f, _) in fr {
                    if let Some(d) = decode(black_box(f), LinkType::Ethernet, &mut st) {
                        n += d.payload.len();
                    }
                }
                n
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("pipeline");
    for (name, fr) in sets.iter().filter(|(_, f)| !f.is_empty()) {
        g.throughput(Throughput::Elements(fr.len() as u64));
        g.bench_function(*name, |b| {
            let q = Arc::new(crossbeam_queue::ArrayQueue::new(1 << 16));
            let rq = Arc::new(RecordQueue::new(1 << 16));
            let mut p = Pipeline::new(
                &PipelineConf::default(),
                Arc::clone(&q),
                Arc::clone(&rq),
                Arc::new(AtomicBool::new(false)),
            );
            // Each pass shifts time forward so flows restart rather than pile up.
            let mut shift = 0u64;
            b.iter(|| {
                shift += 4_000_000_000_000;
                for (f, ts) in fr {
                    p.packet(black_box(f), f.len() as u32, ts + shift);
                }
                while q.pop().is_some() {}
                while rq.pop().is_some() {}
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
