//! SSH: the identification banners ("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3") of both sides.
//!
//! **Worker half** ([`SshState`]): finds the identification line in each direction
//! (lines before it, which RFC 4253 allows a server to send, are skipped), emits it as a
//! `RecordKind::SshBanner` record and is done with that direction (what follows is the
//! key exchange, then encrypted). Never allocates, never panics.
//!
//! **Control-plane half** ([`SshTracker`]): one EVE `ssh` record per flow with
//! `client` and `server` `{proto_version, software_version}`, once both banners are in
//! (or at flow end with what there is).
//!
//! # Record layout (`RecordKind::SshBanner`)
//! ```text
//! bytes line     the identification line without CR LF (at most 255 bytes)
//! u8    flags    1 = cut (no line end within 255 bytes), 2 = other lines came before it
//! ```

use super::{Dir, EveBody, Progress, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Longest identification line (RFC 4253: 255 bytes with CR LF).
const LINE_MAX: usize = 255;
/// Longest line skipped before the banner, and how many such lines.
const PRE_LINE_MAX: usize = 1024;
const PRE_LINES_MAX: u8 = 32;

/// Banner record flag: the line was cut.
pub const FLAG_CUT: u8 = 1;
/// Banner record flag: other lines came before it.
pub const FLAG_PRE_LINES: u8 = 2;

const DONE: u8 = 0x80;

/// Per-flow SSH state for both directions; Copy + Default, 2 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SshState {
    /// Per direction: lines skipped so far, `DONE` once the banner is out.
    st: [u8; 2],
}

impl SshState {
    /// In-order stream bytes of `dir`. Emits the banner and returns `Done`; `Consumed`
    /// while the line is incomplete; `Done` without a record when it is not SSH.
    pub fn data(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> Progress {
        let d = dir.index();
        if self.st[d] & DONE != 0 {
            return Progress::Done;
        }
        let mut off = 0usize;
        loop {
            let rest = &data[off..];
            if rest.starts_with(b"SSH-") {
                let nl = rest.iter().take(LINE_MAX + 1).position(|&b| b == b'\n');
                let (mut line, mut flags) = match nl {
                    Some(i) => (&rest[..i], 0u8),
                    None if rest.len() > LINE_MAX => (&rest[..LINE_MAX], FLAG_CUT),
                    None => return Progress::Consumed(off),
                };
                if let [l @ .., b'\r'] = line {
                    line = l;
                }
                if self.st[d] > 0 {
                    flags |= FLAG_PRE_LINES;
                }
                sink.emit(RecordKind::SshBanner, &mut |w: &mut Writer<'_>| {
                    w.bytes(line);
                    w.u8(flags);
                    true
                });
                self.st[d] = DONE;
                return Progress::Done;
            }
            if rest.len() < 4 && b"SSH-".starts_with(rest) {
                return Progress::Consumed(off);
            }
            match rest.iter().take(PRE_LINE_MAX).position(|&b| b == b'\n') {
                Some(i) if self.st[d] < PRE_LINES_MAX => {
                    off += i + 1;
                    self.st[d] += 1;
                }
                None if rest.len() < PRE_LINE_MAX => return Progress::Consumed(off),
                _ => {
                    self.st[d] = DONE;
                    return Progress::Done;
                }
            }
        }
    }

    /// Bytes of `dir` were lost: the banner is not looked for any more.
    pub fn gap(&mut self, dir: Dir) {
        self.st[dir.index()] = DONE;
    }
}

/// A banner split as Suricata does: `SSH-<proto_version>-<software_version> <comments>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The whole line.
    pub line: String,
    /// e.g. "2.0".
    pub proto_version: String,
    /// e.g. "OpenSSH_8.9p1".
    pub software_version: String,
}

/// Splits an identification line.
pub fn parse_banner(line: &[u8]) -> Banner {
    let text = super::http::eve_string(line);
    let body = text.strip_prefix("SSH-").unwrap_or(&text);
    let (proto, rest) = body.split_once('-').unwrap_or((body, ""));
    let software = rest.split([' ', '\r', '\n']).next().unwrap_or("");
    Banner {
        line: text.clone(),
        proto_version: proto.to_string(),
        software_version: software.to_string(),
    }
}

/// Reads a `RecordKind::SshBanner` record back: (line, flags).
pub fn decode(r: &mut Reader<'_>) -> Option<(Vec<u8>, u8)> {
    let line = r.bytes()?.to_vec();
    let flags = r.u8().unwrap_or(0);
    Some((line, flags))
}

#[derive(Debug, Default)]
struct FlowSsh {
    banners: [Option<Banner>; 2],
    emitted: bool,
}

/// The control-plane half: one EVE `ssh` record per flow.
#[derive(Debug, Default)]
pub struct SshTracker {
    flows: HashMap<u64, FlowSsh>,
}

impl SshTracker {
    /// A tracker with no flows.
    pub fn new() -> SshTracker {
        SshTracker::default()
    }
}

fn side(b: &Banner) -> Value {
    json!({"proto_version": b.proto_version, "software_version": b.software_version})
}

fn body(f: &FlowSsh, ts_ns: u64) -> EveBody {
    let mut ssh = Map::new();
    let mut vigil = Map::new();
    for (i, k) in ["client", "server"].iter().enumerate() {
        if let Some(b) = &f.banners[i] {
            ssh.insert((*k).into(), side(b));
            vigil.insert(format!("{k}_banner"), b.line.clone().into());
        }
    }
    let mut fields = Map::new();
    fields.insert("event_type".into(), "ssh".into());
    fields.insert("ssh".into(), Value::Object(ssh));
    fields.insert("vigil".into(), Value::Object(vigil));
    EveBody {
        dir: Dir::ToServer,
        ts_ns,
        fields,
    }
}

impl Tracker for SshTracker {
    fn record(
        &mut self,
        kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        if kind != RecordKind::SshBanner {
            return;
        }
        let Some((line, _flags)) = decode(r) else {
            return;
        };
        let f = self.flows.entry(ctx.flow_id).or_default();
        if f.emitted {
            return;
        }
        f.banners[ctx.dir.index()] = Some(parse_banner(&line));
        if f.banners.iter().all(Option::is_some) {
            f.emitted = true;
            out.push(body(f, ctx.ts_ns));
        }
    }

    fn flow_end(&mut self, ctx: &RecordCtx, out: &mut Vec<EveBody>) {
        if let Some(f) = self.flows.remove(&ctx.flow_id) {
            if !f.emitted && f.banners.iter().any(Option::is_some) {
                out.push(body(&f, ctx.ts_ns));
            }
        }
    }
}

/// Drives the worker half over arbitrary bytes (both directions, each split where the
/// first byte says, a gap on one of them) and the tracker over what it wrote; for
/// cargo-fuzz: must never panic.
pub fn fuzz_entry(data: &[u8]) {
    let mut sink = super::VecSink::default();
    let mut st = SshState::default();
    let split = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    for (dir, bytes) in [(Dir::ToServer, &data[..split]), (Dir::ToClient, data)] {
        let mut pending: Vec<u8> = Vec::new();
        for chunk in bytes.chunks(7) {
            pending.extend_from_slice(chunk);
            match st.data(dir, &pending, &mut sink) {
                Progress::Consumed(n) => {
                    pending.drain(..n.min(pending.len()));
                }
                Progress::Done => break,
            }
        }
    }
    st.gap(Dir::ToServer);
    let mut t = SshTracker::new();
    let mut out = Vec::new();
    for (i, (kind, body)) in sink.records.iter().enumerate() {
        let ctx = RecordCtx {
            flow_id: 1,
            ts_ns: 0,
            dir: Dir::from_u8(i as u8 & 1),
        };
        t.record(*kind, &ctx, &mut Reader::new(body), &mut out);
    }
    let ctx = RecordCtx {
        flow_id: 1,
        ts_ns: 0,
        dir: Dir::ToServer,
    };
    t.flow_end(&ctx, &mut out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::VecSink;

    #[test]
    fn banners_both_sides() {
        let mut st = SshState::default();
        let mut sink = VecSink::default();
        assert_eq!(
            st.data(Dir::ToServer, b"SSH-2.0-Open", &mut sink),
            Progress::Consumed(0)
        );
        assert_eq!(
            st.data(
                Dir::ToServer,
                b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n\0\0",
                &mut sink
            ),
            Progress::Done
        );
        assert_eq!(
            st.data(
                Dir::ToClient,
                b"hello\r\nSSH-1.99-Cisco-1.25\r\n",
                &mut sink
            ),
            Progress::Done
        );
        assert_eq!(sink.records.len(), 2);
        let mut t = SshTracker::new();
        let mut out = Vec::new();
        for (i, (k, b)) in sink.records.iter().enumerate() {
            let ctx = RecordCtx {
                flow_id: 3,
                ts_ns: 0,
                dir: Dir::from_u8(i as u8),
            };
            t.record(*k, &ctx, &mut Reader::new(b), &mut out);
        }
        assert_eq!(out.len(), 1);
        let ssh = &out[0].fields["ssh"];
        assert_eq!(ssh["client"]["proto_version"], "2.0");
        assert_eq!(ssh["client"]["software_version"], "OpenSSH_8.9p1");
        assert_eq!(ssh["server"]["proto_version"], "1.99");
        assert_eq!(ssh["server"]["software_version"], "Cisco-1.25");
        assert!(std::mem::size_of::<SshState>() <= 8);
    }

    #[test]
    fn not_ssh_and_garbage() {
        let mut st = SshState::default();
        let mut sink = VecSink::default();
        let junk = vec![b'x'; 2000];
        assert_eq!(st.data(Dir::ToServer, &junk, &mut sink), Progress::Done);
        let long = [b"SSH-2.0-".as_slice(), &[b'a'; 400]].concat();
        assert_eq!(st.data(Dir::ToClient, &long, &mut sink), Progress::Done);
        assert_eq!(sink.records.len(), 1);
        for n in 0..40 {
            let mut s = SshState::default();
            let _ = s.data(
                Dir::ToServer,
                &b"\n\n\nSSH-2.0-x\r\n"[..n.min(14)],
                &mut sink,
            );
        }
    }

    #[test]
    fn fuzz_entry_never_panics() {
        let base: Vec<u8> = b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n".to_vec();
        let mut x = 0x9e37_79b9u32;
        for len in 0..base.len() + 40 {
            let mut v = base.clone();
            v.resize(len, b'\n');
            for b in v.iter_mut().step_by(3) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if x.is_multiple_of(4) {
                    *b = x as u8;
                }
            }
            fuzz_entry(&v);
        }
    }
}
