//! DHCP as a device joining the office network does it: DISCOVER and REQUEST broadcast
//! with its host name (option 12), client id, vendor class and parameter list; the
//! server's OFFER and ACK (10.20.0.2, through the relay on the gateway 10.20.1.1, which
//! sets giaddr). A device already holding a lease renews with a unicast REQUEST.

use super::packet::{self, Host, Ip, Ipv4, Mac, BROADCAST};
use super::pcap::Capture;
use super::rng::Rng;

const COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];

/// Message types (option 53).
const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const ACK: u8 = 5;

/// What a client puts in its requests, by OS.
#[derive(Debug, Clone, Copy)]
pub struct ClientStyle {
    /// Option 60, if sent.
    pub vendor: Option<&'static str>,
    /// Option 55.
    pub params: &'static [u8],
    /// Option 57 (max message size), if sent.
    pub max_size: Option<u16>,
}

/// Windows 10/11.
pub const WINDOWS: ClientStyle = ClientStyle {
    vendor: Some("MSFT 5.0"),
    params: &[1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252],
    max_size: None,
};
/// macOS.
pub const MACOS: ClientStyle = ClientStyle {
    vendor: None,
    params: &[1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46],
    max_size: Some(1500),
};
/// Linux (NetworkManager's internal client / dhclient).
pub const LINUX: ClientStyle = ClientStyle {
    vendor: None,
    params: &[1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
    max_size: Some(576),
};
/// A network printer.
pub const PRINTER: ClientStyle = ClientStyle {
    vendor: Some("Hewlett-Packard JetDirect"),
    params: &[1, 3, 6, 15, 44, 46, 47, 12, 81, 69, 42, 7],
    max_size: Some(1500),
};

/// The DHCP server and relay the network uses.
pub struct Server {
    /// 10.20.0.2 (frames reach the office segment from the gateway's MAC).
    pub host: Host,
    /// The relay (gateway) address put in giaddr, also the router option.
    pub relay: Ip,
    pub dns: Ip,
    pub domain: &'static str,
    pub lease: u32,
}

/// A client taking part in an exchange.
pub struct Client<'a> {
    pub mac: Mac,
    pub ip: Ip,
    pub hostname: &'a str,
    pub style: ClientStyle,
    pub ttl: u8,
}

fn opt(b: &mut Vec<u8>, code: u8, v: &[u8]) {
    b.push(code);
    b.push(v.len() as u8);
    b.extend_from_slice(v);
}

/// The fixed BOOTP part.
fn bootp(op: u8, xid: u32, secs: u16, ciaddr: Ip, yiaddr: Ip, giaddr: Ip, mac: &Mac) -> Vec<u8> {
    let mut b = vec![0u8; 236];
    b[0] = op;
    b[1] = 1;
    b[2] = 6;
    b[4..8].copy_from_slice(&xid.to_be_bytes());
    b[8..10].copy_from_slice(&secs.to_be_bytes());
    b[12..16].copy_from_slice(&ciaddr);
    b[16..20].copy_from_slice(&yiaddr);
    b[24..28].copy_from_slice(&giaddr);
    b[28..34].copy_from_slice(mac);
    b.extend_from_slice(&COOKIE);
    b
}

/// A client message (DISCOVER or REQUEST).
fn client_msg(
    c: &Client<'_>,
    xid: u32,
    secs: u16,
    kind: u8,
    ciaddr: Ip,
    server: Option<Ip>,
) -> Vec<u8> {
    let mut b = bootp(1, xid, secs, ciaddr, [0; 4], [0; 4], &c.mac);
    opt(&mut b, 53, &[kind]);
    let mut cid = vec![1u8];
    cid.extend_from_slice(&c.mac);
    opt(&mut b, 61, &cid);
    if ciaddr == [0; 4] {
        opt(&mut b, 50, &c.ip);
    }
    if let Some(s) = server {
        opt(&mut b, 54, &s);
    }
    if let Some(m) = c.style.max_size {
        opt(&mut b, 57, &m.to_be_bytes());
    }
    opt(&mut b, 12, c.hostname.as_bytes());
    if let Some(v) = c.style.vendor {
        opt(&mut b, 60, v.as_bytes());
    }
    opt(&mut b, 55, c.style.params);
    b.push(255);
    // BOOTP's minimum message size.
    if b.len() < 300 {
        b.resize(300, 0);
    }
    b
}

/// A server message (OFFER or ACK).
fn server_msg(
    s: &Server,
    c: &Client<'_>,
    xid: u32,
    kind: u8,
    ciaddr: Ip,
    relayed: bool,
) -> Vec<u8> {
    let giaddr = if relayed { s.relay } else { [0; 4] };
    let mut b = bootp(2, xid, 0, ciaddr, c.ip, giaddr, &c.mac);
    opt(&mut b, 53, &[kind]);
    opt(&mut b, 54, &s.host.ip);
    opt(&mut b, 51, &s.lease.to_be_bytes());
    opt(&mut b, 58, &(s.lease / 2).to_be_bytes());
    opt(&mut b, 59, &(s.lease / 8 * 7).to_be_bytes());
    opt(&mut b, 1, &[255, 255, 255, 0]);
    opt(&mut b, 3, &s.relay);
    opt(&mut b, 6, &s.dns);
    opt(&mut b, 15, s.domain.as_bytes());
    if kind == ACK {
        opt(&mut b, 12, c.hostname.as_bytes());
    }
    b.push(255);
    if b.len() < 300 {
        b.resize(300, 0);
    }
    b
}

/// Sends one DHCP datagram.
#[allow(clippy::too_many_arguments)]
fn send(
    cap: &mut Capture,
    rng: &mut Rng,
    t: u64,
    src: &Host,
    dst_mac: Mac,
    dst: Ip,
    sport: u16,
    dport: u16,
    msg: &[u8],
) {
    packet::udp(
        cap,
        t,
        &Ipv4 {
            src,
            dst_mac,
            dst,
            id: rng.u16(),
            dont_fragment: false,
        },
        sport,
        dport,
        msg,
    );
}

/// DISCOVER, OFFER, REQUEST, ACK from `t`; returns the time of the ACK.
pub fn join(
    cap: &mut Capture,
    rng: &mut Rng,
    s: &Server,
    gw_mac: Mac,
    c: &Client<'_>,
    t: u64,
) -> u64 {
    let xid = rng.u32();
    let unbound = Host {
        mac: c.mac,
        ip: [0; 4],
        ttl: c.ttl,
    };
    let relay = Host {
        mac: gw_mac,
        ip: s.host.ip,
        ttl: 127,
    };
    let d = client_msg(c, xid, 0, DISCOVER, [0; 4], None);
    send(cap, rng, t, &unbound, BROADCAST, [255; 4], 68, 67, &d);
    let t1 = t + 2_000 + rng.below(6_000);
    let o = server_msg(s, c, xid, OFFER, [0; 4], true);
    send(cap, rng, t1, &relay, c.mac, c.ip, 67, 68, &o);
    let t2 = t1 + 500 + rng.below(40_000);
    let r = client_msg(c, xid, 1, REQUEST, [0; 4], Some(s.host.ip));
    send(cap, rng, t2, &unbound, BROADCAST, [255; 4], 68, 67, &r);
    let t3 = t2 + 2_000 + rng.below(6_000);
    let a = server_msg(s, c, xid, ACK, [0; 4], true);
    send(cap, rng, t3, &relay, c.mac, c.ip, 67, 68, &a);
    t3
}

/// A lease renewal: unicast REQUEST from the bound address to the server, and its ACK.
pub fn renew(
    cap: &mut Capture,
    rng: &mut Rng,
    s: &Server,
    gw_mac: Mac,
    c: &Client<'_>,
    t: u64,
) -> u64 {
    let xid = rng.u32();
    let bound = Host {
        mac: c.mac,
        ip: c.ip,
        ttl: c.ttl,
    };
    let r = client_msg(c, xid, 0, REQUEST, c.ip, None);
    send(cap, rng, t, &bound, gw_mac, s.host.ip, 68, 67, &r);
    let server = Host {
        mac: gw_mac,
        ip: s.host.ip,
        ttl: 127,
    };
    let t1 = t + 1_500 + rng.below(5_000);
    let a = server_msg(s, c, xid, ACK, c.ip, false);
    send(cap, rng, t1, &server, c.mac, c.ip, 67, 68, &a);
    t1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::dhcp::looks_like_dhcp;

    #[test]
    fn messages_are_dhcp_with_the_hostname() {
        let s = Server {
            host: Host {
                mac: [0; 6],
                ip: [10, 20, 0, 2],
                ttl: 127,
            },
            relay: [10, 20, 1, 1],
            dns: [10, 20, 0, 53],
            domain: "office.example",
            lease: 86400,
        };
        let c = Client {
            mac: [2, 1, 2, 3, 4, 5],
            ip: [10, 20, 1, 17],
            hostname: "marie-macbook",
            style: MACOS,
            ttl: 255,
        };
        let d = client_msg(&c, 1, 0, DISCOVER, [0; 4], None);
        let o = server_msg(&s, &c, 1, OFFER, [0; 4], true);
        assert!(looks_like_dhcp(&d) && looks_like_dhcp(&o));
        let needle = b"marie-macbook";
        assert!(d.windows(needle.len()).any(|w| w == needle));
    }
}
