//! Test-only helpers shared by the TLS and QUIC parser tests (included with `#[path]`):
//! read a capture (pcap or pcapng; Ethernet/VLAN, raw IP, BSD loopback, Linux cooked),
//! split it into flows, reassemble each TCP direction naively (order by sequence number,
//! drop what was already seen), drive the worker halves exactly as the stream layer
//! does (`Progress` honoured, unconsumed tails kept, at most 16384 bytes) and run the
//! records through the trackers. Also a small evaluator of suricata-verify `test.yaml`
//! checks and the EVE schema validation. Allocates freely: it is not the hot path.
#![allow(dead_code)]

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use vigil::app::quic::{QuicState, QuicTracker};
use vigil::app::tls::{TlsState, TlsTracker};
use vigil::app::{Dir, EveBody, Progress, RecordCtx, RecordKind, Tracker, VecSink};
use vigil::wire::Reader;

/// A record a worker emitted: (packet time, direction, kind, body).
pub type Rec = (u64, Dir, RecordKind, Vec<u8>);

/// Most unconsumed bytes the stream layer keeps per direction.
pub const KEEP: usize = 16384;

/// The shared captures directory, if present.
pub fn pcaps() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/pcaps");
    p.is_dir().then_some(p)
}

/// This worktree's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A shared capture path, or `None` (with a note) when the captures are absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = pcaps()?.join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} not found", p.display());
        None
    }
}

/// Link layers the reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    Raw,
    Null,
    Sll,
    Other,
}

fn link_of(dl: pcap_file::DataLink) -> Link {
    use pcap_file::DataLink as D;
    match dl {
        D::ETHERNET => Link::Ethernet,
        D::RAW | D::IPV4 | D::IPV6 => Link::Raw,
        D::NULL | D::LOOP => Link::Null,
        D::LINUX_SLL => Link::Sll,
        _ => Link::Other,
    }
}

/// Frames of a capture: (packet time ns, link, bytes).
pub fn frames(path: &Path) -> Vec<(u64, Link, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    if bytes.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let Ok(mut r) = pcap_file::pcapng::PcapNgReader::new(&bytes[..]) else {
            return out;
        };
        let mut links = Vec::new();
        while let Some(Ok(block)) = r.next_block() {
            match block {
                pcap_file::pcapng::Block::InterfaceDescription(i) => {
                    links.push(link_of(i.linktype))
                }
                pcap_file::pcapng::Block::EnhancedPacket(p) => {
                    let link = links
                        .get(p.interface_id as usize)
                        .copied()
                        .unwrap_or(Link::Other);
                    out.push((p.timestamp.as_nanos() as u64, link, p.data.into_owned()));
                }
                _ => {}
            }
        }
    } else if let Ok(mut r) = pcap_file::pcap::PcapReader::new(&bytes[..]) {
        let link = link_of(r.header().datalink);
        while let Some(Ok(p)) = r.next_packet() {
            out.push((p.timestamp.as_nanos() as u64, link, p.data.into_owned()));
        }
    }
    out
}

/// A decoded TCP or UDP packet.
#[derive(Clone, Debug)]
pub struct Pkt {
    pub ts: u64,
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
    pub tcp: bool,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub payload: Vec<u8>,
}

/// Decodes one frame down to TCP/UDP.
pub fn decode(ts: u64, link: Link, f: &[u8]) -> Option<Pkt> {
    let s = match link {
        Link::Ethernet => SlicedPacket::from_ethernet(f).ok()?,
        Link::Raw => SlicedPacket::from_ip(f).ok()?,
        Link::Null => SlicedPacket::from_ip(f.get(4..)?).ok()?,
        Link::Sll => SlicedPacket::from_linux_sll(f).ok()?,
        Link::Other => return None,
    };
    let (src, dst) = match s.net? {
        NetSlice::Ipv4(ip) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
        ),
        NetSlice::Ipv6(ip) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
        ),
    };
    match s.transport? {
        TransportSlice::Tcp(t) => Some(Pkt {
            ts,
            src: (src, t.source_port()),
            dst: (dst, t.destination_port()),
            tcp: true,
            seq: t.sequence_number(),
            syn: t.syn(),
            ack: t.ack(),
            payload: t.payload().to_vec(),
        }),
        TransportSlice::Udp(u) => Some(Pkt {
            ts,
            src: (src, u.source_port()),
            dst: (dst, u.destination_port()),
            tcp: false,
            seq: 0,
            syn: false,
            ack: false,
            payload: u.payload().to_vec(),
        }),
        _ => None,
    }
}

/// One flow of a capture: its packets in capture order, client first.
#[derive(Clone, Debug)]
pub struct Flow {
    pub id: u64,
    pub tcp: bool,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub pkts: Vec<(Dir, Pkt)>,
}

/// Both endpoints (lower first) and whether it is TCP.
type FlowKey = ((IpAddr, u16), (IpAddr, u16), bool);

/// Splits a capture into flows (in order of first packet). The client of a TCP flow is
/// the sender of the SYN (else of the first packet); of a UDP flow, the first sender.
pub fn flows(path: &Path) -> Vec<Flow> {
    let mut index: HashMap<FlowKey, usize> = HashMap::new();
    let mut out: Vec<Flow> = Vec::new();
    for (ts, link, f) in frames(path) {
        let Some(p) = decode(ts, link, &f) else {
            continue;
        };
        let key = if p.src <= p.dst {
            (p.src, p.dst, p.tcp)
        } else {
            (p.dst, p.src, p.tcp)
        };
        let i = *index.entry(key).or_insert_with(|| {
            let (client, server) = if p.tcp && p.syn && p.ack {
                (p.dst, p.src)
            } else {
                (p.src, p.dst)
            };
            out.push(Flow {
                id: out.len() as u64 + 1,
                tcp: p.tcp,
                client,
                server,
                pkts: Vec::new(),
            });
            out.len() - 1
        });
        let fl = &mut out[i];
        let dir = if p.src == fl.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        fl.pkts.push((dir, p));
    }
    out
}

/// Per-direction in-order byte chunks of a TCP flow, merged in capture order:
/// (time, direction, new bytes). Retransmitted bytes are dropped; a hole ends the
/// direction (reported as `gap = true` on a zero-length chunk).
pub fn tcp_chunks(fl: &Flow) -> Vec<(u64, Dir, Vec<u8>, bool)> {
    let mut out = Vec::new();
    for dir in [Dir::ToServer, Dir::ToClient] {
        let pkts: Vec<&Pkt> = fl
            .pkts
            .iter()
            .filter(|(d, _)| *d == dir)
            .map(|(_, p)| p)
            .collect();
        let base = match pkts.iter().find(|p| p.syn) {
            Some(p) => p.seq.wrapping_add(1),
            None => match pkts
                .iter()
                .filter(|p| !p.payload.is_empty())
                .map(|p| p.seq)
                .min()
            {
                Some(s) => s,
                None => continue,
            },
        };
        let mut segs: Vec<(u64, u64, &[u8])> = pkts
            .iter()
            .filter(|p| !p.payload.is_empty())
            .map(|p| (u64::from(p.seq.wrapping_sub(base)), p.ts, &p.payload[..]))
            .filter(|(off, _, _)| *off < (1 << 31))
            .collect();
        segs.sort_by_key(|(off, ts, _)| (*off, *ts));
        let mut next = 0u64;
        for (off, ts, data) in segs {
            let end = off + data.len() as u64;
            if end <= next {
                continue;
            }
            if off > next {
                out.push((ts, dir, Vec::new(), true));
                break;
            }
            out.push((ts, dir, data[(next - off) as usize..].to_vec(), false));
            next = end;
        }
    }
    out.sort_by_key(|(ts, d, _, _)| (*ts, d.index()));
    out
}

/// Feeds a TCP flow to a fresh `TlsState` exactly as the stream layer would; returns the
/// records emitted (time, direction, kind, body).
pub fn drive_tls(fl: &Flow) -> Vec<Rec> {
    drive_tls_chunks(&tcp_chunks(fl))
}

/// [`drive_tls`] over given chunks.
pub fn drive_tls_chunks(chunks: &[(u64, Dir, Vec<u8>, bool)]) -> Vec<Rec> {
    let mut st = TlsState::default();
    let mut scratch = vec![0u8; 65536];
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut done = [false; 2];
    let mut out = Vec::new();
    for (ts, dir, bytes, gap) in chunks {
        let i = dir.index();
        if *gap {
            st.gap(*dir);
            pending[i].clear();
        }
        if done[i] || bytes.is_empty() {
            continue;
        }
        pending[i].extend_from_slice(bytes);
        let mut sink = VecSink::default();
        let p = st.data(*dir, &pending[i], &mut scratch, &mut sink);
        for (k, b) in sink.records {
            out.push((*ts, *dir, k, b));
        }
        match p {
            Progress::Done => done[i] = true,
            Progress::Consumed(n) => {
                assert!(n <= pending[i].len(), "Consumed({n}) past the end");
                pending[i].drain(..n);
                if pending[i].len() >= KEEP {
                    // The engine would abandon the direction here.
                    panic!("TLS parser left {} bytes pending", pending[i].len());
                }
            }
        }
    }
    out
}

/// Feeds a UDP flow's datagrams to a fresh `QuicState`; returns the records emitted.
pub fn drive_quic(fl: &Flow) -> Vec<Rec> {
    let mut st = QuicState::default();
    let mut out = Vec::new();
    for (dir, p) in &fl.pkts {
        let mut sink = VecSink::default();
        let ok = st.datagram(*dir, &p.payload, &mut sink);
        for (k, b) in sink.records {
            out.push((p.ts, *dir, k, b));
        }
        if !ok {
            break;
        }
    }
    out
}

/// An EVE body with the flow it came from.
#[derive(Clone, Debug)]
pub struct Event {
    pub flow: Flow,
    pub body: EveBody,
}

impl Event {
    /// The `tls` / `quic` object.
    pub fn obj(&self, name: &str) -> &Map<String, Value> {
        self.body.fields[name].as_object().unwrap()
    }

    /// A string field of the protocol object.
    pub fn s(&self, name: &str, key: &str) -> Option<String> {
        self.body
            .fields
            .get(name)?
            .get(key)?
            .as_str()
            .map(String::from)
    }

    /// The record as the engine would write it (envelope + body), `vigil` kept.
    pub fn full(&self) -> Value {
        let (src, dst) = if self.body.dir == Dir::ToServer {
            (self.flow.client, self.flow.server)
        } else {
            (self.flow.server, self.flow.client)
        };
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(suricata_time(self.body.ts_ns)));
        m.insert("flow_id".into(), json!(self.flow.id));
        m.insert("src_ip".into(), json!(ip_str(src.0)));
        m.insert("src_port".into(), json!(src.1));
        m.insert("dest_ip".into(), json!(ip_str(dst.0)));
        m.insert("dest_port".into(), json!(dst.1));
        m.insert(
            "proto".into(),
            json!(if self.flow.tcp { "TCP" } else { "UDP" }),
        );
        for (k, v) in &self.body.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// An address as Suricata writes it (IPv6 fully expanded).
pub fn ip_str(ip: IpAddr) -> String {
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

/// `2026-03-13T09:12:21.164132+0000`.
pub fn suricata_time(ns: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ns as i128).unwrap();
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+0000"
    );
    t.format(&f).unwrap()
}

fn run_tracker(fl: &Flow, recs: &[Rec], tracker: &mut dyn Tracker, out: &mut Vec<Event>) {
    let mut bodies = Vec::new();
    for (ts, dir, k, b) in recs {
        let ctx = RecordCtx {
            flow_id: fl.id,
            ts_ns: *ts,
            dir: *dir,
        };
        tracker.record(*k, &ctx, &mut Reader::new(b), &mut bodies);
    }
    let last = fl.pkts.last().map_or(0, |(_, p)| p.ts);
    let ctx = RecordCtx {
        flow_id: fl.id,
        ts_ns: last,
        dir: Dir::ToServer,
    };
    tracker.flow_end(&ctx, &mut bodies);
    out.extend(bodies.into_iter().map(|body| Event {
        flow: fl.clone(),
        body,
    }));
}

/// Every TLS and QUIC event of a capture, in flow order.
pub fn events(path: &Path) -> Vec<Event> {
    let mut tls = TlsTracker::default();
    let mut quic = QuicTracker::default();
    let mut out = Vec::new();
    for fl in flows(path) {
        if fl.tcp {
            let recs = drive_tls(&fl);
            run_tracker(&fl, &recs, &mut tls, &mut out);
        } else {
            let first = fl.pkts.first().map(|(_, p)| &p.payload[..]).unwrap_or(&[]);
            if !vigil::app::quic::looks_like_quic(first) {
                continue;
            }
            let recs = drive_quic(&fl);
            run_tracker(&fl, &recs, &mut quic, &mut out);
        }
    }
    out
}

/// Events of one type.
pub fn of_type<'a>(ev: &'a [Event], t: &str) -> Vec<&'a Event> {
    ev.iter()
        .filter(|e| e.body.fields.get("event_type").and_then(Value::as_str) == Some(t))
        .collect()
}

/// Looks a dotted path (`tls.subjectaltname[3]`, `quic.extensions[6].name`) up.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (name, idx) = match part.find('[') {
            Some(b) => (
                &part[..b],
                Some(part[b + 1..part.len() - 1].parse::<usize>().ok()?),
            ),
            None => (part, None),
        };
        cur = cur.get(name)?;
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Envelope keys Vigil does not produce in these tests (engine-level or pcap-level).
const IGNORED: &[&str] = &[
    "pcap_cnt",
    "pkt_src",
    "community_id",
    "timestamp",
    "flow_id",
];

/// The suricata-verify checks of `test.yaml` that concern `tls`/`quic` events, run over
/// `ev`: returns one line per check ("ok ..." or "FAIL ...").
pub fn run_sv_checks(yaml: &Path, ev: &[Event]) -> Vec<(bool, String)> {
    let text = std::fs::read_to_string(yaml).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let doc: Value = serde_json::to_value(doc).unwrap();
    let mut res = Vec::new();
    let full: Vec<Value> = ev.iter().map(Event::full).collect();
    for check in doc["checks"].as_array().cloned().unwrap_or_default() {
        let Some(filter) = check.get("filter") else {
            continue;
        };
        let m = filter["match"].as_object().cloned().unwrap_or_default();
        let et = m.get("event_type").and_then(Value::as_str).unwrap_or("");
        if et != "tls" && et != "quic" {
            continue;
        }
        let want = filter["count"].as_u64().unwrap_or(0);
        let got = full
            .iter()
            .filter(|e| {
                m.iter().all(|(k, v)| {
                    if IGNORED.contains(&k.as_str()) {
                        return true;
                    }
                    if k == "has-key" {
                        return lookup(e, v.as_str().unwrap_or("")).is_some();
                    }
                    match lookup(e, k) {
                        Some(x) => x == v,
                        None => false,
                    }
                })
            })
            .count() as u64;
        res.push((
            got == want,
            format!(
                "{}: want {want} got {got} for {}",
                yaml.display(),
                Value::Object(m)
            ),
        ));
    }
    res
}

/// The Suricata EVE schema validator, if the schema is present.
pub fn schema() -> Option<jsonschema::Validator> {
    let p = pcaps()?.join("../eve-schema.json");
    let text = std::fs::read_to_string(p).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    Some(jsonschema::validator_for(&v).unwrap())
}

/// Validates every event (envelope added, `vigil` removed); returns the errors.
pub fn schema_errors(v: &jsonschema::Validator, ev: &[Event]) -> Vec<String> {
    let mut errs = Vec::new();
    for e in ev {
        let mut r = e.full();
        r.as_object_mut().unwrap().remove("vigil");
        for err in v.iter_errors(&r) {
            errs.push(format!("{err}: {r}"));
        }
    }
    errs
}
