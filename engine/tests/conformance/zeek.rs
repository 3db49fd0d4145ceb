//! Zeek btest baselines: conn.log, http.log, dns.log, ssl.log, x509.log and quic.log rows
//! compared with Vigil's flow, http, dns, tls and quic records of the same connection.

use super::compare::{norm_ip, Tally};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// One Zeek log: its rows as field → value.
struct Log {
    rows: Vec<HashMap<String, String>>,
}

fn read_log(path: &Path) -> Option<Log> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if !fields.is_empty() {
            let vals: Vec<&str> = line.split('\t').collect();
            if vals.len() == fields.len() {
                rows.push(
                    fields
                        .iter()
                        .cloned()
                        .zip(vals.iter().map(|s| s.to_string()))
                        .collect(),
                );
            }
        }
    }
    (!fields.is_empty()).then_some(Log { rows })
}

fn tuple_of(row: &HashMap<String, String>) -> Option<(String, String, String, String)> {
    Some((
        norm_ip(row.get("id.orig_h")?),
        row.get("id.orig_p")?.clone(),
        norm_ip(row.get("id.resp_h")?),
        row.get("id.resp_p")?.clone(),
    ))
}

fn rec_tuple(r: &Value) -> (String, String, String, String) {
    (
        norm_ip(r["src_ip"].as_str().unwrap_or("")),
        r["src_port"].as_u64().map_or("0".into(), |p| p.to_string()),
        norm_ip(r["dest_ip"].as_str().unwrap_or("")),
        r["dest_port"]
            .as_u64()
            .map_or("0".into(), |p| p.to_string()),
    )
}

/// Compares one field; `-` (unset) in Zeek is skipped.
fn field(t: &mut Tally, what: &str, zeek: Option<&String>, ours: Option<String>) {
    let Some(z) = zeek else { return };
    if z == "-" {
        return;
    }
    match ours {
        Some(o) if &o == z => t.agree(1),
        o => t.differ(
            what.to_string(),
            format!("zeek {z}, vigil {}", o.unwrap_or_else(|| "nothing".into())),
        ),
    }
}

fn s(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "T".into() } else { "F".into() }),
        _ => None,
    }
}

/// Compares the baselines of one trace directory.
pub fn check(dir: &Path, records: &[Value], t: &mut Tally) {
    let mut logs: Vec<_> = std::fs::read_dir(dir.join("baseline"))
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    logs.sort();
    for path in logs {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let kind = ["conn", "http", "dns", "ssl", "x509", "quic"]
            .into_iter()
            .find(|k| name.contains(&format!(".{k}.log")));
        let Some(kind) = kind else {
            t.skip(
                name.clone(),
                "not a log Vigil has an equivalent of (tunnel, notice, print output)",
            );
            continue;
        };
        let Some(log) = read_log(&path) else {
            t.skip(name.clone(), "not a Zeek TSV log");
            continue;
        };
        match kind {
            "conn" => conn(&name, &log, records, t),
            "http" => http(&name, &log, records, t),
            "dns" => dns(&name, &log, records, t),
            "ssl" => ssl(&name, &log, records, t),
            "x509" => x509(&name, &log, records, t),
            _ => quic(&name, &log, records, t),
        }
    }
}

fn of_type<'a>(records: &'a [Value], et: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["event_type"] == et).collect()
}

fn conn(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let flows = of_type(records, "flow");
    for row in &log.rows {
        let Some(tup) = tuple_of(row) else { continue };
        let svc = row.get("service").map(String::as_str).unwrap_or("-");
        if ["vxlan", "teredo", "gre", "ayiya", "gtpv1"].contains(&svc) {
            t.skip(format!("{name} {tup:?}"), "the tunnel's own connection: Vigil tracks the inner flows and notes the tunnel on them");
            continue;
        }
        let w = format!("{name} {}:{}->{}:{}", tup.0, tup.1, tup.2, tup.3);
        let icmp = row.get("proto").is_some_and(|p| p == "icmp");
        let found = flows.iter().find(|r| {
            let rt = rec_tuple(r);
            if icmp {
                // Zeek puts the ICMP type in orig_p; EVE has no ports for ICMP.
                rt.0 == tup.0
                    && rt.2 == tup.2
                    && s(&r["icmp_type"]).as_deref() == Some(tup.1.as_str())
            } else {
                rt == tup
            }
        });
        let Some(f) = found else {
            t.differ(format!("{w} flow"), "no flow record for this connection");
            continue;
        };
        field(
            t,
            &format!("{w} conn_state"),
            row.get("conn_state"),
            s(&f["vigil"]["conn_state"]),
        );
        field(
            t,
            &format!("{w} history"),
            row.get("history"),
            s(&f["vigil"]["history"]),
        );
        field(
            t,
            &format!("{w} orig_pkts"),
            row.get("orig_pkts"),
            s(&f["flow"]["pkts_toserver"]),
        );
        field(
            t,
            &format!("{w} resp_pkts"),
            row.get("resp_pkts"),
            s(&f["flow"]["pkts_toclient"]),
        );
        field(
            t,
            &format!("{w} orig_ip_bytes"),
            row.get("orig_ip_bytes"),
            s(&f["vigil"]["orig_ip_bytes"]),
        );
        field(
            t,
            &format!("{w} resp_ip_bytes"),
            row.get("resp_ip_bytes"),
            s(&f["vigil"]["resp_ip_bytes"]),
        );
        field(
            t,
            &format!("{w} orig_bytes"),
            row.get("orig_bytes"),
            s(&f["vigil"]["orig_bytes"]),
        );
        field(
            t,
            &format!("{w} resp_bytes"),
            row.get("resp_bytes"),
            s(&f["vigil"]["resp_bytes"]),
        );
        if svc != "-" {
            let ours = f["app_proto"]
                .as_str()
                .map(|a| if a == "failed" { "-" } else { a })
                .map(str::to_string);
            field(t, &format!("{w} service"), Some(&svc.to_string()), ours);
        }
    }
}

fn http(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let txs = of_type(records, "http");
    let mut depth: HashMap<(String, String, String, String), usize> = HashMap::new();
    for row in &log.rows {
        let Some(tup) = tuple_of(row) else { continue };
        let n = depth.entry(tup.clone()).or_insert(0);
        let mine: Vec<&&Value> = txs.iter().filter(|r| rec_tuple(r) == tup).collect();
        let w = format!("{name} {}:{} tx {}", tup.0, tup.1, *n);
        let Some(h) = mine.get(*n) else {
            t.differ(
                format!("{w} http"),
                format!("{} http records for this connection", mine.len()),
            );
            *n += 1;
            continue;
        };
        *n += 1;
        let h = &h["http"];
        field(
            t,
            &format!("{w} method"),
            row.get("method"),
            s(&h["http_method"]),
        );
        field(t, &format!("{w} host"), row.get("host"), s(&h["hostname"]));
        field(t, &format!("{w} uri"), row.get("uri"), s(&h["url"]));
        field(
            t,
            &format!("{w} user_agent"),
            row.get("user_agent"),
            s(&h["http_user_agent"]),
        );
        field(
            t,
            &format!("{w} status_code"),
            row.get("status_code"),
            s(&h["status"]),
        );
        // Zeek counts a gzip or deflate body after decompressing it; Vigil, like
        // Suricata's `http.length`, counts the body bytes on the wire.
        let encoded = r_vigil(mine[*n - 1])["response_content_encoding"]
            .as_str()
            .is_some_and(|e| e != "identity");
        if encoded {
            t.skip(
                format!("{w} response_body_len"),
                "Zeek counts the decompressed body, Vigil the bytes on the wire",
            );
        } else {
            field(
                t,
                &format!("{w} response_body_len"),
                row.get("response_body_len"),
                s(&h["length"]),
            );
        }
        // Zeek's `version` is the reply's; Vigil keeps it as vigil.response_protocol.
        let version = row.get("version").map(|v| format!("HTTP/{v}"));
        let ours = s(&r_vigil(mine[*n - 1])["response_protocol"]).or_else(|| s(&h["protocol"]));
        field(t, &format!("{w} version"), version.as_ref(), ours);
    }
}

fn r_vigil(r: &Value) -> &Value {
    &r["vigil"]
}

/// Zeek's form of an answer: TXT answers as `TXT <len> <text>`.
fn zeek_answer(a: &Value) -> Option<String> {
    let rdata = a["rdata"].as_str()?;
    if a["rrtype"] == "TXT" {
        Some(format!("TXT {} {rdata}", rdata.len()))
    } else {
        Some(norm_ip(rdata))
    }
}

fn dns(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let msgs = of_type(records, "dns");
    for row in &log.rows {
        let Some(tup) = tuple_of(row) else { continue };
        let id = row.get("trans_id").cloned().unwrap_or_default();
        let w = format!("{name} {}:{} id {id}", tup.0, tup.1);
        let same_conn = |r: &&&Value| {
            let rt = rec_tuple(r);
            (rt == tup || (rt.0 == tup.2 && rt.1 == tup.3 && rt.2 == tup.0 && rt.3 == tup.1))
                && s(&r["dns"]["id"]).as_deref() == Some(id.as_str())
        };
        let q = msgs
            .iter()
            .filter(same_conn)
            .find(|r| r["dns"]["type"] == "request")
            .or_else(|| msgs.iter().find(same_conn));
        let resp = msgs
            .iter()
            .filter(same_conn)
            .find(|r| r["dns"]["type"] == "response");
        let Some(q) = q else {
            t.differ(format!("{w} dns"), "no dns record for this transaction");
            continue;
        };
        let query = q["dns"]["queries"][0]["rrname"]
            .as_str()
            .map(str::to_string);
        field(t, &format!("{w} query"), row.get("query"), query);
        // Zeek writes the ANY query type as "*".
        let qtype = q["dns"]["queries"][0]["rrtype"].as_str().map(|t| {
            if t == "ANY" {
                "*".to_string()
            } else {
                t.to_string()
            }
        });
        field(t, &format!("{w} qtype_name"), row.get("qtype_name"), qtype);
        if let Some(r) = resp {
            field(
                t,
                &format!("{w} rcode_name"),
                row.get("rcode_name"),
                s(&r["dns"]["rcode"]),
            );
            if let Some(z) = row.get("answers") {
                if z != "-" {
                    let ours: Vec<String> = r["dns"]["answers"]
                        .as_array()
                        .map(|a| a.iter().filter_map(zeek_answer).collect())
                        .unwrap_or_default();
                    let want: Vec<String> = z.split(',').map(norm_ip).collect();
                    // Zeek joins TXT answers with spaces inside its comma-separated set.
                    let flat = |v: &[String]| v.join(",").replace(',', " ");
                    field(
                        t,
                        &format!("{w} answers"),
                        Some(&flat(&want)),
                        Some(flat(&ours)),
                    );
                }
            }
        } else if row.get("rcode_name").is_some_and(|r| r != "-") {
            t.differ(format!("{w} response"), "no dns response record");
        }
    }
}

fn tls_version(v: &str) -> String {
    match v {
        "TLSv10" => "TLSv1".into(),
        "TLSv11" => "TLS 1.1".into(),
        "TLSv12" => "TLS 1.2".into(),
        "TLSv13" => "TLS 1.3".into(),
        "SSLv3" => "SSLv3".into(),
        o => o.into(),
    }
}

fn ssl(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let tls = of_type(records, "tls");
    let quic = of_type(records, "quic");
    for row in &log.rows {
        let Some(tup) = tuple_of(row) else { continue };
        let w = format!("{name} {}:{}", tup.0, tup.1);
        if let Some(q) = quic.iter().find(|r| rec_tuple(r) == tup) {
            // TLS inside QUIC: Zeek's ssl.log carries its server name.
            field(
                t,
                &format!("{w} server_name"),
                row.get("server_name"),
                s(&q["quic"]["sni"]),
            );
            continue;
        }
        let Some(r) = tls.iter().find(|r| rec_tuple(r) == tup) else {
            t.differ(format!("{w} tls"), "no tls record for this connection");
            continue;
        };
        let version = row.get("version").map(|v| tls_version(v));
        field(
            t,
            &format!("{w} version"),
            version.as_ref(),
            s(&r["tls"]["version"]),
        );
        field(
            t,
            &format!("{w} server_name"),
            row.get("server_name"),
            s(&r["tls"]["sni"]),
        );
    }
}

fn x509(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let tls = of_type(records, "tls");
    for row in &log.rows {
        let Some(serial) = row.get("certificate.serial") else {
            continue;
        };
        let w = format!("{name} serial {serial}");
        // Suricata prints the serial as colon-separated upper-case hex bytes.
        let found = tls.iter().find(|r| {
            r["tls"]["serial"].as_str().is_some_and(|s| {
                s.replace(':', "").trim_start_matches('0') == serial.trim_start_matches('0')
            })
        });
        let Some(r) = found else {
            t.skip(
                w,
                "an intermediate or client certificate: Vigil reports the server's leaf",
            );
            continue;
        };
        t.agree(1);
        // Zeek writes "CN=x,O=y" in RFC 4514 order, Suricata "CN=x, O=y"-style in the
        // certificate's order; compare the sets of components.
        for (z, ours) in [
            ("certificate.subject", "subject"),
            ("certificate.issuer", "issuerdn"),
        ] {
            let Some(zv) = row.get(z) else { continue };
            // OpenSSL (Zeek) says "street", x509-parser "streetAddress" for that OID.
            let norm = |s: &str| {
                let s = s.replace("streetAddress=", "street=");
                let mut v: Vec<String> = s
                    .split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                v.sort();
                v.join(",")
            };
            let o = r["tls"][ours].as_str().map(norm);
            field(t, &format!("{w} {z}"), Some(&norm(zv)), o);
        }
    }
}

fn quic(name: &str, log: &Log, records: &[Value], t: &mut Tally) {
    let q = of_type(records, "quic");
    for row in &log.rows {
        let Some(tup) = tuple_of(row) else { continue };
        let w = format!("{name} {}:{}", tup.0, tup.1);
        let Some(r) = q.iter().find(|r| rec_tuple(r) == tup) else {
            t.differ(format!("{w} quic"), "no quic record for this connection");
            continue;
        };
        field(
            t,
            &format!("{w} server_name"),
            row.get("server_name"),
            s(&r["quic"]["sni"]),
        );
        if let Some(v) = row.get("version") {
            let ours = r["quic"]["version"].as_str().map(|x| x.to_string());
            field(t, &format!("{w} version"), Some(v), ours);
        }
    }
}
