//! `vigil bench`: line-rate measurement from memory. The capture is replayed endlessly by
//! `net_pcap` (`infinite_rx=1`, packets preloaded into mbufs) through the full engine for
//! a number of seconds; with `--baseline`, a bare receive loop (rx_burst and free,
//! nothing else) first runs on the same capture, same PMD, same lcore, so the engine's
//! rate can be read as a share of what the machine can receive at all.
//!
//! Figures: packets and bytes per second, TSC cycles per packet (the workers' time in
//! non-empty bursts over the packets they handled), drops at every stage, and the
//! distribution of per-burst processing time (hdrhistogram: p50, p99, p99.9).

use crate::capture::dpdk::{self, Burst, RxSource};
use crate::control::Report;
use serde_json::{json, Value};

/// What `vigil bench` asks of the engine.
#[derive(Debug, Clone)]
pub struct BenchOpts {
    pub seconds: f64,
    pub baseline: bool,
}

/// The bare loop's figures.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub packets: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// One worker's figures.
#[derive(Debug, Clone, Default)]
pub struct WorkerBench {
    pub packets: u64,
    pub bytes: u64,
    pub busy_cycles: u64,
    /// Per-burst processing time in ns: p50, p99, p99.9, max.
    pub burst_ns: [f64; 4],
    pub bursts: u64,
}

/// Receives from `port` queue 0 and frees, for `seconds` of TSC time. Runs on an lcore.
pub fn bare_loop(port: u16, seconds: f64, tsc_hz: u64) -> Baseline {
    let mut src = RxSource::Queue { port, queue: 0 };
    let mut burst = Burst::default();
    let start = dpdk::rdtsc();
    let end = start + (seconds * tsc_hz as f64) as u64;
    let (mut packets, mut bytes) = (0u64, 0u64);
    loop {
        let n = src.rx_burst(&mut burst);
        packets += n as u64;
        for i in 0..n {
            if let Some(p) = burst.get(i) {
                bytes += p.pkt_len() as u64;
            }
        }
        burst.clear();
        if dpdk::rdtsc() >= end {
            break;
        }
    }
    let took = dpdk::rdtsc().wrapping_sub(start) as f64 / tsc_hz as f64;
    Baseline {
        packets,
        bytes,
        seconds: took,
    }
}

fn rate(packets: u64, bytes: u64, secs: f64) -> (f64, f64) {
    let s = secs.max(1e-9);
    (packets as f64 / s / 1e6, bytes as f64 * 8.0 / s / 1e9)
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

/// The JSON `vigil bench` prints.
pub fn report_json(
    capture: &str,
    r: &Report,
    workers: &[WorkerBench],
    baseline: Option<&Baseline>,
    tsc_hz: u64,
) -> Value {
    let secs = r.elapsed.as_secs_f64();
    let (mpps, gbps) = rate(r.packets, r.bytes, secs);
    let busy: u64 = workers.iter().map(|w| w.busy_cycles).sum();
    let cpp = if r.packets > 0 {
        busy as f64 / r.packets as f64
    } else {
        0.0
    };
    // Merged percentiles are not averages of percentiles: report the worst worker's.
    let worst = |i: usize| workers.iter().map(|w| w.burst_ns[i]).fold(0.0, f64::max);
    let per_worker: Vec<Value> = workers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let (m, g) = rate(w.packets, w.bytes, secs);
            json!({
                "id": i,
                "packets": w.packets,
                "mpps": round(m, 3),
                "gbps": round(g, 3),
                "cycles_per_packet": if w.packets > 0 { round(w.busy_cycles as f64 / w.packets as f64, 1) } else { 0.0 },
                "busy": round(w.busy_cycles as f64 / tsc_hz as f64 / secs.max(1e-9), 3),
                "bursts": w.bursts,
                "burst_ns": {"p50": round(w.burst_ns[0], 0), "p99": round(w.burst_ns[1], 0), "p999": round(w.burst_ns[2], 0), "max": round(w.burst_ns[3], 0)},
            })
        })
        .collect();
    let drops = r.port.imissed + r.port.rx_nombuf + r.dispatch_dropped;
    let mut v = json!({
        "capture": capture,
        "seconds": round(secs, 3),
        "packets": r.packets,
        "bytes": r.bytes,
        "mpps": round(mpps, 3),
        "gbps": round(gbps, 3),
        "cycles_per_packet": round(cpp, 1),
        "tsc_hz": tsc_hz,
        // One worker: each pass of the endless replay is new traffic (worker::Passes);
        // more: the passes continue the same flows, which costs less.
        "each_pass": if workers.len() == 1 { "new flows" } else { "same flows continued" },
        "drops": drops,
        "drops_detail": {
            "imissed": r.port.imissed,
            "rx_nombuf": r.port.rx_nombuf,
            "dispatch_dropped": r.dispatch_dropped,
            "summary_queue_full": r.queue_full,
            "records_dropped": r.records_dropped,
        },
        "hot_path_allocations": r.hot_allocations,
        "workers": per_worker,
        "latency_ns": {"p50": round(worst(0), 0), "p99": round(worst(1), 0), "p999": round(worst(2), 0)},
    });
    if let Some(b) = baseline {
        let (bm, bg) = rate(b.packets, b.bytes, b.seconds);
        v["baseline"] = json!({
            "mpps": round(bm, 3),
            "gbps": round(bg, 3),
            "packets": b.packets,
            "seconds": round(b.seconds, 3),
        });
        v["ratio"] = json!(if bm > 0.0 { round(mpps / bm, 3) } else { 0.0 });
    }
    v
}
