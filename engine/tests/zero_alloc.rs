//! The worker's per-packet code allocates nothing: a counting global allocator watches
//! the whole pipeline (decode, defrag, flows, TCP, stream reassembly, protocol detection
//! and parsers, records) handle every packet of the bundled capture and of every shared
//! capture, after a warm-up pass, plus truncated and bit-flipped copies of each packet,
//! while looking every new flow up in a published rarity snapshot and taking the newer
//! snapshots the control plane publishes between passes.

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::alloc::System;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use vigil::alloc::{hot_allocations, set_hot, CountingAlloc};
use vigil::capture::rss::LinkType;
use vigil::learn::net::Networks;
use vigil::learn::snapshot::{AddrRarity, Retired, Snapshot, SnapshotCell, SnapshotReader};
use vigil::learn::table::{key_ip, KeyTable};
use vigil::worker::pipeline::{Pipeline, PipelineConf};
use vigil::worker::records::RecordQueue;

#[global_allocator]
static A: CountingAlloc<System> = CountingAlloc(System);

/// Ethernet frames of a pcap or pcapng file (other link types are skipped here).
fn frames(path: &std::path::Path) -> Vec<(Vec<u8>, u64)> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(mut r) = PcapReader::new(&bytes[..]) {
        if r.header().datalink != pcap_file::DataLink::ETHERNET {
            return out;
        }
        while let Some(Ok(p)) = r.next_packet() {
            out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
        }
    } else if let Ok(mut r) = PcapNgReader::new(&bytes[..]) {
        while let Some(Ok(b)) = r.next_block() {
            if let Block::EnhancedPacket(p) = b {
                out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
            }
        }
    }
    out
}

fn all_captures(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            all_captures(&p, out);
        } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
}

#[test]
fn pipeline_allocates_nothing_per_packet() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("tests/data/loopback-office.pcap")];
    let shared = std::env::var_os("VIGIL_PCAPS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/pcaps"));
    all_captures(&shared, &mut files);
    files.sort();
    // A simulated office day too, so the run has many flows and packets even where the
    // shared captures are not beside the checkout (a clone elsewhere).
    let office = std::env::temp_dir().join(format!("vigil-zero-alloc-{}.pcap", std::process::id()));
    let sim = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["simulate", "office", "--days", "1", "--out"])
        .arg(&office)
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    files.push(office.clone());
    let q = Arc::new(crossbeam_queue::ArrayQueue::new(1 << 16));
    let rq = Arc::new(RecordQueue::new(1 << 16));
    let conf = PipelineConf {
        flows: 1 << 14,
        link: LinkType::Ethernet,
        ..Default::default()
    };
    let mut p = Pipeline::new(
        &conf,
        Arc::clone(&q),
        Arc::clone(&rq),
        Arc::new(AtomicBool::new(false)),
    );
    // A rarity snapshot of 100k addresses (control plane), republished between passes.
    let cell = Arc::new(SnapshotCell::new(Networks::default()));
    let mut retired = Retired::default();
    let mut generation = 0u64;
    let mut publish = |retired: &mut Retired| {
        generation += 1;
        let mut addrs = KeyTable::with_capacity(100_000);
        for i in 0..100_000u32 {
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
            addrs.insert(
                key_ip(&a, false),
                AddrRarity {
                    devices: (i % 5) as u16,
                    first_seen_s: i,
                },
            );
        }
        retired.retire(cell.publish(Snapshot {
            generation,
            as_of_ns: 0,
            addrs,
            pairs: KeyTable::with_capacity(16),
            blocks: Default::default(),
        }));
    };
    publish(&mut retired);
    p.set_snapshot(SnapshotReader::new(Arc::clone(&cell)));
    p.warm_snapshot();
    let mut total = 0u64;
    let mut shift = 0u64;
    for f in &files {
        let fr = frames(f);
        if fr.is_empty() {
            continue;
        }
        // Warm-up pass (first touches), then the measured pass, later in packet time so
        // every flow starts over.
        let mut flipped = vec![0u8; 70_000];
        for pass in 0..2 {
            shift += 10_000_000_000_000;
            let before = hot_allocations();
            set_hot(pass == 1);
            for (i, (frame, ts)) in fr.iter().enumerate() {
                if i % 32 == 0 {
                    // A burst starts: take a newer snapshot if one was published.
                    p.refresh_snapshot();
                }
                p.packet(frame, frame.len() as u32, ts + shift);
                if pass == 1 {
                    p.packet(
                        &frame[..frame.len() / 2],
                        (frame.len() / 2) as u32,
                        ts + shift,
                    );
                    let n = frame.len().min(flipped.len());
                    flipped[..n].copy_from_slice(&frame[..n]);
                    let i = (ts % n.max(1) as u64) as usize;
                    flipped[i] ^= 0x5a;
                    p.packet(&flipped[..n], n as u32, ts + shift);
                }
                total += 1;
            }
            set_hot(false);
            assert_eq!(
                hot_allocations() - before,
                0,
                "{}: allocations on the hot path",
                f.display()
            );
            // The control plane's side: empty the queues (allocation allowed here).
            while q.pop().is_some() {}
            while rq.pop().is_some() {}
            publish(&mut retired);
        }
    }
    let _ = std::fs::remove_file(&office);
    // Every replaced snapshot but the one the pipeline holds has been freed.
    assert!(retired.len() <= 1, "{} snapshots kept", retired.len());
    assert!(total > 10_000, "only {total} packets");
    assert!(p.counters.flows > 100);
}
