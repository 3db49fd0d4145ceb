//! The QUIC worker half: recognises QUIC, and ships the client's first Initial
//! datagrams (up to [`MAX_CLIENT_INITIALS`], coalesced packets included) and the
//! server's first Initial datagrams (up to [`MAX_SERVER_INITIALS`]) as records. The
//! worker does no cryptography: the control plane derives the keys and decrypts.
//!
//! Record layouts:
//! - `QuicInitial`: `u32` version, `u8` index of this client Initial datagram (0..),
//!   `bytes` the UDP payload (cut to what fits a record).
//! - `QuicServerInitial`: `u32` version, `bytes` server SCID, `bytes` the UDP payload.

use super::packet::{be32, is_initial, is_known_version, LongHeader};
use crate::app::{Dir, RecordKind, Sink};

/// Client Initial datagrams shipped per flow.
pub const MAX_CLIENT_INITIALS: u8 = 4;
/// Server Initial datagrams shipped per flow.
pub const MAX_SERVER_INITIALS: u8 = 2;

/// Flag: a QUIC long header of a known version has been seen.
const F_QUIC: u8 = 1;
/// Flag: the flow is not QUIC.
const F_NOT: u8 = 2;

/// Per-flow QUIC state (8 bytes; Copy + Default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuicState {
    /// The version of the last long header seen.
    version: u32,
    /// `F_*` flags.
    flags: u8,
    /// Client Initial datagrams shipped.
    client_initials: u8,
    /// Server Initial datagrams shipped.
    server_initials: u8,
}

impl QuicState {
    /// One UDP payload of this flow in direction `dir`. Returns `false` if the flow is
    /// not QUIC (the engine then stops calling). Ships client and server Initial
    /// datagrams as `QuicInitial` / `QuicServerInitial` records.
    pub fn datagram(&mut self, dir: Dir, payload: &[u8], sink: &mut dyn Sink) -> bool {
        if self.flags & F_NOT != 0 {
            return false;
        }
        let seen = self.flags & F_QUIC != 0;
        let Some(&first) = payload.first() else {
            return seen;
        };
        if first & 0x80 == 0 {
            // Short header: only meaningful once the flow is known to be QUIC.
            if !seen {
                self.flags |= F_NOT;
            }
            return seen;
        }
        let version = be32(payload, 1).unwrap_or(0);
        if version == 0 {
            // Version negotiation (from a server answering a client we saw).
            return seen;
        }
        let hdr = LongHeader::parse(payload);
        if !is_known_version(version) || first & 0x40 == 0 || hdr.is_none() {
            if !seen {
                self.flags |= F_NOT;
            }
            return seen;
        }
        self.flags |= F_QUIC;
        self.version = version;
        if !is_initial(first, version) {
            return true;
        }
        match dir {
            Dir::ToServer if self.client_initials < MAX_CLIENT_INITIALS => {
                let index = self.client_initials;
                self.client_initials += 1;
                sink.emit(RecordKind::QuicInitial, &mut |w| {
                    w.u32(version);
                    w.u8(index);
                    w.bytes(payload);
                    true
                });
            }
            Dir::ToClient if self.server_initials < MAX_SERVER_INITIALS => {
                self.server_initials += 1;
                let scid = hdr.map_or(&[][..], |h| h.scid);
                sink.emit(RecordKind::QuicServerInitial, &mut |w| {
                    w.u32(version);
                    w.bytes(scid);
                    w.bytes(payload);
                    true
                });
            }
            _ => {}
        }
        true
    }

    /// The QUIC version of the last long header seen (0 if none).
    pub fn version(&self) -> u32 {
        self.version
    }
}
