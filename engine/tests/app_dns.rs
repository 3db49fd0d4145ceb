//! DNS worker half + tracker against real captures and what Suricata and Zeek report for
//! them: suricata-verify `dns-udp-eve-dig`, `dns-eve-v2-udp-nxdomain-soa`,
//! `decode-teredo-01` (every DNS check of their test.yaml), Zeek `dns53`, `gre-sample`
//! and `ipv6-fragmented-dns` (dns.log), PCAP-ATTACK's commands over DNS TXT; every
//! record validates against Suricata's EVE schema.

mod app_common;
use app_common::*;
use serde_json::Value;

fn dns_records(rel: &str) -> Option<Vec<Value>> {
    let path = shared(rel)?;
    let (flows, ev) = dns_events(&path);
    let recs: Vec<Value> = ev.iter().map(|e| envelope(&flows, e)).collect();
    validate(&recs);
    Some(recs)
}

/// Applies every `event_type: dns` filter of a suricata-verify test.yaml.
fn check_sv(pcap: &str, yaml: &str) {
    let (Some(recs), Some(y)) = (dns_records(pcap), shared(yaml)) else {
        return;
    };
    let filters = sv_filters(&y, "dns");
    assert!(!filters.is_empty());
    for (count, m) in filters {
        let hits: Vec<&Value> = recs.iter().filter(|r| matches(r, &m).is_ok()).collect();
        if hits.len() as u64 != count {
            let why: Vec<String> = recs.iter().filter_map(|r| matches(r, &m).err()).collect();
            panic!(
                "{yaml}: want {count} records matching {m:?}, got {}; mismatches: {why:?}",
                hits.len()
            );
        }
    }
}

#[test]
fn suricata_dns_udp_eve_dig() {
    check_sv(
        "suricata-verify/dns-udp-eve-dig/input.pcap",
        "suricata-verify/dns-udp-eve-dig/test.yaml",
    );
    if let Some(recs) = dns_records("suricata-verify/dns-udp-eve-dig/input.pcap") {
        assert_eq!(recs.len(), 2);
        // dig sets RD and AD.
        assert_eq!(recs[0]["dns"]["flags"], "120");
        assert_eq!(recs[1]["dns"]["tx_id"], 1);
    }
}

#[test]
fn suricata_dns_nxdomain_soa() {
    check_sv(
        "suricata-verify/dns-eve-v2-udp-nxdomain-soa/dns-udp-nxdomain-soa.pcap",
        "suricata-verify/dns-eve-v2-udp-nxdomain-soa/test.yaml",
    );
}

#[test]
fn suricata_decode_teredo_dns() {
    check_sv(
        "suricata-verify/decode-teredo-01/input.pcap",
        "suricata-verify/decode-teredo-01/test.yaml",
    );
}

fn zeek_bool(s: &str) -> bool {
    s == "T"
}

/// Zeek's answer text for one EVE answer entry.
fn zeek_answer(a: &Value) -> String {
    let rdata = a["rdata"].as_str().unwrap_or_default();
    if a["rrtype"] == "TXT" {
        format!("TXT {} {}", rdata.len(), rdata)
    } else {
        rdata.to_string()
    }
}

/// Every answered row of a Zeek dns.log: a response with that id, query, rcode, flags,
/// answers and TTLs. Rows with `-` rcode (queries never answered in the log) need a
/// request with that id and query.
fn check_zeek_dns(pcap: &str, log: &str) -> usize {
    let (Some(recs), Some(log)) = (dns_records(pcap), shared(log)) else {
        return 0;
    };
    let rows = zeek_log(&log);
    assert!(!rows.is_empty());
    for row in &rows {
        let id: u64 = row["trans_id"].parse().unwrap();
        let answered = row["rcode"] != "-";
        let want_type = if answered { "response" } else { "request" };
        let cands: Vec<&Value> = recs
            .iter()
            .filter(|r| r["dns"]["id"] == id && r["dns"]["type"] == want_type)
            .collect();
        assert!(!cands.is_empty(), "{log:?}: no {want_type} with id {id}");
        let ok = cands.iter().any(|r| {
            let d = &r["dns"];
            let q_ok = row["query"] == "-"
                || d["queries"][0]["rrname"].as_str() == Some(row["query"].as_str());
            let qt_ok = row["qtype_name"] == "-"
                || d["queries"][0]["rrtype"].as_str()
                    == Some(if row["qtype_name"] == "*" {
                        "ANY"
                    } else {
                        row["qtype_name"].as_str()
                    });
            let rd_ok = d["rd"].as_bool().unwrap_or(false) == zeek_bool(&row["RD"]);
            if !answered {
                return q_ok && qt_ok && rd_ok;
            }
            let answers: Vec<&Value> = d["answers"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            // Suricata writes one entry per TXT string; Zeek one per record, its strings
            // joined by spaces: merge consecutive TXT entries of the same owner and TTL.
            let mut texts: Vec<String> = Vec::new();
            let mut ttls: Vec<String> = Vec::new();
            let mut prev: Option<&Value> = None;
            for a in &answers {
                let same = prev.is_some_and(|p| {
                    p["rrtype"] == "TXT"
                        && a["rrtype"] == "TXT"
                        && p["rrname"] == a["rrname"]
                        && p["ttl"] == a["ttl"]
                });
                if same {
                    let last = texts.last_mut().unwrap();
                    last.push(' ');
                    last.push_str(&zeek_answer(a));
                } else {
                    texts.push(zeek_answer(a));
                    ttls.push(format!("{}.000000", a["ttl"]));
                }
                prev = Some(a);
            }
            let ans_ok = row["answers"] == "-" || texts.join(",") == row["answers"];
            let ttl_ok = row["TTLs"] == "-" || ttls.join(",") == row["TTLs"];
            let flags_ok = d["aa"].as_bool().unwrap_or(false) == zeek_bool(&row["AA"])
                && d["ra"].as_bool().unwrap_or(false) == zeek_bool(&row["RA"])
                && d["tc"].as_bool().unwrap_or(false) == zeek_bool(&row["TC"]);
            let rcode_ok = d["rcode"].as_str() == Some(row["rcode_name"].as_str());
            q_ok && qt_ok && rd_ok && ans_ok && ttl_ok && flags_ok && rcode_ok
        });
        assert!(ok, "{log:?}: row {row:?} not matched by {cands:#?}");
    }
    rows.len()
}

#[test]
fn zeek_dns53() {
    check_zeek_dns(
        "zeek-traces/dns53/dns53.pcap",
        "zeek-traces/dns53/baseline/scripts.base.protocols.dns.flip.dns.log",
    );
}

#[test]
fn zeek_gre_sample() {
    let n = check_zeek_dns(
        "zeek-traces/gre-sample/gre-sample.pcap",
        "zeek-traces/gre-sample/baseline/core.tunnels.gre.dns.log",
    );
    if n > 0 {
        let recs = dns_records("zeek-traces/gre-sample/gre-sample.pcap").unwrap();
        let q: Vec<&Value> = recs.iter().filter(|r| r["dns"]["id"] == 48554).collect();
        assert_eq!(q.len(), 2, "both GRE-encapsulated queries");
        assert!(q.iter().all(|r| r["dns"]["queries"][0]["rrtype"] == "ANY"));
    }
}

#[test]
fn zeek_ipv6_fragmented_dns() {
    check_zeek_dns(
        "zeek-traces/ipv6-fragmented-dns/ipv6-fragmented-dns.pcap",
        "zeek-traces/ipv6-fragmented-dns/baseline/core.ipv6-frag.dns.log",
    );
}

#[test]
fn commands_over_dns_txt() {
    let Some(recs) = dns_records("malware/pcap-attack_cmds_over_dns_txt.pcap") else {
        return;
    };
    let txt: Vec<&Value> = recs
        .iter()
        .filter(|r| r["dns"]["type"] == "response" && r["dns"]["grouped"]["TXT"].is_array())
        .collect();
    // tcpdump shows 18 responses carrying a TXT string.
    let ids: Vec<String> = txt
        .iter()
        .map(|r| format!("{} {}", r["dns"]["id"], r["src_port"]))
        .collect();
    assert_eq!(txt.len(), 18, "{ids:?}");
    let first = txt[0]["dns"]["answers"][0]["rdata"].as_str().unwrap();
    assert!(first.starts_with("@$str='';$i=1;while(1)"), "{first}");
    // The last answer is the empty string that ends the script.
    let (last, script) = txt.split_last().unwrap();
    assert_eq!(last["dns"]["answers"][0]["rdata"], "");
    for r in script {
        let d = &r["dns"];
        assert_eq!(d["answers"][0]["rrtype"], "TXT");
        let s = d["grouped"]["TXT"][0].as_str().unwrap();
        assert!(s.starts_with('@') && s.ends_with('@'), "{s}");
        assert!(d["queries"][0]["rrname"]
            .as_str()
            .unwrap()
            .ends_with("ns.ostrykebs.pl"));
    }
}

#[test]
fn tcp_dns_in_bundled_and_shared_captures_validate() {
    // Every DNS record of the mixed captures (DNS among everything else) validates.
    for rel in [
        "mixed/chrissanders_http_espn.pcapng",
        "zeek-traces/wikipedia/wikipedia.pcap",
    ] {
        if let Some(recs) = dns_records(rel) {
            assert!(!recs.is_empty(), "{rel}: DNS expected");
        }
    }
}

/// Our own capture (tests/data/app/make-captures.sh): A via CNAME, AAAA, MX, TXT and an
/// NXDOMAIN with SOA over UDP; then two queries on one DNS-over-TCP connection.
#[test]
fn own_dns_capture() {
    let (flows, ev) = dns_events(&own("dns-dig.pcap"));
    let recs: Vec<Value> = ev.iter().map(|e| envelope(&flows, e)).collect();
    validate(&recs);
    assert_eq!(recs.len(), 14);
    let d = |i: usize| &recs[i]["dns"];
    assert_eq!(d(0)["type"], "request");
    assert_eq!(d(0)["flags"], "120");
    assert!(
        recs[0].get("vigil").is_none(),
        "EDNS OPT without options not logged"
    );
    assert_eq!(
        d(1)["grouped"]["A"],
        serde_json::json!(["10.0.0.7", "10.0.0.8"])
    );
    assert_eq!(d(1)["answers"][0]["rrtype"], "CNAME");
    assert_eq!(d(1)["answers"][0]["rdata"], "web.www.example.test");
    assert_eq!(
        d(3)["answers"][0]["rdata"],
        "2001:0db8:0000:0000:0000:0000:0000:0007"
    );
    assert_eq!(
        d(5)["grouped"]["MX"],
        serde_json::json!(["mail.example.test", "mail2.example.test"])
    );
    assert_eq!(
        d(7)["grouped"]["TXT"],
        serde_json::json!(["v=spf1 -all", "second string"])
    );
    assert_eq!(d(9)["rcode"], "NXDOMAIN");
    assert_eq!(d(9)["authorities"][0]["soa"]["serial"], 2024010101u64);
    assert_eq!(d(9)["authorities"][0]["soa"]["mname"], "ns1.example.test");
    // DNS over TCP: both queries and both answers of one connection.
    let tcp: Vec<&Value> = recs.iter().filter(|r| r["proto"] == "TCP").collect();
    assert_eq!(tcp.len(), 4);
    assert!(tcp.iter().all(|r| r["vigil"]["dns_transport"] == "tcp"));
    assert_eq!(tcp[1]["dns"]["grouped"]["CNAME"][0], "web.tcp.example.test");
    assert_eq!(tcp[3]["dns"]["tx_id"], 3);
}
