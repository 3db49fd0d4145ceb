//! DHCP (BOOTP with the DHCP magic cookie) over UDP: who asked for an address, under
//! which host name (option 12) and vendor class (option 60), and what the server gave.
//! Devices are named from it (the pattern-of-life model), and EVE `dhcp` records are
//! written as Suricata writes them.
//!
//! Worker half: [`datagram`] reads the fixed BOOTP header and the options, zero-copy and
//! bounded, and writes a `Dhcp` record. Record layout (after the engine header):
//! `u8 op, u32 xid, fixed[6] chaddr, fixed[4] ciaddr, fixed[4] yiaddr, fixed[4] giaddr,
//! u8 message type (0 none), bytes hostname, bytes vendor class, fixed[4] requested ip
//! (0.0.0.0 none), u32 lease time (0 none), fixed[4] subnet mask, u16_list routers as
//! pairs of u16 (each address two values), u16_list dns servers likewise, bytes client
//! id, bytes parameter list`.

use super::{Dir, EveBody, RecordCtx, RecordKind, Sink, Tracker};
use crate::wire::{Reader, Writer};
use serde_json::{json, Map, Value};

const COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const FIXED: usize = 236;

/// Whether a UDP payload is DHCP: a BOOTP request or reply with the magic cookie.
pub fn looks_like_dhcp(p: &[u8]) -> bool {
    p.len() >= FIXED + 4
        && (p[0] == 1 || p[0] == 2)
        && p[1] == 1
        && p[2] == 6
        && p.get(FIXED..FIXED + 4) == Some(&COOKIE[..])
}

/// Options of interest, borrowed from the datagram.
#[derive(Default)]
struct Opts<'a> {
    msg_type: u8,
    hostname: &'a [u8],
    vendor: &'a [u8],
    requested: [u8; 4],
    lease: u32,
    mask: [u8; 4],
    routers: &'a [u8],
    dns: &'a [u8],
    client_id: &'a [u8],
    params: &'a [u8],
}

fn options(b: &[u8]) -> Opts<'_> {
    let mut o = Opts::default();
    let mut i = 0usize;
    while i < b.len() {
        let code = b[i];
        if code == 0 {
            i += 1;
            continue;
        }
        if code == 255 {
            break;
        }
        let Some(&len) = b.get(i + 1) else { break };
        let Some(v) = b.get(i + 2..i + 2 + len as usize) else {
            break;
        };
        let ip4 = |v: &[u8]| -> [u8; 4] {
            let mut a = [0u8; 4];
            if v.len() >= 4 {
                a.copy_from_slice(&v[..4]);
            }
            a
        };
        match code {
            53 => o.msg_type = v.first().copied().unwrap_or(0),
            12 => o.hostname = v,
            60 => o.vendor = v,
            50 => o.requested = ip4(v),
            51 if v.len() >= 4 => o.lease = u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
            1 => o.mask = ip4(v),
            3 => o.routers = v,
            6 => o.dns = v,
            61 => o.client_id = v,
            55 => o.params = v,
            _ => {}
        }
        i += 2 + len as usize;
    }
    o
}

/// One DHCP datagram: writes a `Dhcp` record; false if it is not DHCP.
pub fn datagram(_dir: Dir, p: &[u8], sink: &mut dyn Sink) -> bool {
    if !looks_like_dhcp(p) {
        return false;
    }
    let o = options(&p[FIXED + 4..]);
    let addrs = |v: &[u8]| {
        let n = v.len() / 4 * 4;
        v[..n]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect::<ArrayList>()
    };
    sink.emit(RecordKind::Dhcp, &mut |w: &mut Writer<'_>| {
        w.u8(p[0]);
        w.fixed(&p[4..8]);
        w.fixed(&p[28..34]);
        w.fixed(&p[12..16]);
        w.fixed(&p[16..20]);
        w.fixed(&p[24..28]);
        w.u8(o.msg_type);
        w.bytes(o.hostname);
        w.bytes(o.vendor);
        w.fixed(&o.requested);
        w.u32(o.lease);
        w.fixed(&o.mask);
        w.u16_list(addrs(o.routers).iter());
        w.u16_list(addrs(o.dns).iter());
        w.bytes(o.client_id);
        w.bytes(o.params);
        true
    });
    true
}

/// Up to 16 `u16` values without allocating (addresses as pairs).
struct ArrayList {
    v: [u16; 16],
    n: usize,
}

impl FromIterator<u16> for ArrayList {
    fn from_iter<I: IntoIterator<Item = u16>>(it: I) -> Self {
        let mut a = ArrayList { v: [0; 16], n: 0 };
        for x in it {
            if a.n < 16 {
                a.v[a.n] = x;
                a.n += 1;
            }
        }
        a
    }
}

impl ArrayList {
    fn iter(&self) -> std::iter::Copied<std::slice::Iter<'_, u16>> {
        self.v[..self.n].iter().copied()
    }
}

fn ip(b: &[u8]) -> String {
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

fn ips(v: &[u16]) -> Vec<String> {
    v.chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| {
            let (a, b) = (c[0].to_be_bytes(), c[1].to_be_bytes());
            ip(&[a[0], a[1], b[0], b[1]])
        })
        .collect()
}

/// Suricata's name for a DHCP message type.
pub fn type_name(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "unknown",
    }
}

/// What a DHCP record says, read back on the control plane.
#[derive(Debug, Clone, Default)]
pub struct DhcpInfo {
    pub reply: bool,
    pub xid: u32,
    pub mac: [u8; 6],
    pub client_ip: [u8; 4],
    pub assigned_ip: [u8; 4],
    pub msg_type: u8,
    pub hostname: String,
    pub vendor: String,
    pub requested_ip: [u8; 4],
}

/// Reads a `Dhcp` record body.
pub fn read(r: &mut Reader<'_>) -> Option<(DhcpInfo, Map<String, Value>)> {
    let op = r.u8()?;
    let xid = r.fixed(4)?;
    let mac = r.fixed(6)?;
    let ciaddr = r.fixed(4)?;
    let yiaddr = r.fixed(4)?;
    let giaddr = r.fixed(4)?;
    let msg_type = r.u8()?;
    let hostname = r.string()?;
    let vendor = r.string()?;
    let requested = r.fixed(4)?;
    let lease = r.u32()?;
    let mask = r.fixed(4)?;
    let routers = r.u16_list()?;
    let dns = r.u16_list()?;
    let client_id = r.bytes()?;
    let params = r.bytes()?;
    let mut info = DhcpInfo {
        reply: op == 2,
        xid: u32::from_be_bytes([xid[0], xid[1], xid[2], xid[3]]),
        msg_type,
        hostname: hostname.clone(),
        vendor: vendor.clone(),
        ..Default::default()
    };
    info.mac.copy_from_slice(mac);
    info.client_ip.copy_from_slice(ciaddr);
    info.assigned_ip.copy_from_slice(yiaddr);
    info.requested_ip.copy_from_slice(requested);
    let mut d = Map::new();
    d.insert(
        "type".into(),
        json!(if info.reply { "reply" } else { "request" }),
    );
    d.insert("id".into(), json!(info.xid));
    d.insert(
        "client_mac".into(),
        json!(mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")),
    );
    d.insert("assigned_ip".into(), json!(ip(yiaddr)));
    d.insert("client_ip".into(), json!(ip(ciaddr)));
    if giaddr != [0, 0, 0, 0] {
        d.insert("relay_ip".into(), json!(ip(giaddr)));
    }
    d.insert("dhcp_type".into(), json!(type_name(msg_type)));
    if !client_id.is_empty() {
        d.insert(
            "client_id".into(),
            json!(client_id
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")),
        );
    }
    if !hostname.is_empty() {
        d.insert("hostname".into(), json!(hostname));
    }
    if requested != [0, 0, 0, 0] {
        d.insert("requested_ip".into(), json!(ip(requested)));
    }
    if lease != 0 {
        d.insert("lease_time".into(), json!(lease));
    }
    if mask != [0, 0, 0, 0] {
        d.insert("subnet_mask".into(), json!(ip(mask)));
    }
    if !routers.is_empty() {
        d.insert("routers".into(), json!(ips(&routers)));
    }
    if !dns.is_empty() {
        d.insert("dns_servers".into(), json!(ips(&dns)));
    }
    if !vendor.is_empty() {
        d.insert("vendor_class_identifier".into(), json!(vendor));
    }
    if !params.is_empty() {
        let names: Vec<String> = params.iter().map(|p| param_name(*p)).collect();
        d.insert("params".into(), json!(names));
    }
    Some((info, d))
}

/// Suricata's names for requested parameters (others as numbers).
fn param_name(p: u8) -> String {
    match p {
        1 => "subnet_mask".into(),
        3 => "router".into(),
        6 => "dns_server".into(),
        12 => "hostname".into(),
        15 => "domain".into(),
        28 => "broadcast_address".into(),
        42 => "ntp_server".into(),
        51 => "ip_lease_time".into(),
        54 => "dhcp_server_identifier".into(),
        58 => "renewal_time".into(),
        59 => "rebinding_time".into(),
        119 => "domain_search".into(),
        121 => "classless_static_route".into(),
        n => n.to_string(),
    }
}

/// DHCP records to EVE `dhcp` records.
#[derive(Default)]
pub struct DhcpTracker {}

impl Tracker for DhcpTracker {
    fn record(
        &mut self,
        _kind: RecordKind,
        ctx: &RecordCtx,
        r: &mut Reader<'_>,
        out: &mut Vec<EveBody>,
    ) {
        if let Some((_, d)) = read(r) {
            let mut fields = Map::new();
            fields.insert("event_type".into(), json!("dhcp"));
            fields.insert("dhcp".into(), Value::Object(d));
            out.push(EveBody {
                dir: ctx.dir,
                ts_ns: ctx.ts_ns,
                fields,
            });
        }
    }

    fn flow_end(&mut self, _ctx: &RecordCtx, _out: &mut Vec<EveBody>) {}
}

/// Drives the worker half over arbitrary bytes (as they are, and behind a valid BOOTP
/// header and magic cookie so the options are reached) and the tracker over what it
/// wrote; for cargo-fuzz: must never panic.
pub fn fuzz_entry(data: &[u8]) {
    let mut sink = super::VecSink::default();
    let _ = datagram(Dir::ToServer, data, &mut sink);
    let mut framed = vec![0u8; FIXED];
    framed[..3].copy_from_slice(&[1 + (data.first().copied().unwrap_or(0) & 1), 1, 6]);
    framed.extend_from_slice(&COOKIE);
    framed.extend_from_slice(data);
    let _ = datagram(Dir::ToClient, &framed, &mut sink);
    let mut t = DhcpTracker::default();
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::VecSink;

    /// A DHCPREQUEST as a MacBook sends it (hostname "macbook-air").
    fn request() -> Vec<u8> {
        let mut p = vec![0u8; FIXED];
        p[0] = 1;
        p[1] = 1;
        p[2] = 6;
        p[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        p[28..34].copy_from_slice(&[0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03]);
        p.extend_from_slice(&COOKIE);
        p.extend_from_slice(&[53, 1, 3]);
        p.extend_from_slice(&[55, 3, 1, 3, 6]);
        p.extend_from_slice(&[50, 4, 192, 168, 5, 16]);
        p.extend_from_slice(&[12, 11]);
        p.extend_from_slice(b"macbook-air");
        p.push(255);
        p
    }

    #[test]
    fn reads_a_request() {
        let p = request();
        assert!(looks_like_dhcp(&p));
        let mut sink = VecSink::default();
        assert!(datagram(Dir::ToServer, &p, &mut sink));
        let (kind, body) = &sink.records[0];
        assert_eq!(*kind, RecordKind::Dhcp);
        let (info, d) = read(&mut Reader::new(body)).unwrap();
        assert_eq!(info.hostname, "macbook-air");
        assert_eq!(d["dhcp_type"], "request");
        assert_eq!(d["client_mac"], "3c:22:fb:01:02:03");
        assert_eq!(d["requested_ip"], "192.168.5.16");
        assert_eq!(d["params"], json!(["subnet_mask", "router", "dns_server"]));
    }

    #[test]
    fn never_panics_on_cut_or_odd_options() {
        let p = request();
        let mut sink = VecSink::default();
        for cut in 0..p.len() {
            datagram(Dir::ToServer, &p[..cut], &mut sink);
        }
        let mut q = p.clone();
        let at = FIXED + 4 + 1;
        q[at] = 250; // option length past the end
        datagram(Dir::ToServer, &q, &mut sink);
    }

    #[test]
    fn fuzz_entry_never_panics() {
        let base: Vec<u8> = request()[FIXED + 4..].to_vec();
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
