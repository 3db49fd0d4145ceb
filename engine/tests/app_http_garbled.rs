//! What the trackers make of damaged input still validates against Suricata's EVE
//! schema: the DNS and HTTP captures with bytes flipped and cut, through the worker halves
//! and the trackers.

mod app_common;
use app_common::*;
use vigil::app::{dns, http, VecSink};

fn garble(b: &[u8], seed: &mut u32) -> Vec<u8> {
    let mut v = b.to_vec();
    for x in v.iter_mut() {
        *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        if (*seed >> 16) & 31 == 0 {
            *x ^= (*seed >> 8) as u8;
        }
    }
    if *seed & 3 == 0 {
        v.truncate(v.len() * 2 / 3);
    }
    v
}

#[test]
fn garbled_captures_still_give_schema_valid_records() {
    let mut seed = 0x5eed_1234u32;
    let mut all = Vec::new();
    for rel in [
        "suricata-verify/decode-teredo-01/input.pcap",
        "zeek-traces/ipv6-fragmented-dns/ipv6-fragmented-dns.pcap",
        "zeek-traces/pipelined-requests/pipelined-requests.pcap",
        "zeek-traces/wikipedia/wikipedia.pcap",
        "malware/pcap-attack_cmds_over_dns_txt.pcap",
        "mixed/chrissanders_http_espn.pcapng",
    ] {
        let Some(path) = shared(rel) else { continue };
        let pkts = packets(&path);
        let flows = flows(&pkts);
        let mut recs = Vec::new();
        for f in &flows {
            if f.proto == 17 {
                for &i in &f.packets {
                    let p = &pkts[i];
                    let g = garble(&p.payload, &mut seed);
                    let mut sink = VecSink::default();
                    dns::datagram(f.dir(p), &g, &mut sink);
                    recs.extend(sink.records.into_iter().map(|(kind, body)| Rec {
                        kind,
                        body,
                        flow: f.id,
                        dir: f.dir(p),
                        ts_ns: p.ts_ns,
                        pcap_cnt: p.pcap_cnt,
                    }));
                }
                continue;
            }
            let segs: Vec<Seg> = tcp_stream(f, &pkts)
                .into_iter()
                .map(|s| match s {
                    Seg::Data(d, b, c, t) => Seg::Data(d, garble(&b, &mut seed), c, t),
                    g => g,
                })
                .collect();
            let mut st = http::HttpState::default();
            recs.extend(feed_stream(&mut st, f, &segs));
        }
        let mut ht = http::HttpTracker::new();
        let mut dt = dns::DnsTracker::new();
        let (h, d): (Vec<Rec>, Vec<Rec>) = recs
            .into_iter()
            .partition(|r| r.kind != vigil::app::RecordKind::Dns);
        let mut ev = track(&mut ht, &h, &flows);
        ev.extend(track(&mut dt, &d, &flows));
        all.extend(ev.iter().map(|e| envelope(&flows, e)));
    }
    validate(&all);
    if shared_dir().is_some() {
        let http = all.iter().filter(|r| r["event_type"] == "http").count();
        let dns = all.iter().filter(|r| r["event_type"] == "dns").count();
        assert!(http > 20 && dns > 50, "http {http}, dns {dns}");
    }
}
