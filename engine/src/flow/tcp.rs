//! TCP connection state as Zeek tracks it: each endpoint's state (inactive, SYN sent,
//! SYN-ACK sent, partial, established, closed, reset), the connection history letters
//! (`ShADadFf`: upper case from the originator, lower case from the responder), and the
//! summary `conn_state` (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR,
//! OTH) computed from them at the end, plus the TCP flags Suricata reports.
//!
//! The transitions follow Zeek's TCP session adapter (UpdateStateMachine and its
//! helpers) and its `conn_state` function; the history follows its update_history.

use crate::decode::l4::{Tcp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};

/// One endpoint's state, Zeek's `TCP_ENDPOINT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Ep {
    #[default]
    Inactive = 0,
    SynSent = 1,
    SynAckSent = 2,
    Partial = 3,
    Established = 4,
    Closed = 5,
    Reset = 6,
}

// History letters already recorded, one bit each per endpoint.
const H_SYN: u16 = 1;
const H_FIN: u16 = 2;
const H_RST: u16 = 4;
const H_FIN_RST: u16 = 8;
const H_MULTI: u16 = 16;
const H_DATA: u16 = 32;
const H_ACK: u16 = 64;
const H_RXMIT: u16 = 128;
const H_ZERO_WIN: u16 = 256;

/// Most history letters kept (Zeek's own history is unbounded; 24 covers any normal
/// connection, and the table entry must stay small).
pub const HISTORY_MAX: usize = 24;

/// A TCP connection's tracked state, index 0 the originator, 1 the responder.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpTrack {
    pub state: [Ep; 2],
    prev: [Ep; 2],
    seen: [u16; 2],
    /// Sequence bookkeeping: first seq (ISN or first seen) and one past the highest.
    start_seq: [u32; 2],
    last_seq: [u32; 2],
    seq_init: [bool; 2],
    last_syn: [u32; 2],
    last_fin: [u32; 2],
    last_rst: [u32; 2],
    /// TCP flags seen, OR-ed, per direction.
    pub flags: [u8; 2],
    history: [u8; HISTORY_MAX],
    hist_len: u8,
    /// Both endpoints reached the established state (the handshake completed).
    est: bool,
}

#[inline]
fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

impl TcpTrack {
    /// Marks the connection as flipped (its first packet came from the responder), which
    /// Zeek shows as a leading `^`.
    pub fn set_flipped(&mut self) {
        self.push(b'^');
    }

    fn push(&mut self, c: u8) {
        if (self.hist_len as usize) < HISTORY_MAX {
            self.history[self.hist_len as usize] = c;
            self.hist_len += 1;
        }
    }

    /// Records `code` for endpoint `e` unless its bit was already set; returns whether
    /// it had been set already (Zeek's CheckHistory).
    fn check(&mut self, e: usize, bit: u16, code: u8) -> bool {
        if self.seen[e] & bit != 0 {
            return true;
        }
        self.seen[e] |= bit;
        self.push(if e == 0 {
            code
        } else {
            code.to_ascii_lowercase()
        });
        false
    }

    fn add(&mut self, e: usize, code: u8) {
        self.push(if e == 0 {
            code
        } else {
            code.to_ascii_lowercase()
        });
    }

    /// Notes a payload-carrying packet of a connectionless flow (Zeek's `D`/`d`).
    pub fn note_data(&mut self, e: usize) {
        self.check(e, H_DATA, b'D');
    }

    /// The history letters so far.
    pub fn history(&self) -> &[u8] {
        &self.history[..self.hist_len as usize]
    }

    /// Payload bytes endpoint `e` sent, from sequence numbers (Zeek's `orig_bytes`).
    pub fn size(&self, e: usize) -> u64 {
        if !self.seq_init[e] {
            return 0;
        }
        let d = self.last_seq[e].wrapping_sub(self.start_seq[e]) as u64;
        // The SYN and FIN each take one sequence number.
        let ctl = (self.seen[e] & H_SYN != 0) as u64 + (self.seen[e] & H_FIN != 0) as u64;
        d.saturating_sub(ctl)
    }

    fn set(&mut self, e: usize, s: Ep) {
        self.prev[e] = self.state[e];
        self.state[e] = s;
        if self.state[0] == Ep::Established && self.state[1] == Ep::Established {
            self.est = true;
        }
    }

    /// Updates the state with one segment from endpoint `e` (0 originator) carrying
    /// `len` payload bytes.
    #[inline]
    pub fn segment(&mut self, e: usize, t: &Tcp, len: usize) {
        let p = 1 - e;
        let f = t.flags;
        let syn = f & TCP_SYN != 0;
        let fin = f & TCP_FIN != 0;
        let rst = f & TCP_RST != 0;
        let ack = f & TCP_ACK != 0;
        self.flags[e] |= f;
        let seg_len = len as u32 + syn as u32 + fin as u32;
        let end = t.seq.wrapping_add(seg_len);
        if !self.seq_init[e] {
            self.seq_init[e] = true;
            self.start_seq[e] = t.seq;
            self.last_seq[e] = end;
        } else if syn && matches!(self.state[e], Ep::Inactive | Ep::SynSent | Ep::SynAckSent) {
            // A repeated SYN with a new ISN restarts the numbering (Zeek's init_endpoint).
            self.start_seq[e] = t.seq;
            self.last_seq[e] = end;
        }
        let rel = t.seq.wrapping_sub(self.start_seq[e]);
        // History (update_history).
        let bits = syn as u8 + fin as u8 + rst as u8;
        if bits > 1 {
            if fin && rst {
                self.check(e, H_FIN_RST, b'I');
            } else {
                self.check(e, H_MULTI, b'Q');
            }
        } else if bits == 1 {
            if syn {
                let code = if ack { b'H' } else { b'S' };
                if self.check(e, H_SYN, code) && rel != self.last_syn[e] {
                    self.add(e, code);
                }
                self.last_syn[e] = rel;
            }
            if fin {
                let at = rel.wrapping_add(len as u32);
                if self.check(e, H_FIN, b'F') && at != self.last_fin[e] {
                    self.add(e, b'F');
                }
                self.last_fin[e] = at;
            }
            if rst {
                if self.check(e, H_RST, b'R') && rel != self.last_rst[e] {
                    self.add(e, b'R');
                }
                self.last_rst[e] = rel;
            }
        } else if len > 0 {
            self.check(e, H_DATA, b'D');
        } else if ack {
            self.check(e, H_ACK, b'A');
        }
        if t.window == 0 && !rst && self.state[p] != Ep::Closed && self.state[e] != Ep::Reset {
            self.check(e, H_ZERO_WIN, b'W');
        }
        // Retransmission: data that does not advance the highest sequence seen.
        let delta_last = seq_delta(end, self.last_seq[e]);
        if delta_last > 0 && self.state[e] != Ep::Reset {
            self.last_seq[e] = end;
        } else if delta_last <= 0 && len > 0 && !syn {
            self.check(e, H_RXMIT, b'T');
        }
        self.state_machine(e, f, len);
    }

    fn state_machine(&mut self, e: usize, f: u8, len: usize) {
        let p = 1 - e;
        let is_orig = e == 0;
        let syn = f & TCP_SYN != 0;
        let fin = f & TCP_FIN != 0;
        let rst = f & TCP_RST != 0;
        let ack = f & TCP_ACK != 0;
        match self.state[e] {
            Ep::Inactive => {
                if syn {
                    if is_orig {
                        self.set(e, if ack { Ep::SynAckSent } else { Ep::SynSent });
                    } else {
                        if self.state[p] == Ep::SynSent {
                            self.set(p, Ep::Established);
                        }
                        self.set(e, Ep::Established);
                    }
                }
                if fin {
                    self.set(e, Ep::Closed);
                }
                if rst {
                    self.set(e, Ep::Reset);
                }
                if self.state[e] == Ep::Inactive {
                    if !is_orig && len == 0 && self.state[0] == Ep::SynSent {
                        // An ACK of the SYN before the SYN-ACK: not a partial connection.
                    } else if ack && self.state[p] == Ep::Established {
                        self.set(e, Ep::Established);
                    } else {
                        self.set(e, Ep::Partial);
                    }
                }
            }
            Ep::SynSent | Ep::SynAckSent => {
                if fin {
                    self.set(e, Ep::Closed);
                }
                if rst {
                    self.set(e, Ep::Reset);
                } else if !syn && ack && self.state[p] == Ep::Established {
                    // The originator's ACK completing the handshake.
                    self.set(e, Ep::Established);
                }
            }
            Ep::Established | Ep::Partial => {
                if syn && self.state[e] == Ep::Partial && self.state[p] == Ep::Inactive && !ack {
                    self.set(e, Ep::SynSent);
                }
                if fin && !rst {
                    self.set(e, Ep::Closed);
                    if self.state[p] == Ep::Reset && self.prev[p] == Ep::Closed {
                        self.set(p, Ep::Closed);
                    }
                }
                if rst {
                    self.set(e, Ep::Reset);
                }
            }
            Ep::Closed => {
                if rst && self.state[p] != Ep::Closed {
                    self.set(e, Ep::Reset);
                }
            }
            Ep::Reset => {}
        }
    }

    /// Zeek's `conn_state` for this connection.
    pub fn conn_state(&self) -> &'static str {
        let (os, rs) = (self.state[0], self.state[1]);
        let o_inactive = matches!(os, Ep::Inactive | Ep::Partial);
        let r_inactive = matches!(rs, Ep::Inactive | Ep::Partial);
        if rs == Ep::Reset {
            if matches!(os, Ep::SynSent | Ep::SynAckSent)
                || (os == Ep::Reset && self.size(0) == 0 && self.size(1) == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Ep::Reset {
            if r_inactive {
                if rstos0_history(self.history()) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Ep::Closed && os == Ep::Closed {
            "SF"
        } else if os == Ep::Closed {
            if r_inactive {
                "SH"
            } else {
                "S2"
            }
        } else if rs == Ep::Closed {
            if o_inactive {
                "SHR"
            } else {
                "S3"
            }
        } else if os == Ep::SynSent && rs == Ep::Inactive {
            "S0"
        } else if os == Ep::Established && rs == Ep::Established {
            "S1"
        } else {
            "OTH"
        }
    }

    /// Whether the connection is over: a reset, or a FIN from both ends.
    pub fn is_closed(&self) -> bool {
        let (os, rs) = (self.state[0], self.state[1]);
        os == Ep::Reset || rs == Ep::Reset || (os == Ep::Closed && rs == Ep::Closed)
    }

    /// Whether the three-way handshake completed.
    pub fn is_established(&self) -> bool {
        self.est
    }

    /// Suricata's `flow.state` for a TCP flow: `new` until the handshake completes,
    /// `closed` after a reset or FINs both ways, `established` otherwise.
    pub fn flow_state(&self) -> &'static str {
        if self.is_established() && self.is_closed() {
            "closed"
        } else if self.is_established() {
            "established"
        } else if self.is_closed() && (self.state[0] == Ep::Reset || self.state[1] == Ep::Reset) {
            "closed"
        } else {
            "new"
        }
    }

    /// Suricata's `tcp.state` (its TCP session state names): a FIN from the client
    /// puts the session in `close_wait`, one from the server in `fin_wait1`.
    pub fn stream_state(&self) -> &'static str {
        let (os, rs) = (self.state[0], self.state[1]);
        if self.is_closed() {
            return "closed";
        }
        match (os, rs) {
            (Ep::Closed, _) => "close_wait",
            (_, Ep::Closed) => "fin_wait1",
            (Ep::SynSent, Ep::Inactive) | (Ep::SynAckSent, Ep::Inactive) => "syn_sent",
            _ if self.is_established() => "established",
            (_, Ep::Established) => "syn_recv",
            _ => "none",
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/ == history`.
fn rstos0_history(h: &[u8]) -> bool {
    let h = h.strip_prefix(b"^").unwrap_or(h);
    let Some(rest) = h.strip_prefix(b"S") else {
        return false;
    };
    for c in rest {
        match c {
            b'R' => return true,
            b'H' | b'A' | b'F' | b'G' | b'I' | b'Q' => return false,
            _ => {}
        }
    }
    false
}

/// Suricata's hex form of TCP flags (`"1b"`).
pub fn flags_hex(f: u8) -> String {
    format!("{f:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::l4::TCP_PSH;

    fn seg(seq: u32, flags: u8) -> Tcp {
        Tcp {
            seq,
            flags,
            window: 1000,
            ..Default::default()
        }
    }

    #[test]
    fn normal_connection_is_sf_with_zeek_history() {
        let mut t = TcpTrack::default();
        t.segment(0, &seg(100, TCP_SYN), 0);
        t.segment(1, &seg(500, TCP_SYN | TCP_ACK), 0);
        t.segment(0, &seg(101, TCP_ACK), 0);
        t.segment(0, &seg(101, TCP_ACK | TCP_PSH), 136);
        t.segment(1, &seg(501, TCP_ACK), 0);
        t.segment(1, &seg(501, TCP_ACK | TCP_PSH), 5007);
        t.segment(0, &seg(237, TCP_ACK), 0);
        t.segment(0, &seg(237, TCP_FIN | TCP_ACK), 0);
        t.segment(1, &seg(5508, TCP_FIN | TCP_ACK), 0);
        t.segment(0, &seg(238, TCP_ACK), 0);
        assert_eq!(std::str::from_utf8(t.history()).unwrap(), "ShADadFf");
        assert_eq!(t.conn_state(), "SF");
        assert_eq!((t.size(0), t.size(1)), (136, 5007));
        assert_eq!(t.flow_state(), "closed");
    }

    #[test]
    fn zeek_rst_behaviour_baseline() {
        // conn_state-RST-behavior.out: R OTH; SR RSTOS0; SaR RSTOS0; SaFR OTH.
        let mut t = TcpTrack::default();
        t.segment(0, &seg(1, TCP_RST), 0);
        assert_eq!((t.history(), t.conn_state()), (&b"R"[..], "OTH"));
        let mut t = TcpTrack::default();
        t.segment(0, &seg(1, TCP_SYN), 0);
        t.segment(0, &seg(2, TCP_RST), 0);
        assert_eq!((t.history(), t.conn_state()), (&b"SR"[..], "RSTOS0"));
        let mut t = TcpTrack::default();
        t.segment(0, &seg(1, TCP_SYN), 0);
        t.segment(1, &seg(9, TCP_ACK), 0);
        t.segment(0, &seg(2, TCP_RST), 0);
        assert_eq!((t.history(), t.conn_state()), (&b"SaR"[..], "RSTOS0"));
        let mut t = TcpTrack::default();
        t.segment(0, &seg(1, TCP_SYN), 0);
        t.segment(1, &seg(9, TCP_ACK), 0);
        t.segment(0, &seg(2, TCP_FIN | TCP_ACK), 0);
        t.segment(0, &seg(3, TCP_RST), 0);
        assert_eq!((t.history(), t.conn_state()), (&b"SaFR"[..], "OTH"));
    }

    #[test]
    fn unanswered_syn_is_s0_and_rejected_is_rej() {
        let mut t = TcpTrack::default();
        t.segment(0, &seg(1, TCP_SYN), 0);
        assert_eq!(t.conn_state(), "S0");
        assert_eq!(t.stream_state(), "syn_sent");
        assert_eq!(t.flow_state(), "new");
        t.segment(1, &seg(0, TCP_RST | TCP_ACK), 0);
        assert_eq!(t.conn_state(), "REJ");
        assert_eq!(std::str::from_utf8(t.history()).unwrap(), "Sr");
    }
}
