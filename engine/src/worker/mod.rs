//! Worker lcores: the poll loop that reads every packet.
//!
//! One worker per RX queue (or per software-dispatch ring), pinned to its lcore. The loop
//! is `rx_burst(32)`, then per packet the [`pipeline::Pipeline`]: decode, flow, stream,
//! application parsers, records for the control plane. Hot-path rules hold here: no heap
//! allocation, no locks, no syscalls (a `yield` only after a run of empty polls in
//! software mode), no logging, no panic on any bytes. Counters are kept locally and
//! published once per burst with relaxed stores into a cache-line-aligned slot.

pub mod pipeline;
pub mod records;

use crate::capture::dpdk::{self, Burst, FrameSender, RxSource};
use crate::config::Idle;
use crate::control::epoch::EpochGate;
use hdrhistogram::Histogram;
use pipeline::Pipeline;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// One worker's counters, as the control plane reads them.
#[repr(align(64))]
#[derive(Default)]
pub struct WorkerShared {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub bursts: AtomicU64,
    pub empty_polls: AtomicU64,
    pub max_pkt_len: AtomicU64,
    pub flows: AtomicU64,
    pub flows_active: AtomicU64,
    pub records: AtomicU64,
    pub records_dropped: AtomicU64,
    pub queue_full: AtomicU64,
    pub last_ts_ns: AtomicU64,
    pub busy_cycles: AtomicU64,
    pub lcore: AtomicU64,
    pub done: AtomicBool,
    /// TSC cycles each non-empty burst took, handed over when the worker ends.
    pub burst_cycles: std::sync::Mutex<Option<Histogram<u64>>>,
}

/// A plain copy of a worker's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
    pub bursts: u64,
    pub empty_polls: u64,
    pub max_pkt_len: u64,
    /// Flows created.
    pub flows: u64,
    /// Flows in the table now.
    pub flows_active: u64,
    /// Records sent to the control plane, and dropped for a full queue.
    pub records: u64,
    pub records_dropped: u64,
    /// Summaries dropped for a full queue.
    pub queue_full: u64,
    pub last_ts_ns: u64,
    /// TSC cycles spent on non-empty bursts (receive to last packet handled).
    pub busy_cycles: u64,
}

impl WorkerShared {
    /// Publishes `c` (called by the owning worker only).
    #[inline]
    pub fn publish(&self, c: &Counters) {
        let r = Ordering::Relaxed;
        self.bytes.store(c.bytes, r);
        self.bursts.store(c.bursts, r);
        self.empty_polls.store(c.empty_polls, r);
        self.max_pkt_len.store(c.max_pkt_len, r);
        self.flows.store(c.flows, r);
        self.flows_active.store(c.flows_active, r);
        self.records.store(c.records, r);
        self.records_dropped.store(c.records_dropped, r);
        self.queue_full.store(c.queue_full, r);
        self.last_ts_ns.store(c.last_ts_ns, r);
        self.busy_cycles.store(c.busy_cycles, r);
        // Last, with release: whoever reads this count (acquire) also sees every summary
        // and record the worker queued before it (the epoch handshake relies on it).
        self.packets.store(c.packets, Ordering::Release);
    }

    /// Reads the last published counters.
    pub fn read(&self) -> Counters {
        let r = Ordering::Relaxed;
        Counters {
            packets: self.packets.load(Ordering::Acquire),
            bytes: self.bytes.load(r),
            bursts: self.bursts.load(r),
            empty_polls: self.empty_polls.load(r),
            max_pkt_len: self.max_pkt_len.load(r),
            flows: self.flows.load(r),
            flows_active: self.flows_active.load(r),
            records: self.records.load(r),
            records_dropped: self.records_dropped.load(r),
            queue_full: self.queue_full.load(r),
            last_ts_ns: self.last_ts_ns.load(r),
            busy_cycles: self.busy_cycles.load(r),
        }
    }
}

/// How a worker knows a finite input has ended.
pub enum End {
    /// Live traffic: only a stop request ends the loop.
    Never,
    /// The worker reads the capture port itself: done once the port has received (or
    /// counted as dropped) every packet of the file.
    PortTotal { port: u16, expected: u64 },
    /// The worker reads a dispatch ring: done once the dispatcher has finished and the
    /// ring is empty.
    Upstream(Arc<AtomicBool>),
}

/// Whether a port has delivered or dropped `expected` packets.
pub fn port_reached(port: u16, expected: u64) -> bool {
    let s = dpdk::port_stats(port);
    s.ipackets + s.ierrors + s.rx_nombuf >= expected
}

/// Empty polls before a software-mode worker yields its CPU.
const YIELD_AFTER: u32 = 256;

/// A worker: its packet source, its pipeline and how it stops.
pub struct Worker {
    pub source: RxSource,
    pub pipeline: Pipeline,
    pub shared: Arc<WorkerShared>,
    pub stop: Arc<AtomicBool>,
    pub end: End,
    pub idle: Idle,
    /// Set when this worker reads the capture itself in a deterministic replay: it is
    /// then the packet clock and stops at each epoch boundary (see `control::epoch`).
    pub gate: Option<Arc<EpochGate>>,
    /// Packet time the dispatcher has reached (software RSS), so an idle worker's flows
    /// still time out; 0 when the worker reads the port itself.
    pub clock: Arc<AtomicU64>,
    /// Inline mode: the (port, TX queue) every packet that may pass is forwarded to.
    pub forward: Option<(u16, u16)>,
    /// Passive mode: where TCP resets for blocked flows are sent.
    pub inject: Option<FrameSender>,
    /// A replay: a full TX queue is waited on rather than dropped.
    pub lossless: bool,
    /// Inline bridge: the other port's RX queue, read alongside, its packets forwarded
    /// to `.1` (this worker's TX queue on the first port).
    pub peer: Option<(RxSource, (u16, u16))>,
    /// Live input without driver timestamps: packet time from the TSC, anchored to the
    /// wall clock when the worker starts (no syscall per packet).
    pub live_clock: Option<LiveClock>,
    /// `vigil bench` on one worker: the packet time of an endless replay, pass by pass.
    pub passes: Option<Passes>,
}

/// An endless replay from memory shows the same packets again and again; left alone,
/// the second pass continues the first pass's flows (TCP data already seen, no flow set
/// up, no flow record), which is less work than the traffic the capture holds. `vigil
/// bench` on one worker gives each pass its own packet time, later than the last by
/// more than the longest idle timeout, so every flow times out between passes and starts
/// anew: a pass costs what the capture's traffic costs, flow set-up, parsing and flow
/// records included. The replay is in capture order from its first packet (net_pcap's
/// `infinite_rx`), `len` packets a pass, a microsecond apart.
#[derive(Debug, Clone, Copy)]
pub struct Passes {
    len: u64,
    index: u64,
    base: u64,
    step: u64,
}

impl Passes {
    /// Passes of `len` packets (at least 1) for flows whose longest idle timeout is
    /// `idle_max_s` seconds.
    pub fn new(len: u64, idle_max_s: u64) -> Passes {
        let len = len.max(1);
        let step = (idle_max_s + 1)
            .saturating_mul(1_000_000_000)
            .saturating_add(len.saturating_mul(1_000));
        Passes {
            len,
            index: 0,
            base: step,
            step,
        }
    }

    /// The next packet's time (counters, not a division per packet; never overflows:
    /// past u64's range of packet time, centuries of passes, the passes stop moving on).
    #[inline]
    pub fn next_ts(&mut self) -> u64 {
        let ts = self.base.saturating_add(self.index * 1_000);
        self.index += 1;
        if self.index == self.len {
            self.index = 0;
            self.base = self.base.checked_add(self.step).unwrap_or(self.base);
        }
        ts
    }
}

/// Packet time from the TSC for live ports whose driver stamps nothing.
#[derive(Debug, Clone, Copy)]
pub struct LiveClock {
    pub base_tsc: u64,
    pub base_ns: u64,
    pub ns_per_cycle: f64,
}

impl LiveClock {
    /// Anchored now.
    pub fn now(tsc_hz: u64) -> LiveClock {
        let base_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        LiveClock {
            base_tsc: dpdk::rdtsc(),
            base_ns,
            ns_per_cycle: 1e9 / tsc_hz.max(1) as f64,
        }
    }

    /// Packet time at this TSC reading.
    #[inline]
    pub fn at(&self, tsc: u64) -> u64 {
        self.base_ns + (tsc.wrapping_sub(self.base_tsc) as f64 * self.ns_per_cycle) as u64
    }
}

impl Worker {
    /// Inline bridge: reads one burst from the peer port and forwards what may pass to
    /// the first port; returns the packets read (0 without a peer).
    #[inline]
    fn bridge_peer(&mut self, burst: &mut Burst, jumbo: &mut [u8]) -> usize {
        let Worker {
            peer,
            pipeline,
            live_clock,
            ..
        } = self;
        let Some((source, (port, queue))) = peer else {
            return 0;
        };
        let n = source.rx_burst(burst);
        if n == 0 {
            return 0;
        }
        let t0 = dpdk::rdtsc();
        pipeline.counters.bursts += 1;
        pipeline.refresh_snapshot();
        let live_now = live_clock.map_or(0, |c| c.at(t0));
        let mut pass = [false; dpdk::BURST];
        #[allow(clippy::needless_range_loop)] // `i` indexes the burst too
        for i in 0..n {
            if let Some(p) = burst.get(i) {
                let ts = match p.timestamp_ns() {
                    0 => live_now,
                    ts => ts,
                };
                let frame = if p.segments() > 1 {
                    p.linear(jumbo)
                } else {
                    p.data()
                };
                pass[i] = pipeline.packet(frame, p.pkt_len(), ts);
            }
        }
        let (sent, refused) = burst.transmit(*port, *queue, &pass[..n], false);
        pipeline.enforce.forwarded += sent;
        pipeline.enforce.forward_dropped += refused;
        pipeline.counters.busy_cycles += dpdk::rdtsc().wrapping_sub(t0);
        n
    }

    /// The poll loop; returns 0 when the input ended or a stop was requested.
    pub fn run(mut self) -> i32 {
        // Says "done" however the loop ends, so the main lcore never waits forever.
        struct Done(Arc<WorkerShared>);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.done.store(true, Ordering::Release);
            }
        }
        let _done = Done(Arc::clone(&self.shared));
        self.shared
            .lcore
            .store(dpdk::lcore_id() as u64, Ordering::Relaxed);
        // Frames longer than one mbuf arrive chained; they are copied here whole.
        let mut jumbo = vec![0u8; 65536].into_boxed_slice();
        // The snapshot cell's first load on this thread sets up its thread-local state
        // (an allocation): do it before the hot path starts.
        self.pipeline.warm_snapshot();
        // Per-burst cost, in TSC cycles up to 10^10 (3 significant digits); allocated
        // here, recorded without allocating.
        let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).ok();
        crate::alloc::set_hot(true);
        let mut burst = Burst::default();
        let mut peer_burst = Burst::default();
        let mut empties: u32 = 0;
        let mut epoch = 0u64;
        loop {
            let upstream_done = match &self.end {
                End::Upstream(done) => done.load(Ordering::Acquire),
                _ => false,
            };
            let from_peer = self.bridge_peer(&mut peer_burst, &mut jumbo);
            let n = self.source.rx_burst(&mut burst);
            if n == 0 && from_peer > 0 {
                empties = 0;
                self.pipeline.sync_counters();
                self.shared.publish(&self.pipeline.counters);
                continue;
            }
            if n == 0 {
                self.pipeline.counters.empty_polls += 1;
                empties = empties.saturating_add(1);
                if self.stop.load(Ordering::Relaxed) {
                    break;
                }
                let ended = match &self.end {
                    End::Never => false,
                    End::PortTotal { port, expected } => port_reached(*port, *expected),
                    End::Upstream(_) => upstream_done,
                };
                if ended {
                    break;
                }
                if empties.is_multiple_of(1024) {
                    self.pipeline
                        .follow_clock(self.clock.load(Ordering::Relaxed));
                    self.pipeline.sync_counters();
                    self.shared.publish(&self.pipeline.counters);
                }
                match self.idle {
                    Idle::Yield if empties >= YIELD_AFTER => std::thread::yield_now(),
                    _ => dpdk::pause(),
                }
                continue;
            }
            empties = 0;
            let t0 = dpdk::rdtsc();
            self.pipeline.counters.bursts += 1;
            self.pipeline.refresh_snapshot();
            burst.prefetch(0);
            let mut pass = [false; dpdk::BURST];
            let live_now = self.live_clock.map_or(0, |c| c.at(t0));
            #[allow(clippy::needless_range_loop)] // `i` indexes the burst too
            for i in 0..n {
                burst.prefetch(i + 1);
                if let Some(p) = burst.get(i) {
                    let ts = match (&mut self.passes, p.timestamp_ns()) {
                        (Some(passes), _) => passes.next_ts(),
                        (None, 0) => live_now,
                        (None, ts) => ts,
                    };
                    if let Some(g) = &self.gate {
                        let e = g.epoch_of(ts);
                        if ts != 0 && e > epoch {
                            // Everything before this packet is done: publish, then wait
                            // for the control plane to catch up to this packet time.
                            self.pipeline.follow_clock(e * g.epoch_ns());
                            self.pipeline.sync_counters();
                            self.shared.publish(&self.pipeline.counters);
                            g.cross(e, &self.stop);
                            epoch = e;
                            // What the control plane published at the boundary applies
                            // from this packet on.
                            self.pipeline.refresh_snapshot();
                        }
                    }
                    let frame = if p.segments() > 1 {
                        p.linear(&mut jumbo)
                    } else {
                        p.data()
                    };
                    pass[i] = self.pipeline.packet(frame, p.pkt_len(), ts);
                    if let Some(inj) = &mut self.inject {
                        if let Some(r) = self.pipeline.take_resets() {
                            for f in r.iter() {
                                if inj.send(f) {
                                    self.pipeline.enforce.resets_sent += 1;
                                } else {
                                    self.pipeline.enforce.resets_dropped += 1;
                                }
                            }
                        }
                    }
                }
            }
            match self.forward {
                Some((port, queue)) => {
                    let (sent, refused) = burst.transmit(port, queue, &pass[..n], self.lossless);
                    self.pipeline.enforce.forwarded += sent;
                    self.pipeline.enforce.forward_dropped += refused;
                }
                None => burst.clear(),
            }
            let dt = dpdk::rdtsc().wrapping_sub(t0);
            self.pipeline.counters.busy_cycles += dt;
            if let Some(h) = &mut hist {
                // Saturates at the bound; never allocates (no auto-resize).
                let _ = h.record(dt.clamp(1, 10_000_000_000));
            }
            self.pipeline.sync_counters();
            self.shared.publish(&self.pipeline.counters);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
        }
        drop(burst);
        drop(peer_burst);
        crate::alloc::set_hot(false);
        if let Ok(mut slot) = self.shared.burst_cycles.lock() {
            *slot = hist;
        }
        // End every flow and flush its record (control-plane rules from here on).
        let now = self.clock.load(Ordering::Relaxed);
        self.pipeline.shutdown(now);
        self.shared.publish(&self.pipeline.counters);
        0
    }
}

#[cfg(test)]
mod tests {
    use super::Passes;

    #[test]
    fn each_pass_of_a_replay_starts_after_every_idle_timeout() {
        let mut p = Passes::new(3, 600);
        let ts: Vec<u64> = (0..7).map(|_| p.next_ts()).collect();
        let step = 601_000_000_000 + 3_000;
        assert_eq!(
            ts,
            [
                step,
                step + 1_000,
                step + 2_000,
                2 * step,
                2 * step + 1_000,
                2 * step + 2_000,
                3 * step
            ]
        );
        // Never 0 (0 means "no time" to the pipeline), even for an empty capture.
        assert_ne!(Passes::new(0, 0).next_ts(), 0);
        // Centuries of passes: the time stops moving on rather than wrapping.
        let mut p = Passes::new(1, u64::MAX / 3_000_000_000);
        let (a, b, c) = (p.next_ts(), p.next_ts(), p.next_ts());
        assert!(a < b && b == c, "{a} {b} {c}");
    }
}
