//! The read-only lookup table workers consult per new flow: an open-addressing hash table
//! of 64-bit hashed keys (endpoint addresses, device–endpoint pairs), built by the
//! control plane and published as an immutable snapshot.
//!
//! Hand-written rather than a `HashMap` because the hot path may not allocate, hash
//! strings or chase pointers: slots live in one boxed slice, grouped by 16. Each group
//! keeps a 16-byte array of 7-bit fingerprints (the hash's top bits, high bit set for a
//! used slot, 0 for empty); a probe compares all 16 fingerprints at once (SSE2 on x86_64,
//! NEON on aarch64, scalar lanes elsewhere), then checks the full key only where a fingerprint
//! matched. Groups are probed triangularly (1, 2, 3, ... groups on), and the table is at
//! most 7/8 full, so a miss ends at the first group with an empty slot.

/// A value stored per key: copied out on a hit.
pub trait TableValue: Copy + Default {}
impl<T: Copy + Default> TableValue for T {}

const GROUP: usize = 16;
const EMPTY: u8 = 0;

/// Fingerprints of one group, aligned so a group is one cache line of control bytes.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Ctrl([u8; GROUP]);

/// An immutable-after-build hash table from 64-bit keys to `V`.
#[derive(Clone)]
pub struct KeyTable<V: TableValue> {
    ctrl: Box<[Ctrl]>,
    /// (key, value) side by side: a hit touches one fingerprint line and one slot line.
    slots: Box<[(u64, V)]>,
    /// Groups - 1 (a power of two minus one).
    group_mask: usize,
    len: usize,
}

/// The fingerprint of a hash: its top 7 bits with the high bit set (never EMPTY).
#[inline]
fn fingerprint(h: u64) -> u8 {
    0x80 | (h >> 57) as u8
}

/// Bit i set where group byte i equals `b`: one 16-lane byte compare and a move-mask
/// (SSE2 `pcmpeqb`/`pmovmskb` on x86_64, NEON on aarch64) through the `wide` crate's
/// safe SIMD types, so no `unsafe` is needed here.
#[inline]
fn match_byte(g: &Ctrl, b: u8) -> u32 {
    let v = wide::u8x16::new(g.0);
    v.simd_eq(wide::u8x16::splat(b)).to_bitmask() & 0xffff
}

impl<V: TableValue> KeyTable<V> {
    /// A table that holds `capacity` keys without growing.
    pub fn with_capacity(capacity: usize) -> KeyTable<V> {
        // At most 7/8 full.
        let slots = (capacity.max(1) * 8).div_ceil(7);
        let groups = slots.div_ceil(GROUP).next_power_of_two();
        KeyTable {
            ctrl: vec![Ctrl::default(); groups].into_boxed_slice(),
            slots: vec![(0u64, V::default()); groups * GROUP].into_boxed_slice(),
            group_mask: groups - 1,
            len: 0,
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys the table can hold before [`KeyTable::insert`] must grow it.
    pub fn capacity(&self) -> usize {
        (self.ctrl.len() * GROUP) * 7 / 8
    }

    /// Bytes of memory the table uses.
    pub fn bytes(&self) -> usize {
        self.ctrl.len() * (GROUP + GROUP * std::mem::size_of::<(u64, V)>())
    }

    /// The value of `key`, if present. Allocation-free, branch-light: the hot-path lookup.
    #[inline]
    pub fn get(&self, key: u64) -> Option<V> {
        let fp = fingerprint(key);
        let mut g = (key as usize) & self.group_mask;
        let mut step = 0usize;
        loop {
            let ctrl = &self.ctrl[g];
            let mut m = match_byte(ctrl, fp);
            while m != 0 {
                let i = g * GROUP + m.trailing_zeros() as usize;
                let (k, v) = self.slots[i];
                if k == key {
                    return Some(v);
                }
                m &= m - 1;
            }
            if match_byte(ctrl, EMPTY) != 0 {
                return None;
            }
            step += 1;
            if step > self.group_mask {
                return None;
            }
            g = (g + step) & self.group_mask;
        }
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces `key` (control plane; grows the table when 7/8 full).
    pub fn insert(&mut self, key: u64, val: V) {
        if let Some(i) = self.slot_of(key) {
            self.slots[i].1 = val;
            return;
        }
        if self.len + 1 > self.capacity() {
            let mut bigger = KeyTable::with_capacity(self.capacity() * 2);
            for (k, v) in self.iter() {
                bigger.insert_new(k, v);
            }
            *self = bigger;
        }
        self.insert_new(key, val);
    }

    fn slot_of(&self, key: u64) -> Option<usize> {
        let fp = fingerprint(key);
        let mut g = (key as usize) & self.group_mask;
        let mut step = 0usize;
        loop {
            let ctrl = &self.ctrl[g];
            let mut m = match_byte(ctrl, fp);
            while m != 0 {
                let i = g * GROUP + m.trailing_zeros() as usize;
                if self.slots[i].0 == key {
                    return Some(i);
                }
                m &= m - 1;
            }
            if match_byte(ctrl, EMPTY) != 0 {
                return None;
            }
            step += 1;
            if step > self.group_mask {
                return None;
            }
            g = (g + step) & self.group_mask;
        }
    }

    /// Puts a key known to be absent into the first empty slot of its probe sequence.
    fn insert_new(&mut self, key: u64, val: V) {
        let mut g = (key as usize) & self.group_mask;
        let mut step = 0usize;
        loop {
            let m = match_byte(&self.ctrl[g], EMPTY);
            if m != 0 {
                let j = m.trailing_zeros() as usize;
                self.ctrl[g].0[j] = fingerprint(key);
                self.slots[g * GROUP + j] = (key, val);
                self.len += 1;
                return;
            }
            step += 1;
            g = (g + step) & self.group_mask;
        }
    }

    /// Every (key, value), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, V)> + '_ {
        self.ctrl.iter().enumerate().flat_map(move |(g, c)| {
            (0..GROUP)
                .filter(move |&j| c.0[j] != EMPTY)
                .map(move |j| self.slots[g * GROUP + j])
        })
    }
}

/// A 64-bit hash for table keys (SplitMix64's finaliser over FNV-1a of the bytes):
/// stable across runs and machines, so it may name keys in saved state and tests.
#[inline]
pub fn hash_bytes(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate the parts so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The table key of an address (16 bytes as the flow key holds it; IPv4 in the first 4).
#[inline]
pub fn key_ip(addr: &[u8; 16], v6: bool) -> u64 {
    let a: &[u8] = if v6 { addr } else { &addr[..4] };
    hash_bytes(&[b"ip", a])
}

/// The table key of a (device, endpoint address) pair.
#[inline]
pub fn key_pair(device: &[u8; 16], endpoint: &[u8; 16], v6: bool) -> u64 {
    let (d, e): (&[u8], &[u8]) = if v6 {
        (device, endpoint)
    } else {
        (&device[..4], &endpoint[..4])
    };
    hash_bytes(&[b"pair", d, e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn agrees_with_a_hashmap() {
        let mut t: KeyTable<u32> = KeyTable::with_capacity(10);
        let mut m = HashMap::new();
        let mut x = 1u64;
        for i in 0..50_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Small key space: many replacements, and colliding fingerprints.
            let k = hash_bytes(&[&(x % 20_000).to_le_bytes()]);
            t.insert(k, i);
            m.insert(k, i);
        }
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            assert_eq!(t.get(*k), Some(*v));
        }
        for i in 0..10_000u64 {
            let k = hash_bytes(&[b"absent", &i.to_le_bytes()]);
            assert_eq!(t.get(k), m.get(&k).copied());
        }
        let mut all: Vec<(u64, u32)> = t.iter().collect();
        all.sort();
        let mut want: Vec<(u64, u32)> = m.into_iter().collect();
        want.sort();
        assert_eq!(all, want);
    }

    #[test]
    fn same_fingerprint_different_keys() {
        // Keys that share the top 7 bits and the home group.
        let mut t: KeyTable<u8> = KeyTable::with_capacity(64);
        let base = 0xAB00_0000_0000_0000u64;
        for i in 0..40u64 {
            t.insert(base | (i << 8), i as u8);
        }
        for i in 0..40u64 {
            assert_eq!(t.get(base | (i << 8)), Some(i as u8));
        }
        assert_eq!(t.get(base | (41 << 8)), None);
    }

    #[test]
    fn match_byte_finds_every_position() {
        let mut g = Ctrl::default();
        for i in 0..GROUP {
            g.0[i] = 0x80 | i as u8;
        }
        for i in 0..GROUP {
            assert_eq!(match_byte(&g, 0x80 | i as u8), 1 << i);
        }
        assert_eq!(match_byte(&g, EMPTY), 0);
        assert_eq!(match_byte(&Ctrl::default(), EMPTY), 0xffff);
    }

    #[test]
    fn keys_are_stable_and_distinct() {
        let a = [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let b = [8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_ne!(key_ip(&a, false), key_ip(&b, false));
        assert_ne!(key_pair(&a, &b, false), key_pair(&b, &a, false));
        assert_eq!(key_ip(&a, false), key_ip(&a, false));
        assert_ne!(hash_bytes(&[b"ab", b"c"]), hash_bytes(&[b"a", b"bc"]));
    }
}
