//! `vigil report security --since 7d --out report.html`: the regular report an IT lead
//! sends upward, from the saved state (learned devices, endpoints and AI inventory;
//! incidents and actions). One self-contained HTML file (inline CSS and SVG charts,
//! nothing to fetch, no script): incidents by day and severity, the incidents with their
//! story and MITRE ATT&CK tactics, the top rare endpoints, AI usage, and the actions
//! taken and released. `--json` gives the same figures for scripts.
//!
//! The period ends at the state's latest packet time (live, that is now; after a replay,
//! the end of the capture), so a report on a replayed capture covers the capture's days.

use super::svg::{esc, fmt_bytes, fmt_num, hbars, stacked_bars};
use crate::ai::policy::Policy;
use crate::learn::names::{is_ip_literal, registrable_domain};
use crate::learn::Learner;
use crate::output::eve::timestamp;
use crate::respond::incident::Incident;
use crate::respond::ResponseState;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const DAY_NS: u64 = 86_400_000_000_000;

/// Parses `--since`: a duration back from the end (`7d`, `36h`, `2w`, `90m`) or a date or
/// time (`2026-03-01`, `2026-03-01T08:00:00Z`). Returns the period's start.
pub fn parse_since(s: &str, until_ns: u64) -> Result<u64, String> {
    let s = s.trim();
    let bad = || {
        format!("--since {s:?}: give a duration (7d, 36h, 2w, 90m) or a date (2026-03-01) or time (2026-03-01T08:00:00Z)")
    };
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        if let Ok(n) = s[..s.len() - 1].parse::<u64>() {
            let secs = match unit {
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            if n == 0 {
                return Err(bad());
            }
            return Ok(
                until_ns.saturating_sub(n.saturating_mul(secs).saturating_mul(1_000_000_000))
            );
        }
    }
    let t = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    crate::config::parse_rfc3339(&t).ok_or_else(bad)
}

/// What the report is made from.
pub struct Inputs<'a> {
    pub learn: &'a Learner,
    pub response: &'a ResponseState,
    pub policy: &'a Policy,
    pub sensor: &'a str,
}

/// The severity of a score, as EVE alerts have it.
fn severity(score: u8) -> &'static str {
    match score {
        70.. => "high",
        40..=69 => "medium",
        _ => "low",
    }
}

fn day(ns: u64) -> String {
    timestamp(ns)[..10].to_string()
}

/// The end of the period: the latest packet time the state knows.
pub fn until_ns(l: &Learner, r: &ResponseState) -> u64 {
    let mut t = l.state.now_s * 1_000_000_000;
    for i in r.incidents.list.values() {
        t = t.max(i.last_ns);
    }
    for a in r.actions.values() {
        t = t.max(a.start_ns);
    }
    t
}

fn in_period(i: &Incident, from: u64, until: u64) -> bool {
    i.last_ns >= from && i.first_ns <= until
}

/// The report's figures, as JSON (what `--json` prints and the HTML shows).
pub fn figures(inp: &Inputs<'_>, from_ns: u64, until_ns: u64) -> Value {
    let l = inp.learn;
    let now_s = until_ns / 1_000_000_000;
    let name_of = |ip: &str| -> Option<String> {
        l.state
            .devices
            .get(ip)
            .and_then(|d| d.names.keys().next().cloned())
    };

    // Incidents that had a breach in the period, most severe first.
    let mut incidents: Vec<&Incident> = inp
        .response
        .incidents
        .list
        .values()
        .filter(|i| in_period(i, from_ns, until_ns))
        .collect();
    incidents.sort_by(|a, b| b.score().cmp(&a.score()).then(a.first_ns.cmp(&b.first_ns)));
    let mut breaches = 0usize;
    let mut devices: BTreeSet<&str> = BTreeSet::new();
    let mut tactics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut models: BTreeMap<&str, usize> = BTreeMap::new();
    let inc_json: Vec<Value> = incidents
        .iter()
        .map(|i| {
            let in_p: Vec<_> = i
                .alerts
                .iter()
                .filter(|a| a.ts_ns >= from_ns && a.ts_ns <= until_ns)
                .collect();
            breaches += in_p.len();
            for a in &in_p {
                *models.entry(a.model.as_str()).or_insert(0) += 1;
            }
            for d in &i.devices {
                devices.insert(d);
            }
            let t = i.tactics();
            for x in &t {
                *tactics.entry(x).or_insert(0) += 1;
            }
            let actions: Vec<Value> = inp
                .response
                .actions
                .values()
                .filter(|a| a.incident_id == i.id)
                .map(|a| json!({"id": a.id, "action": a.action, "state": a.state, "target": target(a)}))
                .collect();
            json!({
                "id": i.id,
                "score": i.score(),
                "severity": severity(i.score()),
                "first": timestamp(i.first_ns),
                "last": timestamp(i.last_ns),
                "devices": i.devices.iter().map(|d| json!({"ip": d, "name": name_of(d)})).collect::<Vec<_>>(),
                "endpoints": i.endpoints,
                "tactics": t,
                "breaches": in_p.len(),
                "narrative": i.narrative(l),
                "actions": actions,
            })
        })
        .collect();

    // Incidents by day (of their first breach in the period) and severity.
    let first_day = from_ns / DAY_NS;
    let last_day = until_ns / DAY_NS;
    let days: Vec<u64> = (first_day..=last_day).collect();
    let mut by_day: BTreeMap<&str, Vec<u64>> = ["high", "medium", "low"]
        .iter()
        .map(|s| (*s, vec![0; days.len()]))
        .collect();
    for i in &incidents {
        let first_in = i
            .alerts
            .iter()
            .map(|a| a.ts_ns)
            .filter(|t| *t >= from_ns && *t <= until_ns)
            .min()
            .unwrap_or(i.first_ns.max(from_ns));
        let d = (first_in / DAY_NS).clamp(first_day, last_day) - first_day;
        if let Some(v) = by_day.get_mut(severity(i.score())) {
            v[d as usize] += 1;
        }
    }

    // Rare endpoints used in the period, by connections.
    let window = l.settings.window_s;
    let mut rare: Vec<(&String, &crate::learn::Endpoint, usize)> = l
        .state
        .endpoints
        .iter()
        .map(|(n, e)| (n, e, e.devices_within(now_s, window)))
        .filter(|(_, e, n)| *n <= l.settings.rare_devices && e.last_s * 1_000_000_000 >= from_ns)
        .collect();
    rare.sort_by(|a, b| b.1.connections.cmp(&a.1.connections).then(a.0.cmp(b.0)));
    let in_incident: BTreeSet<&str> = incidents
        .iter()
        .flat_map(|i| i.endpoints.iter().map(String::as_str))
        .collect();
    let rare_json: Vec<Value> = rare
        .iter()
        .take(15)
        .map(|(n, e, d)| {
            json!({
                "endpoint": n,
                "domain": if is_ip_literal(n) { Value::Null } else { json!(registrable_domain(n)) },
                "connections": e.connections,
                "devices": d,
                "device_list": e.devices.keys().collect::<Vec<_>>(),
                "first_seen": timestamp(e.first_s * 1_000_000_000),
                "last_seen": timestamp(e.last_s * 1_000_000_000),
                "in_incident": in_incident.contains(n.as_str()),
            })
        })
        .collect();

    // AI services used in the period: bytes up and down by service, devices, policy.
    struct Ai {
        name: String,
        provider: String,
        category: String,
        up: u64,
        down: u64,
        connections: u64,
        devices: BTreeSet<String>,
        unsanctioned: BTreeSet<String>,
    }
    let mut ai: BTreeMap<&str, Ai> = BTreeMap::new();
    for (dev, d) in &l.state.ai.devices {
        for (id, u) in &d.services {
            let (mut up, mut down, mut conns) = (0, 0, 0);
            for (dn, du) in &u.days {
                if *dn >= first_day && *dn <= last_day {
                    up += du.bytes_up;
                    down += du.bytes_down;
                    conns += du.connections;
                }
            }
            if conns == 0 && up == 0 {
                continue;
            }
            let e = ai.entry(id.as_str()).or_insert_with(|| Ai {
                name: u.name.clone(),
                provider: u.provider.clone(),
                category: u.category.clone(),
                up: 0,
                down: 0,
                connections: 0,
                devices: BTreeSet::new(),
                unsanctioned: BTreeSet::new(),
            });
            e.up += up;
            e.down += down;
            e.connections += conns;
            e.devices.insert(dev.clone());
            let svc = crate::ai::catalog::Service {
                id: id.clone(),
                name: u.name.clone(),
                provider: u.provider.clone(),
                category: u.category.clone(),
                hosts: Vec::new(),
            };
            if inp
                .policy
                .permits(&svc, crate::ai::observe::ip(dev))
                .is_none()
            {
                e.unsanctioned.insert(dev.clone());
            }
        }
    }
    let mut ai_list: Vec<(&&str, &Ai)> = ai.iter().collect();
    ai_list.sort_by(|a, b| b.1.up.cmp(&a.1.up).then(a.0.cmp(b.0)));
    let ai_json: Vec<Value> = ai_list
        .iter()
        .map(|(id, a)| {
            json!({
                "service": id, "name": a.name, "provider": a.provider, "category": a.category,
                "bytes_up": a.up, "bytes_down": a.down, "connections": a.connections,
                "devices": a.devices, "not_sanctioned_for": a.unsanctioned,
            })
        })
        .collect();

    // Actions decided, or released or expired, in the period.
    let actions: Vec<&crate::respond::Action> = inp
        .response
        .actions
        .values()
        .filter(|a| {
            (a.start_ns >= from_ns && a.start_ns <= until_ns)
                || (!a.live() && a.expires_ns >= from_ns && a.expires_ns <= until_ns)
        })
        .collect();
    let mut by_kind: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for a in &actions {
        *by_kind
            .entry(a.action.as_str())
            .or_default()
            .entry(a.state.as_str())
            .or_insert(0) += 1;
    }
    let actions_json: Vec<Value> = actions
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "action": a.action, "state": a.state, "mode": a.mode,
                "target": target(a), "start": timestamp(a.start_ns), "expires": timestamp(a.expires_ns),
                "incident_id": a.incident_id, "reason": a.reason,
            })
        })
        .collect();

    let high = incidents.iter().filter(|i| i.score() >= 70).count();
    json!({
        "sensor": inp.sensor,
        "from": timestamp(from_ns),
        "until": timestamp(until_ns),
        "summary": {
            "incidents": incidents.len(),
            "high": high,
            "breaches": breaches,
            "devices_involved": devices.len(),
            "devices": l.state.devices.len(),
            "actions": actions.len(),
            "actions_released": actions.iter().filter(|a| a.state == "released").count(),
            "ai_services": ai.len(),
            "ai_unsanctioned": ai.values().filter(|a| !a.unsanctioned.is_empty()).count(),
            "rare_endpoints": rare.len(),
        },
        "incidents_by_day": {
            "days": days.iter().map(|d| day(d * DAY_NS)).collect::<Vec<_>>(),
            "high": by_day["high"], "medium": by_day["medium"], "low": by_day["low"],
        },
        "tactics": tactics,
        "models": models,
        "incidents": inc_json,
        "rare_endpoints": rare_json,
        "ai": ai_json,
        "actions_by_kind": by_kind,
        "actions": actions_json,
    })
}

fn target(a: &crate::respond::Action) -> String {
    match (&a.endpoint, a.dest_port) {
        (Some(e), Some(p)) => format!("{} → {e}:{p}", a.device),
        (Some(e), None) => format!("{e} (every device)"),
        _ => a.device.clone(),
    }
}

const STYLE: &str = r#"
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1d2430; margin: 0; background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 28px 32px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #1d2430; }
h3 { font-size: 14px; margin: 18px 0 4px; }
.muted { color: #687385; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin: 18px 0; }
.tile { border: 1px solid #dde2e8; border-radius: 6px; padding: 10px 12px; }
.tile .v { font-size: 24px; font-weight: 650; }
.tile .l { font-size: 12px; color: #687385; text-transform: uppercase; letter-spacing: .3px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid #e3e7ec; vertical-align: top; font-size: 13px; }
th { font-size: 11px; color: #687385; text-transform: uppercase; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.sev { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; font-weight: 600; }
.sev.high { background: #c0392b; } .sev.medium { background: #d68910; } .sev.low { background: #2e86c1; }
.chip { display: inline-block; padding: 0 7px; margin: 0 3px 3px 0; border-radius: 9px; background: #f6e9e2; color: #7b3417; font-size: 12px; }
.story { margin: 4px 0 8px; }
.incident { border: 1px solid #dde2e8; border-radius: 6px; padding: 10px 14px; margin: 10px 0; page-break-inside: avoid; }
svg.chart { width: 100%; height: auto; }
svg .ax { font: 11px system-ui, sans-serif; fill: #687385; }
svg .lbl { font: 12px system-ui, sans-serif; fill: #1d2430; }
svg .val { font: 11px system-ui, sans-serif; fill: #1d2430; }
footer { margin-top: 40px; font-size: 12px; color: #687385; }
@media print { main { padding: 0; } h2 { page-break-after: avoid; } }
"#;

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The report as one self-contained HTML page.
pub fn html(f: &Value) -> String {
    let s = &f["summary"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let mut o = String::with_capacity(64 * 1024);
    let from = f["from"].as_str().unwrap_or("");
    let until = f["until"].as_str().unwrap_or("");
    o.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vigil security report {} to {}</title><style>{STYLE}</style></head><body><main>\n",
        esc(&from[..from.len().min(10)]),
        esc(&until[..until.len().min(10)])
    ));
    o.push_str(&format!(
        "<h1>Security report</h1><p class=\"muted\">Sensor {} · {} to {} (UTC, packet time) · made by Vigil {}</p>\n",
        esc(f["sensor"].as_str().unwrap_or("")),
        esc(&from.get(..16).unwrap_or(from).replace('T', " ")),
        esc(&until.get(..16).unwrap_or(until).replace('T', " ")),
        env!("CARGO_PKG_VERSION")
    ));
    let tiles = [
        (
            n(&s["incidents"]),
            "incidents",
            format!("{} high", n(&s["high"])),
        ),
        (
            n(&s["breaches"]),
            "breaches",
            "gathered into them".to_string(),
        ),
        (
            n(&s["devices_involved"]),
            "devices involved",
            format!("of {} known", n(&s["devices"])),
        ),
        (
            n(&s["actions"]),
            "actions",
            format!("{} released by hand", n(&s["actions_released"])),
        ),
        (
            n(&s["ai_services"]),
            "AI services used",
            format!("{} not sanctioned", n(&s["ai_unsanctioned"])),
        ),
    ];
    o.push_str("<div class=\"tiles\">");
    for (v, l, sub) in tiles {
        o.push_str(&format!(
            "<div class=\"tile\"><div class=\"v\">{v}</div><div class=\"l\">{}</div><div class=\"muted\">{}</div></div>",
            esc(l),
            esc(&sub)
        ));
    }
    o.push_str("</div>\n");

    // Summary in words.
    let tactics: Vec<String> = f["tactics"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    o.push_str(&format!(
        "<p>In this period Vigil gathered {} breaches into {} incident{} on {} device{}{}. {} response action{} {} decided; {} {} released by hand. {} AI service{} {} used{}.</p>\n",
        n(&s["breaches"]),
        n(&s["incidents"]),
        if n(&s["incidents"]) == 1 { "" } else { "s" },
        n(&s["devices_involved"]),
        if n(&s["devices_involved"]) == 1 { "" } else { "s" },
        if tactics.is_empty() {
            String::new()
        } else {
            format!(" (ATT&amp;CK tactics: {})", esc(&tactics.join(", ")))
        },
        n(&s["actions"]),
        if n(&s["actions"]) == 1 { "" } else { "s" },
        if n(&s["actions"]) == 1 { "was" } else { "were" },
        n(&s["actions_released"]),
        if n(&s["actions_released"]) == 1 { "was" } else { "were" },
        n(&s["ai_services"]),
        if n(&s["ai_services"]) == 1 { "" } else { "s" },
        if n(&s["ai_services"]) == 1 { "was" } else { "were" },
        if n(&s["ai_unsanctioned"]) > 0 {
            format!(", {} of them by devices the policy does not sanction them for", n(&s["ai_unsanctioned"]))
        } else {
            String::new()
        }
    ));

    // Incidents by day and severity.
    let d = &f["incidents_by_day"];
    let labels: Vec<String> = list(&d["days"])
        .iter()
        .map(|x| x.get(5..).unwrap_or(x).to_string())
        .collect();
    let vals = |k: &str| -> Vec<f64> {
        d[k].as_array()
            .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect())
            .unwrap_or_default()
    };
    o.push_str("<h2>Incidents by day and severity</h2>");
    o.push_str(&stacked_bars(
        "incidents by day and severity",
        &labels,
        &[
            ("high (score ≥ 70)", "#c0392b", vals("high")),
            ("medium (40–69)", "#d68910", vals("medium")),
            ("low (< 40)", "#2e86c1", vals("low")),
        ],
        "incidents",
    ));

    // The incidents.
    o.push_str("<h2>Incidents</h2>");
    let incs = f["incidents"].as_array().cloned().unwrap_or_default();
    if incs.is_empty() {
        o.push_str("<p class=\"muted\">No incident in this period.</p>");
    }
    for i in &incs {
        let sev = i["severity"].as_str().unwrap_or("low");
        let devices: Vec<String> = i["devices"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| match d["name"].as_str() {
                        Some(nm) => format!("{} ({nm})", d["ip"].as_str().unwrap_or("")),
                        None => d["ip"].as_str().unwrap_or("").to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        o.push_str(&format!(
            "<div class=\"incident\"><h3><span class=\"sev {sev}\">{}</span> Incident {} · {} · {} to {}</h3>",
            i["score"],
            i["id"],
            esc(&devices.join(", ")),
            esc(&when_s(i["first"].as_str())),
            esc(&when_s(i["last"].as_str()))
        ));
        o.push_str(&format!(
            "<p class=\"story\">{}</p><div>",
            esc(i["narrative"].as_str().unwrap_or(""))
        ));
        for t in list(&i["tactics"]) {
            o.push_str(&format!("<span class=\"chip\">{}</span>", esc(&t)));
        }
        o.push_str(&format!(
            "<span class=\"muted\"> {} breaches in the period</span></div>",
            n(&i["breaches"])
        ));
        let acts = i["actions"].as_array().cloned().unwrap_or_default();
        if !acts.is_empty() {
            let a: Vec<String> = acts
                .iter()
                .map(|a| {
                    format!(
                        "{} {} ({})",
                        a["action"].as_str().unwrap_or(""),
                        a["target"].as_str().unwrap_or(""),
                        a["state"].as_str().unwrap_or("")
                    )
                })
                .collect();
            o.push_str(&format!(
                "<p class=\"muted\">Actions: {}</p>",
                esc(&a.join("; "))
            ));
        }
        o.push_str("</div>\n");
    }

    // Rare endpoints.
    o.push_str("<h2>Top rare endpoints</h2><p class=\"muted\">External endpoints few devices reach (rare), used in the period, by connections; those an incident names are marked.</p>");
    let rows: Vec<(String, f64, String)> = f["rare_endpoints"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(10)
                .map(|e| {
                    (
                        e["endpoint"].as_str().unwrap_or("").to_string(),
                        e["connections"].as_f64().unwrap_or(0.0),
                        format!(
                            "connections, {} device{}{}",
                            n(&e["devices"]),
                            if n(&e["devices"]) == 1 { "" } else { "s" },
                            if e["in_incident"] == true {
                                " · in an incident"
                            } else {
                                ""
                            }
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        o.push_str("<p class=\"muted\">None.</p>");
    } else {
        o.push_str(&hbars("top rare endpoints", &rows, "#5d6d7e", fmt_num));
    }

    // AI usage.
    o.push_str("<h2>AI usage</h2>");
    let ai = f["ai"].as_array().cloned().unwrap_or_default();
    if ai.is_empty() {
        o.push_str("<p class=\"muted\">No AI service was used in this period.</p>");
    } else {
        let rows: Vec<(String, f64, String)> = ai
            .iter()
            .take(10)
            .map(|a| {
                let unsanctioned = !list(&a["not_sanctioned_for"]).is_empty();
                (
                    a["name"].as_str().unwrap_or("").to_string(),
                    a["bytes_up"].as_f64().unwrap_or(0.0),
                    format!(
                        "up, {} device{}{}",
                        list(&a["devices"]).len(),
                        if list(&a["devices"]).len() == 1 {
                            ""
                        } else {
                            "s"
                        },
                        if unsanctioned {
                            " · not sanctioned"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect();
        o.push_str(&hbars(
            "bytes sent to AI services",
            &rows,
            "#7d3c98",
            fmt_bytes,
        ));
        o.push_str("<table><tr><th>Service</th><th>Provider</th><th>Category</th><th>Devices</th><th>Not sanctioned for</th><th class=\"n\">Conns</th><th class=\"n\">Up</th><th class=\"n\">Down</th></tr>");
        for a in &ai {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(a["name"].as_str().unwrap_or("")),
                esc(a["provider"].as_str().unwrap_or("")),
                esc(a["category"].as_str().unwrap_or("")),
                esc(&list(&a["devices"]).join(", ")),
                esc(&list(&a["not_sanctioned_for"]).join(", ")),
                n(&a["connections"]),
                fmt_bytes(a["bytes_up"].as_f64().unwrap_or(0.0)),
                fmt_bytes(a["bytes_down"].as_f64().unwrap_or(0.0)),
            ));
        }
        o.push_str("</table>");
    }

    // Actions.
    o.push_str("<h2>Actions taken and released</h2>");
    let kinds = crate::config::ACTIONS;
    let states = [
        ("active", "#c0392b"),
        ("expired", "#7f8c8d"),
        ("released", "#27ae60"),
        ("pending", "#d68910"),
        ("suppressed", "#8e44ad"),
    ];
    let series: Vec<(&str, &str, Vec<f64>)> = states
        .iter()
        .map(|(st, c)| {
            (
                *st,
                *c,
                kinds
                    .iter()
                    .map(|k| f["actions_by_kind"][*k][*st].as_f64().unwrap_or(0.0))
                    .collect(),
            )
        })
        .collect();
    let klabels: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    o.push_str(&stacked_bars(
        "actions by kind and state",
        &klabels,
        &series,
        "actions",
    ));
    let acts = f["actions"].as_array().cloned().unwrap_or_default();
    if acts.is_empty() {
        o.push_str("<p class=\"muted\">No action in this period.</p>");
    } else {
        o.push_str("<table><tr><th>ID</th><th>Action</th><th>State</th><th>Mode</th><th>Target</th><th>Start</th><th>Ends</th><th>Incident</th></tr>");
        for a in &acts {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a["id"],
                esc(a["action"].as_str().unwrap_or("")),
                esc(a["state"].as_str().unwrap_or("")),
                esc(a["mode"].as_str().unwrap_or("")),
                esc(a["target"].as_str().unwrap_or("")),
                esc(&when_s(a["start"].as_str())),
                esc(&when_s(a["expires"].as_str())),
                a["incident_id"],
            ));
        }
        o.push_str("</table>");
    }
    o.push_str("<footer>Figures from the sensor's saved state. An incident gathers a device's breaches (linked to other devices' incidents by shared rare endpoints); its score is the chance that at least one of its distinct breaches is real. Severity: high ≥ 70, medium 40–69, low below 40. Rare: reached by at most a few devices within the rarity window. Bytes are frame bytes. See docs/models.md, docs/response.md and docs/shadow-ai.md.</footer>");
    o.push_str("</main></body></html>\n");
    o
}

fn when_s(t: Option<&str>) -> String {
    match t {
        Some(t) if t.len() >= 16 => format!("{} {}", &t[..10], &t[11..16]),
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_dates() {
        let until = 1_773_399_569_000_000_000; // 2026-03-13T10:59:29Z
        assert_eq!(parse_since("7d", until).unwrap(), until - 7 * DAY_NS);
        assert_eq!(
            parse_since("36h", until).unwrap(),
            until - 36 * 3_600_000_000_000
        );
        assert_eq!(parse_since("2w", until).unwrap(), until - 14 * DAY_NS);
        assert_eq!(
            timestamp(parse_since("2026-03-01", until).unwrap()),
            "2026-03-01T00:00:00.000000+0000"
        );
        assert!(parse_since("7x", until).is_err());
        assert!(parse_since("0d", until).is_err());
        assert!(parse_since("yesterday", until).is_err());
    }

    #[test]
    fn an_empty_state_still_makes_a_report() {
        let l = Learner::new(Default::default(), Default::default());
        let r = ResponseState::default();
        let p = Policy::from_conf(&Default::default());
        let f = figures(
            &Inputs {
                learn: &l,
                response: &r,
                policy: &p,
                sensor: "s<1>",
            },
            0,
            DAY_NS,
        );
        assert_eq!(f["summary"]["incidents"], 0);
        let h = html(&f);
        assert!(h.contains("No incident in this period."));
        assert!(h.contains("s&lt;1&gt;"));
        assert!(!h.contains("<script"));
    }
}
