//! A worker's bounded set of flows it has already reported to the control plane.
//!
//! Each worker owns one (RSS shards flows, so nothing is shared). The first packet of a
//! flow on a worker yields one `NewFlow` summary; later packets find the key here. The
//! table is preallocated, probes a bounded number of slots and never allocates or panics;
//! when it is full the worker counts the flows it could not record. (The full flow
//! table, with state and timeouts, replaces it when flow tracking lands.)

use crate::capture::rss::Tuple;

/// A flow's canonical key: the lower (address, port) first, so both directions match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    pub lo: [u8; 16],
    pub hi: [u8; 16],
    pub lo_port: u16,
    pub hi_port: u16,
    pub v6: bool,
}

impl FlowKey {
    /// The canonical key of an RSS tuple (addresses, and ports when it has them).
    #[inline]
    pub fn from_tuple(t: &Tuple) -> FlowKey {
        let b = &t.bytes;
        let (alen, has_ports) = match t.len {
            8 => (4, false),
            12 => (4, true),
            32 => (16, false),
            _ => (16, true),
        };
        let mut a = [0u8; 16];
        let mut z = [0u8; 16];
        a[..alen].copy_from_slice(&b[..alen]);
        z[..alen].copy_from_slice(&b[alen..2 * alen]);
        let (pa, pz) = if has_ports {
            (
                u16::from_be_bytes([b[2 * alen], b[2 * alen + 1]]),
                u16::from_be_bytes([b[2 * alen + 2], b[2 * alen + 3]]),
            )
        } else {
            (0, 0)
        };
        let v6 = alen == 16;
        if (a, pa) <= (z, pz) {
            FlowKey {
                lo: a,
                hi: z,
                lo_port: pa,
                hi_port: pz,
                v6,
            }
        } else {
            FlowKey {
                lo: z,
                hi: a,
                lo_port: pz,
                hi_port: pa,
                v6,
            }
        }
    }

    /// A 64-bit hash for table slots (multiply-xor over the key words).
    #[inline]
    pub fn hash64(&self) -> u64 {
        const M: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut h = (self.lo_port as u64) << 16 | self.hi_port as u64 | (self.v6 as u64) << 40;
        for chunk in [&self.lo, &self.hi] {
            let x = u64::from_le_bytes([
                chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
            ]);
            let y = u64::from_le_bytes([
                chunk[8], chunk[9], chunk[10], chunk[11], chunk[12], chunk[13], chunk[14],
                chunk[15],
            ]);
            h = (h ^ x).wrapping_mul(M).rotate_left(29);
            h = (h ^ y).wrapping_mul(M).rotate_left(29);
        }
        h ^ (h >> 32)
    }
}

/// Outcome of [`FlowSet::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    New,
    Known,
    Full,
}

const PROBES: usize = 16;

/// Open-addressing set of flow keys, fixed capacity.
pub struct FlowSet {
    slots: Box<[Option<FlowKey>]>,
    mask: usize,
    len: usize,
    limit: usize,
}

impl FlowSet {
    /// A set of `slots` (a power of two) slots, filled to at most 3/4.
    pub fn new(slots: usize) -> FlowSet {
        let slots = slots.next_power_of_two().max(16);
        FlowSet {
            slots: vec![None; slots].into_boxed_slice(),
            mask: slots - 1,
            len: 0,
            limit: slots / 4 * 3,
        }
    }

    /// Flows recorded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records `key`; says whether it was new, known, or could not be recorded.
    #[inline]
    pub fn insert(&mut self, key: &FlowKey) -> Insert {
        let mut i = key.hash64() as usize & self.mask;
        for _ in 0..PROBES {
            match &self.slots[i] {
                Some(k) if k == key => return Insert::Known,
                Some(_) => i = (i + 1) & self.mask,
                None => {
                    if self.len >= self.limit {
                        return Insert::Full;
                    }
                    self.slots[i] = Some(*key);
                    self.len += 1;
                    return Insert::New;
                }
            }
        }
        Insert::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::rss::{tuple, Fields};

    fn frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0; 16]);
        f
    }

    #[test]
    fn both_directions_are_one_flow() {
        let a = tuple(&frame([10, 0, 0, 1], [1, 1, 1, 1], 5000, 443), Fields::L3L4).unwrap();
        let b = tuple(&frame([1, 1, 1, 1], [10, 0, 0, 1], 443, 5000), Fields::L3L4).unwrap();
        assert_eq!(FlowKey::from_tuple(&a), FlowKey::from_tuple(&b));
        let mut s = FlowSet::new(1024);
        assert_eq!(s.insert(&FlowKey::from_tuple(&a)), Insert::New);
        assert_eq!(s.insert(&FlowKey::from_tuple(&b)), Insert::Known);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn fills_up_without_panicking() {
        let mut s = FlowSet::new(64);
        let mut full = 0;
        for i in 0..1000u16 {
            let t = tuple(&frame([10, 0, 0, 1], [1, 1, 1, 1], i, 80), Fields::L3L4).unwrap();
            if s.insert(&FlowKey::from_tuple(&t)) == Insert::Full {
                full += 1;
            }
        }
        assert_eq!(s.len(), 48);
        assert_eq!(full, 1000 - 48);
    }
}
