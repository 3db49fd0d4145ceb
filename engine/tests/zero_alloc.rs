//! The worker's per-packet code allocates nothing: a counting global allocator watches it
//! handle every packet of real captures (the bundled one and the shared ones).

use pcap_file::pcap::PcapReader;
use std::alloc::System;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use vigil::alloc::{hot_allocations, set_hot, CountingAlloc};
use vigil::worker::pipeline::{Pipeline, PipelineConf};
use vigil::worker::records::RecordQueue;

#[global_allocator]
static A: CountingAlloc<System> = CountingAlloc(System);

fn frames(path: &std::path::Path) -> Vec<(Vec<u8>, u64)> {
    let Ok(f) = std::fs::File::open(path) else {
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

#[test]
fn pipeline_allocates_nothing_per_packet() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = frames(&root.join("tests/data/loopback-office.pcap"));
    for name in [
        "mixed/ndpi_1kxun.pcap",
        "malware/slips_test-cc-capture-1_periodic2s.pcap",
        "zeek-traces/vxlan-encapsulated-http/vxlan-encapsulated-http.pcap",
    ] {
        all.extend(frames(&root.join("../shared/pcaps").join(name)));
    }
    assert!(all.len() >= 90);
    let q = Arc::new(crossbeam_queue::ArrayQueue::new(1 << 16));
    let rq = Arc::new(RecordQueue::new(1 << 16));
    let conf = PipelineConf {
        flows: 1 << 14,
        ..Default::default()
    };
    let mut p = Pipeline::new(
        &conf,
        Arc::clone(&q),
        Arc::clone(&rq),
        Arc::new(AtomicBool::new(false)),
    );
    let before = hot_allocations();
    set_hot(true);
    for (frame, ts) in &all {
        p.packet(frame, frame.len() as u32, *ts);
        // Truncated copies of the same bytes too: no panic, no allocation.
        p.packet(&frame[..frame.len() / 2], (frame.len() / 2) as u32, *ts);
    }
    set_hot(false);
    assert_eq!(hot_allocations() - before, 0, "allocations on the hot path");
    assert_eq!(p.counters.packets, 2 * all.len() as u64);
    assert!(p.counters.flows > 0 && !q.is_empty());
}
