//! The block table workers enforce: which flows may not pass, as read-only hashed keys
//! published with the rarity snapshot. A worker decides a flow's verdict when it starts
//! and again only when a new snapshot arrives, so enforcement costs nothing per packet
//! while nothing is blocked.

use crate::learn::net::Networks;
use crate::learn::table::{hash_bytes, key_ip, key_pair, KeyTable};

/// What is blocked.
#[derive(Clone)]
pub struct BlockSet {
    /// (device, external address, server port).
    conns: KeyTable<()>,
    /// External addresses, for every device.
    endpoints: KeyTable<()>,
    /// Devices cut off entirely.
    quarantined: KeyTable<()>,
    /// Devices held to their pattern of life (only endpoints they already reached).
    enforced: KeyTable<()>,
    len: usize,
}

impl Default for BlockSet {
    fn default() -> Self {
        BlockSet {
            conns: KeyTable::with_capacity(1),
            endpoints: KeyTable::with_capacity(1),
            quarantined: KeyTable::with_capacity(1),
            enforced: KeyTable::with_capacity(1),
            len: 0,
        }
    }
}

fn key_conn(device: &[u8; 16], server: &[u8; 16], v6: bool, port: u16) -> u64 {
    let n = if v6 { 16 } else { 4 };
    hash_bytes(&[b"conn", &device[..n], &server[..n], &port.to_be_bytes()])
}

fn key_device(device: &[u8; 16], v6: bool) -> u64 {
    let n = if v6 { 16 } else { 4 };
    hash_bytes(&[b"device", &device[..n]])
}

/// Why a flow is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Connection,
    Endpoint,
    Quarantine,
    PatternOfLife,
}

impl BlockSet {
    /// Entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is blocked.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Blocks `device` → `server`:`port`.
    pub fn block_connection(&mut self, device: &[u8; 16], server: &[u8; 16], v6: bool, port: u16) {
        self.conns.insert(key_conn(device, server, v6, port), ());
        self.len += 1;
    }

    /// Blocks every flow to or from `server`.
    pub fn block_endpoint(&mut self, server: &[u8; 16], v6: bool) {
        self.endpoints.insert(key_ip(server, v6), ());
        self.len += 1;
    }

    /// Blocks every flow of `device`.
    pub fn quarantine(&mut self, device: &[u8; 16], v6: bool) {
        self.quarantined.insert(key_device(device, v6), ());
        self.len += 1;
    }

    /// Lets `device` reach only external addresses it reached before.
    pub fn enforce(&mut self, device: &[u8; 16], v6: bool) {
        self.enforced.insert(key_device(device, v6), ());
        self.len += 1;
    }

    /// The verdict on a flow (`client` opened it to `server`:`port`); `pairs` are the
    /// (device, address) pairs of the rarity snapshot. Allocation-free.
    #[inline]
    pub fn verdict(
        &self,
        client: &[u8; 16],
        server: &[u8; 16],
        v6: bool,
        port: u16,
        pairs: &KeyTable<()>,
        internal: &Networks,
    ) -> Option<Why> {
        if self.len == 0 {
            return None;
        }
        if self.quarantined.contains(key_device(client, v6))
            || self.quarantined.contains(key_device(server, v6))
        {
            return Some(Why::Quarantine);
        }
        if self.endpoints.contains(key_ip(server, v6))
            || self.endpoints.contains(key_ip(client, v6))
        {
            return Some(Why::Endpoint);
        }
        if self.conns.contains(key_conn(client, server, v6, port)) {
            return Some(Why::Connection);
        }
        if self.enforced.contains(key_device(client, v6))
            && !internal.contains(server, v6)
            && !pairs.contains(key_pair(client, server, v6))
        {
            return Some(Why::PatternOfLife);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> [u8; 16] {
        crate::learn::net::to_key(s.parse().unwrap()).0
    }

    #[test]
    fn verdicts() {
        let net = Networks::default();
        let mut pairs = KeyTable::with_capacity(4);
        pairs.insert(key_pair(&a("10.0.0.5"), &a("52.96.0.1"), false), ());
        let mut b = BlockSet::default();
        assert_eq!(
            b.verdict(&a("10.0.0.5"), &a("1.2.3.4"), false, 443, &pairs, &net),
            None
        );
        b.block_connection(&a("10.0.0.5"), &a("83.136.208.246"), false, 6783);
        assert_eq!(
            b.verdict(
                &a("10.0.0.5"),
                &a("83.136.208.246"),
                false,
                6783,
                &pairs,
                &net
            ),
            Some(Why::Connection)
        );
        assert_eq!(
            b.verdict(
                &a("10.0.0.5"),
                &a("83.136.208.246"),
                false,
                443,
                &pairs,
                &net
            ),
            None
        );
        assert_eq!(
            b.verdict(
                &a("10.0.0.6"),
                &a("83.136.208.246"),
                false,
                6783,
                &pairs,
                &net
            ),
            None
        );
        b.block_endpoint(&a("104.145.210.107"), false);
        assert_eq!(
            b.verdict(
                &a("10.0.0.9"),
                &a("104.145.210.107"),
                false,
                8443,
                &pairs,
                &net
            ),
            Some(Why::Endpoint)
        );
        b.enforce(&a("10.0.0.5"), false);
        assert_eq!(
            b.verdict(&a("10.0.0.5"), &a("52.96.0.1"), false, 443, &pairs, &net),
            None
        );
        assert_eq!(
            b.verdict(&a("10.0.0.5"), &a("9.9.9.9"), false, 443, &pairs, &net),
            Some(Why::PatternOfLife)
        );
        // Internal traffic stays allowed under pattern-of-life enforcement.
        assert_eq!(
            b.verdict(&a("10.0.0.5"), &a("10.0.0.53"), false, 53, &pairs, &net),
            None
        );
        b.quarantine(&a("10.0.0.7"), false);
        assert_eq!(
            b.verdict(&a("10.0.0.1"), &a("10.0.0.7"), false, 22, &pairs, &net),
            Some(Why::Quarantine)
        );
    }
}
