//! suricata-verify expectations: each `filter` check of `test.yaml` says how many EVE
//! records match a set of fields. Vigil's records must match the same number, on the
//! fields Vigil writes; fields it has no equivalent for (rule alerts, packet counters,
//! Suricata-internal ids) are set aside and listed as skipped.

use super::compare::{get, same, Tally};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Event types Vigil writes and compares.
const TYPES: &[&str] = &["flow", "http", "tls", "dns", "quic", "ssh"];

/// Field paths Vigil writes (prefixes); anything else in a check is set aside.
const FIELDS: &[&str] = &[
    "event_type",
    "src_ip",
    "src_port",
    "dest_ip",
    "dest_port",
    "proto",
    "community_id",
    "app_proto",
    "vlan",
    "flow.pkts_toserver",
    "flow.pkts_toclient",
    "flow.bytes_toserver",
    "flow.bytes_toclient",
    "flow.state",
    "flow.reason",
    "flow.age",
    "tcp.",
    "http.",
    "tls.",
    "dns.",
    "quic.",
    "ssh.",
];

/// Fields Vigil deliberately does not write, with the reason shown as "skipped".
const NOT_WRITTEN: &[(&str, &str)] = &[
    ("pcap_cnt", "Suricata's packet counter in the capture"),
    ("tx_id", "Suricata's transaction counter"),
    (
        "flow.alerted",
        "set by Suricata rule alerts; Vigil has no rule engine",
    ),
    ("alert.", "Suricata rule alerts"),
    ("in_iface", "capture interface name"),
];

/// The capture a suricata-verify test runs on.
pub fn pcap_of(dir: &Path) -> Option<PathBuf> {
    let yaml = dir.join("test.yaml");
    if !yaml.is_file() {
        return None;
    }
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    pcaps.sort();
    if let Some(p) = pcaps.into_iter().next() {
        return Some(p);
    }
    // `pcap: ../other-test/file.pcap` names another test's capture.
    let text = std::fs::read_to_string(&yaml).ok()?;
    let y: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let rel = y.get("pcap")?.as_str()?;
    let name = Path::new(rel).file_name()?;
    let parent = Path::new(rel).parent()?.file_name()?;
    let root = dir.parent()?;
    [root.join(parent).join(name), dir.join(rel)]
        .into_iter()
        .find(|c| c.is_file())
}

/// Flattens a YAML `match` map into (path, expected) pairs.
fn flatten(prefix: &str, v: &serde_yaml::Value, out: &mut Vec<(String, Value)>) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                let key = match k {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                let p = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                if matches!(v, serde_yaml::Value::Mapping(_)) {
                    flatten(&p, v, out);
                } else {
                    out.push((p, serde_json::to_value(v).unwrap_or(Value::Null)));
                }
            }
        }
        _ => out.push((
            prefix.to_string(),
            serde_json::to_value(v).unwrap_or(Value::Null),
        )),
    }
}

/// Compares the records of one test against its checks.
pub fn check(dir: &Path, records: &[Value], t: &mut Tally) {
    let yaml = if dir.is_dir() {
        dir.join("test.yaml")
    } else {
        dir.to_path_buf()
    };
    let text = std::fs::read_to_string(&yaml).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let Some(checks) = y.get("checks").and_then(|c| c.as_sequence()) else {
        t.skip("checks", "no checks");
        return;
    };
    for (i, c) in checks.iter().enumerate() {
        let Some(filter) = c.get("filter") else {
            t.skip(format!("check {i}"), "not a filter check (stats or shell)");
            continue;
        };
        // Checks for Suricata before 8 expect its older EVE formats (DNS v2).
        if let Some(lt) = filter
            .get("requires")
            .and_then(|r| r.get("lt-version"))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.split('.').next()?.parse().ok()))
            })
        {
            if lt <= 8 {
                t.skip(
                    format!("check {i}"),
                    format!("for Suricata before {lt} (older EVE format)"),
                );
                continue;
            }
        }
        let count = filter.get("count").and_then(|v| v.as_u64()).unwrap_or(1);
        let mut fields = Vec::new();
        if let Some(m) = filter.get("match") {
            flatten("", m, &mut fields);
        }
        let et = fields
            .iter()
            .find(|(k, _)| k == "event_type")
            .and_then(|(_, v)| v.as_str().map(str::to_string));
        match &et {
            Some(e) if TYPES.contains(&e.as_str()) => {}
            Some(e) => {
                t.skip(
                    format!("check {i}"),
                    format!("event_type {e}: not one Vigil writes"),
                );
                continue;
            }
            None => {
                t.skip(format!("check {i}"), "no event_type");
                continue;
            }
        }
        let et = et.unwrap();
        let mut compared = Vec::new();
        // `has-key: path` asks that the field exist, whatever its value.
        let mut must_have = Vec::new();
        for (k, v) in &fields {
            if k == "has-key" {
                if let Some(p) = v.as_str() {
                    must_have.push(p.to_string());
                }
                continue;
            }
            if let Some((_, why)) = NOT_WRITTEN.iter().find(|(p, _)| k.starts_with(p)) {
                t.skip(format!("check {i} {k}"), *why);
            } else if FIELDS
                .iter()
                .any(|p| k == p || (p.ends_with('.') && k.starts_with(p)))
            {
                compared.push((k.clone(), v.clone()));
            } else {
                t.skip(format!("check {i} {k}"), "a field Vigil does not write");
            }
        }
        let matching = records
            .iter()
            .filter(|r| {
                compared
                    .iter()
                    .all(|(k, v)| get(r, k).is_some_and(|ours| same(v, ours)))
            })
            .filter(|r| must_have.iter().all(|p| get(r, p).is_some()))
            .count() as u64;
        if matching == count {
            t.agree(compared.len());
            continue;
        }
        // Say which field is off: the record of this type agreeing on the most fields.
        let best = records
            .iter()
            .filter(|r| r["event_type"] == et.as_str())
            .max_by_key(|r| {
                compared
                    .iter()
                    .filter(|(k, v)| get(r, k).is_some_and(|o| same(v, o)))
                    .count()
            });
        let mut detail = format!("{matching} records match, {count} expected");
        let mut what = format!("check {i} {et}");
        if let Some(r) = best {
            let off: Vec<String> = compared
                .iter()
                .filter(|(k, v)| !get(r, k).is_some_and(|o| same(v, o)))
                .map(|(k, v)| {
                    format!(
                        "{k}: want {v}, got {}",
                        get(r, k).map_or("nothing".into(), |o| o.to_string())
                    )
                })
                .collect();
            if let Some(first) = compared
                .iter()
                .find(|(k, v)| !get(r, k).is_some_and(|o| same(v, o)))
            {
                what = format!("check {i} {}", first.0);
            }
            if !off.is_empty() {
                detail = format!(
                    "{detail}; closest {et} record differs in {}",
                    off.join(", ")
                );
            }
        } else {
            detail = format!("{detail}; no {et} record at all");
        }
        t.differ(what, detail);
    }
}
