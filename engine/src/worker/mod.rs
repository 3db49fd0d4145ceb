//! Worker lcores: the poll loop that reads every packet.
//!
//! One worker per RX queue (or per software-dispatch ring), pinned to its lcore. The loop
//! is `rx_burst(32)`, then per packet: count it, read its RSS tuple, note a flow the
//! worker has not seen before and tell the control plane. Hot-path rules hold here: no
//! heap allocation, no locks, no syscalls (a `yield` only after a run of empty polls in
//! software mode), no logging, no panic on any bytes. Counters are kept locally and
//! published once per burst with relaxed stores into a cache-line-aligned slot.

pub mod flows;

use crate::capture::dpdk::{self, Burst, RxSource};
use crate::capture::rss::{self, Fields, LinkType};
use crate::config::Idle;
use crate::control::epoch::EpochGate;
use crate::control::Summary;
use crossbeam_queue::ArrayQueue;
use flows::{FlowKey, FlowSet, Insert};
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
    pub flows_unrecorded: AtomicU64,
    pub queue_full: AtomicU64,
    pub last_ts_ns: AtomicU64,
    pub lcore: AtomicU64,
    pub done: AtomicBool,
}

/// A plain copy of a worker's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
    pub bursts: u64,
    pub empty_polls: u64,
    pub max_pkt_len: u64,
    pub flows: u64,
    pub flows_unrecorded: u64,
    pub queue_full: u64,
    pub last_ts_ns: u64,
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
        self.flows_unrecorded.store(c.flows_unrecorded, r);
        self.queue_full.store(c.queue_full, r);
        self.last_ts_ns.store(c.last_ts_ns, r);
        // Last, with release: whoever reads this count (acquire) also sees every summary
        // the worker queued before it (the epoch handshake relies on it).
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
            flows_unrecorded: self.flows_unrecorded.load(r),
            queue_full: self.queue_full.load(r),
            last_ts_ns: self.last_ts_ns.load(r),
        }
    }
}

/// Per-packet work, separate from the poll loop so tests drive it with real bytes.
pub struct Pipeline {
    pub id: u16,
    pub counters: Counters,
    flows: FlowSet,
    fields: Fields,
    link: LinkType,
    summaries: Arc<ArrayQueue<Summary>>,
    /// Packet-time second last reported to the control plane.
    last_second: u64,
}

impl Pipeline {
    /// A pipeline for worker `id`; everything it needs is allocated here, not per packet.
    pub fn new(
        id: u16,
        flow_slots: usize,
        fields: Fields,
        link: LinkType,
        summaries: Arc<ArrayQueue<Summary>>,
    ) -> Pipeline {
        Pipeline {
            id,
            counters: Counters::default(),
            flows: FlowSet::new(flow_slots),
            fields,
            link,
            summaries,
            last_second: 0,
        }
    }

    #[inline]
    fn send(&mut self, s: Summary) {
        // A full queue is counted, never waited on.
        if self.summaries.push(s).is_err() {
            self.counters.queue_full += 1;
        }
    }

    /// Handles one packet: `frame` is its first segment, `len` its whole length, `ts_ns`
    /// its packet time.
    #[inline]
    pub fn packet(&mut self, frame: &[u8], len: u32, ts_ns: u64) {
        let c = &mut self.counters;
        c.packets += 1;
        c.bytes += len as u64;
        if len as u64 > c.max_pkt_len {
            c.max_pkt_len = len as u64;
        }
        if ts_ns != 0 {
            c.last_ts_ns = ts_ns;
            let second = ts_ns / 1_000_000_000;
            if second != self.last_second {
                self.last_second = second;
                self.send(Summary::Clock {
                    worker: self.id,
                    ts_ns,
                });
            }
        }
        if let Some(t) = rss::tuple_of(frame, self.link, self.fields) {
            let key = FlowKey::from_tuple(&t);
            match self.flows.insert(&key) {
                Insert::Known => {}
                Insert::New => {
                    self.counters.flows += 1;
                    self.send(Summary::NewFlow {
                        worker: self.id,
                        key,
                        ts_ns,
                    });
                }
                Insert::Full => self.counters.flows_unrecorded += 1,
            }
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
}

impl Worker {
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
        crate::alloc::set_hot(true);
        let mut burst = Burst::default();
        let mut empties: u32 = 0;
        let mut epoch = 0u64;
        loop {
            let upstream_done = match &self.end {
                End::Upstream(done) => done.load(Ordering::Acquire),
                _ => false,
            };
            let n = self.source.rx_burst(&mut burst);
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
                    self.shared.publish(&self.pipeline.counters);
                }
                match self.idle {
                    Idle::Yield if empties >= YIELD_AFTER => std::thread::yield_now(),
                    _ => dpdk::pause(),
                }
                continue;
            }
            empties = 0;
            self.pipeline.counters.bursts += 1;
            burst.prefetch(0);
            for i in 0..n {
                burst.prefetch(i + 1);
                if let Some(p) = burst.get(i) {
                    let ts = p.timestamp_ns();
                    if let Some(g) = &self.gate {
                        let e = g.epoch_of(ts);
                        if ts != 0 && e > epoch {
                            // Everything before this packet is done: publish, then wait
                            // for the control plane to catch up to this packet time.
                            self.shared.publish(&self.pipeline.counters);
                            g.cross(e, &self.stop);
                            epoch = e;
                        }
                    }
                    self.pipeline.packet(p.data(), p.pkt_len(), ts);
                }
            }
            burst.clear();
            self.shared.publish(&self.pipeline.counters);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
        }
        drop(burst);
        crate::alloc::set_hot(false);
        self.shared.publish(&self.pipeline.counters);
        0
    }
}
