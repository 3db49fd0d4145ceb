//! The part every EVE record shares, built from a record header: `timestamp`,
//! `flow_id`, `event_type`, `vlan`, `src_ip`/`src_port`/`dest_ip`/`dest_port`, `proto`,
//! `community_id` (Community ID v1, as Zeek and Suricata compute it) and `tunnel`.
//! Addresses print as Suricata prints them (IPv6 in full, with leading zeros).

use super::eve;
use crate::app::Dir;
use crate::worker::records::Header;
use base64::Engine;
use serde_json::{Map, Value};

/// An address as Suricata writes it.
pub fn ip_string(addr: &[u8; 16], v6: bool) -> String {
    if v6 {
        let mut s = String::with_capacity(39);
        for i in 0..8 {
            if i > 0 {
                s.push(':');
            }
            s.push_str(&format!("{:02x}{:02x}", addr[2 * i], addr[2 * i + 1]));
        }
        s
    } else {
        format!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3])
    }
}

/// Suricata's name for an IP protocol number.
pub fn proto_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        2 => "IGMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        47 => "GRE".into(),
        50 => "ESP".into(),
        51 => "AH".into(),
        58 => "IPv6-ICMP".into(),
        132 => "SCTP".into(),
        n => n.to_string(),
    }
}

/// ICMP types with a reply type: the Community ID pairs them (pycommunityid's tables).
fn icmp_counterpart(typ: u8, v6: bool) -> Option<u8> {
    if v6 {
        Some(match typ {
            128 => 129,
            129 => 128,
            133 => 134,
            134 => 133,
            135 => 136,
            136 => 135,
            130 => 131,
            131 => 130,
            144 => 145,
            145 => 144,
            _ => return None,
        })
    } else {
        Some(match typ {
            8 => 0,
            0 => 8,
            13 => 14,
            14 => 13,
            15 => 16,
            16 => 15,
            10 => 9,
            9 => 10,
            17 => 18,
            18 => 17,
            _ => return None,
        })
    }
}

/// Community ID v1 of a flow with `seed` (0 unless the profile says otherwise): SHA-1
/// over the ordered tuple, base64. `icmp` gives the client's first ICMP (type, code).
pub fn community_id(h: &Header, icmp: Option<(u8, u8)>, seed: u16) -> String {
    let alen = if h.v6 { 16 } else { 4 };
    let (mut sa, mut da) = (&h.client[..alen], &h.server[..alen]);
    let (mut sp, mut dp) = (h.cport, h.sport);
    let mut one_way = false;
    let has_ports = matches!(h.proto, 6 | 17 | 132);
    if matches!(h.proto, 1 | 58) {
        let (t, c) = icmp.unwrap_or((0, 0));
        match icmp_counterpart(t, h.v6) {
            Some(other) => {
                sp = t as u16;
                dp = other as u16;
            }
            None => {
                sp = t as u16;
                dp = c as u16;
                one_way = true;
            }
        }
    }
    let ordered = sa < da || (sa == da && sp < dp);
    if !one_way && !ordered {
        std::mem::swap(&mut sa, &mut da);
        std::mem::swap(&mut sp, &mut dp);
    }
    let mut input = Vec::with_capacity(40);
    input.extend_from_slice(&seed.to_be_bytes());
    input.extend_from_slice(sa);
    input.extend_from_slice(da);
    input.push(h.proto);
    input.push(0);
    if has_ports || matches!(h.proto, 1 | 58) {
        input.extend_from_slice(&sp.to_be_bytes());
        input.extend_from_slice(&dp.to_be_bytes());
    }
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    )
}

/// The envelope of a record about flow `h`, written `dir`-wise (to-server: the client
/// is `src`), at packet time `ts_ns`, of `event_type`. Fields of the record's own go
/// after it.
pub fn envelope(
    h: &Header,
    ts_ns: u64,
    dir: Dir,
    event_type: &str,
    icmp: Option<(u8, u8)>,
    seed: u16,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("timestamp".into(), Value::String(eve::timestamp(ts_ns)));
    m.insert("flow_id".into(), Value::from(h.flow_id));
    m.insert("event_type".into(), Value::String(event_type.into()));
    if h.vlan_count > 0 {
        m.insert(
            "vlan".into(),
            Value::from(h.vlans[..h.vlan_count as usize].to_vec()),
        );
    }
    let (src, sport, dst, dport) = match dir {
        Dir::ToServer => (&h.client, h.cport, &h.server, h.sport),
        Dir::ToClient => (&h.server, h.sport, &h.client, h.cport),
    };
    m.insert("src_ip".into(), Value::String(ip_string(src, h.v6)));
    let ports = matches!(h.proto, 6 | 17 | 132);
    if ports {
        m.insert("src_port".into(), Value::from(sport));
    }
    m.insert("dest_ip".into(), Value::String(ip_string(dst, h.v6)));
    if ports {
        m.insert("dest_port".into(), Value::from(dport));
    }
    m.insert("proto".into(), Value::String(proto_name(h.proto)));
    m.insert(
        "community_id".into(),
        Value::String(community_id(h, icmp, seed)),
    );
    if h.tunnel.kind != crate::decode::tunnel::TunnelKind::None {
        let t = &h.tunnel;
        let mut o = Map::new();
        o.insert("src_ip".into(), Value::String(ip_string(&t.src, t.v6)));
        o.insert("dest_ip".into(), Value::String(ip_string(&t.dst, t.v6)));
        o.insert("proto".into(), Value::String(proto_name(t.proto)));
        o.insert("depth".into(), Value::from(t.depth));
        m.insert("tunnel".into(), Value::Object(o));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0u8; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    #[test]
    fn community_id_reference_values() {
        // pycommunityid's README: TCP 128.232.110.120:34855 -> 66.35.250.204:80.
        let h = Header {
            client: v4([128, 232, 110, 120]),
            server: v4([66, 35, 250, 204]),
            cport: 34855,
            sport: 80,
            proto: 6,
            ..Default::default()
        };
        assert_eq!(community_id(&h, None, 0), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        // The reverse direction gives the same id.
        let r = Header {
            client: h.server,
            server: h.client,
            cport: 80,
            sport: 34855,
            ..h
        };
        assert_eq!(community_id(&r, None, 0), community_id(&h, None, 0));
        assert_ne!(community_id(&h, None, 7), community_id(&h, None, 0));
    }

    #[test]
    fn ipv6_prints_in_full() {
        let mut a = [0u8; 16];
        a[0] = 0xfe;
        a[1] = 0x80;
        a[15] = 1;
        assert_eq!(
            ip_string(&a, true),
            "fe80:0000:0000:0000:0000:0000:0000:0001"
        );
    }
}
