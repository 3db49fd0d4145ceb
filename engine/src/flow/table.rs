//! The per-worker flow table: preallocated entries, an open-addressing index, and a
//! timer wheel for idle and active timeouts in packet time.
//!
//! - Entries live in one boxed slice sized by the profile; a free list hands them out.
//! - The index is linear probing over `u64` slots (a 32-bit hash tag and the entry
//!   number), at most half full, with backward-shift deletion (no tombstones).
//! - The wheel has one bucket per second of packet time ([`WHEEL`] of them), each an
//!   intrusive doubly linked list through the entries. A packet only updates the
//!   entry's last-seen time; when a bucket comes due, each of its flows is checked
//!   against its real deadline and either ended or moved to the bucket of that deadline
//!   (the "lazy" wheel: no per-packet timer work).
//! - When every entry is taken, the flow nearest its deadline is evicted (counted).
//!
//! Memory: `size_of::<Flow>()` bytes per entry plus 16 bytes of index; see
//! [`FlowTable::bytes_per_flow`] (about 400 bytes, so a million flows take ~0.4 GiB).

use super::key::FlowKey;
use super::stream::StreamDir;
use super::tcp::TcpTrack;
use crate::app::{AppProto, AppState};
use crate::decode::tunnel::TunnelKind;

/// Buckets of the timer wheel (seconds of packet time it spans).
pub const WHEEL: usize = 4096;
const NIL: u32 = u32::MAX;

/// Why a flow ended (Suricata's `flow.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EndReason {
    /// Idle (or active) timeout.
    Timeout = 0,
    /// Evicted to make room.
    Forced = 1,
    /// The engine stopped (end of capture, signal).
    Shutdown = 2,
}

impl EndReason {
    /// Suricata's word for it.
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::Forced => "forced",
            EndReason::Shutdown => "shutdown",
        }
    }

    /// From the byte written by `as u8`.
    pub fn from_u8(v: u8) -> EndReason {
        match v {
            0 => EndReason::Timeout,
            1 => EndReason::Forced,
            _ => EndReason::Shutdown,
        }
    }
}

/// Idle timeouts by state, and the active timeout, in seconds of packet time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp_new: u32,
    pub tcp_established: u32,
    pub tcp_closed: u32,
    pub udp_new: u32,
    pub udp_established: u32,
    pub other_new: u32,
    pub other_established: u32,
    /// A flow older than this is ended and a new one begins (0: never).
    pub active: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        // Suricata's defaults.
        Timeouts {
            tcp_new: 60,
            tcp_established: 600,
            tcp_closed: 60,
            udp_new: 30,
            udp_established: 300,
            other_new: 30,
            other_established: 300,
            active: 3600,
        }
    }
}

/// Where the flow came from when it was tunnelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TunnelInfo {
    pub kind: TunnelKind,
    pub depth: u8,
    pub v6: bool,
    pub proto: u8,
    pub src: [u8; 16],
    pub dst: [u8; 16],
}

/// [`Flow::endpoint_devices`] of a flow that is not a device reaching an external address.
pub const NOT_LOOKED_UP: u16 = u16::MAX;

/// One flow.
#[derive(Clone, Copy)]
pub struct Flow {
    pub key: FlowKey,
    /// EVE `flow_id`.
    pub id: u64,
    /// The client (originator) is the key's `lo` side.
    pub client_lo: bool,
    pub first_ns: u64,
    pub last_ns: u64,
    /// Packets, frame bytes, IP bytes and payload bytes, [to server, to client].
    pub pkts: [u32; 2],
    pub bytes: [u64; 2],
    pub ip_bytes: [u64; 2],
    pub payload_bytes: [u64; 2],
    pub tcp: TcpTrack,
    pub stream: [StreamDir; 2],
    pub app: AppProto,
    pub app_state: AppState,
    /// Payload bytes offered to protocol detection so far (it gives up after a while).
    pub detect_bytes: u16,
    /// First ICMP (type, code) each way.
    pub icmp: [(u8, u8); 2],
    pub icmp_seen: [bool; 2],
    pub vlans: [u16; 3],
    pub vlan_count: u8,
    pub tunnel: TunnelInfo,
    /// Devices that had reached the server's address when the flow started (from the
    /// workers' rarity snapshot); `NOT_LOOKED_UP` unless a device opened it to an
    /// external address.
    pub endpoint_devices: u16,
    /// The device had not reached this address before (as the snapshot knew).
    pub first_contact: bool,
    /// Response actions block this flow (decided at `verdict_gen`), and the resets sent.
    pub blocked: bool,
    pub verdict_gen: u64,
    pub resets: u8,
    used: bool,
    next: u32,
    prev: u32,
    bucket: u32,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            key: FlowKey::default(),
            id: 0,
            client_lo: true,
            first_ns: 0,
            last_ns: 0,
            pkts: [0; 2],
            bytes: [0; 2],
            ip_bytes: [0; 2],
            payload_bytes: [0; 2],
            tcp: TcpTrack::default(),
            stream: [StreamDir::default(); 2],
            app: AppProto::Unknown,
            app_state: AppState::None,
            detect_bytes: 0,
            icmp: [(0, 0); 2],
            icmp_seen: [false; 2],
            vlans: [0; 3],
            vlan_count: 0,
            tunnel: TunnelInfo::default(),
            endpoint_devices: NOT_LOOKED_UP,
            first_contact: false,
            blocked: false,
            verdict_gen: 0,
            resets: 0,
            used: false,
            next: NIL,
            prev: NIL,
            bucket: NIL,
        }
    }
}

impl Flow {
    /// Whether both directions have been seen.
    #[inline]
    pub fn both_ways(&self) -> bool {
        self.pkts[0] > 0 && self.pkts[1] > 0
    }

    /// The idle timeout that applies now, in seconds.
    fn idle_timeout(&self, t: &Timeouts) -> u32 {
        match self.key.proto {
            6 => {
                if self.tcp.is_closed() {
                    t.tcp_closed
                } else if self.tcp.is_established() {
                    t.tcp_established
                } else {
                    t.tcp_new
                }
            }
            17 => {
                if self.both_ways() {
                    t.udp_established
                } else {
                    t.udp_new
                }
            }
            _ => {
                if self.both_ways() {
                    t.other_established
                } else {
                    t.other_new
                }
            }
        }
    }

    /// The packet-time second at which this flow ends unless more packets come.
    pub fn deadline_sec(&self, t: &Timeouts) -> u64 {
        let idle = self.last_ns / 1_000_000_000 + self.idle_timeout(t) as u64;
        if t.active > 0 {
            idle.min(self.first_ns / 1_000_000_000 + t.active as u64)
        } else {
            idle
        }
    }
}

/// Counters of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    pub created: u64,
    pub ended_timeout: u64,
    pub evicted: u64,
}

/// The flow table of one worker.
pub struct FlowTable {
    flows: Box<[Flow]>,
    index: Box<[u64]>,
    mask: usize,
    free: Vec<u32>,
    wheel: Box<[u32]>,
    /// Last packet-time second the wheel has processed (0: not started).
    wheel_sec: u64,
    pub timeouts: Timeouts,
    pub stats: TableStats,
    next_id: u64,
    id_base: u64,
}

/// What looking a key up gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// An existing flow.
    Found(u32),
    /// A new, zeroed flow (the caller fills it in).
    Created(u32),
}

impl FlowTable {
    /// A table of `capacity` flows for worker `worker`.
    pub fn new(capacity: usize, worker: u16, timeouts: Timeouts) -> FlowTable {
        let capacity = capacity.max(16);
        let slots = (capacity * 2).next_power_of_two();
        let mut free = Vec::with_capacity(capacity);
        free.extend((0..capacity as u32).rev());
        FlowTable {
            flows: vec![Flow::default(); capacity].into_boxed_slice(),
            index: vec![0u64; slots].into_boxed_slice(),
            mask: slots - 1,
            free,
            wheel: vec![NIL; WHEEL].into_boxed_slice(),
            wheel_sec: 0,
            timeouts,
            stats: TableStats::default(),
            next_id: 0,
            id_base: (worker as u64) << 52,
        }
    }

    /// Bytes of memory per flow entry (entry plus its share of the index).
    pub fn bytes_per_flow() -> usize {
        std::mem::size_of::<Flow>() + 2 * std::mem::size_of::<u64>()
    }

    /// Flows in the table.
    pub fn len(&self) -> usize {
        self.flows.len() - self.free.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The flow at `i`.
    #[inline]
    pub fn get(&self, i: u32) -> &Flow {
        &self.flows[i as usize]
    }

    /// The flow at `i`, to update.
    #[inline]
    pub fn get_mut(&mut self, i: u32) -> &mut Flow {
        &mut self.flows[i as usize]
    }

    #[inline]
    fn find(&self, key: &FlowKey, h: u64) -> Option<(usize, u32)> {
        let tag = (h >> 32) as u32;
        let mut s = h as usize & self.mask;
        loop {
            let v = self.index[s];
            if v == 0 {
                return None;
            }
            if (v >> 32) as u32 == tag {
                let i = (v as u32).wrapping_sub(1);
                if self.flows[i as usize].key == *key {
                    return Some((s, i));
                }
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Finds the flow of `key`, or creates it at packet time `now_ns`. When the table is
    /// full, the flow nearest its deadline is first ended through `evict`.
    #[inline]
    pub fn lookup(&mut self, key: &FlowKey, now_ns: u64, evict: impl FnOnce(&mut Flow)) -> Lookup {
        let h = key.hash64();
        if let Some((_, i)) = self.find(key, h) {
            return Lookup::Found(i);
        }
        if self.free.is_empty() {
            if let Some(victim) = self.nearest() {
                evict(&mut self.flows[victim as usize]);
                self.stats.evicted += 1;
                self.remove(victim);
            }
        }
        let Some(i) = self.free.pop() else {
            // Only reachable with a zero-capacity table.
            return Lookup::Found(0);
        };
        let f = &mut self.flows[i as usize];
        *f = Flow::default();
        f.key = *key;
        f.used = true;
        f.first_ns = now_ns;
        f.last_ns = now_ns;
        self.next_id += 1;
        f.id = self.id_base | self.next_id;
        let tag = (h >> 32) << 32;
        let mut s = h as usize & self.mask;
        while self.index[s] != 0 {
            s = (s + 1) & self.mask;
        }
        self.index[s] = tag | (i as u64 + 1);
        self.stats.created += 1;
        if self.wheel_sec == 0 {
            self.wheel_sec = now_ns / 1_000_000_000;
        }
        let d = self.flows[i as usize].deadline_sec(&self.timeouts);
        self.link(i, d);
        Lookup::Created(i)
    }

    /// Re-files a flow whose deadline may have come closer (a TCP close).
    pub fn touch_deadline(&mut self, i: u32) {
        let d = self.flows[i as usize].deadline_sec(&self.timeouts);
        self.unlink(i);
        self.link(i, d);
    }

    fn bucket_of(&self, deadline: u64) -> usize {
        let now = self.wheel_sec;
        let d = deadline.clamp(now + 1, now + WHEEL as u64 - 1);
        d as usize & (WHEEL - 1)
    }

    fn link(&mut self, i: u32, deadline: u64) {
        let b = self.bucket_of(deadline);
        let head = self.wheel[b];
        {
            let f = &mut self.flows[i as usize];
            f.next = head;
            f.prev = NIL;
            f.bucket = b as u32;
        }
        if head != NIL {
            self.flows[head as usize].prev = i;
        }
        self.wheel[b] = i;
    }

    fn unlink(&mut self, i: u32) {
        let (next, prev, b) = {
            let f = &self.flows[i as usize];
            (f.next, f.prev, f.bucket)
        };
        if b == NIL {
            return;
        }
        if prev != NIL {
            self.flows[prev as usize].next = next;
        } else {
            self.wheel[b as usize] = next;
        }
        if next != NIL {
            self.flows[next as usize].prev = prev;
        }
        let f = &mut self.flows[i as usize];
        f.next = NIL;
        f.prev = NIL;
        f.bucket = NIL;
    }

    /// Removes flow `i` (after its end was reported).
    pub fn remove(&mut self, i: u32) {
        if !self.flows[i as usize].used {
            return;
        }
        self.unlink(i);
        let key = self.flows[i as usize].key;
        let h = key.hash64();
        if let Some((s, _)) = self.find(&key, h) {
            // Backward-shift deletion: pull later entries of the probe run into the hole
            // when that does not move them before their home slot.
            let mut hole = s;
            let mut j = s;
            loop {
                j = (j + 1) & self.mask;
                let v = self.index[j];
                if v == 0 {
                    break;
                }
                let e = (v as u32).wrapping_sub(1) as usize;
                let home = self.flows[e].key.hash64() as usize & self.mask;
                if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                    self.index[hole] = v;
                    hole = j;
                }
            }
            self.index[hole] = 0;
        }
        self.flows[i as usize].used = false;
        self.free.push(i);
    }

    /// The flow nearest its deadline (the next non-empty bucket).
    fn nearest(&self) -> Option<u32> {
        let start = self.wheel_sec as usize;
        (0..WHEEL)
            .map(|k| self.wheel[(start + k) & (WHEEL - 1)])
            .find(|h| *h != NIL)
    }

    /// Advances the wheel to packet time `now_ns`, ending (through `end`, then
    /// removing) every flow whose deadline has passed. Returns how many ended.
    pub fn advance(&mut self, now_ns: u64, mut end: impl FnMut(&mut Flow)) -> usize {
        let now = now_ns / 1_000_000_000;
        if self.wheel_sec == 0 {
            self.wheel_sec = now;
            return 0;
        }
        if now <= self.wheel_sec {
            return 0;
        }
        let steps = (now - self.wheel_sec).min(WHEEL as u64);
        let mut ended = 0;
        for k in 1..=steps {
            let b = ((self.wheel_sec + k) as usize) & (WHEEL - 1);
            let mut i = self.wheel[b];
            self.wheel[b] = NIL;
            while i != NIL {
                let next = self.flows[i as usize].next;
                {
                    let f = &mut self.flows[i as usize];
                    f.next = NIL;
                    f.prev = NIL;
                    f.bucket = NIL;
                }
                let d = self.flows[i as usize].deadline_sec(&self.timeouts);
                if d <= now {
                    end(&mut self.flows[i as usize]);
                    self.stats.ended_timeout += 1;
                    self.remove(i);
                    ended += 1;
                } else {
                    // Not due yet: file it under its real deadline (relative to `now`).
                    let saved = self.wheel_sec;
                    self.wheel_sec = now;
                    self.link(i, d);
                    self.wheel_sec = saved;
                }
                i = next;
            }
        }
        self.wheel_sec = now;
        ended
    }

    /// Ends every flow (shutdown), oldest first within each bucket.
    pub fn drain(&mut self, mut end: impl FnMut(&mut Flow)) {
        for i in 0..self.flows.len() as u32 {
            if self.flows[i as usize].used {
                end(&mut self.flows[i as usize]);
                self.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> FlowKey {
        let mut k = FlowKey {
            proto: 17,
            lo_port: (n % 60000) as u16,
            hi_port: 53,
            ..Default::default()
        };
        k.lo[..4].copy_from_slice(&n.to_be_bytes());
        k.hi[..4].copy_from_slice(&[8, 8, 8, 8]);
        k
    }

    const S: u64 = 1_000_000_000;

    #[test]
    fn insert_find_remove_many() {
        let mut t = FlowTable::new(1000, 0, Timeouts::default());
        for n in 0..1000 {
            assert!(matches!(t.lookup(&key(n), S, |_| {}), Lookup::Created(_)));
        }
        for n in 0..1000 {
            assert!(matches!(t.lookup(&key(n), S, |_| {}), Lookup::Found(_)));
        }
        // Remove every other one; the rest must still be found (backward shift works).
        for n in (0..1000).step_by(2) {
            let Lookup::Found(i) = t.lookup(&key(n), S, |_| {}) else {
                panic!()
            };
            t.remove(i);
        }
        assert_eq!(t.len(), 500);
        for n in 0..1000 {
            let r = t.lookup(&key(n), S, |_| {});
            if n % 2 == 1 {
                assert!(matches!(r, Lookup::Found(_)), "{n}");
            } else {
                assert!(matches!(r, Lookup::Created(_)), "{n}");
            }
        }
    }

    #[test]
    fn idle_flows_time_out_in_packet_time() {
        let mut t = FlowTable::new(64, 0, Timeouts::default());
        let Lookup::Created(a) = t.lookup(&key(1), 100 * S, |_| {}) else {
            panic!()
        };
        let Lookup::Created(b) = t.lookup(&key(2), 100 * S, |_| {}) else {
            panic!()
        };
        // Flow b keeps talking both ways; flow a goes quiet.
        t.get_mut(b).pkts = [1, 1];
        t.get_mut(b).last_ns = 125 * S;
        let mut ended = Vec::new();
        t.advance(129 * S, |f| ended.push(f.id));
        assert!(ended.is_empty());
        t.advance(131 * S, |f| ended.push(f.id));
        assert_eq!(ended, vec![t.get(a).id]);
        assert_eq!(t.len(), 1);
        // b: established UDP, 300 s after its last packet.
        t.advance(420 * S, |f| ended.push(f.id));
        assert_eq!(t.len(), 1);
        t.advance(426 * S, |f| ended.push(f.id));
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn full_table_evicts() {
        let mut t = FlowTable::new(16, 0, Timeouts::default());
        for n in 0..16 {
            t.lookup(&key(n), S, |_| {});
        }
        let mut evicted = 0;
        t.lookup(&key(99), 2 * S, |_| evicted += 1);
        assert_eq!((evicted, t.stats.evicted, t.len()), (1, 1, 16));
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn a_million_flows_fit_in_a_gibibyte() {
        let per = FlowTable::bytes_per_flow();
        eprintln!(
            "flow entry {} bytes, {} with its index share",
            std::mem::size_of::<Flow>(),
            per
        );
        assert!(per * 1_000_000 < 1 << 30, "{per} bytes per flow");
    }
}
