//! HTTP worker half + tracker against real captures and what Suricata, Zeek and nDPI
//! report for them: suricata-verify `bug-814`, `bug-7657-01`, `http-ipv6`, `http-not09`,
//! `http-post-file`, `decode-teredo-01`; Zeek `get`, `pipelined-requests`, `post`,
//! `wikipedia` (header names), `vxlan-encapsulated-http`, `Teredo`; chrissanders' ESPN
//! browse; nDPI's host and User-Agent per flow. Every record validates against
//! Suricata's EVE schema.

mod app_common;
use app_common::*;
use serde_json::Value;
use std::net::IpAddr;

fn http_records(rel: &str) -> Option<(Vec<Flow>, Vec<Value>)> {
    let path = shared(rel)?;
    let (flows, ev) = http_events(&path);
    let recs: Vec<Value> = ev.iter().map(|e| envelope(&flows, e)).collect();
    validate(&recs);
    Some((flows, recs))
}

/// Applies every `event_type: http` filter of a suricata-verify test.yaml (the VLAN
/// tag, which belongs to the engine's envelope, left out).
fn check_sv(dir: &str, pcap: &str) -> Option<Vec<Value>> {
    let (_, recs) = http_records(&format!("suricata-verify/{dir}/{pcap}"))?;
    let y = shared(&format!("suricata-verify/{dir}/test.yaml"))?;
    for (count, mut m) in sv_filters(&y, "http") {
        // VLAN tags and the packet that triggered logging belong to the engine's
        // envelope.
        m.retain(|k, _| {
            let k = k.as_str().unwrap_or_default();
            !k.starts_with("vlan") && k != "pcap_cnt"
        });
        let hits = recs.iter().filter(|r| matches(r, &m).is_ok()).count();
        if hits as u64 != count {
            let why: Vec<String> = recs.iter().filter_map(|r| matches(r, &m).err()).collect();
            panic!("{dir}: want {count} matching {m:?}, got {hits}: {why:?}\n{recs:#?}");
        }
    }
    Some(recs)
}

#[test]
fn suricata_bug_814_ipv6_in_vlan() {
    if let Some(recs) = check_sv("bug-814", "input.pcap") {
        assert_eq!(recs.len(), 1);
    }
}

#[test]
fn suricata_bug_7657_post() {
    if let Some(recs) = check_sv("bug-7657-01", "input.pcap") {
        assert_eq!(recs.len(), 1);
    }
}

#[test]
fn suricata_http_ipv6_host() {
    if let Some(recs) = check_sv("http-ipv6", "input.pcap") {
        assert_eq!(recs.len(), 1);
    }
}

#[test]
fn suricata_http_not09_user_agent_after_malformed_line() {
    if let Some(recs) = check_sv("http-not09", "input.pcap") {
        assert_eq!(recs.len(), 1);
        let v = &recs[0]["vigil"];
        assert_eq!(v["request_line_missing_protocol"], true);
        assert_eq!(v["malformed_request_headers"], true);
    }
}

#[test]
fn suricata_http_post_file() {
    // Three POSTs on one connection (Mattermost login, upload, upload status).
    if let Some(recs) = check_sv("http-post-file", "input.pcap") {
        assert_eq!(recs.len(), 3);
        let urls: Vec<&str> = recs
            .iter()
            .map(|r| r["http"]["url"].as_str().unwrap())
            .collect();
        assert_eq!(urls[..2], ["/api/v4/users/login", "/api/v4/uploads"]);
        for r in &recs {
            assert_eq!(r["http"]["http_method"], "POST");
            assert!(r["vigil"]["request_body_len"].as_u64().unwrap() > 0);
            assert!(r["http"]["length"].as_u64().unwrap() > 0);
        }
        assert_eq!(recs[1]["http"]["status"], 201);
    }
}

#[test]
fn suricata_decode_teredo_http() {
    check_sv("decode-teredo-01", "input.pcap");
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every row of a Zeek http.log: the transaction `trans_depth` of the flow from
/// `id.orig_h:id.orig_p`, with the same method, host, uri, referrer, version, user agent,
/// status and response body length. Returns the matched records.
fn check_zeek_http(
    pcap: &str,
    log: &str,
) -> Vec<(std::collections::HashMap<String, String>, Value)> {
    let (Some((flows, recs)), Some(log)) = (http_records(pcap), shared(log)) else {
        return Vec::new();
    };
    let rows = zeek_log(&log);
    assert!(!rows.is_empty());
    let mut out = Vec::new();
    for row in rows {
        let ip: IpAddr = row["id.orig_h"].parse().unwrap();
        let port: u16 = row["id.orig_p"].parse().unwrap();
        let depth: u64 = row["trans_depth"].parse().unwrap();
        let flow = flows
            .iter()
            .find(|f| f.client == (ip, port))
            .unwrap_or_else(|| panic!("{log:?}: no flow from {ip}:{port}"));
        let rec = recs
            .iter()
            .find(|r| r["flow_id"] == flow.id && r["tx_id"] == depth - 1)
            .unwrap_or_else(|| panic!("{log:?}: no tx {depth} in {ip}:{port}: {recs:#?}"));
        let h = &rec["http"];
        let text = |k: &str| h[k].as_str().unwrap_or("-").to_string();
        let want = |k: &str| {
            let v = row[k].clone();
            if v == "(empty)" {
                "".to_string()
            } else {
                v
            }
        };
        assert_eq!(text("http_method"), want("method"), "{row:?} {rec}");
        assert_eq!(text("hostname"), want("host"), "{row:?} {rec}");
        // Zeek logs the URI percent-decoded; Suricata as sent.
        assert_eq!(
            percent_decode(&text("url")),
            percent_decode(&want("uri")),
            "{row:?} {rec}"
        );
        assert_eq!(text("http_refer"), want("referrer"), "{row:?} {rec}");
        assert_eq!(text("http_user_agent"), want("user_agent"), "{row:?} {rec}");
        // Zeek's version is the reply's.
        assert_eq!(
            rec["vigil"]["response_protocol"].as_str().unwrap_or("-"),
            format!("HTTP/{}", want("version")),
            "{row:?} {rec}"
        );
        assert_eq!(
            h["status"].to_string(),
            want("status_code"),
            "{row:?} {rec}"
        );
        // Zeek counts the body after content decoding, Suricata (and Vigil) as sent.
        let zeek_len: u64 = want("response_body_len").parse().unwrap();
        let len = h["length"].as_u64().unwrap();
        if rec["vigil"]["response_content_encoding"].is_string() {
            assert!(len > 0 && len <= zeek_len, "{row:?} {rec}");
        } else {
            assert_eq!(len, zeek_len, "{row:?} {rec}");
        }
        assert_eq!(
            rec["vigil"]["request_body_len"].to_string(),
            want("request_body_len"),
            "{row:?} {rec}"
        );
        out.push((row, rec.clone()));
    }
    out
}

#[test]
fn zeek_get() {
    let m = check_zeek_http(
        "zeek-traces/get/get.pcap",
        "zeek-traces/get/baseline/core.tcp.reassembly-known-ports.http.log",
    );
    assert!(m.is_empty() || m.len() == 1);
}

#[test]
fn zeek_pipelined_requests() {
    let m = check_zeek_http(
        "zeek-traces/pipelined-requests/pipelined-requests.pcap",
        "zeek-traces/pipelined-requests/baseline/scripts.base.protocols.http.http-pipelining.http.log",
    );
    if !m.is_empty() {
        assert_eq!(m.len(), 5);
        let flows: std::collections::HashSet<String> =
            m.iter().map(|(_, r)| r["flow_id"].to_string()).collect();
        assert_eq!(flows.len(), 1, "all five on one connection");
    }
}

#[test]
fn zeek_teredo() {
    check_zeek_http(
        "zeek-traces/Teredo/Teredo.pcap",
        "zeek-traces/Teredo/baseline/core.tunnels.teredo.http.log",
    );
}

#[test]
fn zeek_vxlan() {
    check_zeek_http(
        "zeek-traces/vxlan-encapsulated-http/vxlan-encapsulated-http.pcap",
        "zeek-traces/vxlan-encapsulated-http/baseline/core.tunnels.analyzer-confirmation.http.log",
    );
}

#[test]
fn zeek_wikipedia_with_header_names() {
    let m = check_zeek_http(
        "zeek-traces/wikipedia/wikipedia.pcap",
        "zeek-traces/wikipedia/baseline/scripts.policy.protocols.http.header-names.http.log",
    );
    for (row, rec) in &m {
        let names = |k: &str| -> String {
            rec["vigil"][k]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|n| n.as_str().unwrap().to_ascii_uppercase())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|| "-".into())
        };
        assert_eq!(
            names("request_header_names"),
            row["client_header_names"],
            "{rec}"
        );
        assert_eq!(
            names("response_header_names"),
            row["server_header_names"],
            "{rec}"
        );
    }
}

#[test]
fn zeek_post_bodies() {
    // Zeek's file analysis saw an 11-byte request body ("hello world") and a 366-byte
    // JSON response.
    let Some((_, recs)) = http_records("zeek-traces/post/post.pcap") else {
        return;
    };
    assert_eq!(recs.len(), 1, "{recs:#?}");
    assert_eq!(recs[0]["http"]["http_method"], "POST");
    assert_eq!(recs[0]["vigil"]["request_body_len"], 11);
    assert_eq!(recs[0]["http"]["length"], 366);
}

#[test]
fn chrissanders_espn_browse() {
    let Some((_, recs)) = http_records("mixed/chrissanders_http_espn.pcapng") else {
        return;
    };
    // tshark counts 61 HTTP requests in this capture.
    assert_eq!(recs.len(), 61);
    for r in &recs {
        let h = &r["http"];
        assert!(h["hostname"].is_string() && h["url"].is_string(), "{r}");
        assert!(h["status"].is_u64(), "every request answered: {r}");
    }
}

/// nDPI's `.out` lines for HTTP flows: (client ip, client port, host, user agent).
fn ndpi_http(out: &std::path::Path) -> Vec<(IpAddr, u16, String, String)> {
    let text = std::fs::read_to_string(out).unwrap();
    let field = |line: &str, k: &str| -> Option<String> {
        let start = line.find(&format!("[{k}: "))? + k.len() + 3;
        let end = line[start..].find(']')? + start;
        Some(line[start..end].to_string())
    };
    let mut v = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if !t.contains("/HTTP") || !t.contains("TCP ") {
            continue;
        }
        let (Some(host), Some(ua)) = (field(t, "Hostname/SNI"), field(t, "User-Agent")) else {
            continue;
        };
        let Some(addr) = t.split("TCP ").nth(1).and_then(|r| r.split(' ').next()) else {
            continue;
        };
        let Some((ip, port)) = addr.rsplit_once(':') else {
            continue;
        };
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if let (Ok(ip), Ok(port)) = (ip.parse(), port.parse()) {
            v.push((ip, port, host, ua));
        }
    }
    v
}

#[test]
fn ndpi_hosts_and_user_agents() {
    let mut checked = 0;
    for rel in [
        "malware/ndpi_emotet.pcap",
        "malware/ndpi_malware.pcap",
        "malware/ndpi_trickbot.pcap",
        "mixed/ndpi_1kxun.pcap",
    ] {
        let (Some((flows, recs)), Some(out)) = (http_records(rel), shared(&format!("{rel}.out")))
        else {
            continue;
        };
        let mut missing = Vec::new();
        for (ip, port, host, ua) in ndpi_http(&out) {
            let Some(flow) = flows
                .iter()
                .find(|f| f.client == (ip, port) || f.server == (ip, port))
            else {
                missing.push(format!("{ip}:{port} no flow"));
                continue;
            };
            let ok = recs.iter().any(|r| {
                r["flow_id"] == flow.id
                    && r["http"]["hostname"].as_str().map(str::to_ascii_lowercase)
                        == Some(host.to_ascii_lowercase())
                    // nDPI cuts long User-Agents.
                    && r["http"]["http_user_agent"]
                        .as_str()
                        .is_some_and(|u| u.starts_with(ua.as_str()))
            });
            if ok {
                checked += 1;
            } else {
                missing.push(format!("{ip}:{port} {host} {ua}"));
            }
        }
        assert!(missing.is_empty(), "{rel}: {missing:#?}");
    }
    if shared_dir().is_some() {
        assert!(checked > 30, "checked {checked}");
    }
}

/// Our own capture (tests/data/app/make-captures.sh): curl against a Python HTTP/1.1
/// server — four requests on one keep-alive connection (Content-Length, chunked,
/// redirect, 404), HEAD, form POST, chunked POST, an MCP-style JSON-RPC POST.
#[test]
fn own_curl_capture() {
    let path = own("http-curl.pcap");
    let (flows, ev) = http_events(&path);
    let recs: Vec<Value> = ev.iter().map(|e| envelope(&flows, e)).collect();
    validate(&recs);
    assert_eq!(recs.len(), 8, "{recs:#?}");
    let h = |i: usize, k: &str| recs[i]["http"][k].clone();
    let v = |i: usize, k: &str| recs[i]["vigil"][k].clone();
    // One connection, four transactions in order.
    for (i, (url, status, len)) in [
        ("/index.html", 200, 960),
        ("/chunked", 200, 3014),
        ("/moved", 301, 0),
        ("/missing", 404, 9),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(recs[i]["flow_id"], recs[0]["flow_id"]);
        assert_eq!(recs[i]["tx_id"], i);
        assert_eq!(h(i, "url"), *url);
        assert_eq!(h(i, "status"), *status);
        assert_eq!(h(i, "length"), *len);
        assert_eq!(h(i, "http_user_agent"), "curl/7.88.1");
        assert_eq!(h(i, "hostname"), "127.0.0.1");
        assert_eq!(h(i, "http_port"), 18081);
    }
    assert_eq!(h(1, "http_content_type"), "text/html");
    assert_eq!(h(2, "redirect"), "/index.html");
    assert_eq!(h(4, "http_method"), "HEAD");
    assert_eq!(h(4, "length"), 0);
    assert_eq!(h(5, "http_method"), "POST");
    assert_eq!(v(5, "request_body_len"), 22);
    assert_eq!(
        v(5, "request_content_type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(v(6, "request_body_len"), 19, "chunked request body");
    assert_eq!(h(7, "http_user_agent"), "vigil-test-mcp-client/1.0");
    assert_eq!(h(7, "http_content_type"), "application/json");
    let mcp = v(7, "mcp");
    assert_eq!(mcp["session_id"], "1868a90c-3a6f-4f4b-9a8e-3c1b2f5d7e90");
    assert_eq!(mcp["protocol_version"], "2025-06-18");
    assert_eq!(mcp["method"], "tools/call");
    // The start of the JSON-RPC body, read by the worker.
    let json = v(7, "json");
    assert_eq!(json["jsonrpc"], "2.0");
    assert_eq!(json["method"], "tools/call");
    assert_eq!(json["params_name"], "search");
    assert_eq!(json["id"], true);
    assert_eq!(v(7, "request_body_len"), 73);
    assert_eq!(
        v(7, "request_header_names"),
        serde_json::json!([
            "Host",
            "User-Agent",
            "Content-Type",
            "Accept",
            "Mcp-Session-Id",
            "MCP-Protocol-Version",
            "Mcp-Method",
            "Content-Length"
        ])
    );
}
