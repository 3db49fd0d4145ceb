//! The TLS worker half: walks the record layer of each direction of a TCP flow and
//! emits the ClientHello, the ServerHello and the server's leaf certificate as records.
//!
//! The stream layer hands over in-order bytes and keeps what we do not consume (at most
//! 16 KB). So the state remembers where it stands in the record layer (bytes left in the
//! current record, bytes of a handshake message still to skip) and consumes everything it
//! does not need to see whole: only an interesting handshake message (at most
//! [`MAX_GATHER`] bytes of it) is ever left pending. A message split over several TLS
//! records is put back together in the caller's scratch buffer.

use super::hello::{
    be16, be24, certificate_head, count_certificates, is_tls13, parse_client_hello,
    parse_server_hello, HS_CERTIFICATE, HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_SERVER_HELLO_DONE,
};
use super::record::{write_certificate, write_client_hello, write_server_hello};
use crate::app::{Dir, Progress, RecordKind, Sink};

/// Record content type: change_cipher_spec.
const CT_CCS: u8 = 20;
/// Record content type: alert.
const CT_ALERT: u8 = 21;
/// Record content type: handshake.
const CT_HANDSHAKE: u8 = 22;
/// Record content type: application_data.
const CT_APPDATA: u8 = 23;
/// Record content type: heartbeat.
const CT_HEARTBEAT: u8 = 24;

/// Largest record body accepted (2^14 plus the 2048 bytes of expansion TLS allows).
const MAX_RECORD: usize = 16384 + 2048;
/// Most bytes the stream layer keeps pending for a direction.
const PENDING_MAX: usize = 16384;
/// Most bytes of one handshake message gathered into one view. Hellos longer than this
/// are skipped; of a longer Certificate message only the leaf is gathered.
pub const MAX_GATHER: usize = 12288;
/// Most leaf-certificate bytes gathered (a record holds 8192 bytes with its headers).
const CERT_CAP: usize = 8100;

/// Direction flag: stop, nothing more to read.
const F_DONE: u8 = 1;
/// Direction flag: a valid record header has been seen.
const F_TLS: u8 = 2;

/// Where one direction stands in the record layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct DirState {
    /// Handshake bytes still to skip (the rest of a message we do not read).
    skip: u32,
    /// Bytes left in the current record's body; 0: a record header comes next.
    rec_left: u16,
    /// Content type of the current record.
    rec_type: u8,
    /// `F_*` flags.
    flags: u8,
}

/// Per-flow TLS state for both directions (20 bytes; it lives in every flow entry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlsState {
    d: [DirState; 2],
    /// A hash of the client's session id (0: none), to tell a resumption when the
    /// server echoes it.
    sid: u32,
}

/// FNV-1a of a session id, never 0.
fn sid_hash(id: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    h | 1
}

/// Result of putting a handshake message's first bytes together.
enum Gather<'a> {
    /// The wanted bytes, contiguous.
    Ok(&'a [u8]),
    /// Not all there yet.
    More,
    /// The record layer broke (a non-handshake record in the middle, a bad header).
    Broken,
}

/// Puts `want` handshake bytes together starting at `pos` of `data`, where `rec_left`
/// bytes of the current handshake record remain; copies into `scratch` only when the
/// bytes span records.
fn gather<'a>(
    data: &'a [u8],
    pos: usize,
    rec_left: usize,
    want: usize,
    scratch: &'a mut [u8],
) -> Gather<'a> {
    if data.len().saturating_sub(pos) < want {
        // Not even the raw bytes are there: no need to copy anything yet.
        return Gather::More;
    }
    if want <= rec_left {
        return match data.get(pos..pos.saturating_add(want)) {
            Some(s) => Gather::Ok(s),
            None => Gather::More,
        };
    }
    let Some(out) = scratch.get_mut(..want) else {
        return Gather::Broken;
    };
    let mut have = 0;
    let mut p = pos;
    let mut rec_rem = rec_left;
    loop {
        let n = rec_rem.min(want - have);
        let (Some(dst), Some(src)) = (out.get_mut(have..have + n), data.get(p..p + n)) else {
            return Gather::More;
        };
        dst.copy_from_slice(src);
        have += n;
        p += n;
        if have == want {
            return Gather::Ok(out);
        }
        // This record is used up; the next one must continue the handshake.
        let Some(h) = data.get(p..p + 5) else {
            return Gather::More;
        };
        match valid_header(h) {
            Some((CT_HANDSHAKE, len)) => rec_rem = len,
            _ => return Gather::Broken,
        }
        p += 5;
    }
}

/// A header of a record that can start or continue a TLS stream.
fn valid_header(h: &[u8]) -> Option<(u8, usize)> {
    let t = *h.first()?;
    let major = *h.get(1)?;
    let minor = *h.get(2)?;
    let len = usize::from(be16(h, 3)?);
    let ok = matches!(t, CT_CCS..=CT_HEARTBEAT) && major == 3 && minor <= 4 && len <= MAX_RECORD;
    ok.then_some((t, len))
}

impl TlsState {
    /// In-order stream bytes of direction `dir`, starting where the last call's
    /// `Consumed(n)` left off. `scratch` (at least 65536 bytes) is used to put a handshake
    /// message split over records back together. Emits `TlsClientHello` (to-server),
    /// `TlsServerHello` and `TlsCertificate` (to-client) records through `sink`.
    ///
    /// Returns `Done` once the direction holds nothing more for us: after the
    /// ClientHello; after the Certificate or ServerHelloDone; after a TLS 1.3
    /// ServerHello; at ChangeCipherSpec or application data; when the bytes are not TLS.
    pub fn data(
        &mut self,
        dir: Dir,
        data: &[u8],
        scratch: &mut [u8],
        sink: &mut dyn Sink,
    ) -> Progress {
        let Some(st) = self.d.get_mut(dir.index()) else {
            return Progress::Done;
        };
        if st.flags & F_DONE != 0 {
            return Progress::Done;
        }
        let p = step(st, &mut self.sid, dir, data, scratch, sink);
        if p == Progress::Done {
            st.flags |= F_DONE;
        }
        p
    }

    /// Bytes were lost in direction `dir`: record boundaries are gone, so stop reading it.
    pub fn gap(&mut self, dir: Dir) {
        if let Some(st) = self.d.get_mut(dir.index()) {
            st.flags |= F_DONE;
        }
    }

    /// Whether direction `dir` is finished (returned `Done` or had a gap).
    pub fn is_done(&self, dir: Dir) -> bool {
        match self.d.get(dir.index()) {
            Some(s) => s.flags & F_DONE != 0,
            None => true,
        }
    }

    /// Whether direction `dir` has shown at least one valid TLS record header.
    pub fn seen_tls(&self, dir: Dir) -> bool {
        self.d
            .get(dir.index())
            .is_some_and(|s| s.flags & F_TLS != 0)
    }
}

/// What to do with the handshake message at the current position.
enum Msg {
    /// Skip it (this many bytes, header included).
    Skip(usize),
    /// Wait for more bytes.
    Wait,
    /// The direction is finished.
    Done,
}

/// The body of [`TlsState::data`].
fn step(
    st: &mut DirState,
    sid: &mut u32,
    dir: Dir,
    data: &[u8],
    scratch: &mut [u8],
    sink: &mut dyn Sink,
) -> Progress {
    let mut pos = 0usize;
    loop {
        if st.rec_left == 0 {
            // A record header comes next.
            let rest = data.get(pos..).unwrap_or(&[]);
            let Some(h) = rest.get(..5) else {
                // Reject early what can never become a record header.
                let bad_type = rest
                    .first()
                    .is_some_and(|t| !(CT_CCS..=CT_HEARTBEAT).contains(t));
                let bad_major = rest.get(1).is_some_and(|m| *m != 3);
                return if bad_type || bad_major {
                    Progress::Done
                } else {
                    Progress::Consumed(pos)
                };
            };
            let Some((t, len)) = valid_header(h) else {
                return Progress::Done;
            };
            st.flags |= F_TLS;
            match t {
                CT_ALERT | CT_HANDSHAKE | CT_HEARTBEAT => {}
                // change_cipher_spec, application_data: the rest is encrypted.
                CT_CCS | CT_APPDATA => return Progress::Done,
                _ => return Progress::Done,
            }
            pos += 5;
            st.rec_type = t;
            st.rec_left = len as u16;
            continue;
        }
        let avail = usize::from(st.rec_left).min(data.len().saturating_sub(pos));
        if avail == 0 {
            return Progress::Consumed(pos);
        }
        if st.rec_type != CT_HANDSHAKE {
            // Alerts and heartbeats (CT_ALERT, CT_HEARTBEAT) before the handshake ends.
            pos += avail;
            st.rec_left -= avail as u16;
            continue;
        }
        if st.skip > 0 {
            let n = avail.min(st.skip as usize);
            pos += n;
            st.rec_left -= n as u16;
            st.skip -= n as u32;
            continue;
        }
        // A handshake message starts here.
        let pending = data.len() - pos;
        let msg = message(st, sid, dir, data, pos, scratch, sink);
        match msg {
            Msg::Skip(n) => st.skip = n.min(u32::MAX as usize) as u32,
            Msg::Done => return Progress::Done,
            Msg::Wait => {
                if pending >= PENDING_MAX {
                    // It can never complete within what the stream layer keeps.
                    return Progress::Done;
                }
                return Progress::Consumed(pos);
            }
        }
    }
}

/// Handles the handshake message starting at `pos` (inside a handshake record).
fn message(
    st: &DirState,
    sid: &mut u32,
    dir: Dir,
    data: &[u8],
    pos: usize,
    scratch: &mut [u8],
    sink: &mut dyn Sink,
) -> Msg {
    let rec_left = usize::from(st.rec_left);
    let hdr = match gather(data, pos, rec_left, 4, scratch) {
        Gather::Ok(h) => [
            h.first().copied().unwrap_or(0),
            h.get(1).copied().unwrap_or(0),
            h.get(2).copied().unwrap_or(0),
            h.get(3).copied().unwrap_or(0),
        ],
        Gather::More => return Msg::Wait,
        Gather::Broken => return Msg::Done,
    };
    let [msg_type, l0, l1, l2] = hdr;
    let len = be24(&[l0, l1, l2]).unwrap_or(0);
    let total = len + 4;
    match (dir, msg_type) {
        (Dir::ToServer, HS_CLIENT_HELLO) => {
            if total > MAX_GATHER {
                return Msg::Done;
            }
            let msg = match gather(data, pos, rec_left, total, scratch) {
                Gather::Ok(m) => m,
                Gather::More => return Msg::Wait,
                Gather::Broken => return Msg::Done,
            };
            if let Some(ch) = msg.get(4..).and_then(parse_client_hello) {
                if !ch.session_id.is_empty() {
                    *sid = sid_hash(ch.session_id);
                }
                sink.emit(RecordKind::TlsClientHello, &mut |w| {
                    write_client_hello(w, &ch);
                    true
                });
            }
            Msg::Done
        }
        (Dir::ToClient, HS_SERVER_HELLO) => {
            if total > MAX_GATHER {
                return Msg::Skip(total);
            }
            let msg = match gather(data, pos, rec_left, total, scratch) {
                Gather::Ok(m) => m,
                Gather::More => return Msg::Wait,
                Gather::Broken => return Msg::Done,
            };
            let Some(sh) = msg.get(4..).and_then(parse_server_hello) else {
                return Msg::Done;
            };
            sink.emit(RecordKind::TlsServerHello, &mut |w| {
                // TLS 1.3 always echoes the id (middlebox compatibility): no resumption.
                let echoed = *sid != 0
                    && !sh.session_id.is_empty()
                    && sid_hash(sh.session_id) == *sid
                    && !is_tls13(sh.version());
                write_server_hello(w, &sh, echoed);
                true
            });
            if is_tls13(sh.version()) {
                // The rest of the handshake is encrypted.
                Msg::Done
            } else {
                Msg::Skip(total)
            }
        }
        (Dir::ToClient, HS_CERTIFICATE) => {
            let head = match gather(data, pos, rec_left, 10.min(total), scratch) {
                Gather::Ok(h) => h.get(4..).and_then(certificate_head),
                Gather::More => return Msg::Wait,
                Gather::Broken => return Msg::Done,
            };
            let Some(head) = head else {
                return Msg::Done;
            };
            let whole = total <= MAX_GATHER && head.list_len + 3 == len;
            let want = if whole {
                total
            } else {
                10 + head.leaf_len.min(CERT_CAP)
            };
            let msg = match gather(data, pos, rec_left, want, scratch) {
                Gather::Ok(m) => m,
                Gather::More => return Msg::Wait,
                Gather::Broken => return Msg::Done,
            };
            let chain_len = if whole {
                msg.get(7..).and_then(count_certificates).unwrap_or(0)
            } else {
                0
            };
            let leaf_end = 10 + head.leaf_len.min(CERT_CAP);
            let leaf = msg.get(10..leaf_end).unwrap_or(&[]);
            sink.emit(RecordKind::TlsCertificate, &mut |w| {
                let cut = head.leaf_len > CERT_CAP;
                write_certificate(w, chain_len, head.list_len as u32, leaf, cut);
                true
            });
            Msg::Done
        }
        (Dir::ToClient, HS_SERVER_HELLO_DONE) => Msg::Done,
        _ => Msg::Skip(total),
    }
}
