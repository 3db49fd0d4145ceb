//! `vigil devices` and `vigil endpoints`: what was learned, as tables for people and JSON
//! for scripts, read from a saved state.

use super::names::{is_ip_literal, registrable_domain};
use super::{Learned, Settings};
use serde_json::{json, Value};

/// A packet-time second as `2026-03-13 09:12:21` (UTC).
pub fn when(s: u64) -> String {
    let t = super::super::output::eve::timestamp(s * 1_000_000_000);
    format!("{} {}", &t[..10], &t[11..19])
}

/// Lays rows out in aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(c);
                out.push_str(&" ".repeat(width[i] - c.chars().count() + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// The devices, as JSON.
pub fn devices_json(l: &Learned, s: &Settings) -> Value {
    let list: Vec<Value> = l
        .devices
        .values()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
            v["learning"] = json!(d.learning(l.now_s, s.learning_s));
            v
        })
        .collect();
    json!({ "as_of": super::super::output::eve::timestamp(l.now_s * 1_000_000_000), "devices": list })
}

/// The devices, as a table.
pub fn devices_table(l: &Learned, s: &Settings) -> String {
    let rows: Vec<Vec<String>> = l
        .devices
        .values()
        .map(|d| {
            let names: Vec<&str> = d.names.keys().map(String::as_str).collect();
            vec![
                d.ip.clone(),
                d.mac.clone().unwrap_or_else(|| "-".into()),
                if names.is_empty() {
                    "-".into()
                } else {
                    names.join(",")
                },
                d.os.clone().unwrap_or_else(|| "-".into()),
                when(d.first_s),
                when(d.last_s),
                d.connections.to_string(),
                d.endpoints.len().to_string(),
                d.user_agents.len().to_string(),
                if d.learning(l.now_s, s.learning_s) {
                    "learning".into()
                } else {
                    "baseline".into()
                },
            ]
        })
        .collect();
    let mut out = table(
        &[
            "DEVICE",
            "MAC",
            "NAMES",
            "OS",
            "FIRST SEEN",
            "LAST SEEN",
            "CONNS",
            "ENDPOINTS",
            "UAS",
            "STATE",
        ],
        &rows,
    );
    out.push_str(&format!(
        "{} devices, as of {} (packet time)\n",
        l.devices.len(),
        when(l.now_s)
    ));
    out
}

/// One endpoint's row data.
struct Row<'a> {
    name: &'a str,
    devices: usize,
    e: &'a super::Endpoint,
}

fn endpoint_rows<'a>(l: &'a Learned, s: &Settings, rare_only: bool) -> Vec<Row<'a>> {
    let mut rows: Vec<Row> = l
        .endpoints
        .iter()
        .map(|(name, e)| Row {
            name,
            devices: e.devices_within(l.now_s, s.window_s),
            e,
        })
        .filter(|r| !rare_only || r.devices <= s.rare_devices)
        .collect();
    // Rarest first, then the most recent.
    rows.sort_by(|a, b| {
        a.devices
            .cmp(&b.devices)
            .then(b.e.last_s.cmp(&a.e.last_s))
            .then(a.name.cmp(b.name))
    });
    rows
}

/// The endpoints (only the rare ones with `rare_only`), as JSON.
pub fn endpoints_json(l: &Learned, s: &Settings, rare_only: bool) -> Value {
    let list: Vec<Value> = endpoint_rows(l, s, rare_only)
        .into_iter()
        .map(|r| {
            let ip = is_ip_literal(r.name);
            json!({
                "endpoint": r.name,
                "kind": if ip { "address" } else { "hostname" },
                "domain": if ip { Value::Null } else { json!(registrable_domain(r.name)) },
                "devices": r.devices,
                "device_list": r.e.devices.keys().collect::<Vec<_>>(),
                "first_seen": super::super::output::eve::timestamp(r.e.first_s * 1_000_000_000),
                "last_seen": super::super::output::eve::timestamp(r.e.last_s * 1_000_000_000),
                "connections": r.e.connections,
                "rare": r.devices <= s.rare_devices,
            })
        })
        .collect();
    json!({
        "as_of": super::super::output::eve::timestamp(l.now_s * 1_000_000_000),
        "rare_devices": s.rare_devices,
        "window_days": s.window_s / 86400,
        "endpoints": list,
    })
}

/// The endpoints, as a table.
pub fn endpoints_table(l: &Learned, s: &Settings, rare_only: bool) -> String {
    let rows = endpoint_rows(l, s, rare_only);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let shown: Vec<&str> = r.e.devices.keys().take(4).map(String::as_str).collect();
            let more = r.e.devices.len().saturating_sub(4);
            vec![
                r.name.to_string(),
                if is_ip_literal(r.name) {
                    "-".into()
                } else {
                    registrable_domain(r.name)
                },
                r.devices.to_string(),
                format!(
                    "{}{}",
                    shown.join(","),
                    if more > 0 {
                        format!(" +{more}")
                    } else {
                        String::new()
                    }
                ),
                when(r.e.first_s),
                when(r.e.last_s),
                r.e.connections.to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "ENDPOINT",
            "DOMAIN",
            "DEVICES",
            "WHICH",
            "FIRST SEEN",
            "LAST SEEN",
            "CONNS",
        ],
        &cells,
    );
    out.push_str(&format!(
        "{} {}endpoints (rare: reached by at most {} device{} in {} days), as of {}\n",
        rows.len(),
        if rare_only { "rare " } else { "" },
        s.rare_devices,
        if s.rare_devices == 1 { "" } else { "s" },
        s.window_s / 86400,
        when(l.now_s)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let t = table(
            &["A", "BB"],
            &[
                vec!["xxx".into(), "1".into()],
                vec!["y".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    BB\nxxx  1\ny    22\n");
    }
}
