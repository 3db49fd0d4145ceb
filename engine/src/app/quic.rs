//! QUIC over UDP: the worker half ([`QuicState`] ships the client's first Initial
//! packets, still encrypted, and the server's first Initial as records) and the
//! control-plane half ([`QuicTracker`]: derives the Initial keys from the client's DCID
//! as RFC 9001 §5.2 / RFC 9369 say, removes header protection, decrypts, reassembles the
//! CRYPTO stream, parses the ClientHello / ServerHello with the TLS code and writes
//! Suricata-style `quic` EVE bodies with JA3/JA3S/JA4 and the extension list).
//!
//! Submodules: `packet` (header parsing shared by both halves), `worker`, `crypto`,
//! `frames`, `tracker`.

#![forbid(unsafe_code)]

mod crypto;
mod frames;
mod packet;
mod tracker;
mod worker;

pub use crypto::{initial_keys, InitialKeys};
pub use frames::{crypto_frames, CryptoStream};
pub use packet::{is_initial, is_known_version, looks_like_quic, LongHeader, QUIC_V1, QUIC_V2};
pub use tracker::{extension_name, version_string, QuicTracker};
pub use worker::QuicState;

use crate::app::{Dir, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer, RECORD_MAX};

/// A sink that writes each record into a stack buffer and hands it to `f`.
struct StackSink<F: FnMut(RecordKind, &[u8])>(F);

impl<F: FnMut(RecordKind, &[u8])> Sink for StackSink<F> {
    fn emit(&mut self, kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut buf = [0u8; RECORD_MAX];
        let mut w = Writer::new(&mut buf);
        if body(&mut w) {
            let n = w.len();
            (self.0)(kind, buf.get(..n).unwrap_or(&[]));
        }
    }
}

/// Drives the worker half and the tracker over arbitrary bytes, for cargo-fuzz: a
/// sequence of datagrams `[dir: u8][len_hi: u8][len_lo: u8][len bytes]`. Never panics.
pub fn fuzz_entry(data: &[u8]) {
    let mut st = QuicState::default();
    let mut tracker = QuicTracker::default();
    let mut out = Vec::new();
    let mut rest = data;
    while let [d, hi, lo, tail @ ..] = rest {
        let n = (usize::from(*hi) << 8 | usize::from(*lo)).min(tail.len());
        let (dgram, next) = tail.split_at(n);
        rest = next;
        let dir = Dir::from_u8(d & 1);
        let mut recs: Vec<(RecordKind, Vec<u8>)> = Vec::new();
        let mut sink = StackSink(|k, b: &[u8]| recs.push((k, b.to_vec())));
        let ok = st.datagram(dir, dgram, &mut sink);
        let ctx = RecordCtx {
            flow_id: 1,
            ts_ns: 0,
            dir,
        };
        for (k, b) in &recs {
            tracker.record(*k, &ctx, &mut Reader::new(b), &mut out);
        }
        if !ok {
            break;
        }
    }
    let ctx = RecordCtx {
        flow_id: 1,
        ts_ns: 0,
        dir: Dir::ToServer,
    };
    tracker.flow_end(&ctx, &mut out);
}
