//! Payload-based protocol detection against nDPI's own classification of the same flows
//! (its `.out` files, flows it classified by DPI) and against captures whose protocol is
//! known (suricata-verify TLS/QUIC/HTTP/DNS tests). Ports are never looked at.

mod app_common;
use app_common::*;
use std::net::IpAddr;
use vigil::app::detect::{detect, Transport};
use vigil::app::{AppProto, Dir};

/// What `detect` says for a flow: from the client's first bytes, else the server's.
fn detect_flow(f: &Flow, pkts: &[Packet]) -> AppProto {
    let (transport, firsts): (Transport, Vec<(Dir, Vec<u8>)>) = if f.proto == 6 {
        let segs = tcp_stream(f, pkts);
        let mut v = Vec::new();
        for d in [Dir::ToServer, Dir::ToClient] {
            // The first data of the direction, as the stream layer would hand it over
            // (everything up to the first gap, capped at 4 KB).
            let mut b = Vec::new();
            for s in &segs {
                match s {
                    Seg::Data(x, bytes, _, _) if *x == d => b.extend_from_slice(bytes),
                    Seg::Gap(x) if *x == d && !b.is_empty() => break,
                    _ => {}
                }
                if b.len() >= 4096 {
                    break;
                }
            }
            if !b.is_empty() {
                v.push((d, b));
            }
        }
        (Transport::Tcp, v)
    } else {
        let mut v: Vec<(Dir, Vec<u8>)> = Vec::new();
        for &i in &f.packets {
            let p = &pkts[i];
            let d = f.dir(p);
            if !p.payload.is_empty() && !v.iter().any(|(x, _)| *x == d) {
                v.push((d, p.payload.clone()));
            }
        }
        v.sort_by_key(|(d, _)| d.index());
        (Transport::Udp, v)
    };
    let mut verdict = AppProto::Unknown;
    for (d, b) in &firsts {
        match detect(transport, *d, b) {
            AppProto::Unknown => {}
            AppProto::Failed => verdict = AppProto::Failed,
            p => return p,
        }
    }
    verdict
}

/// nDPI's DPI-confident flows: (proto, client ip, client port, server ip, server port,
/// master protocol name).
fn ndpi_flows(out: &std::path::Path) -> Vec<(u8, IpAddr, u16, IpAddr, u16, String)> {
    let text = std::fs::read_to_string(out).unwrap();
    let mut v = Vec::new();
    for line in text.lines() {
        if !line.contains("[Confidence: DPI]") {
            continue;
        }
        let (proto, rest) = if let Some(r) = line.split_once("TCP ") {
            (6u8, r.1)
        } else if let Some(r) = line.split_once("UDP ") {
            (17u8, r.1)
        } else {
            continue;
        };
        let mut parts = rest.split(' ');
        let (Some(a), Some(_arrow), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let addr = |s: &str| -> Option<(IpAddr, u16)> {
            let (ip, port) = s.rsplit_once(':')?;
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            Some((ip.parse().ok()?, port.parse().ok()?))
        };
        let Some(name) = line
            .split_once("[proto: ")
            .and_then(|(_, r)| r.split(']').next())
            .and_then(|p| p.split_once('/'))
            .map(|(_, n)| n.split('.').next().unwrap_or(n).to_string())
        else {
            continue;
        };
        if let (Some((ai, ap)), Some((bi, bp))) = (addr(a), addr(b)) {
            v.push((proto, ai, ap, bi, bp, name));
        }
    }
    v
}

fn expected(ndpi: &str) -> Option<AppProto> {
    Some(match ndpi {
        "HTTP" | "HTTP_Proxy" => AppProto::Http,
        "TLS" => AppProto::Tls,
        // LLMNR and mDNS are DNS messages on other ports; without looking at ports they
        // are DNS.
        "DNS" | "LLMNR" | "MDNS" => AppProto::Dns,
        "QUIC" => AppProto::Quic,
        "SSH" => AppProto::Ssh,
        "DHCP" => AppProto::Dhcp,
        _ => return None,
    })
}

#[test]
fn agrees_with_ndpi() {
    let mut agreed = 0usize;
    let mut report = Vec::new();
    for rel in [
        "malware/ndpi_emotet.pcap",
        "malware/ndpi_malware.pcap",
        "malware/ndpi_trickbot.pcap",
        "mixed/ndpi_1kxun.pcap",
    ] {
        let (Some(pcap), Some(out)) = (shared(rel), shared(&format!("{rel}.out"))) else {
            continue;
        };
        let pkts = packets(&pcap);
        let flows = flows(&pkts);
        for (proto, ai, ap, bi, bp, name) in ndpi_flows(&out) {
            let Some(f) = flows.iter().find(|f| {
                f.proto == proto
                    && ((f.client == (ai, ap) && f.server == (bi, bp))
                        || (f.client == (bi, bp) && f.server == (ai, ap)))
            }) else {
                continue;
            };
            let got = detect_flow(f, &pkts);
            match expected(&name) {
                Some(want) if got == want => agreed += 1,
                Some(want) => report.push(format!(
                    "{rel} {ai}:{ap}: nDPI {name}, want {want:?}, got {got:?}"
                )),
                None if matches!(got, AppProto::Failed | AppProto::Unknown) => agreed += 1,
                None => report.push(format!(
                    "{rel} {ai}:{ap}: nDPI {name} (not ours), got {got:?}"
                )),
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} agreed; disagreements: {report:#?}",
        agreed
    );
    if shared_dir().is_some() {
        assert!(agreed > 100, "{agreed}");
    }
}

#[test]
fn known_captures() {
    let cases: &[(&str, AppProto)] = &[
        ("suricata-verify/ja4-tls/input.pcap", AppProto::Tls),
        (
            "suricata-verify/tls13-draft28/tls13_draft28.pcap",
            AppProto::Tls,
        ),
        ("suricata-verify/tls-glupteba/input.pcap", AppProto::Tls),
        ("suricata-verify/ja4-quic/input.pcap", AppProto::Quic),
        ("suricata-verify/quic-ietf-ja3/input.pcap", AppProto::Quic),
        ("suricata-verify/quic-v2/input.pcap", AppProto::Quic),
        ("suricata-verify/bug-814/input.pcap", AppProto::Http),
        ("suricata-verify/http-not09/input.pcap", AppProto::Http),
        ("suricata-verify/dns-udp-eve-dig/input.pcap", AppProto::Dns),
        ("zeek-traces/dns53/dns53.pcap", AppProto::Dns),
    ];
    for (rel, want) in cases {
        let Some(path) = shared(rel) else { continue };
        let pkts = packets(&path);
        let flows = flows(&pkts);
        let got: Vec<AppProto> = flows
            .iter()
            .filter(|f| f.packets.iter().any(|&i| !pkts[i].payload.is_empty()))
            .map(|f| detect_flow(f, &pkts))
            .collect();
        assert!(got.contains(want), "{rel}: want {want:?} among {got:?}");
        assert!(
            got.iter()
                .all(|g| *g == *want || matches!(g, AppProto::Failed | AppProto::Unknown)),
            "{rel}: {got:?}"
        );
    }
}

#[test]
fn own_captures() {
    for (rel, want) in [
        ("http-curl.pcap", AppProto::Http),
        ("dns-dig.pcap", AppProto::Dns),
        ("ssh-banner.pcap", AppProto::Ssh),
    ] {
        let path = own(rel);
        if !path.is_file() {
            eprintln!("SKIPPED: {} not recorded", path.display());
            continue;
        }
        let pkts = packets(&path);
        let flows = flows(&pkts);
        let got: Vec<AppProto> = flows
            .iter()
            .filter(|f| f.packets.iter().any(|&i| !pkts[i].payload.is_empty()))
            .map(|f| detect_flow(f, &pkts))
            .collect();
        assert!(
            !got.is_empty() && got.iter().all(|g| *g == want),
            "{rel}: {got:?}"
        );
    }
}

/// The SSH worker half and tracker on our own capture: OpenSSH client against a server
/// answering "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3".
#[test]
fn own_ssh_capture() {
    let path = own("ssh-banner.pcap");
    let pkts = packets(&path);
    let flows = flows(&pkts);
    assert_eq!(flows.len(), 1);
    let segs = tcp_stream(&flows[0], &pkts);
    let mut st = vigil::app::ssh::SshState::default();
    let recs = feed_stream(&mut st, &flows[0], &segs);
    assert_eq!(recs.len(), 2);
    let mut t = vigil::app::ssh::SshTracker::new();
    let ev = track(&mut t, &recs, &flows);
    assert_eq!(ev.len(), 1);
    let rec = envelope(&flows, &ev[0]);
    validate(std::slice::from_ref(&rec));
    let ssh = &rec["ssh"];
    assert_eq!(ssh["server"]["proto_version"], "2.0");
    assert_eq!(ssh["server"]["software_version"], "OpenSSH_8.9p1");
    assert_eq!(ssh["client"]["proto_version"], "2.0");
    assert!(ssh["client"]["software_version"]
        .as_str()
        .unwrap()
        .starts_with("OpenSSH_"));
    assert_eq!(rec["dest_port"], 18022);
    assert_eq!(
        rec["vigil"]["server_banner"],
        "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3"
    );
}
