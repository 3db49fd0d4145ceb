//! HTTP/1.x: request and response headers of both directions of a TCP flow, bodies
//! skipped without buffering.
//!
//! **Worker half** ([`HttpState`]): parses each header block (fast path `httparse` into a
//! stack array; on anything it rejects, a lenient line parser that does what libhtp does
//! with real traffic: a request line without protocol followed by headers, header lines
//! without a colon, folded lines), emits it as a record, then skips the body by
//! Content-Length, by chunked framing (chunk sizes parsed, body bytes counted) or to the
//! end of the connection, so pipelined messages are each their own transaction. When the
//! body's length is known as the headers are read (no body, or all of it already in hand)
//! the head record says so; otherwise a small *end* record follows when the body ends,
//! carrying the counted length. Never allocates, never panics.
//!
//! **Control-plane half** ([`HttpTracker`]): pairs requests and responses of a flow by
//! transaction index and writes one EVE `http` record per transaction when its response
//! has ended (at flow end for those never answered), with Suricata's fields and Vigil's
//! extras (header names, MCP headers, what a JSON request body starts with) under
//! `vigil`.
//!
//! A request whose Content-Type says JSON has the start of its body (at most
//! [`jsonrpc::PEEK`] bytes, waited for in the stream buffer) scanned for JSON-RPC's
//! `method` and `params.name` and an LLM API's `model` (`super::jsonrpc`): MCP and
//! local LLM servers are recognised from these.
//!
//! # Record layouts
//! ```text
//! RecordKind::HttpRequest / HttpResponse, first byte = part:
//! part 0 (head):
//!   u32 tx            transaction index in the flow (requests and responses counted apart)
//!   u8  flags         FLAG_* below
//!   u64 body_len      FLAG_BODY_FINAL: the body's length; else the declared Content-Length
//!   request:  bytes method, bytes uri, bytes protocol ("" for a request line without one)
//!   response: bytes protocol, u16 status (0 if not three digits), bytes status token
//!   then tagged values: u8 tag (FIELD_* + 1), bytes value;
//!   tag 0x40: header names: u8 count, count x bytes;   tag 0: end
//! part 1 (end of a body whose length was not known at head time):
//!   u32 tx, u8 how (END_*), u64 body_len
//! part 2 (requests: what the start of a JSON body said):
//!   u32 tx, u8 flags (JSON_*), bytes method, bytes params.name/uri, bytes model
//! ```

use super::jsonrpc::{self, PEEK};
use super::{Dir, EveBody, Progress, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Head record: the body's length is final (no end record follows).
pub const FLAG_BODY_FINAL: u8 = 1;
/// Head record: chunked transfer encoding.
pub const FLAG_CHUNKED: u8 = 2;
/// Head record: the request line had no protocol (HTTP/0.9 form).
pub const FLAG_NO_PROTOCOL: u8 = 4;
/// Head record: a malformed header line (no colon) or a folded line was seen.
pub const FLAG_MALFORMED: u8 = 8;
/// Head record: a value was cut to fit.
pub const FLAG_TRUNCATED: u8 = 16;
/// Head record: more header names than were listed.
pub const FLAG_MORE_NAMES: u8 = 32;

/// End record: the body ended as framed.
pub const END_COMPLETE: u8 = 0;
/// End record: the connection closed (the normal end of a body without length).
pub const END_CLOSED: u8 = 1;
/// End record: bytes were lost; the length counts what was seen.
pub const END_GAP: u8 = 2;

const PART_HEAD: u8 = 0;
const PART_END: u8 = 1;
const PART_JSON: u8 = 2;

/// JSON record: `"jsonrpc": "2.0"` was seen.
pub const JSON_RPC2: u8 = 1;
/// JSON record: the request has an `id`.
pub const JSON_ID: u8 = 2;
/// JSON record: the body is a batch (array); its first element was read.
pub const JSON_BATCH: u8 = 4;
/// JSON record: only the first [`PEEK`] bytes of a longer body were read.
pub const JSON_CUT: u8 = 8;
const JSON_METHOD_CAP: usize = 64;
const JSON_NAME_CAP: usize = 128;
const JSON_MODEL_CAP: usize = 96;
const TAG_NAMES: u8 = 0x40;
const TAG_END: u8 = 0;

/// Header fields the head records carry (index + 1 is the record tag).
pub const FIELD_HOST: usize = 0;
/// `User-Agent`.
pub const FIELD_USER_AGENT: usize = 1;
/// `Content-Type`.
pub const FIELD_CONTENT_TYPE: usize = 2;
/// `Referer`.
pub const FIELD_REFERER: usize = 3;
/// `X-Forwarded-For`.
pub const FIELD_XFF: usize = 4;
/// `Mcp-Session-Id`.
pub const FIELD_MCP_SESSION_ID: usize = 5;
/// `MCP-Protocol-Version`.
pub const FIELD_MCP_PROTOCOL_VERSION: usize = 6;
/// `Mcp-Method`.
pub const FIELD_MCP_METHOD: usize = 7;
/// `Location`.
pub const FIELD_LOCATION: usize = 8;
/// `Server`.
pub const FIELD_SERVER: usize = 9;
/// `Content-Encoding`.
pub const FIELD_CONTENT_ENCODING: usize = 10;
/// `Mcp-Name` (the tool, prompt or resource of an MCP request).
pub const FIELD_MCP_NAME: usize = 11;
const FIELD_CONTENT_LENGTH: usize = 12;
const FIELD_TRANSFER_ENCODING: usize = 13;
const N_FIELDS: usize = 14;
/// Fields written into records (the last two only steer the parser).
const N_RECORDED: usize = 12;
/// Most bytes of each recorded value (so a head record always fits `RECORD_MAX`).
const FIELD_CAPS: [usize; N_RECORDED] = [256, 512, 128, 512, 256, 128, 128, 128, 512, 128, 64, 256];

/// Most header names listed per message.
pub const MAX_NAMES: usize = 16;
const NAME_CAP: usize = 48;
const METHOD_CAP: usize = 64;
const URI_CAP: usize = 2048;
const PROTO_CAP: usize = 32;
/// A header block that does not end within this many bytes is given up on.
const HEAD_MAX: usize = 16 * 1024 - 1;
/// Longest chunk-size line accepted.
const CHUNK_LINE_MAX: usize = 1024;
/// Header slots for the httparse fast path.
const FAST_HEADERS: usize = 48;

/// Known request methods (detection and resynchronisation after a gap).
const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"MKACTIVITY",
    b"CHECKOUT",
    b"MERGE",
    b"M-SEARCH",
    b"NOTIFY",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"PURGE",
    b"MKCALENDAR",
    b"LINK",
    b"UNLINK",
    b"BIND",
    b"REBIND",
    b"UNBIND",
    b"ACL",
    b"VERSION-CONTROL",
    b"CCM_POST",
];

#[inline]
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `payload` starts with a known method token and a space, or any method token,
/// a space and an origin/absolute/asterisk target (any port).
pub fn looks_like_http_request(payload: &[u8]) -> bool {
    let n = payload
        .iter()
        .take(33)
        .take_while(|&&b| is_tchar(b))
        .count();
    if n == 0 || payload.get(n) != Some(&b' ') {
        return false;
    }
    let method = &payload[..n];
    if METHODS.contains(&method) {
        return true;
    }
    let target = &payload[n + 1..];
    method
        .iter()
        .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
        && (target.first() == Some(&b'/')
            || target.first() == Some(&b'*')
            || starts_with_ci(target, b"http://")
            || starts_with_ci(target, b"https://"))
}

/// Whether `payload` starts with a status line's `HTTP/1.`.
pub fn looks_like_http_response(payload: &[u8]) -> bool {
    payload.starts_with(b"HTTP/1.")
}

#[inline]
fn starts_with_ci(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
}

#[inline]
fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if *first == b' ' || *first == b'\t' {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if *last == b' ' || *last == b'\t' || *last == b'\r' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The line starting at `from`, without its `\n` and a trailing `\r`, and where the next
/// line starts. `None` if no `\n` yet.
#[inline]
fn next_line(data: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(from..)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let mut line = &rest[..nl];
    if let [l @ .., b'\r'] = line {
        line = l;
    }
    Some((line, from + nl + 1))
}

fn field_index(name: &[u8]) -> Option<usize> {
    let eq = |s: &[u8]| name.eq_ignore_ascii_case(s);
    Some(match name.len() {
        4 if eq(b"host") => FIELD_HOST,
        6 if eq(b"server") => FIELD_SERVER,
        7 if eq(b"referer") => FIELD_REFERER,
        8 if eq(b"location") => FIELD_LOCATION,
        8 if eq(b"mcp-name") => FIELD_MCP_NAME,
        10 if eq(b"user-agent") => FIELD_USER_AGENT,
        10 if eq(b"mcp-method") => FIELD_MCP_METHOD,
        12 if eq(b"content-type") => FIELD_CONTENT_TYPE,
        14 if eq(b"content-length") => FIELD_CONTENT_LENGTH,
        14 if eq(b"mcp-session-id") => FIELD_MCP_SESSION_ID,
        16 if eq(b"content-encoding") => FIELD_CONTENT_ENCODING,
        15 if eq(b"x-forwarded-for") => FIELD_XFF,
        17 if eq(b"transfer-encoding") => FIELD_TRANSFER_ENCODING,
        20 if eq(b"mcp-protocol-version") => FIELD_MCP_PROTOCOL_VERSION,
        _ => return None,
    })
}

/// One parsed header block, borrowing the stream bytes.
#[derive(Clone, Copy)]
struct Head<'a> {
    /// Request: method, uri, protocol. Response: protocol, status token, reason.
    line: [&'a [u8]; 3],
    status: u16,
    fields: [Option<&'a [u8]>; N_FIELDS],
    names: [&'a [u8]; MAX_NAMES],
    n_names: usize,
    more_names: bool,
    malformed: bool,
    /// Bytes of the block, its blank line included.
    len: usize,
}

impl<'a> Head<'a> {
    fn empty() -> Head<'a> {
        Head {
            line: [&[]; 3],
            status: 0,
            fields: [None; N_FIELDS],
            names: [&[]; MAX_NAMES],
            n_names: 0,
            more_names: false,
            malformed: false,
            len: 0,
        }
    }

    #[inline]
    fn header(&mut self, name: &'a [u8], value: &'a [u8]) {
        if self.n_names < MAX_NAMES {
            self.names[self.n_names] = name;
            self.n_names += 1;
        } else {
            self.more_names = true;
        }
        if let Some(i) = field_index(name) {
            if self.fields[i].is_none() {
                self.fields[i] = Some(trim(value));
            }
        }
    }
}

// Boxing the head would allocate on the hot path; it lives on the stack briefly.
#[allow(clippy::large_enum_variant)]
enum Parse<'a> {
    /// The block is not complete yet.
    Partial,
    /// Not an HTTP message start.
    Invalid,
    Complete(Head<'a>),
}

/// Bytes of empty lines before a message (tolerated between pipelined messages).
fn leading_blank(data: &[u8]) -> usize {
    data.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

fn three_digit_status(tok: &[u8]) -> u16 {
    if tok.len() == 3 && tok.iter().all(u8::is_ascii_digit) {
        tok.iter().fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'))
    } else {
        0
    }
}

/// The httparse fast path; `None` when httparse rejects the bytes (the lenient parser
/// decides then).
fn parse_fast(data: &[u8], request: bool) -> Option<Parse<'_>> {
    let mut hs = [httparse::EMPTY_HEADER; FAST_HEADERS];
    let mut h = Head::empty();
    let (status, n) = if request {
        let mut req = httparse::Request::new(&mut hs);
        let st = req.parse(data).ok()?;
        let httparse::Status::Complete(n) = st else {
            return Some(Parse::Partial);
        };
        h.line[0] = req.method?.as_bytes();
        h.line[1] = req.path?.as_bytes();
        h.line[2] = if req.version? == 1 {
            b"HTTP/1.1"
        } else {
            b"HTTP/1.0"
        };
        for hd in req.headers.iter() {
            h.header(hd.name.as_bytes(), hd.value);
        }
        (0, n)
    } else {
        let mut res = httparse::Response::new(&mut hs);
        let st = res.parse(data).ok()?;
        let httparse::Status::Complete(n) = st else {
            return Some(Parse::Partial);
        };
        h.line[0] = if res.version? == 1 {
            b"HTTP/1.1"
        } else {
            b"HTTP/1.0"
        };
        h.line[2] = res.reason.unwrap_or("").as_bytes();
        for hd in res.headers.iter() {
            h.header(hd.name.as_bytes(), hd.value);
        }
        (res.code?, n)
    };
    h.status = status;
    h.len = n;
    Some(Parse::Complete(h))
}

/// Splits a start line at spaces: first token, second token, the rest.
fn split_line(line: &[u8]) -> [&[u8]; 3] {
    let sp = |b: &u8| *b == b' ' || *b == b'\t';
    let a_end = line.iter().position(sp).unwrap_or(line.len());
    let a = &line[..a_end];
    let rest = trim(&line[a_end..]);
    let b_end = rest.iter().position(sp).unwrap_or(rest.len());
    [a, &rest[..b_end], trim(&rest[b_end..])]
}

/// Whether the bytes so far could still become a start line.
fn plausible_prefix(data: &[u8], request: bool) -> bool {
    if request {
        let n = data.iter().take_while(|&&b| is_tchar(b)).count();
        n <= 32 && (n == data.len() || data[n] == b' ')
    } else {
        let p = data.len().min(5);
        data[..p] == b"HTTP/"[..p]
    }
}

/// The lenient parser: line by line, as libhtp reads real traffic.
fn parse_lenient(data: &[u8], request: bool) -> Parse<'_> {
    let Some((line, mut pos)) = next_line(data, 0) else {
        return if plausible_prefix(data, request) {
            Parse::Partial
        } else {
            Parse::Invalid
        };
    };
    let mut h = Head::empty();
    h.line = split_line(line);
    if request {
        if h.line[0].is_empty() || !h.line[0].iter().all(|&b| is_tchar(b)) || h.line[1].is_empty() {
            return Parse::Invalid;
        }
        if h.line[2].is_empty() && pos == data.len() {
            // "GET /" and nothing after it: an HTTP/0.9 request.
            h.len = pos;
            return Parse::Complete(h);
        }
    } else {
        if !h.line[0].starts_with(b"HTTP/") {
            return Parse::Invalid;
        }
        h.status = three_digit_status(h.line[1]);
    }
    loop {
        let Some((l, nx)) = next_line(data, pos) else {
            return Parse::Partial;
        };
        pos = nx;
        if l.is_empty() {
            break;
        }
        if l[0] == b' ' || l[0] == b'\t' {
            // A folded continuation: its text is not kept.
            h.malformed = true;
            continue;
        }
        match l.iter().position(|&b| b == b':') {
            Some(c) => h.header(trim(&l[..c]), &l[c + 1..]),
            None => h.malformed = true,
        }
    }
    h.len = pos;
    Parse::Complete(h)
}

fn parse_head(data: &[u8], request: bool) -> Parse<'_> {
    match parse_fast(data, request) {
        Some(p) => p,
        None => parse_lenient(data, request),
    }
}

fn content_length(v: &[u8]) -> Option<u64> {
    let v = trim(v);
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0')))
}

/// Whether a Content-Type is JSON (`application/json`, `…+json`, `application/json-rpc`).
fn is_json(ct: &[u8]) -> bool {
    ct.windows(4).any(|w| w.eq_ignore_ascii_case(b"json"))
}

/// Scans the start of a JSON request body and emits what it found, if anything.
fn emit_json(sink: &mut dyn Sink, tx: u32, body: &[u8], cut: bool) {
    let Some(f) = jsonrpc::scan(body) else {
        return;
    };
    if !f.any() {
        return;
    }
    let mut flags = 0u8;
    for (on, bit) in [
        (f.jsonrpc2, JSON_RPC2),
        (f.id, JSON_ID),
        (f.batch, JSON_BATCH),
        (cut, JSON_CUT),
    ] {
        if on {
            flags |= bit;
        }
    }
    sink.emit(RecordKind::HttpRequest, &mut |w| {
        w.u8(PART_JSON);
        w.u32(tx);
        w.u8(flags);
        w.bytes(cap(f.method, JSON_METHOD_CAP));
        w.bytes(cap(f.name, JSON_NAME_CAP));
        w.bytes(cap(f.model, JSON_MODEL_CAP));
        true
    });
}

/// At most `n` bytes of an optional value ("" when none).
fn cap(v: Option<&[u8]>, n: usize) -> &[u8] {
    let v = v.unwrap_or(&[]);
    &v[..v.len().min(n)]
}

fn is_chunked(te: &[u8]) -> bool {
    te.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
}

/// Parses a chunk-size line (hex digits, optional extensions).
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = trim(line);
    let n = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if n == 0 || n > 15 {
        return None;
    }
    let mut v = 0u64;
    for &d in &line[..n] {
        v = v * 16 + u64::from((d as char).to_digit(16)?);
    }
    Some(v)
}

/// Where a direction's parser is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// Waiting for a header block.
    #[default]
    Head,
    /// Skipping `remaining` body bytes (Content-Length).
    Body,
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Skipping `remaining` bytes of chunk data.
    ChunkData,
    /// Expecting the CRLF after chunk data.
    ChunkEnd,
    /// Reading trailer lines after the last chunk.
    Trailer,
    /// Body runs to the end of the connection.
    UntilClose,
    /// Bytes were lost: looking for the next message start.
    Lost,
    /// Not HTTP any more (tunnel, upgrade, garbage): stop.
    Done,
}

const OWE_END: u8 = 1;
const GAPPED: u8 = 2;
/// The start of this request's JSON body is still to be scanned.
const PEEK_JSON: u8 = 4;

/// One direction's parser state.
#[derive(Debug, Clone, Copy, Default)]
struct Half {
    /// Bytes left of the current body or chunk.
    remaining: u64,
    /// Body bytes counted for the current message.
    body: u64,
    /// Messages started in this direction (the current one is `tx - 1`).
    tx: u32,
    mode: Mode,
    /// `OWE_END`, `GAPPED`, `PEEK_JSON`.
    flags: u8,
}

/// Per-flow HTTP/1.x state for both directions; Copy + Default, 56 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpState {
    half: [Half; 2],
    /// Bit `tx % 32`: request `tx` was HEAD (its response has no body).
    head_mask: u32,
    /// Bit `tx % 32`: request `tx` was CONNECT (a 2xx response starts a tunnel).
    connect_mask: u32,
}

/// A value written with a cap; sets `cut` when it did not fit.
#[inline]
fn put(w: &mut Writer<'_>, v: &[u8], cap: usize, cut: &mut bool) {
    if v.len() > cap {
        *cut = true;
    }
    w.bytes(&v[..v.len().min(cap)]);
}

fn write_head(w: &mut Writer<'_>, h: &Head<'_>, tx: u32, mut flags: u8, body: u64, request: bool) {
    let mut cut = false;
    // The flags byte is known only after the values are written; precompute truncation.
    let caps: [usize; 3] = if request {
        [METHOD_CAP, URI_CAP, PROTO_CAP]
    } else {
        [PROTO_CAP, 0, PROTO_CAP]
    };
    if request {
        cut |= h.line[0].len() > caps[0] || h.line[1].len() > caps[1] || h.line[2].len() > caps[2];
    } else {
        cut |= h.line[0].len() > caps[0] || h.line[1].len() > caps[2];
    }
    cut |= h.fields[..N_RECORDED]
        .iter()
        .zip(FIELD_CAPS)
        .any(|(v, cap)| v.is_some_and(|v| v.len() > cap));
    cut |= h.names[..h.n_names].iter().any(|n| n.len() > NAME_CAP);
    if cut {
        flags |= FLAG_TRUNCATED;
    }
    if h.malformed {
        flags |= FLAG_MALFORMED;
    }
    if h.more_names {
        flags |= FLAG_MORE_NAMES;
    }
    let mut ignore = false;
    w.u8(PART_HEAD);
    w.u32(tx);
    w.u8(flags);
    w.u64(body);
    if request {
        put(w, h.line[0], METHOD_CAP, &mut ignore);
        put(w, h.line[1], URI_CAP, &mut ignore);
        put(w, h.line[2], PROTO_CAP, &mut ignore);
    } else {
        put(w, h.line[0], PROTO_CAP, &mut ignore);
        w.u16(h.status);
        put(w, h.line[1], PROTO_CAP, &mut ignore);
    }
    for (i, v) in h.fields[..N_RECORDED].iter().enumerate() {
        if let Some(v) = v {
            w.u8(i as u8 + 1);
            put(w, v, FIELD_CAPS[i], &mut ignore);
        }
    }
    if h.n_names > 0 {
        w.u8(TAG_NAMES);
        w.u8(h.n_names as u8);
        for n in &h.names[..h.n_names] {
            put(w, n, NAME_CAP, &mut ignore);
        }
    }
    w.u8(TAG_END);
}

fn kind_of(dir: Dir) -> RecordKind {
    match dir {
        Dir::ToServer => RecordKind::HttpRequest,
        Dir::ToClient => RecordKind::HttpResponse,
    }
}

/// How a message's body is framed.
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
    Tunnel,
}

impl HttpState {
    /// In-order stream bytes of `dir`, starting where the last `Consumed(n)` left off.
    /// Emits an `HttpRequest` (to server) or `HttpResponse` (to client) head record per
    /// message and, when a body's length was not known then, an end record when it ends.
    /// `Consumed(n)` with the tail of an incomplete header block left over; `Done` when
    /// the direction is not (or no longer) HTTP.
    pub fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        let d = dir.index();
        let request = dir == Dir::ToServer;
        let mut off = 0usize;
        while off < data.len() {
            let rest = &data[off..];
            let h = &mut self.half[d];
            match h.mode {
                Mode::Done => return Progress::Done,
                Mode::Head => {
                    let blank = leading_blank(rest);
                    if blank > 0 {
                        off += blank;
                        continue;
                    }
                    match parse_head(rest, request) {
                        Parse::Partial => {
                            if rest.len() >= HEAD_MAX {
                                h.mode = Mode::Done;
                                return Progress::Done;
                            }
                            return Progress::Consumed(off);
                        }
                        Parse::Invalid => {
                            if !request && self.half[1].tx == 0 && self.half[0].tx > 0 {
                                // A response without status line to a request (HTTP/0.9).
                                self.simple_response(sink);
                                continue;
                            }
                            let h = &mut self.half[d];
                            if h.tx == 0 {
                                h.mode = Mode::Done;
                                return Progress::Done;
                            }
                            // Look for the next message start past this one (at least a
                            // byte on, so a start that resyncs but does not parse cannot
                            // loop).
                            h.mode = Mode::Lost;
                            off += 1;
                        }
                        Parse::Complete(head) => {
                            let avail = (rest.len() - head.len) as u64;
                            off += head.len;
                            if request {
                                self.request_head(&head, avail, sink);
                            } else {
                                self.response_head(&head, avail, sink);
                            }
                        }
                    }
                }
                Mode::Body | Mode::ChunkData => {
                    if h.flags & PEEK_JSON != 0 {
                        // The start of a JSON request body: wait (in the stream buffer)
                        // until its first PEEK bytes are here, then scan them.
                        let want = h.remaining.min(PEEK as u64) as usize;
                        if rest.len() < want {
                            return Progress::Consumed(off);
                        }
                        h.flags &= !PEEK_JSON;
                        let cut = h.remaining > PEEK as u64 || h.mode == Mode::ChunkData;
                        emit_json(sink, h.tx.wrapping_sub(1), &rest[..want], cut);
                    }
                    let k = h.remaining.min(rest.len() as u64);
                    h.remaining -= k;
                    h.body += k;
                    off += k as usize;
                    if h.remaining == 0 {
                        if h.mode == Mode::Body {
                            self.body_ended(dir, END_COMPLETE, sink);
                        } else {
                            h.mode = Mode::ChunkEnd;
                        }
                    }
                }
                Mode::UntilClose => {
                    h.body += rest.len() as u64;
                    off = data.len();
                }
                Mode::ChunkEnd => {
                    if rest.starts_with(b"\r\n") {
                        off += 2;
                    } else if rest.starts_with(b"\n") {
                        off += 1;
                    } else if rest == b"\r" {
                        return Progress::Consumed(off);
                    }
                    // Anything else: lenient, read it as the next size line.
                    self.half[d].mode = Mode::ChunkSize;
                }
                Mode::ChunkSize => match next_line(rest, 0) {
                    None if rest.len() > CHUNK_LINE_MAX => self.lose(dir, sink),
                    None => return Progress::Consumed(off),
                    Some((line, nx)) => match chunk_size(line) {
                        None if line.is_empty() => off += nx,
                        None => self.lose(dir, sink),
                        Some(0) => {
                            off += nx;
                            self.half[d].mode = Mode::Trailer;
                        }
                        Some(n) => {
                            off += nx;
                            let h = &mut self.half[d];
                            h.remaining = n;
                            h.mode = Mode::ChunkData;
                        }
                    },
                },
                Mode::Trailer => match next_line(rest, 0) {
                    None if rest.len() > HEAD_MAX => self.lose(dir, sink),
                    None => return Progress::Consumed(off),
                    Some((line, nx)) => {
                        off += nx;
                        if line.is_empty() {
                            self.body_ended(dir, END_COMPLETE, sink);
                        }
                    }
                },
                Mode::Lost => {
                    if h.flags & OWE_END != 0 {
                        self.body_ended(dir, END_GAP, sink);
                        self.half[d].mode = Mode::Lost;
                    }
                    match resync(rest, request) {
                        Some(at) => {
                            off += at;
                            self.half[d].mode = Mode::Head;
                        }
                        None => off = data.len(),
                    }
                }
            }
        }
        if self.half[d].mode == Mode::Done {
            return Progress::Done;
        }
        Progress::Consumed(off)
    }

    /// Bytes of `dir` were lost: the current body's length is what was counted, and the
    /// parser looks for the next message start in what follows.
    pub fn gap(&mut self, dir: Dir) {
        let h = &mut self.half[dir.index()];
        h.flags &= !PEEK_JSON;
        if h.mode != Mode::Done {
            h.mode = Mode::Lost;
            h.flags |= GAPPED;
        }
    }

    /// The connection ended in `dir` (FIN, RST or timeout): a body running to the end of
    /// the connection is complete now, and its end record is emitted; a body cut short is
    /// reported with the bytes counted.
    pub fn close(&mut self, dir: Dir, sink: &mut dyn Sink) {
        let h = self.half[dir.index()];
        if h.flags & OWE_END != 0 {
            let how = if h.flags & GAPPED != 0 {
                END_GAP
            } else {
                END_CLOSED
            };
            self.body_ended(dir, how, sink);
        }
        self.half[dir.index()].mode = Mode::Done;
    }

    /// Lost sync within a body: report what was counted, look for the next message.
    fn lose(&mut self, dir: Dir, sink: &mut dyn Sink) {
        if self.half[dir.index()].flags & OWE_END != 0 {
            self.body_ended(dir, END_GAP, sink);
        }
        self.half[dir.index()].mode = Mode::Lost;
    }

    /// The current body of `dir` ended: emit the end record if one is owed.
    fn body_ended(&mut self, dir: Dir, how: u8, sink: &mut dyn Sink) {
        let h = &mut self.half[dir.index()];
        if h.flags & OWE_END != 0 {
            let tx = h.tx.wrapping_sub(1);
            let body = h.body;
            sink.emit(kind_of(dir), &mut |w| {
                w.u8(PART_END);
                w.u32(tx);
                w.u8(how);
                w.u64(body);
                true
            });
        }
        h.flags &= !(OWE_END | GAPPED | PEEK_JSON);
        h.mode = Mode::Head;
        h.remaining = 0;
        h.body = 0;
    }

    /// Starts the body of the message just parsed in `d`, emitting its head record.
    fn start_body(
        &mut self,
        dir: Dir,
        head: &Head<'_>,
        framing: Framing,
        avail: u64,
        base_flags: u8,
        sink: &mut dyn Sink,
    ) {
        let request = dir == Dir::ToServer;
        let h = &mut self.half[dir.index()];
        let tx = h.tx;
        h.tx = h.tx.wrapping_add(1);
        h.body = 0;
        h.remaining = 0;
        h.flags &= !(OWE_END | GAPPED | PEEK_JSON);
        let mut flags = base_flags;
        let mut body = 0u64;
        match framing {
            Framing::None => {
                flags |= FLAG_BODY_FINAL;
                h.mode = Mode::Head;
            }
            Framing::Tunnel => {
                flags |= FLAG_BODY_FINAL;
                h.mode = Mode::Done;
            }
            Framing::Length(n) => {
                body = n;
                h.remaining = n;
                h.mode = Mode::Body;
                if n <= avail {
                    // The whole body is in hand: its length is final now.
                    flags |= FLAG_BODY_FINAL;
                } else {
                    h.flags |= OWE_END;
                }
            }
            Framing::Chunked => {
                flags |= FLAG_CHUNKED;
                h.mode = Mode::ChunkSize;
                h.flags |= OWE_END;
            }
            Framing::UntilClose => {
                h.mode = Mode::UntilClose;
                h.flags |= OWE_END;
            }
        }
        sink.emit(kind_of(dir), &mut |w| {
            write_head(w, head, tx, flags, body, request);
            true
        });
        if let Framing::Length(n) = framing {
            if n == 0 {
                self.half[dir.index()].mode = Mode::Head;
            }
        }
    }

    fn request_head(&mut self, head: &Head<'_>, avail: u64, sink: &mut dyn Sink) {
        let tx = self.half[0].tx;
        let bit = 1u32 << (tx % 32);
        let method = head.line[0];
        self.head_mask = if method.eq_ignore_ascii_case(b"HEAD") {
            self.head_mask | bit
        } else {
            self.head_mask & !bit
        };
        let connect = method.eq_ignore_ascii_case(b"CONNECT");
        self.connect_mask = if connect {
            self.connect_mask | bit
        } else {
            self.connect_mask & !bit
        };
        let te = head.fields[FIELD_TRANSFER_ENCODING];
        let framing = if te.is_some_and(is_chunked) {
            Framing::Chunked
        } else {
            match head.fields[FIELD_CONTENT_LENGTH].and_then(content_length) {
                Some(n) if n > 0 => Framing::Length(n),
                _ if connect => Framing::Tunnel,
                _ => Framing::None,
            }
        };
        let flags = if head.line[2].is_empty() {
            FLAG_NO_PROTOCOL
        } else {
            0
        };
        let json = head.fields[FIELD_CONTENT_TYPE].is_some_and(is_json);
        self.start_body(Dir::ToServer, head, framing, avail, flags, sink);
        let h = &mut self.half[0];
        if json && matches!(h.mode, Mode::Body | Mode::ChunkSize) {
            h.flags |= PEEK_JSON;
        }
    }

    fn response_head(&mut self, head: &Head<'_>, avail: u64, sink: &mut dyn Sink) {
        let status = head.status;
        if (100..200).contains(&status) && status != 101 {
            // Interim response (100 Continue, 103 Early Hints): not a transaction.
            return;
        }
        let tx = self.half[1].tx;
        let bit = 1u32 << (tx % 32);
        let answered = tx < self.half[0].tx;
        let head_req = answered && self.head_mask & bit != 0;
        let connect = answered && self.connect_mask & bit != 0;
        let te = head.fields[FIELD_TRANSFER_ENCODING];
        let framing = if status == 101 || (connect && (200..300).contains(&status)) {
            Framing::Tunnel
        } else if head_req || status == 204 || status == 304 {
            Framing::None
        } else if te.is_some_and(is_chunked) {
            Framing::Chunked
        } else {
            match head.fields[FIELD_CONTENT_LENGTH].and_then(content_length) {
                Some(0) => Framing::None,
                Some(n) => Framing::Length(n),
                None => Framing::UntilClose,
            }
        };
        self.start_body(Dir::ToClient, head, framing, avail, 0, sink);
    }

    /// A response to an HTTP/0.9 request: no status line, the body runs to the end.
    fn simple_response(&mut self, sink: &mut dyn Sink) {
        let head = Head::empty();
        self.start_body(Dir::ToClient, &head, Framing::UntilClose, 0, 0, sink);
    }
}

/// Offset of the next plausible message start in `data` (at its start or after a line
/// feed), for resynchronisation after a gap.
fn resync(data: &[u8], request: bool) -> Option<usize> {
    let ok = |s: &[u8]| {
        if request {
            let n = s.iter().take(20).take_while(|&&b| is_tchar(b)).count();
            s.get(n) == Some(&b' ') && METHODS.iter().any(|m| *m == &s[..n])
        } else {
            looks_like_http_response(s)
        }
    };
    if ok(data) {
        return Some(0);
    }
    let mut p = 0usize;
    while let Some(i) = data[p..].iter().position(|&b| b == b'\n') {
        p += i + 1;
        if ok(&data[p..]) {
            return Some(p);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Control-plane half.

/// Text as Suricata writes byte strings: valid UTF-8 as is, otherwise printable ASCII
/// kept and every other byte written `\xNN`.
pub fn eve_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut s = String::with_capacity(b.len() + 8);
            for &c in b {
                if c.is_ascii_graphic() || c == b' ' {
                    s.push(c as char);
                } else {
                    s.push_str(&format!("\\x{c:02x}"));
                }
            }
            s
        }
    }
}

/// A head record read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpHead {
    /// Transaction index.
    pub tx: u32,
    /// `FLAG_*`.
    pub flags: u8,
    /// Body length (final if `FLAG_BODY_FINAL`, else declared Content-Length).
    pub body_len: u64,
    /// Request: method, uri, protocol. Response: protocol, status token, "".
    pub line: [Vec<u8>; 3],
    /// Response status (0 when not three digits).
    pub status: u16,
    /// Values by `FIELD_*` index.
    pub fields: [Option<Vec<u8>>; N_RECORDED],
    /// Header names in order (at most [`MAX_NAMES`]).
    pub names: Vec<Vec<u8>>,
}

/// An end record read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpEnd {
    /// Transaction index.
    pub tx: u32,
    /// `END_*`.
    pub how: u8,
    /// Body bytes counted.
    pub body_len: u64,
}

/// What the start of a JSON request body said, read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpJson {
    /// Transaction index.
    pub tx: u32,
    /// `JSON_*`.
    pub flags: u8,
    /// JSON-RPC `method` ("" when none).
    pub method: Vec<u8>,
    /// `params.name` (or `params.uri`).
    pub name: Vec<u8>,
    /// `model`.
    pub model: Vec<u8>,
}

/// One HTTP record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum HttpRecord {
    /// A header block.
    Head(HttpHead),
    /// The end of a body.
    End(HttpEnd),
    /// The start of a JSON request body.
    Json(HttpJson),
}

/// Reads an `HttpRequest` / `HttpResponse` record back.
pub fn decode(kind: RecordKind, r: &mut Reader<'_>) -> Option<HttpRecord> {
    let request = kind == RecordKind::HttpRequest;
    match r.u8()? {
        PART_END => Some(HttpRecord::End(HttpEnd {
            tx: r.u32()?,
            how: r.u8()?,
            body_len: r.u64()?,
        })),
        PART_JSON if request => Some(HttpRecord::Json(HttpJson {
            tx: r.u32()?,
            flags: r.u8()?,
            method: r.bytes()?.to_vec(),
            name: r.bytes()?.to_vec(),
            model: r.bytes()?.to_vec(),
        })),
        PART_HEAD => {
            let mut h = HttpHead {
                tx: r.u32()?,
                flags: r.u8()?,
                body_len: r.u64()?,
                ..Default::default()
            };
            if request {
                for i in 0..3 {
                    h.line[i] = r.bytes()?.to_vec();
                }
            } else {
                h.line[0] = r.bytes()?.to_vec();
                h.status = r.u16()?;
                h.line[1] = r.bytes()?.to_vec();
            }
            while let Some(tag) = r.u8() {
                match tag {
                    TAG_END => break,
                    TAG_NAMES => {
                        let n = r.u8()? as usize;
                        for _ in 0..n {
                            h.names.push(r.bytes()?.to_vec());
                        }
                    }
                    t if (1..=N_RECORDED as u8).contains(&t) => {
                        h.fields[t as usize - 1] = Some(r.bytes()?.to_vec());
                    }
                    _ => break,
                }
            }
            Some(HttpRecord::Head(h))
        }
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Tx {
    req: Option<HttpHead>,
    req_body: Option<u64>,
    json: Option<HttpJson>,
    resp: Option<HttpHead>,
    resp_end: Option<HttpEnd>,
}

/// Host as libhtp normalises it: from an absolute URI's authority or the Host header,
/// lowercased, port and trailing dots removed; the port when one was given.
pub fn normalize_host(uri: &[u8], host: Option<&[u8]>) -> Option<(String, Option<u16>)> {
    let from_uri = ["http://", "https://"].iter().find_map(|p| {
        if starts_with_ci(uri, p.as_bytes()) {
            let rest = &uri[p.len()..];
            let end = rest
                .iter()
                .position(|&b| b == b'/' || b == b'?' || b == b'#')
                .unwrap_or(rest.len());
            let auth = &rest[..end];
            let auth = match auth.iter().rposition(|&b| b == b'@') {
                Some(i) => &auth[i + 1..],
                None => auth,
            };
            (!auth.is_empty()).then_some(auth)
        } else {
            None
        }
    });
    let raw = trim(from_uri.or(host)?);
    if raw.is_empty() {
        return None;
    }
    let (name, port) = if raw.first() == Some(&b'[') {
        match raw.iter().position(|&b| b == b']') {
            Some(i) => {
                let port = raw.get(i + 1..).and_then(|p| p.strip_prefix(b":"));
                (&raw[..=i], port)
            }
            None => (raw, None),
        }
    } else {
        match raw.iter().rposition(|&b| b == b':') {
            Some(i) => (&raw[..i], Some(&raw[i + 1..])),
            None => (raw, None),
        }
    };
    let mut name = eve_string(name).to_ascii_lowercase();
    while name.ends_with('.') {
        name.pop();
    }
    let port = port.and_then(|p| std::str::from_utf8(p).ok()?.parse::<u16>().ok());
    Some((name, port))
}

/// `vigil.json`: what the start of a JSON request body said.
fn json_summary(j: &HttpJson) -> Value {
    let mut m = Map::new();
    if j.flags & JSON_RPC2 != 0 {
        m.insert("jsonrpc".into(), "2.0".into());
    }
    for (k, v) in [
        ("method", &j.method),
        ("params_name", &j.name),
        ("model", &j.model),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), eve_string(v).into());
        }
    }
    for (k, bit) in [("id", JSON_ID), ("batch", JSON_BATCH), ("cut", JSON_CUT)] {
        if j.flags & bit != 0 {
            m.insert(k.into(), true.into());
        }
    }
    Value::Object(m)
}

fn names_json(names: &[Vec<u8>]) -> Value {
    Value::Array(names.iter().map(|n| eve_string(n).into()).collect())
}

/// The EVE body of one transaction.
fn tx_body(tx_id: u32, tx: &Tx, ts_ns: u64, at_flow_end: bool) -> EveBody {
    let mut http = Map::new();
    let mut vigil = Map::new();
    let s = |v: &Option<Vec<u8>>| v.as_ref().map(|b| Value::from(eve_string(b)));
    if let Some(req) = &tx.req {
        let uri = &req.line[1];
        if let Some((host, port)) = normalize_host(uri, req.fields[FIELD_HOST].as_deref()) {
            http.insert("hostname".into(), host.into());
            if let Some(p) = port {
                http.insert("http_port".into(), p.into());
            }
        }
        if !uri.is_empty() {
            http.insert("url".into(), eve_string(uri).into());
        }
        if let Some(v) = s(&req.fields[FIELD_USER_AGENT]) {
            http.insert("http_user_agent".into(), v);
        }
        if let Some(v) = s(&req.fields[FIELD_XFF]) {
            http.insert("xff".into(), v);
        }
        if let Some(v) = s(&req.fields[FIELD_REFERER]) {
            http.insert("http_refer".into(), v);
        }
        http.insert("http_method".into(), eve_string(&req.line[0]).into());
        if !req.line[2].is_empty() {
            http.insert("protocol".into(), eve_string(&req.line[2]).into());
        }
        if let Some(v) = s(&req.fields[FIELD_CONTENT_TYPE]) {
            vigil.insert("request_content_type".into(), v);
        }
        if !req.names.is_empty() {
            vigil.insert("request_header_names".into(), names_json(&req.names));
        }
        let mut mcp = Map::new();
        for (i, k) in [
            (FIELD_MCP_SESSION_ID, "session_id"),
            (FIELD_MCP_PROTOCOL_VERSION, "protocol_version"),
            (FIELD_MCP_METHOD, "method"),
            (FIELD_MCP_NAME, "name"),
        ] {
            if let Some(v) = s(&req.fields[i]) {
                mcp.insert(k.into(), v);
            }
        }
        if !mcp.is_empty() {
            vigil.insert("mcp".into(), Value::Object(mcp));
        }
        if let Some(j) = &tx.json {
            vigil.insert("json".into(), json_summary(j));
        }
        let req_body = tx.req_body.unwrap_or(if req.flags & FLAG_BODY_FINAL != 0 {
            req.body_len
        } else {
            0
        });
        vigil.insert("request_body_len".into(), req_body.into());
        if req.flags & FLAG_NO_PROTOCOL != 0 {
            vigil.insert("request_line_missing_protocol".into(), true.into());
        }
        if req.flags & FLAG_MALFORMED != 0 {
            vigil.insert("malformed_request_headers".into(), true.into());
        }
    }
    let mut length = 0u64;
    if let Some(resp) = &tx.resp {
        if let Some(ct) = &resp.fields[FIELD_CONTENT_TYPE] {
            let end = ct.iter().position(|&b| b == b';').unwrap_or(ct.len());
            http.insert(
                "http_content_type".into(),
                eve_string(trim(&ct[..end])).into(),
            );
        }
        if resp.status > 0 {
            http.insert("status".into(), resp.status.into());
        } else if !resp.line[1].is_empty() {
            http.insert("status_string".into(), eve_string(&resp.line[1]).into());
        }
        if let Some(v) = s(&resp.fields[FIELD_LOCATION]) {
            http.insert("redirect".into(), v);
        }
        if let Some(v) = s(&resp.fields[FIELD_SERVER]) {
            vigil.insert("server".into(), v);
        }
        if let Some(v) = s(&resp.fields[FIELD_CONTENT_ENCODING]) {
            vigil.insert("response_content_encoding".into(), v);
        }
        if !resp.line[0].is_empty() {
            vigil.insert("response_protocol".into(), eve_string(&resp.line[0]).into());
        }
        if !resp.names.is_empty() {
            vigil.insert("response_header_names".into(), names_json(&resp.names));
        }
        length = match tx.resp_end {
            Some(e) => e.body_len,
            None if resp.flags & FLAG_BODY_FINAL != 0 => resp.body_len,
            None => 0,
        };
        match tx.resp_end.map(|e| e.how) {
            Some(END_GAP) => {
                vigil.insert("response_end".into(), "gap".into());
            }
            None if resp.flags & FLAG_BODY_FINAL == 0 => {
                vigil.insert("response_end".into(), "unfinished".into());
            }
            _ => {}
        }
        if resp.flags & FLAG_MALFORMED != 0 {
            vigil.insert("malformed_response_headers".into(), true.into());
        }
    } else if at_flow_end {
        vigil.insert("unanswered".into(), true.into());
    }
    http.insert("length".into(), length.into());
    let truncated = tx
        .req
        .as_ref()
        .is_some_and(|h| h.flags & FLAG_TRUNCATED != 0)
        || tx
            .resp
            .as_ref()
            .is_some_and(|h| h.flags & FLAG_TRUNCATED != 0);
    if truncated {
        vigil.insert("truncated".into(), true.into());
    }
    let mut fields = Map::new();
    fields.insert("event_type".into(), "http".into());
    fields.insert("tx_id".into(), tx_id.into());
    fields.insert("http".into(), Value::Object(http));
    fields.insert("vigil".into(), Value::Object(vigil));
    EveBody {
        dir: Dir::ToServer,
        ts_ns,
        fields,
    }
}

/// The control-plane half: pairs request and response records of each flow by
/// transaction index and writes one EVE `http` record per transaction when its response
/// has ended (at flow end for the rest, in order).
#[derive(Debug, Default)]
pub struct HttpTracker {
    flows: HashMap<u64, BTreeMap<u32, Tx>>,
}

impl HttpTracker {
    /// A tracker with no flows.
    pub fn new() -> HttpTracker {
        HttpTracker::default()
    }
}

impl Tracker for HttpTracker {
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        if kind != RecordKind::HttpRequest && kind != RecordKind::HttpResponse {
            return;
        }
        let Some(rec) = decode(kind, r) else {
            return;
        };
        let txs = self.flows.entry(ctx.flow_id).or_default();
        let request = kind == RecordKind::HttpRequest;
        let done = match rec {
            HttpRecord::Head(h) => {
                let id = h.tx;
                let final_len = h.flags & FLAG_BODY_FINAL != 0;
                let t = txs.entry(id).or_default();
                if request {
                    if final_len {
                        t.req_body = Some(h.body_len);
                    }
                    t.req = Some(h);
                    None
                } else {
                    t.resp = Some(h);
                    final_len.then_some(id)
                }
            }
            HttpRecord::Json(j) => {
                if let Some(t) = txs.get_mut(&j.tx) {
                    t.json = Some(j);
                }
                None
            }
            HttpRecord::End(e) => match txs.get_mut(&e.tx) {
                Some(t) if request => {
                    t.req_body = Some(e.body_len);
                    None
                }
                Some(t) if t.resp.is_some() => {
                    t.resp_end = Some(e);
                    Some(e.tx)
                }
                _ => None,
            },
        };
        if let Some(id) = done {
            if let Some(t) = txs.remove(&id) {
                out.push(tx_body(id, &t, ctx.ts_ns, false));
            }
        }
    }

    fn flow_end(&mut self, ctx: &RecordCtx, out: &mut Vec<EveBody>) {
        if let Some(txs) = self.flows.remove(&ctx.flow_id) {
            for (id, t) in txs {
                out.push(tx_body(id, &t, ctx.ts_ns, true));
            }
        }
    }
}

/// Drives the worker half over arbitrary bytes (both directions, split where the first
/// byte says, with a gap and a close) and the tracker over what it wrote; for cargo-fuzz.
pub fn fuzz_entry(data: &[u8]) {
    let _ = looks_like_http_request(data);
    let _ = looks_like_http_response(data);
    let mut sink = super::VecSink::default();
    let mut st = HttpState::default();
    let split = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    for dir in [Dir::ToServer, Dir::ToClient] {
        let mut pending: Vec<u8> = Vec::new();
        for chunk in [&data[..split], &data[split..]] {
            pending.extend_from_slice(chunk);
            match st.data(dir, &pending, &mut sink) {
                Progress::Consumed(n) => {
                    pending.drain(..n.min(pending.len()));
                }
                Progress::Done => break,
            }
        }
        st.gap(dir);
        let _ = st.data(dir, data, &mut sink);
        st.close(dir, &mut sink);
    }
    let mut t = HttpTracker::new();
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

    /// Feeds `stream` to `dir` in pieces of `step` bytes, honouring `Progress`.
    fn feed(st: &mut HttpState, dir: Dir, stream: &[u8], step: usize, sink: &mut VecSink) {
        let mut pending = Vec::new();
        for chunk in stream.chunks(step.max(1)) {
            pending.extend_from_slice(chunk);
            match st.data(dir, &pending, sink) {
                Progress::Consumed(n) => {
                    pending.drain(..n);
                }
                Progress::Done => return,
            }
        }
    }

    fn events(sink: &VecSink) -> Vec<Value> {
        let mut t = HttpTracker::new();
        let mut out = Vec::new();
        let ctx = RecordCtx {
            flow_id: 1,
            ts_ns: 0,
            dir: Dir::ToServer,
        };
        for (k, b) in &sink.records {
            t.record(*k, &ctx, &mut Reader::new(b), &mut out);
        }
        t.flow_end(&ctx, &mut out);
        out.into_iter().map(|b| Value::Object(b.fields)).collect()
    }

    const REQS: &[u8] = b"GET /a HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: t/1\r\n\r\n\
HEAD /b HTTP/1.1\r\nHost: example.com\r\n\r\n\
POST /c HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nMcp-Session-Id: abc\r\n\r\nhello\
PUT /d HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    const RESPS: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 4\r\n\r\nbody\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\n\
HTTP/1.1 302 Found\r\nLocation: /x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n\
HTTP/1.0 201 Created\r\n\r\nuntil close";

    #[test]
    fn pipelined_transactions_at_every_split() {
        assert!(std::mem::size_of::<HttpState>() <= 64);
        for step in [1, 2, 3, 7, 13, 64, 4096] {
            let mut st = HttpState::default();
            let mut sink = VecSink::default();
            feed(&mut st, Dir::ToServer, REQS, step, &mut sink);
            feed(&mut st, Dir::ToClient, RESPS, step, &mut sink);
            st.close(Dir::ToClient, &mut sink);
            let ev = events(&sink);
            assert_eq!(ev.len(), 4, "step {step}: {ev:?}");
            let h = |i: usize| &ev[i]["http"];
            assert_eq!(h(0)["hostname"], "example.com");
            assert_eq!(h(0)["http_port"], 8080);
            assert_eq!(h(0)["http_content_type"], "text/html");
            assert_eq!(h(0)["length"], 4);
            assert_eq!(h(1)["http_method"], "HEAD");
            assert_eq!(h(1)["length"], 0);
            assert_eq!(h(2)["status"], 302);
            assert_eq!(h(2)["redirect"], "/x");
            assert_eq!(h(2)["length"], 11);
            assert_eq!(ev[2]["vigil"]["mcp"]["session_id"], "abc");
            assert_eq!(ev[2]["vigil"]["request_body_len"], 5);
            assert_eq!(h(3)["status"], 201);
            assert_eq!(h(3)["length"], 11);
            assert_eq!(ev[3]["vigil"]["request_body_len"], 3);
            assert_eq!(ev[3]["tx_id"], 3);
        }
    }

    #[test]
    fn json_request_bodies_are_read_at_every_split() {
        let rpc = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"query_database","arguments":{"sql":"select * from customers"}}}"#;
        let llm = format!(
            r#"{{"messages":[{{"role":"user","content":"{}"}}],"model":"gpt-4o-mini"}}"#,
            "x".repeat(3000)
        );
        let mut reqs = format!(
            "POST /mcp HTTP/1.1\r\nHost: mcp.office.example:8000\r\nContent-Type: application/json\r\nMcp-Session-Id: s1\r\nMcp-Name: query_database\r\nContent-Length: {}\r\n\r\n",
            rpc.len()
        )
        .into_bytes();
        reqs.extend_from_slice(rpc);
        reqs.extend_from_slice(
            format!(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: vllm\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{llm}",
                llm.len()
            )
            .as_bytes(),
        );
        // Chunked JSON, and a form body (not scanned).
        reqs.extend_from_slice(b"POST /api/chat HTTP/1.1\r\nHost: llm\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n1c\r\n{\"model\":\"llama3.1:8b\",\"s\":1}\r\n0\r\n\r\n");
        reqs.extend_from_slice(b"POST /f HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16\r\n\r\n{\"method\":\"no\"}");
        let resps = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".repeat(4);
        for step in [1, 5, 64, 1500, 65536] {
            let mut st = HttpState::default();
            let mut sink = VecSink::default();
            feed(&mut st, Dir::ToServer, &reqs, step, &mut sink);
            feed(&mut st, Dir::ToClient, &resps, step, &mut sink);
            let ev = events(&sink);
            assert_eq!(ev.len(), 4, "step {step}: {ev:?}");
            let j = &ev[0]["vigil"]["json"];
            assert_eq!(j["jsonrpc"], "2.0", "step {step}: {ev:?}");
            assert_eq!(j["method"], "tools/call");
            assert_eq!(j["params_name"], "query_database");
            assert_eq!(j["id"], true);
            assert!(j.get("cut").is_none());
            assert_eq!(ev[0]["vigil"]["mcp"]["name"], "query_database");
            assert_eq!(ev[0]["vigil"]["request_body_len"], rpc.len());
            // The model comes after 3 KB of messages: past what is read.
            let j = &ev[1]["vigil"]["json"];
            assert!(j.is_null(), "step {step}: {j}");
            assert_eq!(ev[1]["vigil"]["request_body_len"], llm.len());
            let j = &ev[2]["vigil"]["json"];
            assert_eq!(j["model"], "llama3.1:8b", "step {step}");
            assert!(j.get("jsonrpc").is_none());
            assert!(ev[3]["vigil"].get("json").is_none());
        }
    }

    #[test]
    fn lenient_request_without_protocol_and_colonless_line() {
        let req = b"GET /\r\nFakeHeader\r\nHost: localhost\r\nUser-Agent: myscript\r\n\r\n";
        let mut st = HttpState::default();
        let mut sink = VecSink::default();
        feed(&mut st, Dir::ToServer, req, 4096, &mut sink);
        feed(
            &mut st,
            Dir::ToClient,
            b"<html>raw 0.9 body</html>",
            4096,
            &mut sink,
        );
        st.close(Dir::ToClient, &mut sink);
        let ev = events(&sink);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["http"]["http_user_agent"], "myscript");
        assert_eq!(ev[0]["http"]["hostname"], "localhost");
        assert_eq!(ev[0]["http"]["length"], 25);
        assert!(ev[0]["http"].get("protocol").is_none());
    }

    #[test]
    fn fast_and_lenient_parsers_agree() {
        for (data, request) in [(REQS, true), (RESPS, false)] {
            let mut off = 0;
            while off < data.len() {
                let rest = &data[off..];
                let (Some(Parse::Complete(a)), Parse::Complete(b)) =
                    (parse_fast(rest, request), parse_lenient(rest, request))
                else {
                    break;
                };
                assert_eq!(a.len, b.len);
                assert_eq!(a.fields, b.fields);
                assert_eq!(a.status, b.status);
                assert_eq!(a.names[..a.n_names], b.names[..b.n_names]);
                if request {
                    assert_eq!(a.line, b.line);
                }
                off += a.len;
                // Skip a body the simple way: to the next message start.
                off += resync(&data[off..], request).unwrap_or(data.len() - off);
            }
        }
    }

    #[test]
    fn detection_helpers() {
        assert!(looks_like_http_request(b"GET / HTTP/1.1\r\n"));
        assert!(looks_like_http_request(b"FOO /x HTTP/1.1\r\n"));
        assert!(!looks_like_http_request(b"USER bob\r\n"));
        assert!(!looks_like_http_request(b"\x16\x03\x01"));
        assert!(looks_like_http_response(b"HTTP/1.0 200 OK"));
        assert!(!looks_like_http_response(b"HTTP/2"));
    }

    #[test]
    fn normalize_hosts() {
        assert_eq!(
            normalize_host(b"/", Some(b"[::1]:8080")),
            Some(("[::1]".into(), Some(8080)))
        );
        assert_eq!(
            normalize_host(b"http://User@WWW.X.org./p", Some(b"other")),
            Some(("www.x.org".into(), None))
        );
        assert_eq!(normalize_host(b"/", None), None);
    }

    #[test]
    fn gap_then_resync() {
        let mut st = HttpState::default();
        let mut sink = VecSink::default();
        feed(
            &mut st,
            Dir::ToServer,
            b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
            4096,
            &mut sink,
        );
        feed(
            &mut st,
            Dir::ToClient,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
            4096,
            &mut sink,
        );
        st.gap(Dir::ToClient);
        feed(
            &mut st,
            Dir::ToClient,
            b"tail of body\r\nHTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n",
            4096,
            &mut sink,
        );
        let ev = events(&sink);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0]["http"]["length"], 3);
        assert_eq!(ev[0]["vigil"]["response_end"], "gap");
        assert_eq!(ev[1]["http"]["status"], 404);
    }

    #[test]
    fn unparsable_message_start_after_resync_terminates() {
        let mut st = HttpState::default();
        let mut sink = VecSink::default();
        let data = b"GET /x HTTP/1.1\r\n\r\nGET \r\nGET \r\nGET /y HTTP/1.1\r\n\r\n";
        assert_eq!(
            st.data(Dir::ToServer, data, &mut sink),
            Progress::Consumed(data.len())
        );
        assert_eq!(sink.records.len(), 2);
    }

    #[test]
    fn worst_case_head_record_fits() {
        let value = "v".repeat(700);
        let mut req = format!(
            "{} /{} HTTP/1.1{}\r\n",
            "M".repeat(100),
            "u".repeat(2100),
            "p".repeat(40)
        );
        for name in [
            "Host",
            "User-Agent",
            "Content-Type",
            "Referer",
            "X-Forwarded-For",
            "Mcp-Session-Id",
            "MCP-Protocol-Version",
            "Mcp-Method",
            "Location",
            "Server",
            "Content-Encoding",
            "Mcp-Name",
        ] {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        for i in 0..40 {
            req.push_str(&format!("X-{i}-{}: v\r\n", "n".repeat(60)));
        }
        req.push_str("\r\n");
        assert!(req.len() < HEAD_MAX, "{}", req.len());
        for dir in [Dir::ToServer, Dir::ToClient] {
            let data = if dir == Dir::ToServer {
                req.clone()
            } else {
                req.replacen(&"M".repeat(100), "HTTP/1.1", 1)
            };
            let mut st = HttpState::default();
            let mut sink = VecSink::default();
            let _ = st.data(dir, data.as_bytes(), &mut sink);
            assert_eq!(sink.records.len(), 1, "{dir:?}");
            let body = &sink.records[0].1;
            // Room is left for the engine's record header.
            assert!(
                body.len() <= crate::wire::RECORD_MAX - 256,
                "{}",
                body.len()
            );
            let Some(HttpRecord::Head(h)) = decode(kind_of(dir), &mut Reader::new(body)) else {
                panic!("no head");
            };
            assert!(h.flags & FLAG_TRUNCATED != 0);
            assert!(h.flags & FLAG_MORE_NAMES != 0);
            assert_eq!(h.names.len(), MAX_NAMES);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9u32;
        for len in 0..400 {
            let mut v = vec![0u8; len];
            for b in v.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (seed >> 16) as u8;
            }
            fuzz_entry(&v);
            let mut w = REQS[..len.min(REQS.len())].to_vec();
            w.extend_from_slice(&v);
            fuzz_entry(&w);
            let mut w = RESPS[..len.min(RESPS.len())].to_vec();
            w.extend_from_slice(&v);
            fuzz_entry(&w);
        }
    }
}
