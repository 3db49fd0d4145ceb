//! Receive-side scaling in software: the symmetric Toeplitz hash a NIC computes, over the
//! same tuple and key, and the redirection table that maps a hash to a worker.
//!
//! Virtual PMDs (`net_pcap`, `net_null`) have no RSS; the engine then reads the tuple
//! here, hashes it exactly as the NIC (and DPDK's `rte_softrss`) would, and hands the
//! packet to the worker the NIC's RETA would have chosen. With the key `0x6D5A` repeated,
//! the hash is symmetric: both directions of a flow land on the same worker.
//!
//! Hand-written rather than taken from a crate: it runs per packet on the dispatch path
//! (no allocation, no panic on any bytes) and must match the NIC bit for bit, including
//! which packets hash on ports (unfragmented TCP/UDP) and which on addresses only.

/// Longest tuple hashed: IPv6 source and destination plus ports (36 bytes).
pub const MAX_TUPLE: usize = 36;
/// Key length most NICs use (40 bytes); enough for the longest tuple.
pub const KEY_LEN: usize = 40;

/// The symmetric Toeplitz key: `0x6D5A` repeated to `len` bytes.
pub fn symmetric_key(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| if i % 2 == 0 { 0x6D } else { 0x5A })
        .collect()
}

/// Which fields the hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Addresses only.
    L3,
    /// Addresses and, for unfragmented TCP and UDP, ports.
    L3L4,
}

/// A Toeplitz hasher with per-byte lookup tables precomputed from its key.
pub struct Toeplitz {
    /// `table[i][b]`: the hash contribution of byte value `b` at tuple offset `i`.
    table: Box<[[u32; 256]; MAX_TUPLE]>,
}

impl Toeplitz {
    /// Builds the tables for `key` (at least `MAX_TUPLE + 4` bytes).
    pub fn new(key: &[u8]) -> Toeplitz {
        let mut k = [0u8; KEY_LEN];
        for (d, s) in k.iter_mut().zip(key.iter()) {
            *d = *s;
        }
        let mut table = Box::new([[0u32; 256]; MAX_TUPLE]);
        for (i, row) in table.iter_mut().enumerate() {
            // The 32-bit key window starting at each bit of byte i.
            let mut windows = [0u32; 8];
            for (bit, w) in windows.iter_mut().enumerate() {
                *w = window(&k, i * 8 + bit);
            }
            for (b, slot) in row.iter_mut().enumerate() {
                let mut h = 0u32;
                for (bit, w) in windows.iter().enumerate() {
                    if b & (0x80 >> bit) != 0 {
                        h ^= *w;
                    }
                }
                *slot = h;
            }
        }
        Toeplitz { table }
    }

    /// The hash of `tuple` (network byte order, at most `MAX_TUPLE` bytes).
    #[inline]
    pub fn hash(&self, tuple: &[u8]) -> u32 {
        let mut h = 0u32;
        for (row, b) in self.table.iter().zip(tuple.iter()) {
            h ^= row[*b as usize];
        }
        h
    }
}

/// The 32 key bits starting at bit `bit` (MSB first).
fn window(key: &[u8; KEY_LEN], bit: usize) -> u32 {
    let mut w = 0u32;
    for j in 0..32 {
        let pos = bit + j;
        let v = key
            .get(pos / 8)
            .map_or(0, |byte| (byte >> (7 - pos % 8)) & 1);
        w = (w << 1) | v as u32;
    }
    w
}

/// The bytes a NIC hashes for one packet, in network order.
#[derive(Debug, Clone, Copy)]
pub struct Tuple {
    pub bytes: [u8; MAX_TUPLE],
    pub len: usize,
}

impl Tuple {
    /// The hashed bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len.min(MAX_TUPLE)]
    }
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86DD;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88A8;
const ETH_QINQ_OLD: u16 = 0x9100;
const IP_TCP: u8 = 6;
const IP_UDP: u8 = 17;

#[inline]
fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// How a capture's frames begin. Hardware ports are always Ethernet; captures may hold
/// raw IP, BSD loopback or Linux "cooked" frames, which `net_pcap` delivers as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkType {
    #[default]
    Ethernet,
    /// BSD loopback (DLT_NULL): 4-byte address family in host byte order.
    Null,
    /// OpenBSD loopback (DLT_LOOP): 4-byte address family in network byte order.
    Loop,
    /// Raw IPv4 or IPv6 (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6).
    Raw,
    /// Linux cooked capture v1 (16-byte header, protocol at offset 14).
    Sll,
    /// Linux cooked capture v2 (20-byte header, protocol at offset 0).
    Sll2,
}

/// Where the network layer starts and which ethertype it has, for a frame of `link`.
#[inline]
fn network_layer(frame: &[u8], link: LinkType) -> Option<(usize, u16)> {
    match link {
        LinkType::Ethernet => {
            let mut off = 12;
            let mut ethertype = be16(frame, off)?;
            off += 2;
            let mut tags = 0;
            while matches!(ethertype, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) && tags < 3 {
                ethertype = be16(frame, off + 2)?;
                off += 4;
                tags += 1;
            }
            Some((off, ethertype))
        }
        LinkType::Null | LinkType::Loop => {
            let b = frame.get(..4)?;
            let family = if link == LinkType::Null {
                // Host order of the capturing machine: accept either.
                let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if le < 256 {
                    le
                } else {
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
                }
            } else {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            };
            match family {
                2 => Some((4, ETH_IPV4)),
                // AF_INET6 differs by OS: 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
                10 | 24 | 28 | 30 => Some((4, ETH_IPV6)),
                _ => None,
            }
        }
        LinkType::Raw => match frame.first()? >> 4 {
            4 => Some((0, ETH_IPV4)),
            6 => Some((0, ETH_IPV6)),
            _ => None,
        },
        LinkType::Sll => Some((16, be16(frame, 14)?)),
        LinkType::Sll2 => Some((20, be16(frame, 0)?)),
    }
}

/// Reads the RSS tuple of a frame, as a NIC does: after up to three VLAN tags, IPv4 or
/// IPv6 addresses, then ports for unfragmented TCP and UDP (when `fields` asks). `None`
/// for frames a NIC does not hash (non-IP, truncated): they go to queue 0.
#[inline]
pub fn tuple(frame: &[u8], fields: Fields) -> Option<Tuple> {
    tuple_of(frame, LinkType::Ethernet, fields)
}

/// [`tuple`] for a frame of any supported link type.
#[inline]
pub fn tuple_of(frame: &[u8], link: LinkType, fields: Fields) -> Option<Tuple> {
    let (off, ethertype) = network_layer(frame, link)?;
    let mut t = Tuple {
        bytes: [0; MAX_TUPLE],
        len: 0,
    };
    let (proto, l4, unfragmented) = match ethertype {
        ETH_IPV4 => {
            let ip = frame.get(off..off + 20)?;
            if ip[0] >> 4 != 4 {
                return None;
            }
            let ihl = (ip[0] & 0x0F) as usize * 4;
            if ihl < 20 {
                return None;
            }
            t.bytes[..8].copy_from_slice(&ip[12..20]);
            t.len = 8;
            let frag = u16::from_be_bytes([ip[6], ip[7]]);
            // More-fragments flag or a non-zero offset: the NIC hashes addresses only.
            (ip[9], off + ihl, frag & 0x3FFF == 0)
        }
        ETH_IPV6 => {
            let ip = frame.get(off..off + 40)?;
            if ip[0] >> 4 != 6 {
                return None;
            }
            t.bytes[..32].copy_from_slice(&ip[8..40]);
            t.len = 32;
            // Only a TCP or UDP header right after the fixed header carries hashed ports.
            (ip[6], off + 40, true)
        }
        _ => return None,
    };
    if fields == Fields::L3L4 && unfragmented && (proto == IP_TCP || proto == IP_UDP) {
        if let Some(ports) = frame.get(l4..l4 + 4) {
            t.bytes[t.len..t.len + 4].copy_from_slice(ports);
            t.len += 4;
        }
    }
    Some(t)
}

/// The software redirection table: hash → worker, filled round-robin as DPDK fills a
/// NIC's RETA (`reta[i] = i % queues`), indexed by the hash's low bits.
pub struct Reta {
    table: Vec<u16>,
    mask: u32,
}

impl Reta {
    /// A table of `size` entries (a power of two) over `queues` workers.
    pub fn new(size: usize, queues: usize) -> Reta {
        let size = size.next_power_of_two().max(1);
        let queues = queues.max(1);
        Reta {
            table: (0..size).map(|i| (i % queues) as u16).collect(),
            mask: (size - 1) as u32,
        }
    }

    /// The queue (worker) for a hash.
    #[inline]
    pub fn queue(&self, hash: u32) -> usize {
        self.table[(hash & self.mask) as usize] as usize
    }
}

/// Picks the worker for a frame: hash its tuple and look the RETA up; frames without a
/// tuple go to queue 0, as on a NIC.
pub struct Dispatcher {
    hasher: Toeplitz,
    reta: Reta,
    fields: Fields,
    link: LinkType,
}

impl Dispatcher {
    /// A dispatcher with the symmetric key over `queues` workers.
    pub fn new(queues: usize, reta_size: usize, fields: Fields) -> Dispatcher {
        Dispatcher::for_link(queues, reta_size, fields, LinkType::Ethernet)
    }

    /// A dispatcher for frames of `link`.
    pub fn for_link(queues: usize, reta_size: usize, fields: Fields, link: LinkType) -> Dispatcher {
        Dispatcher {
            hasher: Toeplitz::new(&symmetric_key(KEY_LEN)),
            reta: Reta::new(reta_size, queues),
            fields,
            link,
        }
    }

    /// The RSS hash of a frame (0 when it has no tuple).
    #[inline]
    pub fn hash(&self, frame: &[u8]) -> u32 {
        tuple_of(frame, self.link, self.fields).map_or(0, |t| self.hasher.hash(t.as_slice()))
    }

    /// The worker for a frame.
    #[inline]
    pub fn worker(&self, frame: &[u8]) -> usize {
        self.reta.queue(self.hash(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Microsoft's RSS verification key (the one in NIC datasheets).
    const MS_KEY: [u8; 40] = [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f,
        0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ];

    fn v4_tuple(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&src);
        t.extend_from_slice(&dst);
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t
    }

    #[test]
    fn microsoft_verification_vectors() {
        let h = Toeplitz::new(&MS_KEY);
        // Destination 161.142.100.80:1766, source 66.9.149.187:2794.
        let t = v4_tuple([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766);
        assert_eq!(h.hash(&t[..8]), 0x323e8fc2);
        assert_eq!(h.hash(&t), 0x51ccc178);
        // Destination 65.69.140.83:4739, source 199.92.111.2:14230.
        let t = v4_tuple([199, 92, 111, 2], [65, 69, 140, 83], 14230, 4739);
        assert_eq!(h.hash(&t[..8]), 0xd718262a);
        assert_eq!(h.hash(&t), 0xc626b0ea);
    }

    /// The tuple as rte_softrss wants it: host-order 32-bit words.
    fn words(t: &[u8]) -> Vec<u32> {
        t.chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn equals_dpdk_softrss() {
        let keys = [MS_KEY.to_vec(), symmetric_key(KEY_LEN)];
        let mut seed = 0x1234_5678_9abc_def0u64;
        for key in &keys {
            let h = Toeplitz::new(key);
            for len in [8usize, 12, 32, 36] {
                for _ in 0..200 {
                    let t: Vec<u8> = (0..len)
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            seed as u8
                        })
                        .collect();
                    assert_eq!(
                        h.hash(&t),
                        crate::capture::dpdk::dpdk_softrss(&words(&t), key),
                        "len {len}"
                    );
                }
            }
        }
    }

    fn frame_v4(
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        sport: u16,
        dport: u16,
        vlans: usize,
    ) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        for _ in 0..vlans {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
        }
        f.extend_from_slice(&[0x08, 0x00]);
        let mut ip = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, proto, 0, 0];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0u8; 16]);
        f
    }

    #[test]
    fn both_directions_same_worker() {
        for workers in [2usize, 3, 4, 8] {
            let d = Dispatcher::new(workers, 128, Fields::L3L4);
            let mut seed = 7u32;
            for _ in 0..2000 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let a = seed.to_be_bytes();
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let b = seed.to_be_bytes();
                let (sp, dp) = ((seed >> 3) as u16, (seed >> 17) as u16);
                let fwd = frame_v4(a, b, IP_TCP, sp, dp, (seed % 3) as usize);
                let rev = frame_v4(b, a, IP_TCP, dp, sp, (seed % 3) as usize);
                assert_eq!(d.hash(&fwd), d.hash(&rev));
                assert_eq!(d.worker(&fwd), d.worker(&rev));
            }
        }
    }

    #[test]
    fn fragments_hash_on_addresses_only() {
        let mut f = frame_v4([10, 0, 0, 1], [8, 8, 8, 8], IP_UDP, 1000, 53, 0);
        let whole = tuple(&f, Fields::L3L4).unwrap();
        assert_eq!(whole.len, 12);
        f[14 + 6] = 0x20; // more fragments
        assert_eq!(tuple(&f, Fields::L3L4).unwrap().len, 8);
    }

    #[test]
    fn never_panics_on_short_or_odd_frames() {
        let d = Dispatcher::new(4, 128, Fields::L3L4);
        let base = frame_v4([1, 2, 3, 4], [5, 6, 7, 8], IP_TCP, 1, 2, 2);
        for cut in 0..base.len() {
            let _ = d.worker(&base[..cut]);
        }
        let mut odd = base.clone();
        odd[22] = 0x41; // IHL 1
        assert!(tuple(&odd, Fields::L3L4).is_none());
        assert_eq!(d.worker(&[]), d.reta.queue(0));
    }

    #[test]
    fn other_link_types_give_the_same_tuple() {
        let eth = frame_v4([10, 0, 0, 1], [8, 8, 8, 8], IP_TCP, 1000, 443, 0);
        let want = tuple(&eth, Fields::L3L4).unwrap();
        let ip = &eth[14..];
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(ip);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(ip);
        for (bytes, link) in [
            (ip.to_vec(), LinkType::Raw),
            (null, LinkType::Null),
            (sll, LinkType::Sll),
            (sll2, LinkType::Sll2),
        ] {
            let t = tuple_of(&bytes, link, Fields::L3L4).unwrap();
            assert_eq!(t.as_slice(), want.as_slice(), "{link:?}");
        }
    }

    #[test]
    fn reta_spreads_round_robin() {
        let r = Reta::new(128, 3);
        assert_eq!(
            (r.queue(0), r.queue(1), r.queue(2), r.queue(3)),
            (0, 1, 2, 0)
        );
        assert_eq!(r.queue(128), 0);
    }
}
