//! Packet-time epochs for deterministic replay.
//!
//! A replay runs far faster than the traffic did. So that every control-plane decision
//! (a stats record, a learned fact, later a block) lands at the same packet time as it
//! would live, the thread that sees packets in capture order (the clock: the single
//! worker, or the software-RSS dispatcher) stops at each epoch boundary until the control
//! plane has applied everything before it.
//!
//! Protocol, one producer and one consumer, lock-free:
//! 1. The clock is about to handle the first packet of epoch `e`; everything before it
//!    is processed and its summaries are queued. It stores `reached = e` (release) and
//!    spins until `released >= e`.
//! 2. The control plane sees `reached > released` (acquire), drains every summary queue,
//!    does its work up to packet time `e * epoch_ns`, and stores `released = e` (release).
//!
//! Live traffic has no gate: the control plane then follows packet time as it comes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The epoch handshake between the packet clock and the control plane.
pub struct EpochGate {
    epoch_ns: u64,
    reached: AtomicU64,
    released: AtomicU64,
    /// Times the clock had to wait (a figure for the final report).
    waits: AtomicU64,
}

impl EpochGate {
    /// A gate with epochs of `epoch_ns` nanoseconds of packet time (at least 1).
    pub fn new(epoch_ns: u64) -> EpochGate {
        EpochGate {
            epoch_ns: epoch_ns.max(1),
            reached: AtomicU64::new(0),
            released: AtomicU64::new(0),
            waits: AtomicU64::new(0),
        }
    }

    /// Epoch length in ns.
    #[inline]
    pub fn epoch_ns(&self) -> u64 {
        self.epoch_ns
    }

    /// The epoch a packet time falls in.
    #[inline]
    pub fn epoch_of(&self, ts_ns: u64) -> u64 {
        ts_ns / self.epoch_ns
    }

    /// Clock side: announce epoch `e` and wait until the control plane releases it (or a
    /// stop is requested). Spins with a pause hint: no syscall, no lock.
    #[inline]
    pub fn cross(&self, e: u64, stop: &AtomicBool) {
        self.reached.store(e, Ordering::Release);
        if self.released.load(Ordering::Acquire) >= e {
            return;
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        let mut spins = 0u32;
        while self.released.load(Ordering::Acquire) < e {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                // The control plane may share this CPU (software mode on a small machine).
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// Control-plane side: the epoch the clock waits at, if it is ahead of the last one
    /// released.
    #[inline]
    pub fn pending(&self) -> Option<u64> {
        let r = self.reached.load(Ordering::Acquire);
        (r > self.released.load(Ordering::Relaxed)).then_some(r)
    }

    /// Control-plane side: let the clock into epoch `e`.
    #[inline]
    pub fn release(&self, e: u64) {
        self.released.store(e, Ordering::Release);
    }

    /// How many times the clock waited.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn clock_waits_for_release() {
        let g = Arc::new(EpochGate::new(1_000_000_000));
        let stop = Arc::new(AtomicBool::new(false));
        assert_eq!(g.epoch_of(2_500_000_000), 2);
        assert_eq!(g.pending(), None);
        let (g2, s2) = (Arc::clone(&g), Arc::clone(&stop));
        let clock = std::thread::spawn(move || {
            for e in 1..=100 {
                g2.cross(e, &s2);
            }
        });
        let mut released = 0;
        while released < 100 {
            if let Some(e) = g.pending() {
                assert_eq!(e, released + 1, "the clock never runs ahead of the release");
                released = e;
                g.release(e);
            }
        }
        clock.join().unwrap();
    }

    #[test]
    fn stop_unblocks_the_clock() {
        let g = EpochGate::new(10);
        let stop = AtomicBool::new(true);
        g.cross(5, &stop);
        assert_eq!(g.pending(), Some(5));
    }
}
