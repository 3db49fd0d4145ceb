//! DNS: one message per UDP datagram, or a stream of length-prefixed messages over TCP.
//!
//! **Worker half** ([`datagram`], [`DnsTcpState`], [`looks_like_dns`]): reads the header,
//! the questions and every resource record of the answer, authority and additional
//! sections, decompressing names (bounded, strictly backwards pointer chains) straight into
//! the record [`Writer`], and decoding the rdata Vigil logs (A, AAAA, CNAME, NS, PTR,
//! DNAME, MX, TXT, SOA, SRV; NULL, OPT and SSHFP as capped raw bytes; other types: their
//! length only). It never allocates and never panics; a message that runs out of bytes
//! mid-section still yields a record of what came before, flagged.
//!
//! **Control-plane half** ([`DnsTracker`]): reads the records back ([`decode`]) and writes
//! Suricata 8's EVE DNS v3 objects (`version: 3`, `type: request|response`, `queries`,
//! `answers`, `grouped`, `authorities`, `additionals`).
//!
//! # Record layout (`RecordKind::Dns`)
//! ```text
//! u8  transport            0 = UDP, 1 = TCP
//! u16 id, u16 flags, u16 qdcount, u16 ancount, u16 nscount, u16 arcount   (as on the wire)
//! items, each starting with a tag byte:
//!   1 question   name, u16 qtype, u16 qclass
//!   2 answer | 3 authority | 4 additional
//!                name, u16 type, u16 class, u32 ttl, u16 rdlength, u8 rdkind, rdata:
//!       rdkind 0 none     (type not decoded, or rdata malformed: length only)
//!              1 addr     bytes (4 or 16)
//!              2 name     name                          (CNAME, NS, PTR, DNAME)
//!              3 mx       u16 preference, name
//!              4 txt      u16 count, count x bytes
//!              5 soa      name mname, name rname, u32 serial, refresh, retry, expire, minimum
//!              6 srv      u16 priority, u16 weight, u16 port, name
//!              7 raw      bytes (first RAW_MAX bytes; NULL, OPT, SSHFP)
//!   0 end        u8 status: 0 complete, 1 malformed here, 2 record full, 3 partial message
//! name = bytes (dotted, decompressed, at most NAME_MAX bytes), u8 truncated
//! ```

use super::{Dir, EveBody, Progress, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Longest name written into a record (longer names are cut and flagged).
pub const NAME_MAX: usize = 255;
/// Most compression pointers followed in one name.
const MAX_JUMPS: usize = 32;
/// Most labels in one name (a name of 255 bytes has at most 127).
const MAX_LABELS: usize = 128;
/// Most raw rdata bytes copied for NULL / OPT / SSHFP.
pub const RAW_MAX: usize = 512;
/// A TCP message longer than this is recorded from its first bytes and the rest skipped.
const TCP_WAIT_MAX: usize = 8192;

const TAG_END: u8 = 0;
const TAG_QUESTION: u8 = 1;
const TAG_ANSWER: u8 = 2;
const TAG_AUTHORITY: u8 = 3;
const TAG_ADDITIONAL: u8 = 4;

const RD_NONE: u8 = 0;
const RD_ADDR: u8 = 1;
const RD_NAME: u8 = 2;
const RD_MX: u8 = 3;
const RD_TXT: u8 = 4;
const RD_SOA: u8 = 5;
const RD_SRV: u8 = 6;
const RD_RAW: u8 = 7;

/// End status: every section read.
pub const STATUS_COMPLETE: u8 = 0;
/// End status: the message broke off (bad name, record past the end).
pub const STATUS_MALFORMED: u8 = 1;
/// End status: the record ran out of room; later records were left out.
pub const STATUS_FULL: u8 = 2;
/// End status: only the start of a long TCP message was read.
pub const STATUS_PARTIAL: u8 = 3;

const TRANSPORT_UDP: u8 = 0;
const TRANSPORT_TCP: u8 = 1;

/// Room kept for the end tag and status.
const END_LEN: usize = 2;

#[inline]
fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

#[inline]
fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// What walking a name found.
#[derive(Clone, Copy)]
struct NameInfo {
    /// Offset just past the name where it started (after the first pointer, if any).
    end: usize,
    /// Bytes of its dotted form (cut at NAME_MAX).
    len: usize,
    /// Whether it was cut.
    truncated: bool,
}

/// Walks the name at `start` in `msg`, calling `out` with each piece of its dotted form.
/// Pointers must go strictly backwards (each before the previous target), at most
/// `MAX_JUMPS` of them. `None` when the name is malformed.
#[inline]
fn walk_name(msg: &[u8], start: usize, out: &mut dyn FnMut(&[u8])) -> Option<NameInfo> {
    let mut pos = start;
    let mut end = None;
    let mut jumps = 0usize;
    let mut labels = 0usize;
    let mut len = 0usize;
    let mut truncated = false;
    let mut bound = start;
    loop {
        let b = *msg.get(pos)? as usize;
        match b & 0xC0 {
            0x00 if b == 0 => {
                if end.is_none() {
                    end = Some(pos + 1);
                }
                break;
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + b)?;
                labels += 1;
                if labels > MAX_LABELS {
                    return None;
                }
                let sep = usize::from(len > 0);
                if !truncated && len + sep + b <= NAME_MAX {
                    if sep == 1 {
                        out(b".");
                    }
                    out(label);
                    len += sep + b;
                } else {
                    truncated = true;
                }
                pos += 1 + b;
            }
            0xC0 => {
                let lo = *msg.get(pos + 1)? as usize;
                let target = ((b & 0x3F) << 8) | lo;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                jumps += 1;
                if target >= bound || jumps > MAX_JUMPS {
                    return None;
                }
                bound = target;
                pos = target;
            }
            _ => return None,
        }
    }
    Some(NameInfo {
        end: end?,
        len,
        truncated,
    })
}

/// Measures the name at `start` without writing it.
#[inline]
fn name_info(msg: &[u8], start: usize) -> Option<NameInfo> {
    walk_name(msg, start, &mut |_| {})
}

/// Writes the (already measured) name at `start`: u16 length, bytes, truncated flag.
#[inline]
fn put_name(w: &mut Writer<'_>, msg: &[u8], start: usize, info: NameInfo) {
    w.u16(info.len as u16);
    let _ = walk_name(msg, start, &mut |s| w.fixed(s));
    w.u8(info.truncated as u8);
}

#[inline]
fn name_enc_len(info: &NameInfo) -> usize {
    2 + info.len + 1
}

/// The decoded form of one record's rdata, measured before anything is written.
enum Rdata<'a> {
    None,
    Addr(&'a [u8]),
    Name(usize, NameInfo),
    Mx(u16, usize, NameInfo),
    Txt(&'a [u8], usize),
    Soa(usize, NameInfo, usize, NameInfo, [u32; 5]),
    Srv([u16; 3], usize, NameInfo),
    Raw(&'a [u8]),
}

impl Rdata<'_> {
    fn enc_len(&self) -> usize {
        1 + match self {
            Rdata::None => 0,
            Rdata::Addr(a) => 2 + a.len(),
            Rdata::Name(_, i) => name_enc_len(i),
            Rdata::Mx(_, _, i) => 2 + name_enc_len(i),
            Rdata::Txt(r, n) => 2 + 2 * n + (r.len() - n),
            Rdata::Soa(_, a, _, b, _) => name_enc_len(a) + name_enc_len(b) + 20,
            Rdata::Srv(_, _, i) => 6 + name_enc_len(i),
            Rdata::Raw(r) => 2 + r.len(),
        }
    }
}

/// A name inside rdata: must parse and end within the rdata.
fn rdata_name(msg: &[u8], at: usize, rd_end: usize) -> Option<NameInfo> {
    let i = name_info(msg, at)?;
    (i.end <= rd_end).then_some(i)
}

fn classify(msg: &[u8], rtype: u16, start: usize, end: usize) -> Rdata<'_> {
    let Some(rd) = msg.get(start..end) else {
        return Rdata::None;
    };
    let r = match rtype {
        1 if rd.len() == 4 => Some(Rdata::Addr(rd)),
        28 if rd.len() == 16 => Some(Rdata::Addr(rd)),
        2 | 5 | 12 | 39 => rdata_name(msg, start, end).map(|i| Rdata::Name(start, i)),
        15 => be16(msg, start).and_then(|pref| {
            rdata_name(msg, start + 2, end).map(|i| Rdata::Mx(pref, start + 2, i))
        }),
        16 => {
            // Strings must tile the rdata exactly.
            let mut p = 0usize;
            let mut n = 0usize;
            while p < rd.len() {
                p += 1 + rd[p] as usize;
                n += 1;
            }
            (p == rd.len() && n <= u16::MAX as usize).then_some(Rdata::Txt(rd, n))
        }
        6 => (|| {
            let m = rdata_name(msg, start, end)?;
            let r = rdata_name(msg, m.end, end)?;
            let mut v = [0u32; 5];
            for (k, slot) in v.iter_mut().enumerate() {
                *slot = be32(msg, r.end + 4 * k)?;
            }
            (r.end + 20 <= end).then_some(Rdata::Soa(start, m, m.end, r, v))
        })(),
        33 => (|| {
            let v = [
                be16(msg, start)?,
                be16(msg, start + 2)?,
                be16(msg, start + 4)?,
            ];
            let t = rdata_name(msg, start + 6, end)?;
            Some(Rdata::Srv(v, start + 6, t))
        })(),
        10 | 41 | 44 => Some(Rdata::Raw(&rd[..rd.len().min(RAW_MAX)])),
        _ => Some(Rdata::None),
    };
    r.unwrap_or(Rdata::None)
}

fn put_rdata(w: &mut Writer<'_>, msg: &[u8], rd: &Rdata<'_>) {
    match rd {
        Rdata::None => w.u8(RD_NONE),
        Rdata::Addr(a) => {
            w.u8(RD_ADDR);
            w.bytes(a);
        }
        Rdata::Name(at, i) => {
            w.u8(RD_NAME);
            put_name(w, msg, *at, *i);
        }
        Rdata::Mx(pref, at, i) => {
            w.u8(RD_MX);
            w.u16(*pref);
            put_name(w, msg, *at, *i);
        }
        Rdata::Txt(r, n) => {
            w.u8(RD_TXT);
            w.u16(*n as u16);
            let mut p = 0usize;
            while let Some(&l) = r.get(p) {
                let s = r.get(p + 1..p + 1 + l as usize).unwrap_or(&[]);
                w.bytes(s);
                p += 1 + l as usize;
            }
        }
        Rdata::Soa(ma, mi, ra, ri, v) => {
            w.u8(RD_SOA);
            put_name(w, msg, *ma, *mi);
            put_name(w, msg, *ra, *ri);
            for x in v {
                w.u32(*x);
            }
        }
        Rdata::Srv(v, at, i) => {
            w.u8(RD_SRV);
            for x in v {
                w.u16(*x);
            }
            put_name(w, msg, *at, *i);
        }
        Rdata::Raw(r) => {
            w.u8(RD_RAW);
            w.bytes(r);
        }
    }
}

/// Header fields.
#[derive(Clone, Copy)]
struct Header {
    id: u16,
    flags: u16,
    counts: [u16; 4],
}

fn header(msg: &[u8]) -> Option<Header> {
    Some(Header {
        id: be16(msg, 0)?,
        flags: be16(msg, 2)?,
        counts: [be16(msg, 4)?, be16(msg, 6)?, be16(msg, 8)?, be16(msg, 10)?],
    })
}

/// Offset past the question section, or `None` if a question does not parse.
fn questions_end(msg: &[u8], h: &Header) -> Option<usize> {
    let mut pos = 12usize;
    for _ in 0..h.counts[0] {
        let i = name_info(msg, pos)?;
        if i.end + 4 > msg.len() {
            return None;
        }
        pos = i.end + 4;
    }
    Some(pos)
}

/// Whether the message parses as DNS far enough to be recorded: header, and every
/// question.
fn message_ok(msg: &[u8]) -> bool {
    match header(msg) {
        Some(h) => questions_end(msg, &h).is_some(),
        None => false,
    }
}

/// Writes the record body for `msg`. Returns false if `msg` is not DNS.
fn encode(msg: &[u8], transport: u8, partial: bool, w: &mut Writer<'_>) -> bool {
    let Some(h) = header(msg) else {
        return false;
    };
    if w.remaining() < 13 + END_LEN {
        return false;
    }
    w.u8(transport);
    w.u16(h.id);
    w.u16(h.flags);
    for c in h.counts {
        w.u16(c);
    }
    let end = |w: &mut Writer<'_>, status: u8| {
        w.u8(TAG_END);
        w.u8(status);
    };
    let broken = if partial {
        STATUS_PARTIAL
    } else {
        STATUS_MALFORMED
    };
    let mut pos = 12usize;
    for _ in 0..h.counts[0] {
        let Some(i) = name_info(msg, pos) else {
            end(w, broken);
            return true;
        };
        let (Some(qtype), Some(qclass)) = (be16(msg, i.end), be16(msg, i.end + 2)) else {
            end(w, broken);
            return true;
        };
        if w.remaining() < 1 + name_enc_len(&i) + 4 + END_LEN {
            end(w, STATUS_FULL);
            return true;
        }
        w.u8(TAG_QUESTION);
        put_name(w, msg, pos, i);
        w.u16(qtype);
        w.u16(qclass);
        pos = i.end + 4;
    }
    let sections = [
        (TAG_ANSWER, h.counts[1]),
        (TAG_AUTHORITY, h.counts[2]),
        (TAG_ADDITIONAL, h.counts[3]),
    ];
    for (tag, count) in sections {
        for _ in 0..count {
            let Some(i) = name_info(msg, pos) else {
                end(w, broken);
                return true;
            };
            let fixed = (
                be16(msg, i.end),
                be16(msg, i.end + 2),
                be32(msg, i.end + 4),
                be16(msg, i.end + 8),
            );
            let (Some(rtype), Some(class), Some(ttl), Some(rdlen)) = fixed else {
                end(w, broken);
                return true;
            };
            let rd_start = i.end + 10;
            let rd_end = rd_start + rdlen as usize;
            if rd_end > msg.len() {
                end(w, broken);
                return true;
            }
            let rd = classify(msg, rtype, rd_start, rd_end);
            if w.remaining() < 1 + name_enc_len(&i) + 10 + rd.enc_len() + END_LEN {
                end(w, STATUS_FULL);
                return true;
            }
            w.u8(tag);
            put_name(w, msg, pos, i);
            w.u16(rtype);
            w.u16(class);
            w.u32(ttl);
            w.u16(rdlen);
            put_rdata(w, msg, &rd);
            pos = rd_end;
        }
    }
    end(w, STATUS_COMPLETE);
    true
}

/// One DNS message over UDP (the whole datagram payload). Emits a `RecordKind::Dns`
/// record; returns false (and emits nothing) if it is not DNS: a header and every
/// question must parse.
pub fn datagram(dir: Dir, payload: &[u8], sink: &mut dyn Sink) -> bool {
    let _ = dir;
    if !message_ok(payload) {
        return false;
    }
    sink.emit(RecordKind::Dns, &mut |w| {
        encode(payload, TRANSPORT_UDP, false, w)
    });
    true
}

/// Cheap structural check used by detection: a sane header (opcode, counts that fit the
/// payload, a query with no answers) and questions that parse with a known class. The
/// payload may be the start of a longer message (TCP).
pub fn looks_like_dns(payload: &[u8]) -> bool {
    let Some(h) = header(payload) else {
        return false;
    };
    let qr = h.flags & 0x8000 != 0;
    let opcode = (h.flags >> 11) & 0xF;
    let rcode = h.flags & 0xF;
    let [qd, an, ns, ar] = h.counts;
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5) {
        return false;
    }
    if !qr && (rcode != 0 || (opcode == 0 && (an != 0 || ns != 0 || ar > 2))) {
        return false;
    }
    if qd > 8 || (qd == 0 && (!qr || an == 0)) {
        return false;
    }
    if an > 512 || ns > 512 || ar > 512 {
        return false;
    }
    let mut pos = 12usize;
    for _ in 0..qd {
        let Some(i) = name_info(payload, pos) else {
            return false;
        };
        let (Some(qtype), Some(qclass)) = (be16(payload, i.end), be16(payload, i.end + 2)) else {
            return false;
        };
        if qtype == 0 || !matches!(qclass & 0x7FFF, 1 | 3 | 4 | 254 | 255) {
            return false;
        }
        if is_netbios_name(payload, pos, qtype) {
            return false;
        }
        pos = i.end + 4;
    }
    true
}

/// NetBIOS name service shares DNS's layout; its questions are one 32-byte label of
/// "first-level encoded" letters A-P with type NB (0x20) or NBSTAT (0x21).
fn is_netbios_name(msg: &[u8], name_at: usize, qtype: u16) -> bool {
    if qtype != 0x20 && qtype != 0x21 {
        return false;
    }
    match msg.get(name_at..name_at + 33) {
        Some([32, label @ ..]) => label.iter().all(|b| (b'A'..=b'P').contains(b)),
        _ => false,
    }
}

/// DNS over TCP: 2-byte length framing, several messages per stream, both directions.
/// Copy + Default, 12 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct DnsTcpState {
    /// Bytes of an oversized message still to skip, per direction.
    skip: [u32; 2],
    /// Per direction: `SEEN` (a message parsed), `DEAD` (not DNS, or framing lost).
    flags: [u8; 2],
}

const SEEN: u8 = 1;
const DEAD: u8 = 2;

impl DnsTcpState {
    /// In-order stream bytes of `dir`, starting where the last `Consumed(n)` left off.
    /// Emits one record per whole message; waits (`Consumed`) for a message split over
    /// segments; a message longer than 8 KB is recorded from its start (status partial)
    /// and the rest skipped. `Done` when the stream is not DNS.
    pub fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        let d = dir.index();
        if self.flags[d] & DEAD != 0 {
            return Progress::Done;
        }
        let mut off = 0usize;
        loop {
            if self.skip[d] > 0 {
                let k = (self.skip[d] as usize).min(data.len() - off);
                self.skip[d] -= k as u32;
                off += k;
                if self.skip[d] > 0 {
                    return Progress::Consumed(off);
                }
                continue;
            }
            let rest = &data[off..];
            let Some(mlen) = be16(rest, 0) else {
                return Progress::Consumed(off);
            };
            let mlen = mlen as usize;
            let total = 2 + mlen;
            if mlen < 12 {
                self.flags[d] |= DEAD;
                return Progress::Done;
            }
            if rest.len() >= total {
                let msg = &rest[2..total];
                if message_ok(msg) {
                    self.flags[d] |= SEEN;
                    sink.emit(RecordKind::Dns, &mut |w| {
                        encode(msg, TRANSPORT_TCP, false, w)
                    });
                } else if self.flags[d] & SEEN == 0 {
                    self.flags[d] |= DEAD;
                    return Progress::Done;
                }
                off += total;
                continue;
            }
            if rest.len() >= TCP_WAIT_MAX {
                let msg = &rest[2..];
                if header(msg).is_some() {
                    self.flags[d] |= SEEN;
                    sink.emit(RecordKind::Dns, &mut |w| {
                        encode(msg, TRANSPORT_TCP, true, w)
                    });
                }
                self.skip[d] = (total - rest.len()) as u32;
                return Progress::Consumed(data.len());
            }
            return Progress::Consumed(off);
        }
    }

    /// Bytes of `dir` were lost: the framing cannot be found again, so the direction is
    /// given up.
    pub fn gap(&mut self, dir: Dir) {
        self.flags[dir.index()] |= DEAD;
    }
}

// ---------------------------------------------------------------------------------------
// Control-plane half.

/// One question, read back from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Dotted name (raw bytes).
    pub name: Vec<u8>,
    /// Whether the name was cut at [`NAME_MAX`].
    pub name_truncated: bool,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// A name in rdata, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Dotted name (raw bytes).
    pub name: Vec<u8>,
    /// Whether it was cut.
    pub truncated: bool,
}

/// Decoded rdata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rd {
    /// Not decoded (only its length is known).
    None,
    /// A or AAAA address bytes.
    Addr(Vec<u8>),
    /// CNAME, NS, PTR, DNAME target.
    Name(Name),
    /// MX preference and exchange.
    Mx(u16, Name),
    /// TXT strings.
    Txt(Vec<Vec<u8>>),
    /// SOA: mname, rname, then serial, refresh, retry, expire, minimum.
    Soa(Name, Name, [u32; 5]),
    /// SRV: priority, weight, port, target.
    Srv([u16; 3], Name),
    /// Raw bytes (NULL, OPT, SSHFP), at most [`RAW_MAX`].
    Raw(Vec<u8>),
}

/// One resource record, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Owner name.
    pub name: Name,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// RDLENGTH on the wire.
    pub rdlen: u16,
    /// What Vigil decoded of the rdata.
    pub data: Rd,
}

/// A DNS message read back from a `RecordKind::Dns` record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsMessage {
    /// Whether it came over TCP.
    pub tcp: bool,
    /// Message id.
    pub id: u16,
    /// Header flags (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    /// Header counts (qd, an, ns, ar) as on the wire.
    pub counts: [u16; 4],
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Rr>,
    /// Authority section.
    pub authorities: Vec<Rr>,
    /// Additional section.
    pub additionals: Vec<Rr>,
    /// End status ([`STATUS_COMPLETE`], ...).
    pub status: u8,
}

impl DnsMessage {
    /// Whether this is a response (QR set).
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The rcode (low 4 bits of the flags).
    pub fn rcode(&self) -> u16 {
        self.flags & 0xF
    }
}

fn read_name(r: &mut Reader<'_>) -> Option<Name> {
    let name = r.bytes()?.to_vec();
    let truncated = r.bool()?;
    Some(Name { name, truncated })
}

fn read_rd(r: &mut Reader<'_>) -> Option<Rd> {
    Some(match r.u8()? {
        RD_NONE => Rd::None,
        RD_ADDR => Rd::Addr(r.bytes()?.to_vec()),
        RD_NAME => Rd::Name(read_name(r)?),
        RD_MX => {
            let p = r.u16()?;
            Rd::Mx(p, read_name(r)?)
        }
        RD_TXT => {
            let n = r.u16()? as usize;
            let mut v = Vec::with_capacity(n.min(r.remaining() / 2));
            for _ in 0..n {
                v.push(r.bytes()?.to_vec());
            }
            Rd::Txt(v)
        }
        RD_SOA => {
            let m = read_name(r)?;
            let rn = read_name(r)?;
            let mut v = [0u32; 5];
            for x in v.iter_mut() {
                *x = r.u32()?;
            }
            Rd::Soa(m, rn, v)
        }
        RD_SRV => {
            let v = [r.u16()?, r.u16()?, r.u16()?];
            Rd::Srv(v, read_name(r)?)
        }
        RD_RAW => Rd::Raw(r.bytes()?.to_vec()),
        _ => return None,
    })
}

/// Reads a `RecordKind::Dns` record body back. `None` if it is cut before the header;
/// a record cut later keeps what was read (status malformed).
pub fn decode(r: &mut Reader<'_>) -> Option<DnsMessage> {
    let mut m = DnsMessage {
        tcp: r.u8()? == TRANSPORT_TCP,
        id: r.u16()?,
        flags: r.u16()?,
        counts: [r.u16()?, r.u16()?, r.u16()?, r.u16()?],
        status: STATUS_MALFORMED,
        ..Default::default()
    };
    loop {
        let Some(tag) = r.u8() else {
            return Some(m);
        };
        match tag {
            TAG_END => {
                m.status = r.u8().unwrap_or(STATUS_MALFORMED);
                return Some(m);
            }
            TAG_QUESTION => {
                let Some(n) = read_name(r) else {
                    return Some(m);
                };
                let (Some(qtype), Some(qclass)) = (r.u16(), r.u16()) else {
                    return Some(m);
                };
                m.questions.push(Question {
                    name: n.name,
                    name_truncated: n.truncated,
                    qtype,
                    qclass,
                });
            }
            TAG_ANSWER | TAG_AUTHORITY | TAG_ADDITIONAL => {
                let rr = (|| {
                    let name = read_name(r)?;
                    let rtype = r.u16()?;
                    let class = r.u16()?;
                    let ttl = r.u32()?;
                    let rdlen = r.u16()?;
                    let data = read_rd(r)?;
                    Some(Rr {
                        name,
                        rtype,
                        class,
                        ttl,
                        rdlen,
                        data,
                    })
                })();
                let Some(rr) = rr else {
                    return Some(m);
                };
                match tag {
                    TAG_ANSWER => m.answers.push(rr),
                    TAG_AUTHORITY => m.authorities.push(rr),
                    _ => m.additionals.push(rr),
                }
            }
            _ => return Some(m),
        }
    }
}

/// Suricata's name for a record type (`"A"`, `"CNAME"`, ...; the number when unknown).
pub fn rrtype_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return t.to_string(),
    };
    s.to_string()
}

/// Suricata's name for the rcode in `flags` (`"NOERROR"`, `"NXDOMAIN"`, ...).
pub fn rcode_name(flags: u16) -> String {
    let s = match flags & 0xF {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        other => return other.to_string(),
    };
    s.to_string()
}

/// An address as Suricata prints it (IPv6 in full, zero-padded groups).
pub fn addr_string(a: &[u8]) -> String {
    match a.len() {
        4 => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        16 => {
            let groups: Vec<String> = a
                .chunks(2)
                .map(|c| format!("{:02x}{:02x}", c[0], c[1]))
                .collect();
            groups.join(":")
        }
        _ => String::new(),
    }
}

use super::http::eve_string as text;

fn soa_json(m: &Name, r: &Name, v: &[u32; 5]) -> Value {
    let mut o = Map::new();
    o.insert("mname".into(), text(&m.name).into());
    if m.truncated {
        o.insert("mname_truncated".into(), true.into());
    }
    o.insert("rname".into(), text(&r.name).into());
    for (k, x) in ["serial", "refresh", "retry", "expire", "minimum"]
        .iter()
        .zip(v)
    {
        o.insert((*k).into(), (*x).into());
    }
    Value::Object(o)
}

fn srv_json(v: &[u16; 3], t: &Name) -> Value {
    json!({"priority": v[0], "weight": v[1], "port": v[2], "name": text(&t.name)})
}

fn sshfp_json(raw: &[u8]) -> Option<Value> {
    let (&algo, rest) = raw.split_first()?;
    let (&fp_type, fp) = rest.split_first()?;
    let hex: Vec<String> = fp.iter().map(|b| format!("{b:02x}")).collect();
    Some(json!({"fingerprint": hex.join(":"), "algo": algo, "type": fp_type}))
}

fn opt_json(raw: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut p = 0usize;
    while let (Some(code), Some(len)) = (be16(raw, p), be16(raw, p + 2)) {
        let Some(data) = raw.get(p + 4..p + 4 + len as usize) else {
            break;
        };
        out.push(json!({"code": code, "data": hex::encode(data)}));
        p += 4 + len as usize;
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Answer,
    Authority,
    Additional,
}

/// EVE entries for one record (several for TXT: one per string, as Suricata writes).
/// Only the fields the schema allows in `section` are written.
fn rr_json(rr: &Rr, section: Section) -> Vec<Value> {
    let mut base = Map::new();
    base.insert("rrname".into(), text(&rr.name.name).into());
    if rr.name.truncated && section == Section::Authority {
        base.insert("rrname_truncated".into(), true.into());
    }
    base.insert("rrtype".into(), rrtype_name(rr.rtype).into());
    base.insert("ttl".into(), rr.ttl.into());
    let with = |k: &str, v: Value| {
        let mut o = base.clone();
        o.insert(k.into(), v);
        vec![Value::Object(o)]
    };
    let name_rdata = |n: &Name| {
        let mut o = base.clone();
        o.insert("rdata".into(), text(&n.name).into());
        if n.truncated && section == Section::Authority {
            o.insert("rdata_truncated".into(), true.into());
        }
        vec![Value::Object(o)]
    };
    match &rr.data {
        Rd::Addr(a) => with("rdata", addr_string(a).into()),
        Rd::Name(n) | Rd::Mx(_, n) => name_rdata(n),
        Rd::Txt(strings) => strings
            .iter()
            .map(|s| {
                let mut o = base.clone();
                o.insert("rdata".into(), text(s).into());
                Value::Object(o)
            })
            .collect(),
        Rd::Soa(m, r, v) if section != Section::Additional => with("soa", soa_json(m, r, v)),
        Rd::Srv(v, t) if section == Section::Answer => with("srv", srv_json(v, t)),
        Rd::Raw(raw) => match rr.rtype {
            10 => with("rdata", text(raw).into()),
            44 if section == Section::Answer => match sshfp_json(raw) {
                Some(v) => with("sshfp", v),
                None => vec![Value::Object(base.clone())],
            },
            41 if section == Section::Additional => {
                let opts = opt_json(raw);
                if opts.is_empty() {
                    vec![Value::Object(base.clone())]
                } else {
                    with("opt", Value::Array(opts))
                }
            }
            _ => vec![Value::Object(base.clone())],
        },
        _ => vec![Value::Object(base.clone())],
    }
}

/// The `dns` object (EVE DNS v3) for a message; `tx_id` is its index in the flow.
pub fn eve_dns(m: &DnsMessage, tx_id: u64) -> Value {
    let f = m.flags;
    let mut o = Map::new();
    o.insert("version".into(), 3.into());
    o.insert(
        "type".into(),
        if m.is_response() {
            "response"
        } else {
            "request"
        }
        .into(),
    );
    o.insert("tx_id".into(), tx_id.into());
    o.insert("id".into(), m.id.into());
    o.insert("flags".into(), format!("{f:x}").into());
    for (bit, k) in [
        (0x8000, "qr"),
        (0x0400, "aa"),
        (0x0200, "tc"),
        (0x0100, "rd"),
        (0x0080, "ra"),
        (0x0040, "z"),
    ] {
        if f & bit != 0 {
            o.insert(k.into(), true.into());
        }
    }
    o.insert("opcode".into(), ((f >> 11) & 0xF).into());
    o.insert("rcode".into(), rcode_name(f).into());
    if !m.questions.is_empty() {
        let qs: Vec<Value> = m
            .questions
            .iter()
            .map(|q| {
                let mut e = Map::new();
                e.insert("rrname".into(), text(&q.name).into());
                e.insert("rrtype".into(), rrtype_name(q.qtype).into());
                if q.name_truncated {
                    e.insert("rrname_truncated".into(), true.into());
                }
                Value::Object(e)
            })
            .collect();
        o.insert("queries".into(), Value::Array(qs));
    }
    if !m.answers.is_empty() {
        let mut answers = Vec::new();
        let mut grouped: Map<String, Value> = Map::new();
        for rr in &m.answers {
            answers.extend(rr_json(rr, Section::Answer));
            let items: Vec<Value> = match &rr.data {
                Rd::Addr(a) => vec![addr_string(a).into()],
                Rd::Name(n) | Rd::Mx(_, n) => vec![text(&n.name).into()],
                Rd::Txt(s) => s.iter().map(|s| text(s).into()).collect(),
                Rd::Soa(mn, rn, v) => vec![soa_json(mn, rn, v)],
                Rd::Srv(v, t) => vec![srv_json(v, t)],
                Rd::Raw(raw) if rr.rtype == 10 => vec![text(raw).into()],
                Rd::Raw(raw) if rr.rtype == 44 => sshfp_json(raw).into_iter().collect(),
                _ => Vec::new(),
            };
            let key = rrtype_name(rr.rtype);
            let groupable = matches!(
                key.as_str(),
                "A" | "AAAA"
                    | "CNAME"
                    | "MX"
                    | "NS"
                    | "NULL"
                    | "PTR"
                    | "SOA"
                    | "SRV"
                    | "SSHFP"
                    | "TXT"
            );
            if groupable && !items.is_empty() {
                let e = grouped
                    .entry(key)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = e {
                    a.extend(items);
                }
            }
        }
        if !answers.is_empty() {
            o.insert("answers".into(), Value::Array(answers));
        }
        o.insert("grouped".into(), Value::Object(grouped));
    }
    let auth: Vec<Value> = m
        .authorities
        .iter()
        .flat_map(|rr| rr_json(rr, Section::Authority))
        .collect();
    if !auth.is_empty() {
        o.insert("authorities".into(), Value::Array(auth));
    }
    let add: Vec<Value> = m
        .additionals
        .iter()
        .filter(|rr| !(rr.rtype == 41 && matches!(&rr.data, Rd::Raw(r) if r.is_empty())))
        .flat_map(|rr| rr_json(rr, Section::Additional))
        .collect();
    if !add.is_empty() {
        o.insert("additionals".into(), Value::Array(add));
    }
    Value::Object(o)
}

/// The control-plane half: one EVE `dns` record per message, `tx_id` counting the
/// messages of each flow (as Suricata 8 does, a request and its response are two
/// transactions).
#[derive(Debug, Default)]
pub struct DnsTracker {
    next_tx: HashMap<u64, u64>,
}

impl DnsTracker {
    /// A tracker with no flows.
    pub fn new() -> DnsTracker {
        DnsTracker::default()
    }
}

impl Tracker for DnsTracker {
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        if kind != RecordKind::Dns {
            return;
        }
        let Some(m) = decode(r) else {
            return;
        };
        let tx = self.next_tx.entry(ctx.flow_id).or_insert(0);
        let tx_id = *tx;
        *tx += 1;
        let mut fields = Map::new();
        fields.insert("event_type".into(), "dns".into());
        fields.insert("dns".into(), eve_dns(&m, tx_id));
        let mut vigil = Map::new();
        if m.status != STATUS_COMPLETE {
            let s = match m.status {
                STATUS_FULL => "record_full",
                STATUS_PARTIAL => "partial",
                _ => "malformed",
            };
            vigil.insert("dns_status".into(), s.into());
        }
        if m.tcp {
            vigil.insert("dns_transport".into(), "tcp".into());
        }
        let truncated = m.questions.iter().any(|q| q.name_truncated)
            || m.answers.iter().any(|a| a.name.truncated);
        if truncated {
            vigil.insert("dns_name_truncated".into(), true.into());
        }
        if !vigil.is_empty() {
            fields.insert("vigil".into(), Value::Object(vigil));
        }
        out.push(EveBody {
            dir: ctx.dir,
            ts_ns: ctx.ts_ns,
            fields,
        });
    }

    fn flow_end(&mut self, ctx: &RecordCtx, _out: &mut Vec<EveBody>) {
        self.next_tx.remove(&ctx.flow_id);
    }
}

/// Drives the worker half (UDP, detection, TCP framing split at every byte offset of a
/// short prefix) and the tracker over arbitrary bytes; for cargo-fuzz.
pub fn fuzz_entry(data: &[u8]) {
    let mut sink = super::VecSink::default();
    let _ = looks_like_dns(data);
    let _ = datagram(Dir::ToServer, data, &mut sink);
    let mut st = DnsTcpState::default();
    let split = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    let mut pending: Vec<u8> = Vec::new();
    for chunk in [&data[..split], &data[split..]] {
        pending.extend_from_slice(chunk);
        match st.data(Dir::ToClient, &pending, &mut sink) {
            Progress::Consumed(n) => {
                pending.drain(..n.min(pending.len()));
            }
            Progress::Done => break,
        }
    }
    st.gap(Dir::ToServer);
    let mut t = DnsTracker::new();
    let mut out = Vec::new();
    let ctx = RecordCtx {
        flow_id: 1,
        ts_ns: 0,
        dir: Dir::ToServer,
    };
    for (kind, body) in &sink.records {
        t.record(*kind, &ctx, &mut Reader::new(body), &mut out);
    }
    t.flow_end(&ctx, &mut out);
    for b in &out {
        let _ = serde_json::to_string(&b.fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::VecSink;

    /// Builds a query for `name` (type A).
    fn query(id: u16, name: &str) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for l in name.split('.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        m
    }

    fn one(sink: &VecSink) -> DnsMessage {
        assert_eq!(sink.records.len(), 1);
        decode(&mut Reader::new(&sink.records[0].1)).unwrap()
    }

    #[test]
    fn query_round_trip() {
        let q = query(0x1234, "www.example.com");
        assert!(looks_like_dns(&q));
        let mut s = VecSink::default();
        assert!(datagram(Dir::ToServer, &q, &mut s));
        let m = one(&s);
        assert_eq!(m.id, 0x1234);
        assert_eq!(m.questions[0].name, b"www.example.com");
        assert_eq!(m.questions[0].qtype, 1);
        assert_eq!(m.status, STATUS_COMPLETE);
        let v = eve_dns(&m, 0);
        assert_eq!(v["type"], "request");
        assert_eq!(v["flags"], "100");
        assert_eq!(v["queries"][0]["rrname"], "www.example.com");
    }

    #[test]
    fn response_with_pointers_mx_txt_soa_srv() {
        let mut m = query(7, "example.com");
        m[2] = 0x81;
        m[3] = 0x80;
        m[7] = 5; // ancount
                  // CNAME www -> example.com (pointer to 12)
        let rr = |m: &mut Vec<u8>, t: u16, rd: &[u8]| {
            m.extend_from_slice(&[0xC0, 12]);
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
            m.extend_from_slice(&(rd.len() as u16).to_be_bytes());
            m.extend_from_slice(rd);
        };
        rr(&mut m, 1, &[10, 0, 0, 1]);
        rr(&mut m, 15, &[0, 10, 4, b'm', b'a', b'i', b'l', 0xC0, 12]);
        rr(&mut m, 16, b"\x05hello\x05world");
        let mut soa = vec![2, b'n', b's', 0xC0, 12, 0xC0, 12];
        for x in [1u32, 2, 3, 4, 5] {
            soa.extend_from_slice(&x.to_be_bytes());
        }
        rr(&mut m, 6, &soa);
        rr(&mut m, 33, &[0, 1, 0, 2, 0x01, 0xBB, 0xC0, 12]);
        let mut s = VecSink::default();
        assert!(datagram(Dir::ToClient, &m, &mut s));
        let d = one(&s);
        assert_eq!(d.status, STATUS_COMPLETE);
        assert_eq!(d.answers.len(), 5);
        assert_eq!(d.answers[0].data, Rd::Addr(vec![10, 0, 0, 1]));
        match &d.answers[1].data {
            Rd::Mx(10, n) => assert_eq!(n.name, b"mail.example.com"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            d.answers[2].data,
            Rd::Txt(vec![b"hello".to_vec(), b"world".to_vec()])
        );
        match &d.answers[3].data {
            Rd::Soa(mn, rn, v) => {
                assert_eq!(mn.name, b"ns.example.com");
                assert_eq!(rn.name, b"example.com");
                assert_eq!(v, &[1, 2, 3, 4, 5]);
            }
            other => panic!("{other:?}"),
        }
        let v = eve_dns(&d, 1);
        assert_eq!(v["answers"][1]["rdata"], "mail.example.com");
        assert_eq!(v["answers"][2]["rdata"], "hello");
        assert_eq!(v["answers"][3]["rdata"], "world");
        assert_eq!(v["answers"][4]["soa"]["serial"], 1);
        assert_eq!(v["answers"][5]["srv"]["port"], 443);
        assert_eq!(v["grouped"]["TXT"][1], "world");
        assert_eq!(v["rcode"], "NOERROR");
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        let mut m = query(1, "a");
        // Replace the question name with a pointer to itself.
        m.truncate(12);
        m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert!(!looks_like_dns(&m));
        let mut s = VecSink::default();
        assert!(!datagram(Dir::ToServer, &m, &mut s));
        // Two labels pointing at each other: "x" -> ptr to 12 at 14.
        let mut m = query(1, "a");
        m.truncate(12);
        m.extend_from_slice(&[1, b'x', 0xC0, 12, 0, 1, 0, 1]);
        assert!(!datagram(Dir::ToServer, &m, &mut s));
        assert!(s.records.is_empty());
    }

    #[test]
    fn long_names_are_cut_and_flagged() {
        let mut m = query(1, "a");
        m.truncate(12);
        for _ in 0..100 {
            m.extend_from_slice(&[3, b'a', b'b', b'c']);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let mut s = VecSink::default();
        assert!(datagram(Dir::ToServer, &m, &mut s));
        let d = one(&s);
        assert!(d.questions[0].name_truncated);
        assert!(d.questions[0].name.len() <= NAME_MAX);
    }

    #[test]
    fn tcp_framing_split_and_pipelined() {
        let a = query(1, "one.example");
        let b = query(2, "two.example");
        let mut stream = Vec::new();
        for q in [&a, &b] {
            stream.extend_from_slice(&(q.len() as u16).to_be_bytes());
            stream.extend_from_slice(q);
        }
        for cut in 0..stream.len() {
            let mut st = DnsTcpState::default();
            let mut s = VecSink::default();
            let mut pending = stream[..cut].to_vec();
            let mut fed = cut;
            loop {
                match st.data(Dir::ToServer, &pending, &mut s) {
                    Progress::Consumed(n) => {
                        pending.drain(..n);
                    }
                    Progress::Done => panic!("done"),
                }
                if fed == stream.len() {
                    break;
                }
                pending.extend_from_slice(&stream[fed..]);
                fed = stream.len();
            }
            assert_eq!(s.records.len(), 2, "cut {cut}");
        }
        assert!(std::mem::size_of::<DnsTcpState>() <= 16);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..300 {
            let mut v = vec![0u8; len];
            for b in v.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (seed >> 16) as u8;
            }
            fuzz_entry(&v);
            let mut q = query(9, "abc.def");
            q.extend_from_slice(&v);
            q[7] = (len % 7) as u8;
            fuzz_entry(&q);
        }
    }
}
