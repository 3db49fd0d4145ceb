//! The worker's per-packet code allocates nothing: a counting global allocator watches
//! the whole pipeline (decode, defrag, flows, TCP, stream reassembly, protocol detection
//! and parsers, records) handle every packet of the bundled capture and of every shared
//! capture, after a warm-up pass, plus truncated and bit-flipped copies of each packet.

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::alloc::System;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use vigil::alloc::{hot_allocations, set_hot, CountingAlloc};
use vigil::capture::rss::LinkType;
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
    all_captures(&root.join("../shared/pcaps"), &mut files);
    files.sort();
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
            for (frame, ts) in &fr {
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
        }
    }
    assert!(total > 10_000, "only {total} packets");
    assert!(p.counters.flows > 100);
}
