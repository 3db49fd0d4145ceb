//! Shared helpers for the application-layer tests (`app_dns`, `app_http`, `app_detect`,
//! `app_zero_alloc`): read a capture (pcap or pcapng), strip link, VLAN, IP and tunnel
//! headers (GRE, VXLAN, Teredo, IP-in-IP), reassemble IPv4 and IPv6 fragments, and each TCP direction (naively: by sequence number, duplicates dropped), feed the
//! worker halves honouring `Progress` exactly as the stream layer will, run the trackers,
//! wrap EVE bodies in an envelope and validate them against Suricata's schema. Test-only
//! code: it allocates freely.

#![allow(dead_code)]

use etherparse::{LaxNetSlice, LaxSlicedPacket};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use vigil::app::{Dir, EveBody, Progress, RecordCtx, RecordKind, Sink, Tracker, VecSink};
use vigil::wire::Reader;

/// The stream layer's buffer limit per direction.
pub const STREAM_BUF_MAX: usize = 16384;

/// The shared captures folder, if present.
pub fn shared_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/pcaps");
    p.is_dir().then_some(p)
}

/// A shared capture by relative path, or `None` (the test then skips, saying so).
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = shared_dir()?.join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} not found", p.display());
        None
    }
}

/// This repository's own test data.
pub fn own(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/app")
        .join(rel)
}

/// Raw frames: (link type, bytes, timestamp ns).
pub fn frames(path: &std::path::Path) -> Vec<(u32, Vec<u8>, u64)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).expect("pcapng");
        let mut links: Vec<u32> = Vec::new();
        while let Some(Ok(block)) = r.next_block() {
            match block {
                pcap_file::pcapng::Block::InterfaceDescription(idb) => {
                    links.push(u32::from(idb.linktype))
                }
                pcap_file::pcapng::Block::EnhancedPacket(epb) => {
                    let lt = links.get(epb.interface_id as usize).copied().unwrap_or(1);
                    out.push((lt, epb.data.into_owned(), epb.timestamp.as_nanos() as u64));
                }
                _ => {}
            }
        }
    } else {
        let mut r = pcap_file::pcap::PcapReader::new(&bytes[..]).expect("pcap");
        let lt = u32::from(r.header().datalink);
        while let Some(Ok(p)) = r.next_packet() {
            out.push((lt, p.data.into_owned(), p.timestamp.as_nanos() as u64));
        }
    }
    out
}

/// TCP header fields the reassembly needs.
#[derive(Debug, Clone, Copy)]
pub struct Tcp {
    pub seq: u32,
    pub ack_no: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// One decoded TCP or UDP packet (innermost headers).
#[derive(Debug, Clone)]
pub struct Packet {
    /// 1-based index in the capture (Suricata's `pcap_cnt`).
    pub pcap_cnt: usize,
    pub ts_ns: u64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// 6 or 17.
    pub proto: u8,
    pub tcp: Option<Tcp>,
    pub payload: Vec<u8>,
}

/// Strips the link layer: the IP packet inside.
fn link_to_ip(lt: u32, f: &[u8]) -> Option<&[u8]> {
    match lt {
        1 => ether_to_ip(f),
        0 | 108 => f.get(4..),
        12 | 14 | 101 | 228 | 229 => Some(f),
        113 => {
            let proto = u16::from_be_bytes([*f.get(14)?, *f.get(15)?]);
            ether_payload(proto, f.get(16..)?)
        }
        276 => {
            let proto = u16::from_be_bytes([*f.first()?, *f.get(1)?]);
            ether_payload(proto, f.get(20..)?)
        }
        _ => None,
    }
}

fn ether_to_ip(f: &[u8]) -> Option<&[u8]> {
    let t = u16::from_be_bytes([*f.get(12)?, *f.get(13)?]);
    ether_payload(t, f.get(14..)?)
}

fn ether_payload(mut t: u16, mut p: &[u8]) -> Option<&[u8]> {
    loop {
        match t {
            0x8100 | 0x88A8 | 0x9100 => {
                t = u16::from_be_bytes([*p.get(2)?, *p.get(3)?]);
                p = p.get(4..)?;
            }
            0x8847 => {
                // MPLS: pop labels to the bottom of the stack.
                loop {
                    let bos = p.get(2)? & 1;
                    p = p.get(4..)?;
                    if bos == 1 {
                        break;
                    }
                }
                return Some(p);
            }
            0x8864 => {
                let ppp = u16::from_be_bytes([*p.get(6)?, *p.get(7)?]);
                if ppp != 0x0021 && ppp != 0x0057 {
                    return None;
                }
                return p.get(8..);
            }
            0x0800 | 0x86DD => return Some(p),
            _ => return None,
        }
    }
}

/// Fragments waiting for the rest: key (src, dst, id, proto) -> (offset, more, bytes).
type FragKey = (IpAddr, IpAddr, u32, u8);

struct Decoder {
    frags: HashMap<FragKey, Vec<(usize, bool, Vec<u8>)>>,
    out: Vec<Packet>,
    undecodable: usize,
}

/// The fragment fields of an IP packet: (id, protocol, offset, more, payload).
fn frag_fields(ip: &[u8]) -> Option<(u32, u8, usize, bool, &[u8])> {
    match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0F) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let id = u32::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let fo = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            let body = ip.get(ihl..total.min(ip.len()))?;
            Some((
                id,
                *ip.get(9)?,
                usize::from(fo & 0x1FFF) * 8,
                fo & 0x2000 != 0,
                body,
            ))
        }
        6 => {
            let plen = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let end = (40 + plen).min(ip.len());
            let mut next = *ip.get(6)?;
            let mut off = 40usize;
            loop {
                match next {
                    0 | 43 | 60 => {
                        let l = (usize::from(*ip.get(off + 1)?) + 1) * 8;
                        next = *ip.get(off)?;
                        off += l;
                    }
                    44 => {
                        let h = ip.get(off..off + 8)?;
                        let fo = u16::from_be_bytes([h[2], h[3]]);
                        let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                        let body = ip.get(off + 8..end)?;
                        return Some((id, h[0], usize::from(fo & 0xFFF8), fo & 1 != 0, body));
                    }
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

impl Decoder {
    /// Adds a fragment; the whole payload and its protocol once every piece is in.
    fn fragment(&mut self, ip: &[u8], src: IpAddr, dst: IpAddr) -> Option<(u8, Vec<u8>)> {
        let Some((id, proto, offset, more, body)) = frag_fields(ip) else {
            self.undecodable += 1;
            return None;
        };
        let key = (src, dst, id, proto);
        let list = self.frags.entry(key).or_default();
        list.push((offset, more, body.to_vec()));
        list.sort_by_key(|f| f.0);
        let mut whole = Vec::new();
        for (o, m, b) in list.iter() {
            if *o > whole.len() {
                return None;
            }
            let skip = whole.len() - o;
            if skip < b.len() {
                whole.extend_from_slice(&b[skip..]);
            }
            if !m {
                self.frags.remove(&key);
                return Some((proto, whole));
            }
        }
        None
    }

    fn ip(&mut self, ip: &[u8], cnt: usize, ts: u64, depth: usize) {
        if depth > 4 {
            return;
        }
        let Ok(lax) = LaxSlicedPacket::from_ip(ip) else {
            self.undecodable += 1;
            return;
        };
        let (src, dst) = match &lax.net {
            Some(LaxNetSlice::Ipv4(v4)) => (
                IpAddr::V4(v4.header().source_addr()),
                IpAddr::V4(v4.header().destination_addr()),
            ),
            Some(LaxNetSlice::Ipv6(v6)) => (
                IpAddr::V6(v6.header().source_addr()),
                IpAddr::V6(v6.header().destination_addr()),
            ),
            None => return,
        };
        let Some(pl) = lax.ip_payload() else {
            return;
        };
        let (proto, payload) = if pl.fragmented {
            // etherparse 0.16's pool mis-tracks IPv6 fragment ends (ConflictingEnd on
            // ipv6-fragmented-dns), so fragments are put together here.
            match self.fragment(ip, src, dst) {
                Some(v) => v,
                None => return,
            }
        } else {
            (pl.ip_number.0, pl.payload.to_vec())
        };
        self.transport(src, dst, proto, &payload, cnt, ts, depth);
    }

    #[allow(clippy::too_many_arguments)]
    fn transport(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        p: &[u8],
        cnt: usize,
        ts: u64,
        depth: usize,
    ) {
        match proto {
            4 | 41 => self.ip(p, cnt, ts, depth + 1),
            47 => {
                // GRE: flags/version, protocol, optional checksum, key, sequence.
                if p.len() < 4 {
                    return;
                }
                let flags = p[0];
                let version = p[1] & 7;
                let t = u16::from_be_bytes([p[2], p[3]]);
                let mut off = 4;
                if flags & 0x80 != 0 {
                    off += 4;
                }
                if flags & 0x20 != 0 {
                    off += 4;
                }
                if flags & 0x10 != 0 {
                    off += 4;
                }
                if version == 1 && p[1] & 0x80 != 0 {
                    off += 4; // enhanced GRE acknowledgment
                }
                let Some(inner) = p.get(off..) else { return };
                match t {
                    0x0800 | 0x86DD => self.ip(inner, cnt, ts, depth + 1),
                    0x6558 => {
                        if let Some(ip) = ether_to_ip(inner) {
                            self.ip(ip, cnt, ts, depth + 1)
                        }
                    }
                    0x880B if inner.len() > 4 => {
                        // PPP in enhanced GRE: address/control, protocol.
                        let (hdr, proto) = if inner[0] == 0xFF {
                            (4, u16::from_be_bytes([inner[2], inner[3]]))
                        } else {
                            (2, u16::from_be_bytes([inner[0], inner[1]]))
                        };
                        if proto == 0x0021 || proto == 0x0057 {
                            self.ip(&inner[hdr..], cnt, ts, depth + 1);
                        }
                    }
                    _ => {}
                }
            }
            6 => {
                if p.len() < 20 {
                    return;
                }
                let hl = ((p[12] >> 4) as usize) * 4;
                let fl = p[13];
                let tcp = Tcp {
                    seq: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                    ack_no: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
                    fin: fl & 0x01 != 0,
                    syn: fl & 0x02 != 0,
                    rst: fl & 0x04 != 0,
                    ack: fl & 0x10 != 0,
                };
                self.out.push(Packet {
                    pcap_cnt: cnt,
                    ts_ns: ts,
                    src,
                    dst,
                    sport: u16::from_be_bytes([p[0], p[1]]),
                    dport: u16::from_be_bytes([p[2], p[3]]),
                    proto: 6,
                    tcp: Some(tcp),
                    payload: p.get(hl.max(20)..).unwrap_or(&[]).to_vec(),
                });
            }
            17 => {
                if p.len() < 8 {
                    return;
                }
                let sport = u16::from_be_bytes([p[0], p[1]]);
                let dport = u16::from_be_bytes([p[2], p[3]]);
                let ulen = u16::from_be_bytes([p[4], p[5]]) as usize;
                let end = if ulen >= 8 {
                    ulen.min(p.len())
                } else {
                    p.len()
                };
                let payload = &p[8..end];
                if (sport == 4789 || dport == 4789) && payload.len() > 8 {
                    if let Some(ip) = ether_to_ip(&payload[8..]) {
                        return self.ip(ip, cnt, ts, depth + 1);
                    }
                }
                {
                    // Teredo (any port: relays use others than 3544): optional
                    // authentication and origin indicators, then an IPv6 packet that
                    // fills the datagram exactly.
                    let mut q = payload;
                    if q.len() >= 4 && q[0] == 0 && q[1] == 1 {
                        let skip = 4 + q[2] as usize + q[3] as usize + 9;
                        q = q.get(skip..).unwrap_or(&[]);
                    }
                    if q.len() >= 8 && q[0] == 0 && q[1] == 0 {
                        q = &q[8..];
                    }
                    if q.len() >= 40
                        && q[0] >> 4 == 6
                        && usize::from(u16::from_be_bytes([q[4], q[5]])) + 40 == q.len()
                    {
                        return self.ip(q, cnt, ts, depth + 1);
                    }
                }
                self.out.push(Packet {
                    pcap_cnt: cnt,
                    ts_ns: ts,
                    src,
                    dst,
                    sport,
                    dport,
                    proto: 17,
                    tcp: None,
                    payload: payload.to_vec(),
                });
            }
            _ => {}
        }
    }
}

/// Every TCP and UDP packet of a capture, innermost headers, fragments reassembled.
pub fn packets(path: &std::path::Path) -> Vec<Packet> {
    let mut d = Decoder {
        frags: HashMap::new(),
        out: Vec::new(),
        undecodable: 0,
    };
    for (i, (lt, f, ts)) in frames(path).iter().enumerate() {
        if let Some(ip) = link_to_ip(*lt, f) {
            d.ip(ip, i + 1, *ts, 0);
        }
    }
    d.out
}

/// A flow: client (the side that opened it) and server, its packets in capture order.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: u64,
    pub proto: u8,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// Indices into the packet list.
    pub packets: Vec<usize>,
}

impl Flow {
    /// Which way `p` goes.
    pub fn dir(&self, p: &Packet) -> Dir {
        if (p.src, p.sport) == self.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        }
    }
}

/// Groups packets into flows (in order of first packet). The client of a TCP flow is the
/// sender of a SYN (or the receiver of a SYN-ACK), else the first sender; of a UDP flow,
/// the first sender.
pub fn flows(pkts: &[Packet]) -> Vec<Flow> {
    type Key = (u8, (IpAddr, u16), (IpAddr, u16));
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut out: Vec<Flow> = Vec::new();
    for (i, p) in pkts.iter().enumerate() {
        let a = (p.src, p.sport);
        let b = (p.dst, p.dport);
        let key = if a <= b {
            (p.proto, a, b)
        } else {
            (p.proto, b, a)
        };
        let n = *index.entry(key).or_insert_with(|| {
            out.push(Flow {
                id: out.len() as u64 + 1,
                proto: p.proto,
                client: a,
                server: b,
                packets: Vec::new(),
            });
            out.len() - 1
        });
        out[n].packets.push(i);
    }
    for f in out.iter_mut().filter(|f| f.proto == 6) {
        let opener = f.packets.iter().find_map(|&i| {
            let p = &pkts[i];
            let t = p.tcp?;
            match (t.syn, t.ack) {
                (true, false) => Some(((p.src, p.sport), (p.dst, p.dport))),
                (true, true) => Some(((p.dst, p.dport), (p.src, p.sport))),
                _ => None,
            }
        });
        if let Some((c, s)) = opener {
            f.client = c;
            f.server = s;
        }
    }
    out
}

/// One delivery to a stream parser.
#[derive(Debug, Clone)]
pub enum Seg {
    /// In-order bytes of a direction, with the packet that completed them.
    Data(Dir, Vec<u8>, usize, u64),
    /// Bytes of a direction are missing here.
    Gap(Dir),
}

/// Both directions of a TCP flow reassembled (by sequence number, duplicates and
/// overlaps dropped), merged in the order the bytes became available.
pub fn tcp_stream(flow: &Flow, pkts: &[Packet]) -> Vec<Seg> {
    let mut timed: Vec<(usize, usize, Seg)> = Vec::new();
    for dir in [Dir::ToServer, Dir::ToClient] {
        let ps: Vec<&Packet> = flow
            .packets
            .iter()
            .map(|&i| &pkts[i])
            .filter(|p| flow.dir(p) == dir)
            .collect();
        // The initial sequence number: what the other side's SYN-ACK acknowledges (a
        // client may send many SYNs with different ISNs), else this side's SYN(-ACK),
        // else the first data.
        let synack = flow
            .packets
            .iter()
            .map(|&i| &pkts[i])
            .find(|p| p.tcp.is_some_and(|t| t.syn && t.ack) && flow.dir(p) == Dir::ToClient);
        let base = match (dir, synack) {
            (Dir::ToServer, Some(sa)) => Some(sa.tcp.unwrap().ack_no),
            (Dir::ToClient, Some(sa)) => Some(sa.tcp.unwrap().seq.wrapping_add(1)),
            _ => ps
                .iter()
                .find(|p| p.tcp.is_some_and(|t| t.syn))
                .map(|p| p.tcp.unwrap().seq.wrapping_add(1)),
        };
        let Some(base) = base.or_else(|| {
            ps.iter()
                .find(|p| !p.payload.is_empty())
                .map(|p| p.tcp.unwrap().seq)
        }) else {
            continue;
        };
        let mut segs: Vec<(i64, usize, u64, &[u8])> = ps
            .iter()
            .filter(|p| !p.payload.is_empty())
            .map(|p| {
                let rel = p.tcp.unwrap().seq.wrapping_sub(base) as i32 as i64;
                (rel, p.pcap_cnt, p.ts_ns, p.payload.as_slice())
            })
            .filter(|s| s.0 >= 0)
            .collect();
        segs.sort_by_key(|s| (s.0, s.1));
        let mut next = 0i64;
        let mut avail = 0usize;
        for (rel, cnt, ts, data) in segs {
            let end = rel + data.len() as i64;
            if end <= next {
                continue;
            }
            avail = avail.max(cnt);
            if rel > next {
                timed.push((avail, dir.index(), Seg::Gap(dir)));
                next = rel;
            }
            let bytes = data[(next - rel) as usize..].to_vec();
            next = end;
            timed.push((avail, dir.index(), Seg::Data(dir, bytes, cnt, ts)));
        }
    }
    timed.sort_by_key(|t| (t.0, t.1));
    timed.into_iter().map(|t| t.2).collect()
}

/// A stream parser as the stream layer drives it.
pub trait StreamParser {
    fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress;
    fn gap(&mut self, dir: Dir);
    fn close(&mut self, _dir: Dir, _sink: &mut dyn Sink) {}
}

impl StreamParser for vigil::app::http::HttpState {
    fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        vigil::app::http::HttpState::data(self, dir, data, sink)
    }
    fn gap(&mut self, dir: Dir) {
        vigil::app::http::HttpState::gap(self, dir)
    }
    fn close(&mut self, dir: Dir, sink: &mut dyn Sink) {
        vigil::app::http::HttpState::close(self, dir, sink)
    }
}

impl StreamParser for vigil::app::dns::DnsTcpState {
    fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        vigil::app::dns::DnsTcpState::data(self, dir, data, sink)
    }
    fn gap(&mut self, dir: Dir) {
        vigil::app::dns::DnsTcpState::gap(self, dir)
    }
}

impl StreamParser for vigil::app::ssh::SshState {
    fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        vigil::app::ssh::SshState::data(self, dir, data, sink)
    }
    fn gap(&mut self, dir: Dir) {
        vigil::app::ssh::SshState::gap(self, dir)
    }
}

/// A record a worker half wrote, with what the engine's sink header would carry.
#[derive(Debug, Clone)]
pub struct Rec {
    pub kind: RecordKind,
    pub body: Vec<u8>,
    pub flow: u64,
    pub dir: Dir,
    pub ts_ns: u64,
    pub pcap_cnt: usize,
}

/// Feeds a reassembled stream to `parser` exactly as the stream layer does: the
/// unconsumed tail is kept and offered again with the next bytes; more than
/// [`STREAM_BUF_MAX`] unconsumed bytes abandons the direction; `Done` stops it. Closes
/// both directions at the end.
pub fn feed_stream<P: StreamParser>(parser: &mut P, flow: &Flow, segs: &[Seg]) -> Vec<Rec> {
    let mut sink = VecSink::default();
    let mut out = Vec::new();
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut done = [false; 2];
    let mut last = (0u64, 0usize);
    let collect = |sink: &mut VecSink, out: &mut Vec<Rec>, dir: Dir, ts: u64, cnt: usize| {
        for (kind, body) in sink.records.drain(..) {
            out.push(Rec {
                kind,
                body,
                flow: flow.id,
                dir,
                ts_ns: ts,
                pcap_cnt: cnt,
            });
        }
    };
    for seg in segs {
        match seg {
            Seg::Gap(d) => {
                if !done[d.index()] {
                    parser.gap(*d);
                    pending[d.index()].clear();
                }
            }
            Seg::Data(d, bytes, cnt, ts) => {
                let i = d.index();
                last = (*ts, *cnt);
                if done[i] {
                    continue;
                }
                pending[i].extend_from_slice(bytes);
                match parser.data(*d, &pending[i], &mut sink) {
                    Progress::Consumed(n) => {
                        assert!(n <= pending[i].len(), "consumed past the data");
                        pending[i].drain(..n);
                        if pending[i].len() > STREAM_BUF_MAX {
                            done[i] = true;
                        }
                    }
                    Progress::Done => done[i] = true,
                }
                collect(&mut sink, &mut out, *d, *ts, *cnt);
            }
        }
    }
    for d in [Dir::ToServer, Dir::ToClient] {
        parser.close(d, &mut sink);
        collect(&mut sink, &mut out, d, last.0, last.1);
    }
    out
}

/// Every UDP datagram of the flows through `dns::datagram`.
pub fn dns_udp(flows: &[Flow], pkts: &[Packet]) -> Vec<Rec> {
    let mut out = Vec::new();
    for f in flows.iter().filter(|f| f.proto == 17) {
        for &i in &f.packets {
            let p = &pkts[i];
            let mut sink = VecSink::default();
            let dir = f.dir(p);
            vigil::app::dns::datagram(dir, &p.payload, &mut sink);
            for (kind, body) in sink.records {
                out.push(Rec {
                    kind,
                    body,
                    flow: f.id,
                    dir,
                    ts_ns: p.ts_ns,
                    pcap_cnt: p.pcap_cnt,
                });
            }
        }
    }
    out
}

/// An EVE body with the flow and packet it belongs to.
#[derive(Debug, Clone)]
pub struct Event {
    pub body: EveBody,
    pub flow: u64,
    pub pcap_cnt: usize,
}

/// Runs records through a tracker (then `flow_end` for every flow, in order).
pub fn track<T: Tracker>(t: &mut T, recs: &[Rec], flows: &[Flow]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut bodies = Vec::new();
    for r in recs {
        let ctx = RecordCtx {
            flow_id: r.flow,
            ts_ns: r.ts_ns,
            dir: r.dir,
        };
        t.record(r.kind, &ctx, &mut Reader::new(&r.body), &mut bodies);
        out.extend(bodies.drain(..).map(|body| Event {
            body,
            flow: r.flow,
            pcap_cnt: r.pcap_cnt,
        }));
    }
    for f in flows {
        let ctx = RecordCtx {
            flow_id: f.id,
            ts_ns: 0,
            dir: Dir::ToServer,
        };
        t.flow_end(&ctx, &mut bodies);
        out.extend(bodies.drain(..).map(|body| Event {
            body,
            flow: f.id,
            pcap_cnt: 0,
        }));
    }
    out
}

/// HTTP events of every TCP flow of a capture.
pub fn http_events(path: &std::path::Path) -> (Vec<Flow>, Vec<Event>) {
    let pkts = packets(path);
    let flows = flows(&pkts);
    let mut recs = Vec::new();
    for f in flows.iter().filter(|f| f.proto == 6) {
        let segs = tcp_stream(f, &pkts);
        let mut st = vigil::app::http::HttpState::default();
        recs.extend(feed_stream(&mut st, f, &segs));
    }
    let mut t = vigil::app::http::HttpTracker::new();
    let ev = track(&mut t, &recs, &flows);
    (flows, ev)
}

/// DNS events of every UDP flow (and TCP flows, framed) of a capture.
pub fn dns_events(path: &std::path::Path) -> (Vec<Flow>, Vec<Event>) {
    let pkts = packets(path);
    let flows = flows(&pkts);
    let mut recs = dns_udp(&flows, &pkts);
    for f in flows.iter().filter(|f| f.proto == 6) {
        let segs = tcp_stream(f, &pkts);
        let first = segs.iter().find_map(|s| match s {
            Seg::Data(_, b, _, _) => Some(b.clone()),
            _ => None,
        });
        let is_dns = first.is_some_and(|b| {
            vigil::app::detect::detect(vigil::app::detect::Transport::Tcp, Dir::ToServer, &b)
                == vigil::app::AppProto::Dns
        });
        if is_dns {
            let mut st = vigil::app::dns::DnsTcpState::default();
            recs.extend(feed_stream(&mut st, f, &segs));
        }
    }
    let mut t = vigil::app::dns::DnsTracker::new();
    let ev = track(&mut t, &recs, &flows);
    (flows, ev)
}

/// An address as Suricata writes it (IPv6 in full).
pub fn ip_string(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => a
            .segments()
            .iter()
            .map(|s| format!("{s:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

/// The EVE record an engine would write: envelope plus the body's fields.
pub fn envelope(flows: &[Flow], e: &Event) -> Value {
    let f = flows.iter().find(|f| f.id == e.flow).expect("flow");
    let (src, dst) = match e.body.dir {
        Dir::ToServer => (f.client, f.server),
        Dir::ToClient => (f.server, f.client),
    };
    let ts = time::OffsetDateTime::from_unix_timestamp_nanos(e.body.ts_ns as i128)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut m = Map::new();
    m.insert(
        "timestamp".into(),
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0000",
            ts.year(),
            ts.month() as u8,
            ts.day(),
            ts.hour(),
            ts.minute(),
            ts.second(),
            ts.microsecond()
        )
        .into(),
    );
    m.insert("flow_id".into(), e.flow.into());
    m.insert("pcap_cnt".into(), e.pcap_cnt.into());
    m.insert("src_ip".into(), ip_string(&src.0).into());
    m.insert("src_port".into(), src.1.into());
    m.insert("dest_ip".into(), ip_string(&dst.0).into());
    m.insert("dest_port".into(), dst.1.into());
    m.insert(
        "proto".into(),
        if f.proto == 6 { "TCP" } else { "UDP" }.into(),
    );
    for (k, v) in &e.body.fields {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// Validates records (with `vigil` removed) against `../shared/eve-schema.json`; panics
/// with every error. Skips (returns false) when the schema is not there.
pub fn validate(records: &[Value]) -> bool {
    let Some(dir) = shared_dir() else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(dir.join("../eve-schema.json")) else {
        eprintln!("SKIPPED: eve-schema.json not found");
        return false;
    };
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    for rec in records {
        let mut r = rec.clone();
        r.as_object_mut().unwrap().remove("vigil");
        let errors: Vec<String> = v.iter_errors(&r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{r}: {errors:?}");
    }
    true
}

/// Looks a dotted path ("dns.answers[0].rdata") up in a record.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (key, idx) = match part.find('[') {
            Some(b) => (
                &part[..b],
                Some(part[b + 1..part.len() - 1].parse::<usize>().ok()?),
            ),
            None => (part, None),
        };
        cur = cur.get(key)?;
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Whether `rec` has every `match` entry of a suricata-verify filter (YAML scalars
/// compared as Suricata's checker does: numbers as numbers, everything else as text).
pub fn matches(rec: &Value, m: &serde_yaml::Mapping) -> Result<(), String> {
    for (k, want) in m {
        let k = k.as_str().unwrap_or_default();
        let got = get(rec, k).ok_or_else(|| format!("{k}: missing"))?;
        let ok = match want {
            serde_yaml::Value::Number(n) => got.as_f64() == n.as_f64(),
            serde_yaml::Value::Bool(b) => got.as_bool() == Some(*b),
            serde_yaml::Value::String(s) => got.as_str() == Some(s.as_str()),
            _ => false,
        };
        if !ok {
            return Err(format!("{k}: want {want:?}, got {got}"));
        }
    }
    Ok(())
}

/// The `match` blocks of a suricata-verify test.yaml whose `match.event_type` is
/// `event_type`, with their counts (filters marked `lt-version: 8` left out).
pub fn sv_filters(
    test_yaml: &std::path::Path,
    event_type: &str,
) -> Vec<(u64, serde_yaml::Mapping)> {
    let text = std::fs::read_to_string(test_yaml).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut out = Vec::new();
    for c in y["checks"].as_sequence().cloned().unwrap_or_default() {
        let f = &c["filter"];
        if f["requires"]["lt-version"].is_number() {
            continue;
        }
        let Some(m) = f["match"].as_mapping() else {
            continue;
        };
        if m.get("event_type").and_then(|v| v.as_str()) != Some(event_type) {
            continue;
        }
        out.push((f["count"].as_u64().unwrap_or(1), m.clone()));
    }
    out
}

/// Rows of a Zeek TSV log (baseline), keyed by field name.
pub fn zeek_log(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(String::from).collect();
        } else if !line.starts_with('#') && !fields.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(String::from))
                    .collect(),
            );
        }
    }
    rows
}
