//! How a worker hands records to the control plane without allocating.
//!
//! A record (see [`crate::wire`]) is written into the worker's preallocated scratch
//! buffer, then cut into fixed [`Slot`]s pushed onto the worker's bounded lock-free
//! queue (crossbeam `ArrayQueue`, single producer). A record takes as many consecutive
//! slots as it needs; the control plane glues them back together (`control::records`).
//!
//! Live, a record that does not fit in the free slots is dropped whole and counted: the
//! worker never waits. In a replay the capture is the NIC and nothing may be lost, so
//! the worker waits for room (the control plane drains continuously).
//!
//! Every record starts with the same header, written by [`write_header`]: kind, flow id,
//! packet time, packet direction, the flow's tuple (client first), VLANs, tunnel, and
//! the flow's application protocol.

use crate::app::{AppProto, Dir, RecordKind, Sink};
use crate::flow::table::{Flow, TunnelInfo};
use crate::wire::{Reader, Writer, RECORD_MAX};
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Payload bytes of one slot.
pub const SLOT_BYTES: usize = 250;

/// One piece of a record.
#[derive(Clone, Copy)]
pub struct Slot {
    /// Bytes used in `data`.
    pub len: u8,
    /// The last piece of its record.
    pub last: bool,
    pub data: [u8; SLOT_BYTES],
}

/// A worker's record queue.
pub type RecordQueue = ArrayQueue<Slot>;

/// The identity part of every record header, copied out of the flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Header {
    pub flow_id: u64,
    pub v6: bool,
    /// Client (originator) and server addresses and ports.
    pub client: [u8; 16],
    pub server: [u8; 16],
    pub cport: u16,
    pub sport: u16,
    pub proto: u8,
    pub vlans: [u16; 3],
    pub vlan_count: u8,
    pub tunnel: TunnelInfo,
    pub app: AppProto,
}

impl Header {
    /// The header of a flow.
    #[inline]
    pub fn of(f: &Flow) -> Header {
        let k = &f.key;
        let (client, server, cport, sport) = if f.client_lo {
            (k.lo, k.hi, k.lo_port, k.hi_port)
        } else {
            (k.hi, k.lo, k.hi_port, k.lo_port)
        };
        Header {
            flow_id: f.id,
            v6: k.v6,
            client,
            server,
            cport,
            sport,
            proto: k.proto,
            vlans: f.vlans,
            vlan_count: f.vlan_count,
            tunnel: f.tunnel,
            app: f.app,
        }
    }
}

/// Writes the common header of a record.
#[inline]
pub fn write_header(w: &mut Writer<'_>, kind: RecordKind, h: &Header, ts_ns: u64, dir: Dir) {
    w.u8(kind as u8);
    w.u64(h.flow_id);
    w.u64(ts_ns);
    w.u8(dir as u8);
    w.bool(h.v6);
    w.fixed(&h.client);
    w.fixed(&h.server);
    w.u16(h.cport);
    w.u16(h.sport);
    w.u8(h.proto);
    w.u8(h.vlan_count);
    for v in &h.vlans[..h.vlan_count.min(3) as usize] {
        w.u16(*v);
    }
    w.u8(h.tunnel.kind as u8);
    if h.tunnel.kind != crate::decode::tunnel::TunnelKind::None {
        w.u8(h.tunnel.depth);
        w.bool(h.tunnel.v6);
        w.u8(h.tunnel.proto);
        w.fixed(&h.tunnel.src);
        w.fixed(&h.tunnel.dst);
    }
    w.u8(h.app as u8);
}

/// A record header as the control plane reads it.
#[derive(Debug, Clone, Copy)]
pub struct ReadHeader {
    pub kind: RecordKind,
    pub ts_ns: u64,
    pub dir: Dir,
    pub h: Header,
}

/// Reads the common header of a record.
pub fn read_header(r: &mut Reader<'_>) -> Option<ReadHeader> {
    let kind = RecordKind::from_u8(r.u8()?)?;
    let mut h = Header {
        flow_id: r.u64()?,
        ..Default::default()
    };
    let ts_ns = r.u64()?;
    let dir = Dir::from_u8(r.u8()?);
    h.v6 = r.bool()?;
    h.client.copy_from_slice(r.fixed(16)?);
    h.server.copy_from_slice(r.fixed(16)?);
    h.cport = r.u16()?;
    h.sport = r.u16()?;
    h.proto = r.u8()?;
    h.vlan_count = r.u8()?.min(3);
    for i in 0..h.vlan_count as usize {
        h.vlans[i] = r.u16()?;
    }
    h.tunnel.kind = crate::decode::tunnel::TunnelKind::from_u8(r.u8()?);
    if h.tunnel.kind != crate::decode::tunnel::TunnelKind::None {
        h.tunnel.depth = r.u8()?;
        h.tunnel.v6 = r.bool()?;
        h.tunnel.proto = r.u8()?;
        h.tunnel.src.copy_from_slice(r.fixed(16)?);
        h.tunnel.dst.copy_from_slice(r.fixed(16)?);
    }
    h.app = AppProto::from_u8(r.u8()?);
    Some(ReadHeader {
        kind,
        ts_ns,
        dir,
        h,
    })
}

/// A worker's side of its record queue.
pub struct RecordOut {
    queue: Arc<RecordQueue>,
    scratch: Box<[u8]>,
    /// Wait for room rather than drop (replay).
    lossless: bool,
    stop: Arc<AtomicBool>,
    /// Records sent.
    pub records: u64,
    /// Records dropped because the queue was full.
    pub dropped: u64,
    /// Records cut because they exceeded [`RECORD_MAX`].
    pub truncated: u64,
    /// Shutting down: every record waits for room (nothing may be lost at the end).
    pub flushing: bool,
}

impl RecordOut {
    /// A sender over `queue`.
    pub fn new(queue: Arc<RecordQueue>, lossless: bool, stop: Arc<AtomicBool>) -> RecordOut {
        RecordOut {
            queue,
            scratch: vec![0u8; RECORD_MAX].into_boxed_slice(),
            lossless,
            stop,
            records: 0,
            dropped: 0,
            truncated: 0,
            flushing: false,
        }
    }

    /// Builds a record with `f` (returning false drops it) and sends it.
    #[inline]
    pub fn send(&mut self, f: impl FnOnce(&mut Writer<'_>) -> bool) {
        let n = {
            let mut w = Writer::new(&mut self.scratch);
            if !f(&mut w) {
                return;
            }
            if w.overflow {
                self.truncated += 1;
            }
            w.len()
        };
        self.push(n, false);
    }

    /// Like [`RecordOut::send`] but waits for room however the run is configured (the
    /// final flush at shutdown, which must lose nothing), up to a few seconds.
    pub fn send_flush(&mut self, f: impl FnOnce(&mut Writer<'_>) -> bool) {
        let n = {
            let mut w = Writer::new(&mut self.scratch);
            if !f(&mut w) {
                return;
            }
            w.len()
        };
        self.push(n, true);
    }

    fn push(&mut self, n: usize, force_wait: bool) {
        let need = n.div_ceil(SLOT_BYTES).max(1);
        if need > self.queue.capacity() {
            self.dropped += 1;
            return;
        }
        // Single producer: free space only grows while we look.
        let mut waited = 0u64;
        while self.queue.capacity() - self.queue.len() < need {
            let wait = force_wait
                || self.flushing
                || (self.lossless && !self.stop.load(Ordering::Relaxed));
            if !wait || waited > 50_000_000 {
                self.dropped += 1;
                return;
            }
            waited += 1;
            if waited.is_multiple_of(64) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        for (k, chunk) in self.scratch[..n].chunks(SLOT_BYTES).enumerate() {
            let mut s = Slot {
                len: chunk.len() as u8,
                last: k + 1 == need,
                data: [0; SLOT_BYTES],
            };
            s.data[..chunk.len()].copy_from_slice(chunk);
            // Cannot fail: room was checked and only this thread pushes.
            let _ = self.queue.push(s);
        }
        if n == 0 {
            let _ = self.queue.push(Slot {
                len: 0,
                last: true,
                data: [0; SLOT_BYTES],
            });
        }
        self.records += 1;
    }
}

/// The [`Sink`] application parsers write to: the record header of the current packet,
/// then the parser's body.
pub struct FlowSink<'a> {
    pub out: &'a mut RecordOut,
    pub header: &'a Header,
    pub ts_ns: u64,
    pub dir: Dir,
}

impl Sink for FlowSink<'_> {
    #[inline]
    fn emit(&mut self, kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let (h, ts, dir) = (self.header, self.ts_ns, self.dir);
        self.out.send(|w| {
            write_header(w, kind, h, ts, dir);
            body(w)
        });
    }
}

/// Reassembles slots into records on the control plane.
#[derive(Default)]
pub struct Assembler {
    buf: Vec<u8>,
}

impl Assembler {
    /// Adds one slot; returns a whole record when `s` was its last piece.
    pub fn push(&mut self, s: &Slot) -> Option<&[u8]> {
        self.buf.extend_from_slice(&s.data[..s.len as usize]);
        if s.last {
            Some(&self.buf)
        } else {
            None
        }
    }

    /// Forgets the record just returned.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_cross_the_queue_in_slots() {
        let q = Arc::new(RecordQueue::new(64));
        let mut out = RecordOut::new(Arc::clone(&q), false, Arc::new(AtomicBool::new(false)));
        let h = Header {
            flow_id: 7,
            cport: 1234,
            sport: 443,
            proto: 6,
            ..Default::default()
        };
        let big = vec![b'x'; 1000];
        out.send(|w| {
            write_header(w, RecordKind::TlsCertificate, &h, 5, Dir::ToClient);
            w.bytes(&big);
            true
        });
        out.send(|_| false);
        assert_eq!(out.records, 1);
        let mut a = Assembler::default();
        let mut got = None;
        while let Some(s) = q.pop() {
            if let Some(rec) = a.push(&s) {
                got = Some(rec.to_vec());
                a.clear();
            }
        }
        let rec = got.unwrap();
        let mut r = Reader::new(&rec);
        let hdr = read_header(&mut r).unwrap();
        assert_eq!(
            (hdr.kind, hdr.h.flow_id, hdr.ts_ns),
            (RecordKind::TlsCertificate, 7, 5)
        );
        assert_eq!(hdr.dir, Dir::ToClient);
        assert_eq!(r.bytes().unwrap().len(), 1000);
    }

    #[test]
    fn full_queue_drops_whole_records_when_live() {
        let q = Arc::new(RecordQueue::new(4));
        let mut out = RecordOut::new(Arc::clone(&q), false, Arc::new(AtomicBool::new(false)));
        for _ in 0..3 {
            out.send(|w| {
                w.bytes(&[1u8; 400]);
                true
            });
        }
        assert_eq!((out.records, out.dropped), (2, 1));
        assert_eq!(q.len(), 4);
    }
}
