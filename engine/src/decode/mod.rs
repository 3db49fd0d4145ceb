//! Packet decoding, L2 to L4, over the borrowed bytes of an mbuf: link layer and VLAN
//! tags (`l2`), IPv4/IPv6 (`ip`), TCP/UDP/ICMP (`l4`), tunnels (`tunnel`) and IP
//! fragment reassembly (`frag`).
//!
//! [`decode`] walks a frame down to the innermost transport header, following tunnels
//! (GRE, ERSPAN, VXLAN, Geneve, Teredo, IP-in-IP) up to [`MAX_DEPTH`] deep, and counts
//! what it saw in [`DecodeStats`] under Suricata's `stats.decoder` names. It never
//! allocates and never panics: bad bytes give `None` and a counter.

pub mod frag;
pub mod ip;
pub mod l2;
pub mod l4;
pub mod tunnel;

use crate::capture::rss::LinkType;
use ip::Ip;
use l2::{Link, ETH_ARP, ETH_IPV4, ETH_IPV6};
use l4::{Icmp, Tcp, Udp};
use tunnel::{Inner, TunnelKind};

/// Most tunnel layers followed.
pub const MAX_DEPTH: u8 = 3;

/// The transport header of the innermost packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L4 {
    Tcp(Tcp),
    Udp(Udp),
    Icmp(Icmp),
    /// Another protocol, or a non-first fragment (no transport header).
    #[default]
    Other,
}

/// The tunnel a packet came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tunnel {
    /// The outermost tunnel's kind (`None` when not tunnelled).
    pub kind: TunnelKind,
    /// GRE key, ERSPAN session or VXLAN/Geneve VNI of the outermost tunnel.
    pub id: u32,
    /// Tunnel layers followed.
    pub depth: u8,
    /// The outermost IP header's addresses and protocol.
    pub outer: Ip,
    /// The outermost transport header (UDP for VXLAN, Geneve, Teredo; `Other` for GRE
    /// and IP-in-IP), so the tunnel's own flow can be tracked too.
    pub outer_l4: L4,
    /// VLAN tags of the outer frame.
    pub outer_vlan_count: u8,
}

/// A decoded packet: where it came from and its innermost IP and transport headers.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    /// VLAN ids of the outer frame (and of an inner Ethernet frame, after them).
    pub vlans: [u16; l2::MAX_VLANS],
    pub vlan_count: u8,
    pub tunnel: Tunnel,
    pub ip: Ip,
    /// The innermost IP datagram, header included (as long as the header says).
    pub l3: &'a [u8],
    pub l4: L4,
    /// Transport payload (for a fragment: the fragment's data).
    pub payload: &'a [u8],
    /// For a tunnelled packet, the length of the inner packet as Suricata counts it (the
    /// inner Ethernet frame, or the inner IP datagram); 0 when not tunnelled.
    pub inner_len: usize,
}

/// Nothing decoded yet: no VLAN, no tunnel, no IP, no payload. A constant, so resetting
/// a `Decoded` copies from read-only memory: a value built on the stack just before
/// (`Decoded::default()`, field by field) was copied with wide loads that stalled on the
/// narrow stores that built it, every packet (seen in `perf annotate`).
const EMPTY: Decoded<'static> = Decoded {
    vlans: [0; l2::MAX_VLANS],
    vlan_count: 0,
    tunnel: Tunnel {
        kind: TunnelKind::None,
        id: 0,
        depth: 0,
        outer: Ip::EMPTY,
        outer_l4: L4::Other,
        outer_vlan_count: 0,
    },
    ip: Ip::EMPTY,
    l3: &[],
    l4: L4::Other,
    payload: &[],
    inner_len: 0,
};

impl Default for Decoded<'_> {
    /// Nothing decoded yet: no VLAN, no tunnel, no IP, no payload.
    #[inline]
    fn default() -> Self {
        EMPTY
    }
}

impl Decoded<'_> {
    /// Source and destination ports (0 for protocols without ports).
    #[inline]
    pub fn ports(&self) -> (u16, u16) {
        match self.l4 {
            L4::Tcp(t) => (t.sport, t.dport),
            L4::Udp(u) => (u.sport, u.dport),
            _ => (0, 0),
        }
    }
}

/// What the decoder counted, under Suricata's `stats.decoder` names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub ethernet: u64,
    pub null: u64,
    pub raw: u64,
    pub sll: u64,
    pub sll2: u64,
    pub vlan: u64,
    pub vlan_qinq: u64,
    pub vlan_qinqinq: u64,
    pub mpls: u64,
    pub arp: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmpv4: u64,
    pub icmpv6: u64,
    pub sctp: u64,
    pub gre: u64,
    pub erspan: u64,
    pub vxlan: u64,
    pub geneve: u64,
    pub teredo: u64,
    pub ipv4_in_ipv4: u64,
    pub ipv6_in_ipv4: u64,
    pub ipv4_in_ipv6: u64,
    pub ipv6_in_ipv6: u64,
    pub invalid: u64,
    pub unknown_ethertype: u64,
    pub too_many_layers: u64,
    /// IP fragments seen (reassembly has its own counters).
    pub fragments: u64,
}

/// Decodes a frame of `link_type` down to its innermost transport header.
#[inline]
pub fn decode<'a>(
    frame: &'a [u8],
    link_type: LinkType,
    stats: &mut DecodeStats,
) -> Option<Decoded<'a>> {
    let mut d = Decoded::default();
    decode_into(frame, link_type, stats, &mut d).then_some(d)
}

/// [`decode`] into a [`Decoded`] the caller owns, fresh from `Decoded::default()` (it is
/// filled, not reset: the worker makes one per packet, and resetting it here too was the
/// same few hundred bytes written twice per packet); returns whether the frame is IP. The worker decodes this way: a `Decoded` is a few hundred bytes, and
/// returning it through an `Option` cost two copies per packet (seen in `perf`: libc's
/// memmove called from the decoder, about 5 % of the worker on real traffic).
#[inline]
pub fn decode_into<'a>(
    frame: &'a [u8],
    link_type: LinkType,
    stats: &mut DecodeStats,
    d: &mut Decoded<'a>,
) -> bool {
    let link = match l2::link(frame, link_type) {
        Some(l) => l,
        None => {
            stats.invalid += 1;
            return false;
        }
    };
    match link_type {
        LinkType::Ethernet => stats.ethernet += 1,
        LinkType::Null | LinkType::Loop => stats.null += 1,
        LinkType::Raw => stats.raw += 1,
        LinkType::Sll => stats.sll += 1,
        LinkType::Sll2 => stats.sll2 += 1,
    }
    count_link(&link, stats);
    push_vlans(d, &link);
    let rest = frame.get(link.offset..).unwrap_or(&[]);
    match link.ethertype {
        ETH_IPV4 | ETH_IPV6 => network(d, rest, 0, stats),
        ETH_ARP => {
            stats.arp += 1;
            false
        }
        _ => {
            stats.unknown_ethertype += 1;
            false
        }
    }
}

/// Decodes an IP datagram that starts at the first byte of `l3` (a reassembled one),
/// keeping the VLANs and tunnel of `outer`.
#[inline]
pub fn decode_ip<'a>(
    l3: &'a [u8],
    outer: &Decoded<'_>,
    stats: &mut DecodeStats,
) -> Option<Decoded<'a>> {
    let mut d = Decoded {
        vlans: outer.vlans,
        vlan_count: outer.vlan_count,
        tunnel: outer.tunnel,
        ip: Ip::default(),
        l3: &[],
        l4: L4::Other,
        payload: &[],
        inner_len: 0,
    };
    let ok = network(&mut d, l3, outer.tunnel.depth, stats);
    if ok && outer.tunnel.depth > 0 {
        d.inner_len = d.ip.len;
    }
    ok.then_some(d)
}

fn count_link(link: &Link, stats: &mut DecodeStats) {
    match link.vlan_count {
        0 => {}
        1 => stats.vlan += 1,
        2 => stats.vlan_qinq += 1,
        _ => stats.vlan_qinqinq += 1,
    }
    if link.mpls {
        stats.mpls += 1;
    }
    if link.too_many_vlans {
        stats.too_many_layers += 1;
    }
}

fn push_vlans(d: &mut Decoded<'_>, link: &Link) {
    for v in &link.vlans[..link.vlan_count as usize] {
        if (d.vlan_count as usize) < l2::MAX_VLANS {
            d.vlans[d.vlan_count as usize] = *v;
            d.vlan_count += 1;
        }
    }
}

/// Decodes the IP datagram at the start of `b` and what it carries, following tunnels.
/// Returns false when there is nothing a flow can be made of.
fn network<'a>(d: &mut Decoded<'a>, b: &'a [u8], depth: u8, stats: &mut DecodeStats) -> bool {
    let Some(ip) = ip::ip(b) else {
        stats.invalid += 1;
        return false;
    };
    if ip.v6 {
        stats.ipv6 += 1;
    } else {
        stats.ipv4 += 1;
    }
    let l3 = &b[..ip.len];
    let l4b = l3.get(ip.l4_offset..).unwrap_or(&[]);
    d.ip = ip;
    d.l3 = l3;
    if ip.frag.is_some() {
        // The caller reassembles; only the whole datagram has a transport header.
        stats.fragments += 1;
        d.l4 = L4::Other;
        d.payload = l4b;
        return true;
    }
    match ip.proto {
        ip::PROTO_TCP => match l4::tcp(l4b) {
            Some((t, p)) => {
                stats.tcp += 1;
                d.l4 = L4::Tcp(t);
                d.payload = p;
            }
            None => {
                stats.invalid += 1;
                return false;
            }
        },
        ip::PROTO_UDP => match l4::udp(l4b) {
            Some((u, p)) => {
                stats.udp += 1;
                d.l4 = L4::Udp(u);
                d.payload = p;
                if depth < MAX_DEPTH {
                    if let Some(dec) = udp_tunnel(&u, p) {
                        inner(d, dec, p, depth, stats);
                        return true;
                    }
                }
            }
            None => {
                stats.invalid += 1;
                return false;
            }
        },
        ip::PROTO_ICMP | ip::PROTO_ICMPV6 => match l4::icmp(l4b, ip.v6) {
            Some((i, p)) => {
                if ip.v6 {
                    stats.icmpv6 += 1;
                } else {
                    stats.icmpv4 += 1;
                }
                d.l4 = L4::Icmp(i);
                d.payload = p;
            }
            None => {
                stats.invalid += 1;
                return false;
            }
        },
        ip::PROTO_GRE if depth < MAX_DEPTH => {
            stats.gre += 1;
            d.l4 = L4::Other;
            d.payload = l4b;
            if let Some(dec) = tunnel::gre(l4b) {
                if dec.kind == TunnelKind::Erspan {
                    stats.erspan += 1;
                }
                inner(d, dec, l4b, depth, stats);
                return true;
            }
        }
        ip::PROTO_IPIP | ip::PROTO_IPV6 if depth < MAX_DEPTH => {
            let inner_v6 = ip.proto == ip::PROTO_IPV6;
            match (ip.v6, inner_v6) {
                (false, false) => stats.ipv4_in_ipv4 += 1,
                (false, true) => stats.ipv6_in_ipv4 += 1,
                (true, false) => stats.ipv4_in_ipv6 += 1,
                (true, true) => stats.ipv6_in_ipv6 += 1,
            }
            let dec = tunnel::Decap {
                kind: TunnelKind::IpInIp,
                id: 0,
                inner: Inner::Ip(0, if inner_v6 { ETH_IPV6 } else { ETH_IPV4 }),
            };
            d.payload = l4b;
            inner(d, dec, l4b, depth, stats);
            return true;
        }
        ip::PROTO_SCTP => {
            stats.sctp += 1;
            d.l4 = L4::Other;
            d.payload = l4b;
        }
        _ => {
            d.l4 = L4::Other;
            d.payload = l4b;
        }
    }
    true
}

/// A UDP payload that is a tunnel, by the well-known port and a header check.
#[inline]
fn udp_tunnel(u: &Udp, p: &[u8]) -> Option<tunnel::Decap> {
    if u.dport == tunnel::VXLAN_PORT {
        return tunnel::vxlan(p);
    }
    if u.dport == tunnel::GENEVE_PORT {
        return tunnel::geneve(p);
    }
    if u.sport == tunnel::TEREDO_PORT || u.dport == tunnel::TEREDO_PORT {
        return tunnel::teredo(p);
    }
    None
}

/// Follows a tunnel into its inner packet. On success `d` describes the inner packet,
/// with the outer headers noted in `d.tunnel`; on failure `d` is left as the outer
/// packet (a flow of the tunnel itself) and false is returned.
fn inner<'a>(
    d: &mut Decoded<'a>,
    dec: tunnel::Decap,
    p: &'a [u8],
    depth: u8,
    stats: &mut DecodeStats,
) -> bool {
    let saved = *d;
    let mut t = d.tunnel;
    if t.depth == 0 {
        t.kind = dec.kind;
        t.id = dec.id;
        t.outer = d.ip;
        t.outer_l4 = d.l4;
        t.outer_vlan_count = d.vlan_count;
    }
    t.depth = depth + 1;
    match dec.kind {
        TunnelKind::Vxlan => stats.vxlan += 1,
        TunnelKind::Geneve => stats.geneve += 1,
        TunnelKind::Teredo => stats.teredo += 1,
        _ => {}
    }
    let ok = match dec.inner {
        Inner::Ip(off, _) => {
            d.tunnel = t;
            let ok = network(d, p.get(off..).unwrap_or(&[]), depth + 1, stats);
            if ok {
                d.inner_len = d.ip.len;
            }
            ok
        }
        Inner::Ethernet(off) => {
            let eth = p.get(off..).unwrap_or(&[]);
            match l2::ethernet(eth) {
                Some(link) if matches!(link.ethertype, ETH_IPV4 | ETH_IPV6) => {
                    stats.ethernet += 1;
                    count_link(&link, stats);
                    push_vlans(d, &link);
                    d.tunnel = t;
                    network(d, eth.get(link.offset..).unwrap_or(&[]), depth + 1, stats)
                }
                Some(link) if link.ethertype == ETH_ARP => {
                    stats.arp += 1;
                    false
                }
                _ => false,
            }
        }
    };
    if !ok {
        *d = saved;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth_ipv4_udp(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn vxlan_inner_flow() {
        let inner = eth_ipv4_udp(b"hello", 1000, 53);
        let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
        vx.extend_from_slice(&inner);
        let f = eth_ipv4_udp(&vx, 55555, 4789);
        let mut st = DecodeStats::default();
        let d = decode(&f, LinkType::Ethernet, &mut st).unwrap();
        assert_eq!(d.tunnel.kind, TunnelKind::Vxlan);
        assert_eq!((d.tunnel.id, d.tunnel.depth), (42, 1));
        assert_eq!(d.ports(), (1000, 53));
        assert_eq!(d.payload, b"hello");
        assert_eq!((st.vxlan, st.udp, st.ipv4, st.ethernet), (1, 2, 2, 2));
    }

    #[test]
    fn broken_tunnel_stays_the_outer_flow() {
        let f = eth_ipv4_udp(&[0x08, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3], 5, 4789);
        let mut st = DecodeStats::default();
        let d = decode(&f, LinkType::Ethernet, &mut st).unwrap();
        assert_eq!(d.tunnel.kind, TunnelKind::None);
        assert_eq!(d.ports(), (5, 4789));
    }

    #[test]
    fn never_panics_on_cut_frames() {
        let inner = eth_ipv4_udp(b"hello", 1000, 53);
        let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
        vx.extend_from_slice(&inner);
        let f = eth_ipv4_udp(&vx, 55555, 4789);
        let mut st = DecodeStats::default();
        for cut in 0..f.len() {
            let _ = decode(&f[..cut], LinkType::Ethernet, &mut st);
            for flip in 0..cut {
                let mut g = f[..cut].to_vec();
                g[flip] ^= 0xA5;
                let _ = decode(&g, LinkType::Ethernet, &mut st);
            }
        }
    }
}
