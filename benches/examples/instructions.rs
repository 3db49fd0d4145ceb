//! Feeds a capture through one worker pipeline (decode, flows, TCP, streams, parsers,
//! records; no DPDK, no control plane) a number of times, for instruction counts per
//! packet under `valgrind --tool=callgrind`: run it with 1 pass and with N passes, and
//! (Ir(N) - Ir(1)) / ((N - 1) * packets) is the pipeline's instructions per packet, setup
//! excluded. perf-tests/run.py does that and puts the figure in docs/PERFORMANCE.md.
//!
//!     cargo run --release -p vigil-benches --example instructions -- CAPTURE PASSES

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use vigil::worker::pipeline::{Pipeline, PipelineConf};
use vigil::worker::records::RecordQueue;

/// Every frame of a pcap or pcapng capture with its time in nanoseconds.
fn frames(path: &str) -> Result<Vec<(Vec<u8>, u64)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = PcapNgReader::new(&bytes[..]).map_err(|e| format!("{path}: {e}"))?;
        while let Some(b) = r.next_block() {
            match b.map_err(|e| format!("{path}: {e}"))? {
                Block::EnhancedPacket(p) => {
                    out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64))
                }
                Block::SimplePacket(p) => out.push((p.data.into_owned(), 0)),
                _ => {}
            }
        }
    } else {
        let mut r = PcapReader::new(&bytes[..]).map_err(|e| format!("{path}: {e}"))?;
        while let Some(p) = r.next_packet() {
            let p = p.map_err(|e| format!("{path}: {e}"))?;
            out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
        }
    }
    Ok(out)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(passes)) = (args.get(1), args.get(2).and_then(|p| p.parse().ok())) else {
        eprintln!("usage: instructions CAPTURE PASSES");
        std::process::exit(2);
    };
    let passes: u64 = passes;
    let fr = frames(path).unwrap_or_else(|e| {
        eprintln!("instructions: {e}");
        std::process::exit(2);
    });
    // Queues large enough for every pass's records and summaries: nothing is dropped
    // and nothing is drained, so the count is the worker's work alone.
    let q = Arc::new(crossbeam_queue::ArrayQueue::new(1 << 21));
    let rq = Arc::new(RecordQueue::new(1 << 22));
    let mut p = Pipeline::new(
        &PipelineConf::default(),
        Arc::clone(&q),
        Arc::clone(&rq),
        Arc::new(AtomicBool::new(false)),
    );
    let mut shift = 0u64;
    let mut packets = 0u64;
    let mut start = std::time::Instant::now();
    for pass in 0..passes {
        if pass == 1 {
            // The first pass warms the caches and the table; time the rest.
            start = std::time::Instant::now();
        }
        for (f, ts) in &fr {
            // Each pass moves time on, as an endless replay does, so flows start anew.
            p.packet(f, f.len() as u32, ts + shift);
            packets += 1;
        }
        if std::env::var_os("NOSHIFT").is_none() {
            shift += 4_000_000_000_000;
        }
    }
    let timed = packets - packets / passes.max(1);
    let ns = start.elapsed().as_nanos() as f64 / timed.max(1) as f64;
    let full = rq.len() == rq.capacity() || q.len() == q.capacity();
    println!(
        "{packets} packets; {ns:.0} ns per packet after the first pass{}",
        if full {
            " (a queue filled: records were dropped)"
        } else {
            ""
        }
    );
}
