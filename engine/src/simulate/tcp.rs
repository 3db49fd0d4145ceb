//! TCP connections as a sensor beside the office devices sees them: three-way handshake
//! with each OS's SYN options, data cut into MSS-sized segments with correct sequence
//! and acknowledgement numbers, the receiver's ACK every second segment, FIN teardown;
//! and the failures (SYN answered by RST, SYN never answered).
//!
//! Times are in µs at the capture point, which sits next to the client: what the client
//! sends is seen at once, the server's answer a round trip later.

use super::packet::{self, Host, Ipv4, ACK, FIN, PSH, RST, SYN};
use super::pcap::Capture;
use super::rng::Rng;

/// Payload bytes per full segment (Ethernet MTU 1500 minus 40 bytes of headers).
pub const MSS: usize = 1460;

/// The TCP stack flavour of a side: SYN options and windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    Windows,
    MacOs,
    Linux,
    /// A server or an embedded device.
    Server,
}

impl Stack {
    /// Options of the SYN (or SYN-ACK): no timestamps are ever agreed, since the servers
    /// do not offer them, so later segments carry no options.
    fn syn_options(self) -> &'static [u8] {
        match self {
            // MSS 1460, NOP, WS 8, NOP, NOP, SACK permitted.
            Stack::Windows => &[2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2],
            // MSS 1460, NOP, WS 6, NOP, NOP, SACK permitted.
            Stack::MacOs => &[2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 4, 2],
            // MSS 1460, SACK permitted, NOP, NOP, NOP, WS 7.
            Stack::Linux => &[2, 4, 0x05, 0xb4, 4, 2, 1, 1, 1, 3, 3, 7],
            // MSS 1460, NOP, NOP, SACK permitted, NOP, WS 9.
            Stack::Server => &[2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 9],
        }
    }

    /// Window field of the SYN.
    fn syn_window(self) -> u16 {
        match self {
            Stack::Windows => 64240,
            Stack::MacOs => 65535,
            Stack::Linux => 64240,
            Stack::Server => 65160,
        }
    }

    /// Window field (scaled) once established.
    fn window(self) -> u16 {
        match self {
            Stack::Windows => 1026,
            Stack::MacOs => 2048,
            Stack::Linux => 502,
            Stack::Server => 501,
        }
    }
}

/// One end of a connection.
#[derive(Debug, Clone, Copy)]
pub struct End {
    pub host: Host,
    pub port: u16,
    pub stack: Stack,
}

/// Which side sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Per-side sequence state.
#[derive(Debug, Clone, Copy)]
struct SideState {
    /// Next sequence number to send.
    nxt: u32,
    /// IP identification counter.
    ip_id: u16,
    /// When this side last sent data (µs).
    last_data: u64,
}

/// An open TCP connection being written into a capture.
pub struct Conn {
    c: End,
    s: End,
    cs: SideState,
    ss: SideState,
    /// Capture time of the latest packet of the connection (µs).
    pub t: u64,
    /// Round-trip time between the sensor and the server (µs).
    pub rtt: u64,
    /// Client-to-server throughput (bits/s).
    pub up_bps: f64,
    /// Server-to-client throughput (bits/s).
    pub down_bps: f64,
}

/// The SYN of `c` towards `s` at `t`.
fn syn(cap: &mut Capture, t: u64, c: &End, s: &End, isn: u32, id: u16) {
    send_raw(
        cap,
        t,
        c,
        s,
        id,
        isn,
        0,
        SYN,
        c.stack.syn_window(),
        c.stack.syn_options(),
        &[],
    );
}

/// One segment from `from` to `to`.
#[allow(clippy::too_many_arguments)]
fn send_raw(
    cap: &mut Capture,
    t: u64,
    from: &End,
    to: &End,
    id: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    options: &[u8],
    payload: &[u8],
) {
    packet::tcp(
        cap,
        t,
        &Ipv4 {
            src: &from.host,
            dst_mac: to.host.mac,
            dst: to.host.ip,
            id,
            dont_fragment: true,
        },
        &packet::Tcp {
            sport: from.port,
            dport: to.port,
            seq,
            ack,
            flags,
            window,
            options,
            payload,
        },
    );
}

impl Conn {
    /// Three-way handshake starting at `t`; the connection then stands at the client's ACK.
    pub fn open(cap: &mut Capture, rng: &mut Rng, c: End, s: End, t: u64, rtt: u64) -> Conn {
        let (cisn, sisn) = (rng.u32(), rng.u32());
        let (cid, sid) = (rng.u16(), rng.u16());
        syn(cap, t, &c, &s, cisn, cid);
        let t1 = t + rtt;
        send_raw(
            cap,
            t1,
            &s,
            &c,
            sid,
            sisn,
            cisn.wrapping_add(1),
            SYN | ACK,
            s.stack.syn_window(),
            s.stack.syn_options(),
            &[],
        );
        let t2 = t1 + 60 + rng.below(200);
        send_raw(
            cap,
            t2,
            &c,
            &s,
            cid.wrapping_add(1),
            cisn.wrapping_add(1),
            sisn.wrapping_add(1),
            ACK,
            c.stack.window(),
            &[],
            &[],
        );
        Conn {
            c,
            s,
            cs: SideState {
                nxt: cisn.wrapping_add(1),
                ip_id: cid.wrapping_add(2),
                last_data: t2,
            },
            ss: SideState {
                nxt: sisn.wrapping_add(1),
                ip_id: sid.wrapping_add(1),
                last_data: t1,
            },
            t: t2,
            rtt,
            up_bps: 20e6,
            down_bps: 80e6,
        }
    }

    /// The client end.
    pub fn client(&self) -> &End {
        &self.c
    }

    /// The server end.
    pub fn server_end(&self) -> &End {
        &self.s
    }

    /// Emits one segment from `side` at `t`.
    fn seg(&mut self, cap: &mut Capture, side: Side, t: u64, flags: u8, payload: &[u8]) {
        let (from, to, st, peer_nxt) = match side {
            Side::Client => (&self.c, &self.s, &mut self.cs, self.ss.nxt),
            Side::Server => (&self.s, &self.c, &mut self.ss, self.cs.nxt),
        };
        send_raw(
            cap,
            t,
            from,
            to,
            st.ip_id,
            st.nxt,
            peer_nxt,
            flags,
            from.stack.window(),
            &[],
            payload,
        );
        st.ip_id = st.ip_id.wrapping_add(1);
        let mut adv = payload.len() as u32;
        if flags & (SYN | FIN) != 0 {
            adv += 1;
        }
        st.nxt = st.nxt.wrapping_add(adv);
        self.t = self.t.max(t);
    }

    /// Sends `data` from `side`, starting `think` µs after the moment it could (the
    /// client at once; the server once the client's last data reached it). Segments are
    /// MSS-sized, paced by the side's throughput; the receiver ACKs every second segment
    /// (a client) or every eighth (a server), and the last one. Returns the time of the
    /// last data segment.
    pub fn send(&mut self, cap: &mut Capture, side: Side, data: &[u8], think: u64) -> u64 {
        if data.is_empty() {
            return self.t;
        }
        let (start, bps, ack_lag) = match side {
            Side::Client => (self.t + think.max(1), self.up_bps, self.rtt),
            Side::Server => (
                (self.cs.last_data + self.rtt + think).max(self.t + 1),
                self.down_bps,
                80,
            ),
        };
        let other = match side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        // Clients delay-ACK every second segment; servers receiving bulk data coalesce
        // (GRO) and send stretch ACKs.
        let every = match side {
            Side::Client => 8,
            Side::Server => 2,
        };
        let mut t = start;
        let n = data.len().div_ceil(MSS);
        let mut last_t = t;
        for (i, chunk) in data.chunks(MSS).enumerate() {
            let last = i + 1 == n;
            self.seg(cap, side, t, if last { ACK | PSH } else { ACK }, chunk);
            last_t = t;
            if (i + 1) % every == 0 || last {
                let upto = match side {
                    Side::Client => self.cs.nxt,
                    Side::Server => self.ss.nxt,
                };
                self.pure_ack(cap, other, t + ack_lag, upto);
            }
            let wire = (chunk.len() + 54) as f64 * 8.0 / bps * 1e6;
            t += (wire as u64).max(2);
        }
        match side {
            Side::Client => self.cs.last_data = last_t,
            Side::Server => self.ss.last_data = last_t,
        }
        last_t
    }

    /// A pure ACK from `side` at `t` acknowledging up to `upto`.
    fn pure_ack(&mut self, cap: &mut Capture, side: Side, t: u64, upto: u32) {
        let (from, to, st) = match side {
            Side::Client => (&self.c, &self.s, &mut self.cs),
            Side::Server => (&self.s, &self.c, &mut self.ss),
        };
        send_raw(
            cap,
            t,
            from,
            to,
            st.ip_id,
            st.nxt,
            upto,
            ACK,
            from.stack.window(),
            &[],
            &[],
        );
        st.ip_id = st.ip_id.wrapping_add(1);
        self.t = self.t.max(t);
    }

    /// Orderly close: `first` sends FIN `idle` µs after the last packet, the other side
    /// answers FIN-ACK, the first ACKs it.
    pub fn close(&mut self, cap: &mut Capture, first: Side, idle: u64) {
        let t = self.t + idle.max(1);
        self.seg(cap, first, t, FIN | ACK, &[]);
        let (t1, t2) = match first {
            Side::Client => (t + self.rtt, t + self.rtt + 70),
            Side::Server => (t + 90, t + 90 + self.rtt),
        };
        let other = match first {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        self.seg(cap, other, t1, FIN | ACK, &[]);
        self.seg(cap, first, t2, ACK, &[]);
    }

    /// Waits `dt` µs of idle connection time.
    pub fn idle(&mut self, dt: u64) {
        self.t += dt;
    }
}

/// A connection attempt answered by RST-ACK (port closed): Zeek's REJ.
pub fn refused(cap: &mut Capture, rng: &mut Rng, c: &End, s: &End, t: u64, rtt: u64) {
    let isn = rng.u32();
    syn(cap, t, c, s, isn, rng.u16());
    send_raw(
        cap,
        t + rtt,
        s,
        c,
        0,
        0,
        isn.wrapping_add(1),
        RST | ACK,
        0,
        &[],
        &[],
    );
}

/// A SYN never answered, retransmitted `retries` times with doubling delays (1 s, 2 s,
/// ...): Zeek's S0. Returns the time of the last SYN.
pub fn unanswered(cap: &mut Capture, rng: &mut Rng, c: &End, s: &End, t: u64, retries: u32) -> u64 {
    let isn = rng.u32();
    let mut id = rng.u16();
    let mut at = t;
    let mut gap = 1_000_000u64;
    for i in 0..=retries {
        if i > 0 {
            at += gap;
            gap *= 2;
        }
        syn(cap, at, c, s, isn, id);
        id = id.wrapping_add(1);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{PacketHeaders, TransportHeader};

    fn end(ip: [u8; 4], port: u16, stack: Stack) -> End {
        End {
            host: Host {
                mac: [2, 0, 0, 0, 0, ip[3]],
                ip,
                ttl: 64,
            },
            port,
            stack,
        }
    }

    #[test]
    fn sequence_numbers_follow_the_bytes() {
        let mut cap = Capture::new();
        let mut rng = Rng::new(1);
        let c = end([10, 0, 0, 1], 50000, Stack::Windows);
        let s = end([1, 1, 1, 1], 80, Stack::Server);
        let mut conn = Conn::open(&mut cap, &mut rng, c, s, 1_000_000, 20_000);
        conn.send(&mut cap, Side::Client, &[b'a'; 100], 0);
        conn.send(&mut cap, Side::Server, &[b'b'; 5000], 1000);
        conn.close(&mut cap, Side::Client, 10_000);
        // Per direction: each segment's seq equals the previous seq plus its length (SYN
        // and FIN count one); every ACK covers only what the other side already sent.
        let mut next: [Option<u32>; 2] = [None, None];
        let mut sent: [u32; 2] = [0, 0];
        let mut payload = [0usize; 2];
        let mut last_ts = 0;
        for (ts, f) in cap.sorted() {
            assert!(ts >= last_ts);
            last_ts = ts;
            let h = PacketHeaders::from_ethernet_slice(f).unwrap();
            let Some(TransportHeader::Tcp(t)) = h.transport else {
                panic!()
            };
            let d = usize::from(t.source_port == 80);
            let len = h.payload.slice().len() as u32;
            if let Some(n) = next[d] {
                assert_eq!(t.sequence_number, n, "dir {d}");
            }
            let adv = len + u32::from(t.syn) + u32::from(t.fin);
            next[d] = Some(t.sequence_number.wrapping_add(adv));
            sent[d] = t.sequence_number.wrapping_add(adv);
            payload[d] += len as usize;
            if t.ack && next[1 - d].is_some() {
                assert!(t.acknowledgment_number.wrapping_sub(sent[1 - d]) as i32 <= 0);
            }
        }
        assert_eq!(payload, [100, 5000]);
    }
}
