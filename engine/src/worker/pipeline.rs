//! The per-packet work of a worker, apart from its poll loop so tests can drive it with
//! real bytes: decode, reassemble fragments, find the flow, track TCP, put payload in
//! order, detect and parse the application protocol, and send records and summaries to
//! the control plane. Everything is allocated in [`Pipeline::new`]; a packet allocates
//! nothing, takes no lock, makes no syscall and cannot panic the worker.

use super::records::{write_header, FlowSink, Header, RecordOut, RecordQueue};
use super::Counters;
use crate::app::detect::{self, Transport};
use crate::app::{self, AppProto, AppState, Dir, Progress, RecordKind};
use crate::capture::rss::LinkType;
use crate::control::Summary;
use crate::decode::frag::{FragStats, Reassembler};
use crate::decode::l4::{TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use crate::decode::{self, DecodeStats, Decoded, L4};
use crate::flow::key::{FlowKey, Side};
use crate::flow::stream::{BufPool, Consumer, StreamStats};
use crate::flow::table::{
    EndReason, Flow, FlowTable, Lookup, TableStats, Timeouts, TunnelInfo, NOT_LOOKED_UP,
};
use crate::learn::snapshot::SnapshotReader;
use crate::respond::reset::{self, Resets};
use crate::wire::Reader;
use crate::wire::Writer;
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Bytes of payload protocol detection may look at before it gives up.
const DETECT_LIMIT: usize = 2048;
/// Scratch space a parser may use during one call (TLS handshake defragmentation).
pub const SCRATCH_LEN: usize = 65536;

/// How a pipeline is sized and what it reads.
#[derive(Debug, Clone)]
pub struct PipelineConf {
    pub worker: u16,
    pub link: LinkType,
    pub flows: usize,
    pub timeouts: Timeouts,
    pub stream_buffers: usize,
    pub frag_slots: usize,
    pub frag_max: usize,
    pub frag_timeout_ns: u64,
    /// Wait for room in the record queue instead of dropping (replay).
    pub lossless: bool,
}

impl Default for PipelineConf {
    fn default() -> Self {
        PipelineConf {
            worker: 0,
            link: LinkType::Ethernet,
            flows: 65536,
            timeouts: Timeouts::default(),
            stream_buffers: 1024,
            frag_slots: 256,
            frag_max: 16384,
            frag_timeout_ns: 60_000_000_000,
            lossless: false,
        }
    }
}

/// Everything but the fragment table (split so a reassembled datagram, which borrows
/// the fragment table, can be processed by the rest).
struct Core {
    id: u16,
    table: FlowTable,
    pool: BufPool,
    stream: StreamStats,
    scratch: Box<[u8]>,
    out: RecordOut,
    summaries: Arc<ArrayQueue<Summary>>,
    summary_full: u64,
    now_ns: u64,
    /// What the network has learned (rarity), when the engine gave one.
    snapshot: Option<SnapshotReader>,
    /// The flow of the packet just processed, when response actions block it.
    blocked: Option<u32>,
}

/// A worker's per-packet pipeline.
pub struct Pipeline {
    pub id: u16,
    pub counters: Counters,
    link: LinkType,
    pub decode: DecodeStats,
    frag: Reassembler,
    core: Core,
    last_second: u64,
    /// Enforcement counters (the worker loop adds its forwarding and sending).
    pub enforce: EnforceStats,
    /// Build TCP resets for packets of blocked flows (passive mode), at most this many
    /// per flow (0: none).
    resets_per_flow: u8,
    resets: Resets,
}

impl Pipeline {
    /// A pipeline; every table and buffer it will use is allocated here.
    pub fn new(
        conf: &PipelineConf,
        summaries: Arc<ArrayQueue<Summary>>,
        records: Arc<RecordQueue>,
        stop: Arc<AtomicBool>,
    ) -> Pipeline {
        Pipeline {
            id: conf.worker,
            counters: Counters::default(),
            link: conf.link,
            decode: DecodeStats::default(),
            frag: Reassembler::new(conf.frag_slots, conf.frag_max, conf.frag_timeout_ns),
            core: Core {
                id: conf.worker,
                table: FlowTable::new(conf.flows, conf.worker, conf.timeouts),
                pool: BufPool::new(conf.stream_buffers),
                stream: StreamStats::default(),
                scratch: vec![0u8; SCRATCH_LEN].into_boxed_slice(),
                out: RecordOut::new(records, conf.lossless, stop),
                summaries,
                summary_full: 0,
                now_ns: 0,
                snapshot: None,
                blocked: None,
            },
            last_second: 0,
            enforce: EnforceStats::default(),
            resets_per_flow: 0,
            resets: Resets::default(),
        }
    }

    /// Passive mode: answer packets of blocked TCP flows with resets, at most `n` per
    /// flow (0 turns it off).
    pub fn set_resets(&mut self, n: u8) {
        self.resets_per_flow = n;
    }

    /// The resets built for the last packet, once (the worker sends them). A copy of a
    /// few hundred bytes, made only when there are resets.
    #[inline]
    pub fn take_resets(&mut self) -> Option<Resets> {
        if self.resets.count == 0 {
            return None;
        }
        let r = self.resets;
        self.resets.count = 0;
        Some(r)
    }

    /// Gives the pipeline the learned-state snapshots to consult per new flow.
    pub fn set_snapshot(&mut self, reader: SnapshotReader) {
        self.core.snapshot = Some(reader);
    }

    /// Loads the current snapshot once on the calling thread (before the hot path: the
    /// first load on a thread may allocate).
    pub fn warm_snapshot(&mut self) {
        if let Some(r) = &mut self.core.snapshot {
            r.warm();
        }
    }

    /// Takes a newer snapshot if the control plane published one: once per burst, and
    /// after an epoch wait. Allocation-free.
    #[inline]
    pub fn refresh_snapshot(&mut self) {
        if let Some(r) = &mut self.core.snapshot {
            r.refresh();
        }
    }

    /// Handles one packet: `frame` is its first segment, `len` its whole length, `ts_ns`
    /// its packet time.
    #[inline]
    /// Returns whether the packet may pass (inline mode forwards it): false for a packet
    /// of a flow the active response actions block.
    pub fn packet(&mut self, frame: &[u8], len: u32, ts_ns: u64) -> bool {
        let c = &mut self.counters;
        c.packets += 1;
        c.bytes += len as u64;
        if len as u64 > c.max_pkt_len {
            c.max_pkt_len = len as u64;
        }
        if ts_ns != 0 {
            c.last_ts_ns = ts_ns;
            if ts_ns > self.core.now_ns {
                self.core.now_ns = ts_ns;
            }
            let second = ts_ns / 1_000_000_000;
            if second != self.last_second {
                self.last_second = second;
                self.tick();
            }
        }
        let mut d = Decoded::default();
        if !decode::decode_into(frame, self.link, &mut self.decode, &mut d) {
            // Not IP (ARP and the like): a bridge passes it.
            return true;
        }
        let d = d;
        self.core.blocked = None;
        if d.ip.frag.is_some() {
            let now = self.core.now_ns;
            if let Some(dg) = self.frag.insert(&d.ip, d.l3, now) {
                if let Some(whole) = decode::decode_ip(dg, &d, &mut self.decode) {
                    self.core.process(&whole, len, ts_ns, &mut self.counters);
                }
            }
        } else {
            self.core.process(&d, len, ts_ns, &mut self.counters);
        }
        let Some(i) = self.core.blocked else {
            return true;
        };
        self.enforce.blocked_packets += 1;
        if self.resets_per_flow > 0 && d.tunnel.depth == 0 && d.ip.frag.is_none() {
            if let L4::Tcp(t) = d.l4 {
                let f = self.core.table.get_mut(i);
                // The link header: everything before the IP header in the frame.
                let off = (d.l3.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
                if f.resets < self.resets_per_flow && off <= frame.len() {
                    f.resets += 1;
                    reset::build(
                        &frame[..off],
                        d.ip.v6,
                        &d.ip.src,
                        &d.ip.dst,
                        &t,
                        d.payload.len(),
                        &mut self.resets,
                    );
                }
            }
        }
        false
    }

    /// Once per second of packet time: timeouts, fragment expiry, a clock summary.
    fn tick(&mut self) {
        let now = self.core.now_ns;
        self.core.send_summary(Summary::Clock {
            worker: self.id,
            ts_ns: now,
        });
        self.frag.expire(now);
        self.core.advance(now);
        self.counters.flows_active = self.core.table.len() as u64;
    }

    /// Advances timeouts to packet time `now_ns` seen elsewhere (an idle worker follows
    /// the dispatcher's clock).
    pub fn follow_clock(&mut self, now_ns: u64) {
        if now_ns > self.core.now_ns {
            self.core.now_ns = now_ns;
            let second = now_ns / 1_000_000_000;
            if second != self.last_second {
                self.last_second = second;
                self.tick();
            }
        }
    }

    /// Ends every flow (end of capture or stop), flushing their records without loss.
    /// Flows whose deadline has passed by `now_ns` end as timeouts, the rest as shutdown.
    pub fn shutdown(&mut self, now_ns: u64) {
        self.follow_clock(now_ns);
        let now = self.core.now_ns;
        let core = &mut self.core;
        core.out.flushing = true;
        let (table, out, pool) = (&mut core.table, &mut core.out, &mut core.pool);
        let timeouts = table.timeouts;
        table.drain(|f| {
            let reason = if f.deadline_passed(&timeouts, now) {
                EndReason::Timeout
            } else {
                EndReason::Shutdown
            };
            end_flow(f, reason, now, out, pool, true);
        });
        self.counters.flows_active = 0;
        self.sync_counters();
        let details = self.details();
        let id = self.id;
        self.core.out.send_flush(|w| {
            let h = Header {
                flow_id: id as u64,
                ..Default::default()
            };
            write_header(w, RecordKind::WorkerStats, &h, now, Dir::ToServer);
            details.write(w);
            true
        });
    }

    /// Copies the detail counters into `counters` (for publishing).
    pub fn sync_counters(&mut self) {
        let c = &mut self.counters;
        c.records = self.core.out.records;
        c.records_dropped = self.core.out.dropped;
        c.queue_full = self.core.summary_full;
        c.flows_active = self.core.table.len() as u64;
    }

    /// Detail counters for the final report.
    pub fn details(&self) -> Details {
        Details {
            decode: self.decode,
            frag: self.frag.stats,
            table: self.core.table.stats,
            stream: self.core.stream,
            stream_buffers_exhausted: self.core.pool.exhausted,
            records_truncated: self.core.out.truncated,
            enforce: self.enforce,
        }
    }
}

/// A worker's detail counters, sent to the control plane as a `WorkerStats` record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Details {
    pub decode: DecodeStats,
    pub frag: FragStats,
    pub table: TableStats,
    pub stream: StreamStats,
    pub stream_buffers_exhausted: u64,
    pub records_truncated: u64,
    pub enforce: EnforceStats,
}

/// What enforcement did on a worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnforceStats {
    /// Packets of blocked flows (not forwarded inline; answered with resets passive).
    pub blocked_packets: u64,
    /// Packets forwarded to the peer port, and those the TX queue refused.
    pub forwarded: u64,
    pub forward_dropped: u64,
    /// Reset segments sent, and those that found no mbuf or no room.
    pub resets_sent: u64,
    pub resets_dropped: u64,
}

impl Details {
    /// Every counter with its name (Suricata's `stats.decoder` names first).
    pub fn fields(&self) -> [(&'static str, u64); 50] {
        let d = &self.decode;
        [
            ("decoder.ethernet", d.ethernet),
            ("decoder.null", d.null),
            ("decoder.raw", d.raw),
            ("decoder.sll", d.sll),
            ("decoder.sll2", d.sll2),
            ("decoder.vlan", d.vlan),
            ("decoder.vlan_qinq", d.vlan_qinq),
            ("decoder.vlan_qinqinq", d.vlan_qinqinq),
            ("decoder.mpls", d.mpls),
            ("decoder.arp", d.arp),
            ("decoder.ipv4", d.ipv4),
            ("decoder.ipv6", d.ipv6),
            ("decoder.tcp", d.tcp),
            ("decoder.udp", d.udp),
            ("decoder.icmpv4", d.icmpv4),
            ("decoder.icmpv6", d.icmpv6),
            ("decoder.sctp", d.sctp),
            ("decoder.gre", d.gre),
            ("decoder.erspan", d.erspan),
            ("decoder.vxlan", d.vxlan),
            ("decoder.geneve", d.geneve),
            ("decoder.teredo", d.teredo),
            ("decoder.ipv4_in_ipv4", d.ipv4_in_ipv4),
            ("decoder.ipv6_in_ipv4", d.ipv6_in_ipv4),
            ("decoder.ipv4_in_ipv6", d.ipv4_in_ipv6),
            ("decoder.ipv6_in_ipv6", d.ipv6_in_ipv6),
            ("decoder.invalid", d.invalid),
            ("decoder.unknown_ethertype", d.unknown_ethertype),
            ("decoder.too_many_layers", d.too_many_layers),
            ("defrag.fragments", self.frag.fragments),
            ("defrag.reassembled", self.frag.reassembled),
            ("defrag.overlaps", self.frag.overlaps),
            ("defrag.timeouts", self.frag.timeouts),
            ("defrag.evicted", self.frag.evicted),
            ("defrag.too_large", self.frag.too_large),
            ("flow.created", self.table.created),
            ("flow.timeout", self.table.ended_timeout),
            ("flow.evicted", self.table.evicted),
            ("stream.retransmitted_bytes", self.stream.retransmitted),
            ("stream.reordered", self.stream.reordered),
            ("stream.gaps", self.stream.gaps),
            ("stream.overflows", self.stream.overflows),
            ("stream.no_buffer", self.stream.no_buffer),
            ("stream.buffers_exhausted", self.stream_buffers_exhausted),
            ("records.truncated", self.records_truncated),
            ("response.blocked_packets", self.enforce.blocked_packets),
            ("response.forwarded", self.enforce.forwarded),
            ("response.forward_dropped", self.enforce.forward_dropped),
            ("response.resets_sent", self.enforce.resets_sent),
            ("response.resets_dropped", self.enforce.resets_dropped),
        ]
    }

    /// Writes the counters as a record body.
    pub fn write(&self, w: &mut Writer<'_>) {
        let f = self.fields();
        w.u16(f.len() as u16);
        for (_, v) in f {
            w.u64(v);
        }
    }

    /// Reads a body written by [`Details::write`] into (name, value) pairs.
    pub fn read(r: &mut Reader<'_>) -> Option<Vec<(&'static str, u64)>> {
        let names = Details::default().fields();
        let n = r.u16()? as usize;
        let mut out = Vec::with_capacity(n);
        for (name, _) in names.iter().take(n) {
            out.push((*name, r.u64()?));
        }
        Some(out)
    }
}

impl Flow {
    /// Whether the flow would have timed out by `now_ns`.
    pub fn deadline_passed(&self, t: &Timeouts, now_ns: u64) -> bool {
        self.deadline_sec(t) <= now_ns / 1_000_000_000
    }
}

impl Core {
    #[inline]
    fn send_summary(&mut self, s: Summary) {
        if self.summaries.push(s).is_err() {
            self.summary_full += 1;
        }
    }

    fn advance(&mut self, now: u64) {
        let (out, pool) = (&mut self.out, &mut self.pool);
        self.table.advance(now, |f| {
            end_flow(f, EndReason::Timeout, now, out, pool, false)
        });
    }

    #[inline]
    fn process(&mut self, d: &Decoded<'_>, len: u32, ts_ns: u64, c: &mut Counters) {
        if d.tunnel.depth > 0 {
            self.outer(d, len, ts_ns, c);
        }
        let (key, side) = FlowKey::of(d);
        let now = if ts_ns != 0 { ts_ns } else { self.now_ns };
        let (out, pool) = (&mut self.out, &mut self.pool);
        let i = match self.table.lookup(&key, now, |victim| {
            end_flow(victim, EndReason::Forced, now, out, pool, false)
        }) {
            Lookup::Found(i) => {
                let f = self.table.get(i);
                // A new SYN on a finished connection is the port being reused.
                let reused = matches!(d.l4, L4::Tcp(t) if t.flags & (TCP_SYN | TCP_ACK) == TCP_SYN)
                    && f.tcp.is_closed();
                if reused || f.deadline_passed(&self.table.timeouts, now) {
                    // The old flow timed out before this packet: end it, start anew.
                    self.out
                        .send(|w| write_flow_end(w, f, EndReason::Timeout, now));
                    self.table.remove(i);
                    match self.table.lookup(&key, now, |_| {}) {
                        Lookup::Created(j) => self.new_flow(j, d, side, c),
                        Lookup::Found(j) => j,
                    }
                } else {
                    i
                }
            }
            Lookup::Created(i) => self.new_flow(i, d, side, c),
        };
        let f = self.table.get_mut(i);
        if let Some(r) = &self.snapshot {
            // The verdict changes only with a new snapshot: decided once per flow and
            // publication, not per packet.
            let snap = r.get();
            if f.verdict_gen != snap.generation {
                f.verdict_gen = snap.generation;
                f.blocked = !snap.blocks.is_empty() && {
                    let h = Header::of(f);
                    snap.blocks
                        .verdict(
                            &h.client,
                            &h.server,
                            h.v6,
                            h.sport,
                            &snap.pairs,
                            r.internal(),
                        )
                        .is_some()
                };
            }
            if f.blocked {
                self.blocked = Some(i);
            }
        }
        let from_lo = side == Side::Lo;
        let dir = if from_lo == f.client_lo {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let e = dir.index();
        f.pkts[e] += 1;
        // Inside a tunnel, Suricata counts the inner packet, not the outer frame.
        f.bytes[e] += if d.inner_len > 0 {
            d.inner_len as u64
        } else {
            len as u64
        };
        f.ip_bytes[e] += d.ip.len as u64;
        f.payload_bytes[e] += d.payload.len() as u64;
        if now > f.last_ns {
            f.last_ns = now;
        }
        match d.l4 {
            L4::Tcp(t) => {
                let closed_before = f.tcp.is_closed();
                f.tcp.segment(e, &t, d.payload.len());
                if t.flags & TCP_SYN != 0 {
                    // The latest SYN's ISN starts this direction; a SYN-ACK's ack says
                    // where the peer's data starts (whichever of its SYNs it answered).
                    f.stream[e].restart(t.seq.wrapping_add(1), &mut self.pool);
                    if t.flags & TCP_ACK != 0 {
                        f.stream[1 - e].restart(t.ack, &mut self.pool);
                    }
                }
                let closed_now = f.tcp.is_closed();
                if !d.payload.is_empty() && f.app != AppProto::Failed {
                    let seq = if t.flags & TCP_SYN != 0 {
                        t.seq.wrapping_add(1)
                    } else {
                        t.seq
                    };
                    let header = Header::of(f);
                    let Flow {
                        stream,
                        app,
                        app_state,
                        detect_bytes,
                        ..
                    } = f;
                    let mut feed = AppFeed {
                        app,
                        state: app_state,
                        detect_bytes,
                        dir,
                        sink: FlowSink {
                            out: &mut self.out,
                            header: &header,
                            ts_ns: now,
                            dir,
                        },
                        scratch: &mut self.scratch,
                    };
                    stream[e].segment(seq, d.payload, &mut self.pool, &mut self.stream, &mut feed);
                    if *app == AppProto::Failed {
                        for s in stream.iter_mut() {
                            s.finish(&mut self.pool);
                        }
                    }
                }
                if t.flags & (TCP_FIN | TCP_RST) != 0 {
                    // The sender will send no more: a body running to the end of the
                    // connection is complete (a RST ends both directions).
                    let f = self.table.get_mut(i);
                    close_app(f, dir, &mut self.out, now);
                    if t.flags & TCP_RST != 0 {
                        close_app(f, dir.flip(), &mut self.out, now);
                    }
                    if closed_now && !closed_before {
                        // Closed flows time out sooner: file the flow under its new deadline.
                        for s in f.stream.iter_mut() {
                            s.finish(&mut self.pool);
                        }
                        self.table.touch_deadline(i);
                    }
                }
            }
            L4::Udp(_) => {
                if d.payload.is_empty() {
                    return;
                }
                f.tcp.note_data(e);
                if f.app == AppProto::Unknown {
                    f.app = match detect::detect(Transport::Udp, dir, d.payload) {
                        AppProto::Unknown => AppProto::Failed,
                        p => p,
                    };
                    if f.app == AppProto::Quic {
                        f.app_state = AppState::Quic(Default::default());
                    }
                }
                let header = Header::of(f);
                let mut sink = FlowSink {
                    out: &mut self.out,
                    header: &header,
                    ts_ns: now,
                    dir,
                };
                match (&mut f.app, &mut f.app_state) {
                    (AppProto::Dns, _) => {
                        app::dns::datagram(dir, d.payload, &mut sink);
                    }
                    (AppProto::Dhcp, _) => {
                        app::dhcp::datagram(dir, d.payload, &mut sink);
                    }
                    (AppProto::Quic, AppState::Quic(q)) => {
                        q.datagram(dir, d.payload, &mut sink);
                    }
                    _ => {}
                }
            }
            L4::Icmp(ic) => {
                if !f.icmp_seen[e] {
                    f.icmp_seen[e] = true;
                    f.icmp[e] = (ic.typ, ic.code);
                }
            }
            L4::Other => {}
        }
    }

    /// Counts a tunnelled packet on the tunnel's own flow (the outer UDP or GRE flow),
    /// as Suricata and Zeek both report it; no application parsing happens there.
    #[inline]
    fn outer(&mut self, d: &Decoded<'_>, len: u32, ts_ns: u64, c: &mut Counters) {
        let t = &d.tunnel;
        let mut o = *d;
        o.ip = t.outer;
        o.l4 = t.outer_l4;
        o.vlan_count = t.outer_vlan_count;
        for v in o.vlans.iter_mut().skip(t.outer_vlan_count as usize) {
            *v = 0;
        }
        o.tunnel = Default::default();
        o.inner_len = 0;
        let (key, side) = FlowKey::of(&o);
        let now = if ts_ns != 0 { ts_ns } else { self.now_ns };
        let (out, pool) = (&mut self.out, &mut self.pool);
        let i = match self.table.lookup(&key, now, |victim| {
            end_flow(victim, EndReason::Forced, now, out, pool, false)
        }) {
            Lookup::Found(i) => i,
            Lookup::Created(i) => {
                let i = self.new_flow(i, &o, side, c);
                self.table.get_mut(i).app = AppProto::Failed;
                i
            }
        };
        let f = self.table.get_mut(i);
        let dir = if (side == Side::Lo) == f.client_lo {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        let e = dir.index();
        f.pkts[e] += 1;
        f.bytes[e] += len as u64;
        f.ip_bytes[e] += t.outer.len as u64;
        if let L4::Udp(u) = t.outer_l4 {
            let payload = (u.len as u64).saturating_sub(8);
            f.payload_bytes[e] += payload;
            if payload > 0 {
                f.tcp.note_data(e);
            }
        }
        if now > f.last_ns {
            f.last_ns = now;
        }
    }

    /// Fills in a flow just created by the packet `d` whose source is on `side`.
    #[cold]
    fn new_flow(&mut self, i: u32, d: &Decoded<'_>, side: Side, c: &mut Counters) -> u32 {
        c.flows += 1;
        let f = self.table.get_mut(i);
        let mut client_lo = side == Side::Lo;
        if let L4::Tcp(t) = d.l4 {
            // A SYN-ACK first: its receiver opened the connection (Zeek flips it).
            if t.flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK {
                client_lo = !client_lo;
                f.tcp.set_flipped();
            }
        }
        f.client_lo = client_lo;
        f.vlans = d.vlans;
        f.vlan_count = d.vlan_count;
        if d.tunnel.depth > 0 {
            let o = &d.tunnel.outer;
            f.tunnel = TunnelInfo {
                kind: d.tunnel.kind,
                depth: d.tunnel.depth,
                v6: o.v6,
                proto: o.proto,
                src: o.src,
                dst: o.dst,
            };
        }
        if let Some(r) = &self.snapshot {
            let h = Header::of(f);
            let internal = r.internal();
            let snap = r.get();
            f.verdict_gen = snap.generation;
            f.blocked = !snap.blocks.is_empty()
                && snap
                    .blocks
                    .verdict(&h.client, &h.server, h.v6, h.sport, &snap.pairs, internal)
                    .is_some();
            if internal.contains(&h.client, h.v6) && !internal.contains(&h.server, h.v6) {
                // A device opened a flow to an external address: how rare is it, and has
                // this device reached it before? A first contact goes to the control plane
                // (not for a blocked flow: what is blocked does not become usual).
                let devices = snap.addr(&h.server, h.v6).map_or(0, |a| a.devices);
                f.endpoint_devices = devices.min(NOT_LOOKED_UP - 1);
                if !f.blocked && !snap.knows_pair(&h.client, &h.server, h.v6) {
                    f.first_contact = true;
                    let ts = f.first_ns;
                    self.out.send(|w| {
                        write_header(w, RecordKind::Contact, &h, ts, Dir::ToServer);
                        w.u16(devices);
                        true
                    });
                }
            }
        }
        let key = f.key;
        let ts = f.first_ns;
        let id = self.id;
        self.send_summary(Summary::NewFlow {
            worker: id,
            key,
            ts_ns: ts,
        });
        i
    }
}

/// Feeds one direction's in-order bytes to the flow's protocol parser, detecting the
/// protocol first.
struct AppFeed<'a> {
    app: &'a mut AppProto,
    state: &'a mut AppState,
    detect_bytes: &'a mut u16,
    dir: Dir,
    sink: FlowSink<'a>,
    scratch: &'a mut [u8],
}

impl Consumer for AppFeed<'_> {
    #[inline]
    fn data(&mut self, data: &[u8]) -> Progress {
        if *self.app == AppProto::Unknown {
            match detect::detect(Transport::Tcp, self.dir, data) {
                AppProto::Unknown => {
                    *self.detect_bytes = data.len().min(u16::MAX as usize) as u16;
                    if data.len() >= DETECT_LIMIT {
                        *self.app = AppProto::Failed;
                        return Progress::Done;
                    }
                    return Progress::Consumed(0);
                }
                AppProto::Failed => {
                    *self.app = AppProto::Failed;
                    return Progress::Done;
                }
                p => {
                    *self.app = p;
                    *self.state = match p {
                        AppProto::Http => AppState::Http(Default::default()),
                        AppProto::Tls => AppState::Tls(Default::default()),
                        AppProto::Dns => AppState::DnsTcp(Default::default()),
                        AppProto::Ssh => AppState::Ssh(Default::default()),
                        _ => AppState::None,
                    };
                }
            }
        }
        let dir = self.dir;
        match self.state {
            AppState::Http(s) => s.data(dir, data, &mut self.sink),
            AppState::Tls(s) => s.data(dir, data, self.scratch, &mut self.sink),
            AppState::DnsTcp(s) => s.data(dir, data, &mut self.sink),
            AppState::Ssh(s) => s.data(dir, data, &mut self.sink),
            _ => Progress::Done,
        }
    }

    fn gap(&mut self) {
        let dir = self.dir;
        match self.state {
            AppState::Http(s) => s.gap(dir),
            AppState::Tls(s) => s.gap(dir),
            AppState::DnsTcp(s) => s.gap(dir),
            _ => {}
        }
    }
}

/// Tells the flow's parser that direction `dir` has ended (HTTP bodies that run to the
/// end of the connection are complete then).
#[inline]
fn close_app(f: &mut Flow, dir: Dir, out: &mut RecordOut, now: u64) {
    if let AppState::Http(_) = f.app_state {
        let header = Header::of(f);
        if let AppState::Http(h) = &mut f.app_state {
            let mut sink = FlowSink {
                out,
                header: &header,
                ts_ns: now,
                dir,
            };
            h.close(dir, &mut sink);
        }
    }
}

/// Ends a flow: closes its parsers, gives its stream buffers back, and sends its flow
/// record (waiting for room when `flush`, at shutdown).
fn end_flow(
    f: &mut Flow,
    reason: EndReason,
    now: u64,
    out: &mut RecordOut,
    pool: &mut BufPool,
    flush: bool,
) {
    let last = f.last_ns;
    close_app(f, Dir::ToServer, out, last);
    close_app(f, Dir::ToClient, out, last);
    for s in f.stream.iter_mut() {
        s.finish(pool);
    }
    if flush {
        out.send_flush(|w| write_flow_end(w, f, reason, now));
    } else {
        out.send(|w| write_flow_end(w, f, reason, now));
    }
}

/// Writes a flow's end record; `now` is the worker's packet time as it ends the flow.
pub fn write_flow_end(w: &mut Writer<'_>, f: &Flow, reason: EndReason, now: u64) -> bool {
    let h = Header::of(f);
    write_header(w, RecordKind::Flow, &h, f.last_ns, Dir::ToServer);
    w.u64(f.first_ns);
    w.u64(f.last_ns);
    for e in 0..2 {
        w.u32(f.pkts[e]);
        w.u64(f.bytes[e]);
        w.u64(f.ip_bytes[e]);
        let payload = if f.key.proto == 6 {
            f.tcp.size(e)
        } else {
            f.payload_bytes[e]
        };
        w.u64(payload);
    }
    w.u8(reason as u8);
    if f.key.proto == 6 {
        w.u8(f.tcp.flags[0]);
        w.u8(f.tcp.flags[1]);
        w.bytes(f.tcp.flow_state().as_bytes());
        w.bytes(f.tcp.stream_state().as_bytes());
        w.bytes(f.tcp.conn_state().as_bytes());
        w.bytes(f.tcp.history());
    } else {
        w.u8(0);
        w.u8(0);
        let state = if f.both_ways() { "established" } else { "new" };
        w.bytes(state.as_bytes());
        w.bytes(b"");
        let conn = match (f.pkts[0] > 0, f.pkts[1] > 0) {
            _ if f.key.proto != 17 => "OTH",
            (true, true) => "SF",
            (true, false) => "S0",
            (false, true) => "SHR",
            _ => "OTH",
        };
        w.bytes(conn.as_bytes());
        w.bytes(f.tcp.history());
    }
    w.bool(f.icmp_seen[0]);
    w.u8(f.icmp[0].0);
    w.u8(f.icmp[0].1);
    w.bool(f.icmp_seen[1]);
    w.u8(f.icmp[1].0);
    w.u8(f.icmp[1].1);
    w.u16(f.endpoint_devices);
    w.bool(f.first_contact);
    w.u64(now);
    w.bool(f.blocked);
    true
}
