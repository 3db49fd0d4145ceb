//! Software RSS per packet: reading the tuple and hashing it with the symmetric Toeplitz
//! key, over the real frames of the bundled capture (what the dispatcher does for every
//! packet when the PMD has no RSS). Run: `cargo bench -p vigil-benches --bench rss`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pcap_file::pcap::PcapReader;
use vigil::capture::rss::{symmetric_key, tuple, Dispatcher, Fields, Toeplitz, KEY_LEN};

fn frames() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/loopback-office.pcap"
    );
    let mut r = PcapReader::new(std::fs::File::open(path).expect("bundled capture")).unwrap();
    let mut out = Vec::new();
    while let Some(Ok(p)) = r.next_packet() {
        out.push(p.data.into_owned());
    }
    out
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    let mut g = c.benchmark_group("rss");
    g.throughput(Throughput::Elements(frames.len() as u64));
    let h = Toeplitz::new(&symmetric_key(KEY_LEN));
    g.bench_function("tuple+toeplitz", |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for f in &frames {
                if let Some(t) = tuple(black_box(f), Fields::L3L4) {
                    acc ^= h.hash(t.as_slice());
                }
            }
            acc
        })
    });
    let d = Dispatcher::new(4, 128, Fields::L3L4);
    g.bench_function("dispatch-4-workers", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for f in &frames {
                acc += d.worker(black_box(f));
            }
            acc
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
