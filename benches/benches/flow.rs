//! The flow table: ns per lookup of an existing flow (hit) and per new flow (miss, with
//! the insert), at 10 000 and 1 000 000 flows. Run: `cargo bench -p vigil-benches --bench flow`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil::flow::key::FlowKey;
use vigil::flow::table::{FlowTable, Lookup, Timeouts};

fn key(n: u32) -> FlowKey {
    let mut k = FlowKey {
        proto: 6,
        lo_port: (n % 50000) as u16 + 1024,
        hi_port: 443,
        ..Default::default()
    };
    k.lo[..4].copy_from_slice(&(0x0a00_0000 | (n >> 4)).to_be_bytes());
    k.hi[..4].copy_from_slice(&[93, 184, 216, (n % 251) as u8]);
    k
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow_table");
    for size in [10_000u32, 1_000_000] {
        let mut t = FlowTable::new(size as usize, 0, Timeouts::default());
        for n in 0..size {
            t.lookup(&key(n), 1_000_000_000, |_| {});
        }
        let keys: Vec<FlowKey> = (0..size).map(key).collect();
        g.throughput(Throughput::Elements(1024));
        g.bench_function(format!("hit/{size}"), |b| {
            let mut i = 0usize;
            b.iter(|| {
                let mut found = 0u32;
                for _ in 0..1024 {
                    i = (i + 7919) % keys.len();
                    if let Lookup::Found(x) = t.lookup(black_box(&keys[i]), 2_000_000_000, |_| {}) {
                        found = found.wrapping_add(x);
                    }
                }
                found
            })
        });
        g.bench_function(format!("miss_insert_remove/{size}"), |b| {
            let mut n = size;
            b.iter_batched(
                || {
                    n = n.wrapping_add(1024);
                    (0..1024)
                        .map(|k| key(n + k + 10_000_000))
                        .collect::<Vec<_>>()
                },
                |fresh| {
                    for k in &fresh {
                        if let Lookup::Created(x) = t.lookup(k, 3_000_000_000, |_| {}) {
                            t.remove(x);
                        }
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
