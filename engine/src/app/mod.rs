//! Application-layer parsers: what Vigil reads above TCP and UDP.
//!
//! Each protocol module has two halves that live together so they stay in step:
//! - the **worker half** runs on the hot path: it reads payload bytes (in order, per
//!   direction, handed over by the flow's stream layer), keeps a small fixed-size state
//!   in the flow, never allocates, never panics on any bytes, and writes what it finds
//!   as compact records ([`crate::wire::Writer`]) through a [`Sink`];
//! - the **control-plane half** (a [`Tracker`]) reads those records back
//!   ([`crate::wire::Reader`]), may allocate, pairs what belongs together (an HTTP
//!   request with its response, a ClientHello with its certificate), computes what is
//!   costly (JA3 MD5, JA4, certificate fields, QUIC decryption) and returns EVE bodies.
//!
//! The engine adds the envelope every EVE record shares (`timestamp`, `flow_id`,
//! `src_ip`/`src_port`/`dest_ip`/`dest_port`, `proto`, `community_id`, `vlan`, `tunnel`).

pub mod detect;
pub mod dhcp;
pub mod dns;
pub mod http;
pub mod jsonrpc;
pub mod quic;
pub mod ssh;
pub mod tls;

use crate::wire::{Reader, Writer};
use serde_json::{Map, Value};

/// Which way a packet (or a record) goes within its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Dir {
    /// From the client (the side that opened the flow) to the server.
    #[default]
    ToServer = 0,
    /// From the server to the client.
    ToClient = 1,
}

impl Dir {
    /// The other direction.
    #[inline]
    pub fn flip(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }

    /// 0 for to-server, 1 for to-client (array index).
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// From a byte written by [`Dir::index`].
    #[inline]
    pub fn from_u8(v: u8) -> Dir {
        if v == 1 {
            Dir::ToClient
        } else {
            Dir::ToServer
        }
    }
}

/// The application protocol of a flow, decided from its payload (never from the port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum AppProto {
    /// Not decided yet (no payload, or not enough of it).
    #[default]
    Unknown = 0,
    Http = 1,
    Tls = 2,
    Ssh = 3,
    Dns = 4,
    Quic = 5,
    Dhcp = 6,
    /// Payload was seen and matched none of the protocols Vigil reads.
    Failed = 255,
}

impl AppProto {
    /// The name Suricata writes in `app_proto`.
    pub fn eve_name(self) -> &'static str {
        match self {
            AppProto::Unknown => "unknown",
            AppProto::Http => "http",
            AppProto::Tls => "tls",
            AppProto::Ssh => "ssh",
            AppProto::Dns => "dns",
            AppProto::Quic => "quic",
            AppProto::Dhcp => "dhcp",
            AppProto::Failed => "failed",
        }
    }

    /// From the byte written by `as u8`.
    pub fn from_u8(v: u8) -> AppProto {
        match v {
            1 => AppProto::Http,
            2 => AppProto::Tls,
            3 => AppProto::Ssh,
            4 => AppProto::Dns,
            5 => AppProto::Quic,
            6 => AppProto::Dhcp,
            255 => AppProto::Failed,
            _ => AppProto::Unknown,
        }
    }
}

/// The application-layer state a flow carries: one parser's worker half.
#[derive(Debug, Clone, Copy, Default)]
pub enum AppState {
    #[default]
    None,
    Http(http::HttpState),
    Tls(tls::TlsState),
    DnsTcp(dns::DnsTcpState),
    Ssh(ssh::SshState),
    Quic(quic::QuicState),
}

/// What a stream parser did with the bytes it was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// It used the first `n` bytes (`n <= data.len()`). The stream layer keeps the rest
    /// (in a bounded buffer) and offers it again, followed by new data, next time. So
    /// `Consumed(0)` means "need more bytes": a header split over segments.
    Consumed(usize),
    /// Stop feeding this direction: the parser has what it wants (handshake done, the
    /// rest is encrypted) or the bytes are not its protocol.
    Done,
}

/// Record kinds, the first byte of every record a worker sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordKind {
    /// A flow ended (the flow table writes it).
    Flow = 1,
    /// One DNS message (query or response), UDP or TCP.
    Dns = 2,
    /// An HTTP request's line and headers.
    HttpRequest = 3,
    /// An HTTP response's status line and headers.
    HttpResponse = 4,
    /// A TLS ClientHello.
    TlsClientHello = 5,
    /// A TLS ServerHello.
    TlsServerHello = 6,
    /// The server's leaf certificate (DER), from a TLS ≤ 1.2 Certificate message.
    TlsCertificate = 7,
    /// A QUIC Initial packet from the client, still encrypted (the control plane derives
    /// the Initial keys from its DCID and decrypts it).
    QuicInitial = 8,
    /// An SSH identification banner.
    SshBanner = 9,
    /// A QUIC Initial packet from the server (version, SCID; optional).
    QuicServerInitial = 10,
    /// A worker's detail counters at its end (not an application record; the header's
    /// flow id is the worker number).
    WorkerStats = 32,
    /// A DHCP message (BOOTP with the magic cookie).
    Dhcp = 11,
    /// A device's first contact with an external address, as the worker's rarity
    /// snapshot knew it (body: `u16` devices that had reached the address).
    Contact = 12,
}

impl RecordKind {
    /// From the first byte of a record.
    pub fn from_u8(v: u8) -> Option<RecordKind> {
        Some(match v {
            1 => RecordKind::Flow,
            2 => RecordKind::Dns,
            3 => RecordKind::HttpRequest,
            4 => RecordKind::HttpResponse,
            5 => RecordKind::TlsClientHello,
            6 => RecordKind::TlsServerHello,
            7 => RecordKind::TlsCertificate,
            8 => RecordKind::QuicInitial,
            9 => RecordKind::SshBanner,
            10 => RecordKind::QuicServerInitial,
            32 => RecordKind::WorkerStats,
            11 => RecordKind::Dhcp,
            12 => RecordKind::Contact,
            _ => return None,
        })
    }
}

/// Where worker-half parsers put the records they find. The engine's implementation
/// writes a header (kind, packet time, flow id, packet direction) and then calls `body`
/// to write the protocol's fields; when `body` returns `false` the record is dropped (the
/// bytes were not what they looked like). Implementations never allocate.
pub trait Sink {
    /// Emits one record of `kind` about the current packet's flow.
    fn emit(&mut self, kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool);
}

/// A sink that keeps records in memory, for tests of the worker halves (allocates; never
/// used on the hot path).
#[derive(Default)]
pub struct VecSink {
    /// (kind, record body) in emission order.
    pub records: Vec<(RecordKind, Vec<u8>)>,
}

impl Sink for VecSink {
    fn emit(&mut self, kind: RecordKind, body: &mut dyn FnMut(&mut Writer<'_>) -> bool) {
        let mut buf = vec![0u8; crate::wire::RECORD_MAX];
        let mut w = Writer::new(&mut buf);
        if body(&mut w) {
            let n = w.len();
            buf.truncate(n);
            self.records.push((kind, buf));
        }
    }
}

/// What the control plane tells a tracker about the record it hands over.
#[derive(Debug, Clone, Copy)]
pub struct RecordCtx {
    /// The flow's id, unique in the run (the same as EVE's `flow_id`).
    pub flow_id: u64,
    /// Packet time of the packet the record came from (ns since the epoch).
    pub ts_ns: u64,
    /// Direction of that packet.
    pub dir: Dir,
}

/// One EVE record's own part, from a tracker; the engine adds the envelope.
#[derive(Debug, Clone)]
pub struct EveBody {
    /// Which way `src_*`/`dest_*` point: `ToServer` puts the client in `src`.
    pub dir: Dir,
    /// The record's `timestamp` (packet time, ns).
    pub ts_ns: u64,
    /// Top-level fields: at least `event_type` and the protocol's object
    /// (`{"event_type": "dns", "dns": {...}}`).
    pub fields: Map<String, Value>,
}

/// The control-plane half of a protocol: turns its records into EVE bodies.
pub trait Tracker {
    /// A record of one of this protocol's kinds arrived; push any EVE bodies now ready.
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    );
    /// The flow ended: push what still waits on it (a request never answered, a
    /// handshake without certificate) and forget the flow.
    fn flow_end(&mut self, ctx: &RecordCtx, out: &mut Vec<EveBody>);
}
