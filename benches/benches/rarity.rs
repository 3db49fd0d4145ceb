//! The workers' rarity lookup: ns per lookup in the published snapshot table at 1 000 000
//! keys (and 10 000 for comparison), for addresses that are there (hits) and addresses
//! never seen (misses), including the key hash. Run:
//! `cargo bench -p vigil-benches --bench rarity`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use vigil::learn::snapshot::AddrRarity;
use vigil::learn::table::{key_ip, KeyTable};

fn addr(n: u32) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&n.wrapping_mul(2_654_435_761).to_be_bytes());
    a
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("rarity");
    for size in [10_000u32, 1_000_000] {
        let mut t: KeyTable<AddrRarity> = KeyTable::with_capacity(size as usize);
        for n in 0..size {
            t.insert(
                key_ip(&addr(n), false),
                AddrRarity {
                    devices: (n % 7) as u16,
                    first_seen_s: n,
                },
            );
        }
        let hits: Vec<[u8; 16]> = (0..size).map(addr).collect();
        let misses: Vec<[u8; 16]> = (size..size * 2).map(addr).collect();
        eprintln!(
            "rarity table: {} keys, {} MiB",
            t.len(),
            t.bytes() / (1 << 20)
        );
        g.throughput(Throughput::Elements(1024));
        for (name, keys) in [("hit", &hits), ("miss", &misses)] {
            g.bench_function(format!("{name}/{size}"), |b| {
                let mut i = 0usize;
                b.iter(|| {
                    let mut sum = 0u32;
                    for _ in 0..1024 {
                        i = (i + 7919) % keys.len();
                        if let Some(r) = t.get(key_ip(black_box(&keys[i]), false)) {
                            sum = sum.wrapping_add(r.devices as u32);
                        }
                    }
                    sum
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
