//! The read-mostly view of what the network has learned that workers consult on the hot
//! path, and how the control plane publishes a new one (RCU through `arc-swap`).
//!
//! A worker checks the published generation once per burst (one relaxed load) and only
//! then takes the new snapshot (an `Arc` clone: no allocation). The control plane keeps
//! every snapshot it replaced until no worker holds it, so a worker never drops the last
//! reference and never frees memory on the hot path.

use super::net::Networks;
use super::table::{key_ip, key_pair, KeyTable};
use crate::respond::blocks::BlockSet;
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a worker learns about an external address at a flow's start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddrRarity {
    /// Distinct devices that reached it within the rarity window (saturating).
    pub devices: u16,
    /// First contact by any device, packet-time seconds.
    pub first_seen_s: u32,
}

/// One published snapshot.
pub struct Snapshot {
    /// Increases with every publication (0: the empty snapshot at start).
    pub generation: u64,
    /// Packet time the snapshot reflects, ns.
    pub as_of_ns: u64,
    /// External addresses reached by devices: `key_ip` → rarity.
    pub addrs: KeyTable<AddrRarity>,
    /// (device, external address) pairs seen within the window: `key_pair` → ().
    pub pairs: KeyTable<()>,
    /// What the active response actions block.
    pub blocks: BlockSet,
}

impl Snapshot {
    /// A snapshot that knows nothing.
    pub fn empty() -> Snapshot {
        Snapshot {
            generation: 0,
            as_of_ns: 0,
            addrs: KeyTable::with_capacity(16),
            pairs: KeyTable::with_capacity(16),
            blocks: BlockSet::default(),
        }
    }

    /// The rarity of an external address (None: never reached by any device).
    #[inline]
    pub fn addr(&self, addr: &[u8; 16], v6: bool) -> Option<AddrRarity> {
        self.addrs.get(key_ip(addr, v6))
    }

    /// Whether `device` has reached `addr` within the window.
    #[inline]
    pub fn knows_pair(&self, device: &[u8; 16], addr: &[u8; 16], v6: bool) -> bool {
        self.pairs.contains(key_pair(device, addr, v6))
    }
}

/// Where snapshots are published: shared by the control plane and every worker.
pub struct SnapshotCell {
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
    /// Internal networks (fixed for the run).
    pub internal: Networks,
}

impl SnapshotCell {
    /// A cell holding the empty snapshot.
    pub fn new(internal: Networks) -> SnapshotCell {
        SnapshotCell {
            current: ArcSwap::from_pointee(Snapshot::empty()),
            generation: AtomicU64::new(0),
            internal,
        }
    }

    /// The current snapshot (control plane, tests).
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Publishes `s`; returns the snapshot it replaced (to be kept until no worker holds
    /// it, see [`Retired`]).
    pub fn publish(&self, s: Snapshot) -> Arc<Snapshot> {
        let generation = s.generation;
        let old = self.current.swap(Arc::new(s));
        self.generation.store(generation, Ordering::Release);
        old
    }
}

/// A worker's handle: its current snapshot and the cell to refresh it from.
pub struct SnapshotReader {
    cell: Arc<SnapshotCell>,
    held: Arc<Snapshot>,
}

impl SnapshotReader {
    /// A reader of `cell`, holding its current snapshot.
    pub fn new(cell: Arc<SnapshotCell>) -> SnapshotReader {
        let held = cell.load();
        SnapshotReader { cell, held }
    }

    /// Loads the current snapshot on the calling thread. `arc-swap` sets up per-thread
    /// state on a thread's first load (one allocation), so a worker calls this before
    /// its hot path starts.
    pub fn warm(&mut self) {
        self.held = self.cell.current.load_full();
    }

    /// Takes the newest snapshot if one was published (once per burst). Allocation-free:
    /// an atomic load, and on a change an `Arc` clone; the old one is never the last.
    #[inline]
    pub fn refresh(&mut self) {
        if self.cell.generation.load(Ordering::Acquire) != self.held.generation {
            self.held = self.cell.current.load_full();
        }
    }

    /// The snapshot in use.
    #[inline]
    pub fn get(&self) -> &Snapshot {
        &self.held
    }

    /// The internal networks.
    #[inline]
    pub fn internal(&self) -> &Networks {
        &self.cell.internal
    }
}

/// Snapshots replaced but maybe still held by a worker; freed by the control plane once
/// it holds the only reference.
#[derive(Default)]
pub struct Retired(Vec<Arc<Snapshot>>);

impl Retired {
    /// Keeps `old` until no worker holds it, and frees those no one holds any more.
    pub fn retire(&mut self, old: Arc<Snapshot>) {
        self.0.push(old);
        self.collect();
    }

    /// Frees every retired snapshot only the control plane still holds.
    pub fn collect(&mut self) {
        self.0.retain(|s| Arc::strong_count(s) > 1);
    }

    /// Snapshots still waiting.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_follows_publications_and_never_frees() {
        let cell = Arc::new(SnapshotCell::new(Networks::default()));
        let mut r = SnapshotReader::new(Arc::clone(&cell));
        let mut retired = Retired::default();
        let a = [93, 184, 216, 34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(r.get().addr(&a, false), None);
        let mut s = Snapshot::empty();
        s.generation = 1;
        s.addrs.insert(
            key_ip(&a, false),
            AddrRarity {
                devices: 3,
                first_seen_s: 7,
            },
        );
        retired.retire(cell.publish(s));
        // The reader still holds generation 0, so it is kept.
        assert_eq!(retired.len(), 1);
        r.refresh();
        assert_eq!(r.get().addr(&a, false).unwrap().devices, 3);
        retired.collect();
        assert!(retired.is_empty());
    }
}
