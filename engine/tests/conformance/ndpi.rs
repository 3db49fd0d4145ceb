//! nDPI `.out` expectations: each flow line gives the tuple, packets and bytes each way
//! and, where nDPI read them, the hostname/SNI, HTTP user agent and status. Vigil's flow
//! and http/tls records of the same flow must agree.

use super::compare::{norm_ip, Tally};
use serde_json::Value;
use std::path::Path;

struct Line {
    proto: String,
    a: (String, u16),
    b: (String, u16),
    pkts: (u64, u64),
    bytes: (u64, u64),
    host: Option<String>,
    ua: Option<String>,
    app: String,
}

fn bracket<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("[{key}: "))? + key.len() + 3;
    let rest = &line[at..];
    Some(&rest[..rest.find(']')?])
}

fn endpoint(s: &str) -> Option<(String, u16)> {
    if let Some(v6) = s.strip_prefix('[') {
        let end = v6.find(']')?;
        return Some((norm_ip(&v6[..end]), v6[end + 2..].parse().ok()?));
    }
    let (ip, port) = s.rsplit_once(':')?;
    Some((norm_ip(ip), port.parse().ok()?))
}

fn parse(line: &str) -> Option<Line> {
    let mut it = line.split_whitespace();
    let _n = it.next()?;
    let proto = it.next()?.to_string();
    let a = endpoint(it.next()?)?;
    let arrow = it.next()?;
    if arrow != "<->" && arrow != "->" {
        return None;
    }
    let b = endpoint(it.next()?)?;
    // "[7 pkts/4845 bytes <-> 73 pkts/178280 bytes]"
    let at = line.find(" pkts/")?;
    let start = line[..at].rfind('[')? + 1;
    let seg = &line[start..];
    let seg = &seg[..seg.find(']')?];
    let mut parts = seg.split(" <-> ");
    let num = |p: &str| -> Option<(u64, u64)> {
        let (pk, by) = p.split_once(" pkts/")?;
        Some((
            pk.trim().parse().ok()?,
            by.trim_end_matches(" bytes").trim().parse().ok()?,
        ))
    };
    let (p1, b1) = num(parts.next()?)?;
    let (p2, b2) = parts.next().and_then(num).unwrap_or((0, 0));
    let app = bracket(line, "proto").unwrap_or("").to_string();
    Some(Line {
        proto,
        a,
        b,
        pkts: (p1, p2),
        bytes: (b1, b2),
        host: bracket(line, "Hostname/SNI").map(str::to_string),
        ua: bracket(line, "User-Agent").map(str::to_string),
        app,
    })
}

/// Compares one `.out` file.
pub fn check(out: &Path, records: &[Value], t: &mut Tally) {
    let text = std::fs::read_to_string(out).unwrap();
    let flows: Vec<&Value> = records
        .iter()
        .filter(|r| r["event_type"] == "flow")
        .collect();
    for line in text
        .lines()
        .filter(|l| l.starts_with('\t') && l.contains(" pkts/"))
    {
        let Some(l) = parse(line.trim()) else {
            continue;
        };
        if l.proto != "TCP" && l.proto != "UDP" {
            t.skip(
                format!("{} {:?}", l.proto, l.a),
                "non-TCP/UDP flows are keyed differently by nDPI",
            );
            continue;
        }
        let port = |v: &Value| v.as_u64().unwrap_or(0) as u16;
        let found = flows.iter().find(|r| {
            let s = (
                norm_ip(r["src_ip"].as_str().unwrap_or("")),
                port(&r["src_port"]),
            );
            let d = (
                norm_ip(r["dest_ip"].as_str().unwrap_or("")),
                port(&r["dest_port"]),
            );
            (s == l.a && d == l.b) || (s == l.b && d == l.a)
        });
        let w = format!("{} {}:{} <-> {}:{}", l.proto, l.a.0, l.a.1, l.b.0, l.b.1);
        let Some(f) = found else {
            t.differ(format!("{w} flow"), "no flow record");
            continue;
        };
        // nDPI writes the flow from its first packet's source, like Vigil unless Vigil
        // turned a SYN-ACK-first flow round; compare in nDPI's orientation.
        let ours_fwd =
            norm_ip(f["src_ip"].as_str().unwrap_or("")) == l.a.0 && port(&f["src_port"]) == l.a.1;
        let (p, b) = if ours_fwd {
            (
                (&f["flow"]["pkts_toserver"], &f["flow"]["pkts_toclient"]),
                (&f["flow"]["bytes_toserver"], &f["flow"]["bytes_toclient"]),
            )
        } else {
            (
                (&f["flow"]["pkts_toclient"], &f["flow"]["pkts_toserver"]),
                (&f["flow"]["bytes_toclient"], &f["flow"]["bytes_toserver"]),
            )
        };
        let got = (
            p.0.as_u64().unwrap_or(0),
            p.1.as_u64().unwrap_or(0),
            b.0.as_u64().unwrap_or(0),
            b.1.as_u64().unwrap_or(0),
        );
        if got == (l.pkts.0, l.pkts.1, l.bytes.0, l.bytes.1) {
            t.agree(4);
        } else {
            t.differ(
                format!("{w} counts"),
                format!(
                    "ndpi {}/{} pkts {}/{} bytes, vigil {}/{} pkts {}/{} bytes",
                    l.pkts.0, l.pkts.1, l.bytes.0, l.bytes.1, got.0, got.1, got.2, got.3
                ),
            );
        }
        let fid = &f["flow_id"];
        let same_flow = |et: &'static str| {
            records
                .iter()
                .filter(move |r| r["event_type"] == et && &r["flow_id"] == fid)
        };
        if let Some(h) = &l.host {
            let mut names: Vec<String> = same_flow("http")
                .filter_map(|r| r["http"]["hostname"].as_str().map(str::to_string))
                .collect();
            names.extend(
                same_flow("tls").filter_map(|r| r["tls"]["sni"].as_str().map(str::to_string)),
            );
            names.extend(
                same_flow("dhcp")
                    .filter_map(|r| r["dhcp"]["hostname"].as_str().map(str::to_string)),
            );
            names.extend(
                same_flow("quic").filter_map(|r| r["quic"]["sni"].as_str().map(str::to_string)),
            );
            if l.app.contains("DNS")
                || l.app.contains("MDNS")
                || l.app.contains("NetBIOS")
                || l.app.contains("LLMNR")
            {
                t.skip(
                    format!("{w} hostname"),
                    "nDPI's hostname of a name-service flow is the name queried",
                );
            } else if names.iter().any(|n| n.eq_ignore_ascii_case(h)) {
                t.agree(1);
            } else {
                t.differ(
                    format!("{w} hostname"),
                    format!("ndpi {h}, vigil {names:?} (app {})", l.app),
                );
            }
        }
        if let Some(ua) = &l.ua {
            let uas: Vec<String> = same_flow("http")
                .filter_map(|r| r["http"]["http_user_agent"].as_str().map(str::to_string))
                .collect();
            // nDPI keeps only the start of a long user agent.
            if uas
                .iter()
                .any(|u| u == ua || (ua.len() >= 64 && u.starts_with(ua.as_str())))
            {
                t.agree(1);
            } else {
                t.differ(
                    format!("{w} user_agent"),
                    format!("ndpi {ua}, vigil {uas:?}"),
                );
            }
        }
    }
}
