//! IP fragment reassembly in a bounded, preallocated table (one per worker).
//!
//! Fragmented DNS over IPv6 and fragmented TCP SYNs exist in the wild, and an attacker
//! fragments to hide. Each datagram being reassembled takes one slot: a buffer of
//! `max_datagram` bytes and a bitmap of the 8-byte blocks received. Overlapping
//! fragments are counted and the first copy of a byte wins; datagrams that do not
//! complete within the timeout (packet time) are dropped and counted; when every slot
//! is busy the oldest is evicted. Nothing is allocated after start.

use super::ip::Ip;

/// Counters of the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragStats {
    /// Fragments received.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Fragments that overlapped data already held.
    pub overlaps: u64,
    /// Datagrams dropped unfinished after the timeout.
    pub timeouts: u64,
    /// Datagrams dropped because every slot was busy.
    pub evicted: u64,
    /// Fragments beyond `max_datagram` or otherwise unusable.
    pub too_large: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Key {
    v6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    id: u32,
    proto: u8,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    used: bool,
    key: Key,
    first_ns: u64,
    /// Length of the unfragmentable header (copied from the offset-0 fragment).
    header_len: u16,
    have_header: bool,
    /// Total data length, known once the last fragment arrived.
    total: Option<u32>,
    /// Where the next-header byte to patch sits (IPv6), and its new value.
    nh_at: u16,
    next: u8,
}

/// The reassembly table.
pub struct Reassembler {
    slots: Box<[Slot]>,
    /// `slots.len()` buffers of `max` bytes: the header, then the data.
    bufs: Box<[u8]>,
    /// One bit per 8-byte block of data, per slot.
    bits: Box<[u64]>,
    max: usize,
    words: usize,
    timeout_ns: u64,
    pub stats: FragStats,
}

/// Room kept at the front of each buffer for the unfragmentable header.
const HEADER_ROOM: usize = 128;

impl Reassembler {
    /// A table of `slots` datagrams of at most `max_datagram` bytes each, dropping
    /// unfinished ones after `timeout_ns` of packet time.
    pub fn new(slots: usize, max_datagram: usize, timeout_ns: u64) -> Reassembler {
        let slots = slots.max(1);
        let max = max_datagram.max(HEADER_ROOM + 64);
        let blocks = (max - HEADER_ROOM).div_ceil(8);
        let words = blocks.div_ceil(64);
        Reassembler {
            slots: vec![Slot::default(); slots].into_boxed_slice(),
            bufs: vec![0u8; slots * max].into_boxed_slice(),
            bits: vec![0u64; slots * words].into_boxed_slice(),
            max,
            words,
            timeout_ns,
            stats: FragStats::default(),
        }
    }

    /// Drops unfinished datagrams older than the timeout at packet time `now_ns`.
    pub fn expire(&mut self, now_ns: u64) {
        for s in self.slots.iter_mut() {
            if s.used && now_ns.saturating_sub(s.first_ns) > self.timeout_ns {
                s.used = false;
                self.stats.timeouts += 1;
            }
        }
    }

    fn find_or_make(&mut self, key: &Key, now_ns: u64) -> usize {
        let mut free = None;
        let mut oldest = 0usize;
        for (i, s) in self.slots.iter().enumerate() {
            if s.used {
                if s.key == *key {
                    return i;
                }
                if s.first_ns < self.slots[oldest].first_ns || !self.slots[oldest].used {
                    oldest = i;
                }
            } else if free.is_none() {
                free = Some(i);
            }
        }
        let i = match free {
            Some(i) => i,
            None => {
                self.stats.evicted += 1;
                oldest
            }
        };
        self.slots[i] = Slot {
            used: true,
            key: *key,
            first_ns: now_ns,
            ..Default::default()
        };
        self.bits[i * self.words..(i + 1) * self.words].fill(0);
        i
    }

    /// Takes one fragment (`ip` its parsed header, `l3` the whole fragment datagram).
    /// When it completes a datagram, returns the reassembled datagram (valid until the
    /// next call).
    pub fn insert(&mut self, ip: &Ip, l3: &[u8], now_ns: u64) -> Option<&[u8]> {
        let f = ip.frag?;
        self.stats.fragments += 1;
        let key = Key {
            v6: ip.v6,
            src: ip.src,
            dst: ip.dst,
            id: f.id,
            proto: if ip.v6 { f.next } else { ip.proto },
        };
        // The fragment's data: after the header (v4) or after the Fragment header (v6).
        let data_at = if ip.v6 {
            f.frag_hdr_at as usize + 8
        } else {
            f.unfrag_len as usize
        };
        let data = l3.get(data_at..)?;
        let room = self.max - HEADER_ROOM;
        let (off, len) = (f.offset as usize, data.len());
        if off + len > room || f.unfrag_len as usize > HEADER_ROOM || (f.more && len % 8 != 0) {
            self.stats.too_large += 1;
            return None;
        }
        let i = self.find_or_make(&key, now_ns);
        let base = i * self.max;
        let bits = &mut self.bits[i * self.words..(i + 1) * self.words];
        // Copy block by block; a block already held is an overlap (first copy wins).
        let mut overlapped = false;
        let first_block = off / 8;
        let blocks = len.div_ceil(8);
        for b in first_block..first_block + blocks {
            let (w, bit) = (b / 64, b % 64);
            let start = b * 8 - off;
            let end = (start + 8).min(len);
            if bits[w] & (1 << bit) != 0 {
                overlapped = true;
                continue;
            }
            bits[w] |= 1 << bit;
            let dst = base + HEADER_ROOM + b * 8;
            self.bufs[dst..dst + (end - start)].copy_from_slice(&data[start..end]);
        }
        if overlapped {
            self.stats.overlaps += 1;
        }
        let slot = &mut self.slots[i];
        if off == 0 && !slot.have_header {
            let hl = f.unfrag_len as usize;
            let h = l3.get(..hl)?;
            self.bufs[base + HEADER_ROOM - hl..base + HEADER_ROOM].copy_from_slice(h);
            slot.header_len = hl as u16;
            slot.have_header = true;
            slot.nh_at = f.nh_at;
            slot.next = f.next;
        }
        if !f.more {
            slot.total = Some((off + len) as u32);
        }
        let total = slot.total? as usize;
        if !slot.have_header {
            return None;
        }
        for b in 0..total.div_ceil(8) {
            if bits[b / 64] & (1 << (b % 64)) == 0 {
                return None;
            }
        }
        // Complete: patch the header and hand the datagram out.
        let hl = slot.header_len as usize;
        let v6 = slot.key.v6;
        let (nh_at, next) = (slot.nh_at as usize, slot.next);
        slot.used = false;
        self.stats.reassembled += 1;
        let start = base + HEADER_ROOM - hl;
        let out = &mut self.bufs[start..base + HEADER_ROOM + total];
        if v6 {
            let plen = (hl - 40 + total) as u16;
            out[4..6].copy_from_slice(&plen.to_be_bytes());
            if let Some(b) = out.get_mut(nh_at) {
                *b = next;
            }
        } else {
            let tl = (hl + total) as u16;
            out[2..4].copy_from_slice(&tl.to_be_bytes());
            out[6] = 0;
            out[7] = 0;
            out[10] = 0;
            out[11] = 0;
        }
        Some(&self.bufs[start..base + HEADER_ROOM + total])
    }
}

#[cfg(test)]
mod tests {
    use super::super::ip;
    use super::*;

    /// IPv4 fragments of a UDP datagram carrying `payload`.
    fn v4_frags(payload: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut udp = vec![0x04, 0xd2, 0, 53];
        udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        let mut out = Vec::new();
        let mut off = 0;
        while off < udp.len() {
            let end = (off + chunk).min(udp.len());
            let more = end < udp.len();
            let mut h = vec![
                0x45, 0, 0, 0, 0xbe, 0xef, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ];
            let tl = (20 + end - off) as u16;
            h[2..4].copy_from_slice(&tl.to_be_bytes());
            let ff = (off / 8) as u16 | if more { 0x2000 } else { 0 };
            h[6..8].copy_from_slice(&ff.to_be_bytes());
            h.extend_from_slice(&udp[off..end]);
            out.push(h);
            off = end;
        }
        out
    }

    #[test]
    fn reassembles_in_any_order_and_counts_overlaps() {
        let payload: Vec<u8> = (0..100u8).collect();
        let mut frags = v4_frags(&payload, 24);
        frags.reverse();
        let mut r = Reassembler::new(4, 4096, 60_000_000_000);
        let mut done = None;
        for f in &frags {
            let h = ip::ipv4(f).unwrap();
            if let Some(d) = r.insert(&h, &f[..h.len], 1) {
                done = Some(d.to_vec());
            }
        }
        let d = done.expect("reassembled");
        let h = ip::ipv4(&d).unwrap();
        assert!(h.frag.is_none());
        assert_eq!(h.len, 20 + 8 + 100);
        assert_eq!(&d[28..], &payload[..]);
        assert_eq!(r.stats.reassembled, 1);
        // A duplicate fragment of a new datagram counts as an overlap.
        let frags = v4_frags(&payload, 24);
        for f in [&frags[0], &frags[0]] {
            let h = ip::ipv4(f).unwrap();
            assert!(r.insert(&h, &f[..h.len], 2).is_none());
        }
        assert_eq!(r.stats.overlaps, 1);
        r.expire(2 + 61_000_000_000);
        assert_eq!(r.stats.timeouts, 1);
    }

    #[test]
    fn full_table_evicts_the_oldest() {
        let mut r = Reassembler::new(2, 4096, 60_000_000_000);
        for (id, ts) in [(1u16, 1u64), (2, 2), (3, 3)] {
            let mut f = v4_frags(&[7u8; 40], 16).remove(0);
            f[4..6].copy_from_slice(&id.to_be_bytes());
            let h = ip::ipv4(&f).unwrap();
            assert!(r.insert(&h, &f, ts).is_none());
        }
        assert_eq!(r.stats.evicted, 1);
    }
}
