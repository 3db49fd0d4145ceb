//! TLS over TCP: the worker half ([`TlsState`]: record layer, ClientHello, ServerHello,
//! leaf certificate → records) and the control-plane half ([`TlsTracker`]: records →
//! Suricata-style `tls` EVE with JA3/JA3S/JA4 and certificate fields).
//!
//! Submodules: `hello` (zero-copy handshake views, shared with QUIC), `record` (record
//! layouts), `worker`, `fingerprint`, `cert`, `tracker`.

#![forbid(unsafe_code)]

mod cert;
mod fingerprint;
mod hello;
mod record;
mod tracker;
mod worker;

pub use cert::{cert_fields, CertFields};
pub use fingerprint::{ja3_string, ja3s_string, ja4, md5_hex};
pub use hello::{
    is_grease, is_tls13, parse_client_hello, parse_server_hello, AlpnNames, ClientHelloView,
    ExtTypes, Extensions, ServerHelloView, U16s, HS_CLIENT_HELLO, HS_SERVER_HELLO,
};
pub use record::{CertificateRec, ClientHelloRec, ServerHelloRec};
pub use tracker::{version_name, TlsTracker};
pub use worker::{TlsState, MAX_GATHER};

use crate::app::{Dir, Progress, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer, RECORD_MAX};

/// A sink that writes each record into a stack buffer and hands it to `f` (no heap).
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

/// Drives the worker half over arbitrary bytes, both directions, the way the stream
/// layer does (unconsumed tails kept, at most 16384 bytes), and the records it emits
/// through a [`TlsTracker`]. For cargo-fuzz: must never panic.
///
/// Input: a sequence of chunks `[dir: u8][len: u8][len bytes]`; `dir & 1` picks the
/// direction, `dir & 2` marks a gap before the chunk.
pub fn fuzz_entry(data: &[u8]) {
    const KEEP: usize = 16384;
    let mut state = TlsState::default();
    let mut scratch = vec![0u8; 65536];
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut done = [false; 2];
    let mut records: Vec<(RecordKind, Vec<u8>)> = Vec::new();
    let mut rest = data;
    while let [d, n, tail @ ..] = rest {
        let n = usize::from(*n).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        let dir = Dir::from_u8(d & 1);
        let i = dir.index();
        if d & 2 != 0 {
            state.gap(dir);
            pending[i].clear();
        }
        if done[i] {
            continue;
        }
        pending[i].extend_from_slice(chunk);
        let mut sink = StackSink(|k, b: &[u8]| records.push((k, b.to_vec())));
        match state.data(dir, &pending[i], &mut scratch, &mut sink) {
            Progress::Done => done[i] = true,
            Progress::Consumed(c) => {
                let c = c.min(pending[i].len());
                pending[i].drain(..c);
                if pending[i].len() > KEEP {
                    done[i] = true;
                }
            }
        }
    }
    let mut tracker = TlsTracker::default();
    let mut out = Vec::new();
    let ctx = RecordCtx {
        flow_id: 1,
        ts_ns: 0,
        dir: Dir::ToServer,
    };
    for (k, b) in &records {
        tracker.record(*k, &ctx, &mut Reader::new(b), &mut out);
    }
    tracker.flow_end(&ctx, &mut out);
}
