//! Incidents: breaches gathered into a few stories a small IT team can read.
//!
//! A device's breaches join its open incident while they keep coming within the window;
//! incidents of different devices are linked when they share a rare endpoint or an
//! indicator. Each incident has an overall score (the chance that at least one of its
//! distinct breaches is real, taking each model's score as that chance), a timeline, the
//! MITRE ATT&CK tactics, and a narrative written from the facts. Every update is an EVE
//! `incident` record.

use crate::detect::Alert;
use crate::learn::names::is_ip_literal;
use crate::learn::net::from_key;
use crate::learn::Learner;
use crate::output::eve::timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One breach as the incident remembers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub ts_ns: u64,
    pub model: String,
    pub score: u8,
    pub device: String,
    pub endpoint: String,
    pub reason: String,
    /// The external address of the flow, when there is one.
    pub server: Option<String>,
    pub port: u16,
    pub details: Value,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: u64,
    pub devices: BTreeSet<String>,
    /// Rare endpoints and indicators it involves (hostnames and addresses).
    pub endpoints: BTreeSet<String>,
    pub first_ns: u64,
    pub last_ns: u64,
    pub alerts: Vec<Entry>,
    /// Incidents of other devices sharing an endpoint with this one.
    pub linked: BTreeSet<u64>,
}

/// Most breaches an incident lists (the rest are counted).
const MAX_ENTRIES: usize = 200;
/// Incidents kept; past it the oldest goes (its EVE `incident` records stay in the EVE
/// output and the SIEM). Without a bound a sensor running for months, or a breach storm,
/// grows without end, and linking (a pass over the incidents per breach) slows with it.
pub const MAX_INCIDENTS: usize = 5_000;

/// The tactic of an ATT&CK technique.
pub fn tactic(technique: &str) -> &'static str {
    match technique.split('.').next().unwrap_or("") {
        "T1071" | "T1571" | "T1568" | "T1105" | "T1573" | "T1572" | "T1090" => {
            "Command and Control"
        }
        "T1059" | "T1204" => "Execution",
        "T1041" | "T1567" | "T1048" => "Exfiltration",
        "T1213" | "T1005" | "T1119" => "Collection",
        "T1608" | "T1583" | "T1584" => "Resource Development",
        "T1566" => "Initial Access",
        _ => "Other",
    }
}

fn hhmm(ns: u64) -> String {
    timestamp(ns)[11..16].to_string()
}

fn gap(from: u64, to: u64) -> String {
    let s = to.saturating_sub(from) / 1_000_000_000;
    if s < 90 {
        format!("{s} s")
    } else if s < 5400 {
        format!("{} minutes", (s + 30) / 60)
    } else {
        format!("{:.1} hours", s as f64 / 3600.0)
    }
}

/// What one breach says in the narrative.
fn phrase(e: &Entry) -> String {
    let d = &e.details;
    let target = match &e.server {
        Some(ip) if is_ip_literal(&e.endpoint) || e.endpoint.starts_with(ip.as_str()) => {
            format!("{ip}:{}", e.port)
        }
        Some(ip) => format!("{} ({ip}:{})", e.endpoint, e.port),
        None => e.endpoint.clone(),
    };
    let id = e.model.as_str();
    match id.split('/').nth(1).unwrap_or("") {
        "possible-doppelganger-attack" => format!(
            "reached the rare look-alike host {} (\"{}\" on {})",
            e.endpoint,
            d["brand"].as_str().unwrap_or("?"),
            d["domain"].as_str().unwrap_or("?")
        ),
        "unusual-external-data-to-new-endpoint" => format!(
            "sent {:.1} MiB to {target}, a new endpoint for it",
            d["bytes_out"].as_f64().unwrap_or(0.0) / 1048576.0
        ),
        "posting-http-to-ip-without-hostname" => format!(
            "POSTed {} to {target}, an address nothing named (user agent {})",
            d["url"].as_str().unwrap_or("?"),
            d["user_agent"].as_str().unwrap_or("none")
        ),
        "beaconing-activity-to-external-rare" => format!(
            "connected to {target} every {:.0} s ({} connections so far)",
            d["period_s"].as_f64().unwrap_or(0.0),
            d["connections"].as_u64().unwrap_or(0)
        ),
        "fast-beaconing-to-dga" => format!(
            "beaconed every {:.0} s to the generated-looking name {}",
            d["period_s"].as_f64().unwrap_or(0.0),
            e.endpoint
        ),
        "rare-external-ssl-self-signed" => {
            format!("made TLS connections to {target}, which presents a self-signed certificate")
        }
        "multiple-http-posts-to-rare-hostname" => format!(
            "POSTed {} times within {} to the rare host {target}",
            d["posts"].as_u64().unwrap_or(0),
            gap(0, d["window_s"].as_u64().unwrap_or(0) * 1_000_000_000)
        ),
        "new-user-agent-to-ip-without-hostname" => format!(
            "used the user agent {:?}, new for it, to {target}",
            d["user_agent"].as_str().unwrap_or("?")
        ),
        "powershell-to-rare-external" => format!("ran PowerShell web requests to {target}"),
        "new-powershell-user-agent" => "sent its first PowerShell user agent".to_string(),
        "application-protocol-on-uncommon-port" => format!(
            "spoke {} on port {} to {target}",
            d["app_proto"].as_str().unwrap_or("?").to_uppercase(),
            e.port
        ),
        "large-number-of-suspicious-failed-connections" => format!(
            "failed to connect {} times to rare endpoints ({})",
            d["failed"].as_u64().unwrap_or(0),
            d["targets"][0].as_str().unwrap_or("?")
        ),
        "anomalous-github-download" => format!(
            "downloaded {:.1} MiB from {}, a first for it",
            d["bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
            e.endpoint
        ),
        "dga-dns-activity" => format!(
            "looked up {} generated-looking names that do not exist",
            d["nxdomains"].as_u64().unwrap_or(0)
        ),
        "ioc-match" => format!(
            "matched the indicator {} ({})",
            d["indicator"].as_str().unwrap_or("?"),
            d["label"].as_str().unwrap_or("")
        ),
        _ => e.reason.clone(),
    }
}

impl Incident {
    /// The overall score: 1 − Π(1 − s/100) over the highest score of each model.
    pub fn score(&self) -> u8 {
        let mut best: BTreeMap<&str, u8> = BTreeMap::new();
        for a in &self.alerts {
            let b = best.entry(a.model.as_str()).or_insert(0);
            *b = (*b).max(a.score);
        }
        let miss: f64 = best.values().map(|s| 1.0 - *s as f64 / 100.0).product();
        ((1.0 - miss) * 100.0).round().min(99.0) as u8
    }

    /// MITRE tactics, in the order the breaches reached them.
    pub fn tactics(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for a in &self.alerts {
            let techniques = crate::detect::catalog::by_id(&a.model).map_or(&[][..], |m| m.mitre);
            for t in techniques {
                let name = tactic(t);
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// The story, from the facts: each model's first breach in time order, with the time
    /// between them.
    pub fn narrative(&self, l: &Learner) -> String {
        let mut seen = BTreeSet::new();
        let mut parts: Vec<String> = Vec::new();
        let mut prev: Option<u64> = None;
        let mut by_time = self.alerts.clone();
        by_time.sort_by_key(|a| a.ts_ns);
        for a in &by_time {
            if !seen.insert(a.model.clone()) {
                continue;
            }
            let p = phrase(a);
            let s = match prev {
                None => {
                    let name = l
                        .state
                        .devices
                        .get(&a.device)
                        .and_then(|d| d.names.keys().next().cloned());
                    let who = match name {
                        Some(n) => format!("{} ({n})", a.device),
                        None => a.device.clone(),
                    };
                    format!("At {} {who} {p}", hhmm(a.ts_ns))
                }
                Some(t) if a.ts_ns.saturating_sub(t) < 60_000_000_000 => format!("then {p}"),
                Some(t) => format!("{} later it {p}", gap(t, a.ts_ns)),
            };
            parts.push(s);
            prev = Some(a.ts_ns);
            if parts.len() >= 12 {
                break;
            }
        }
        let mut out = parts.join("; ");
        out.push('.');
        let more = self.alerts.len() - seen.len().min(self.alerts.len());
        if more > 0 {
            out.push_str(&format!(" {} more breaches repeat these.", more));
        }
        out
    }

    /// The EVE `incident` record's body.
    pub fn eve(&self, l: &Learner) -> Map<String, Value> {
        let alerts: Vec<Value> = self
            .alerts
            .iter()
            .map(|a| {
                json!({
                    "timestamp": timestamp(a.ts_ns),
                    "model": a.model,
                    "score": a.score,
                    "device": a.device,
                    "endpoint": a.endpoint,
                    "reason": a.reason,
                })
            })
            .collect();
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(timestamp(self.last_ns)));
        m.insert("event_type".into(), json!("incident"));
        m.insert(
            "incident".into(),
            json!({
                "id": self.id,
                "score": self.score(),
                "devices": self.devices,
                "endpoints": self.endpoints,
                "first": timestamp(self.first_ns),
                "last": timestamp(self.last_ns),
                "tactics": self.tactics(),
                "narrative": self.narrative(l),
                "alerts": alerts,
                "linked": self.linked,
            }),
        );
        m
    }
}

/// Every incident, open or closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Incidents {
    pub next_id: u64,
    pub list: BTreeMap<u64, Incident>,
    /// Device → its latest incident.
    open: BTreeMap<String, u64>,
}

/// Endpoints of a breach that can link incidents: the rare hostname or indicator it names
/// and the flow's external address (not user agents or pseudo-endpoints).
fn link_keys(a: &Alert, l: &Learner) -> Vec<String> {
    let mut out = Vec::new();
    let h = &a.header;
    if !l.settings.internal.contains(&h.server, h.v6) {
        out.push(from_key(&h.server, h.v6).to_string());
    }
    let ep = a.endpoint.split(':').next().unwrap_or("");
    let ep = if is_ip_literal(&a.endpoint) {
        a.endpoint.as_str()
    } else {
        ep
    };
    if !ep.is_empty() && !ep.contains(' ') && ep.contains('.') && ep != "NXDOMAIN" {
        let internal = ep
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| l.settings.internal.contains_ip(ip));
        if !internal {
            out.push(ep.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Incidents {
    /// Drops the oldest incident and every reference to it.
    fn forget_oldest(&mut self) {
        let Some((old, _)) = self.list.pop_first() else {
            return;
        };
        self.open.retain(|_, id| *id != old);
        for i in self.list.values_mut() {
            i.linked.remove(&old);
        }
    }

    /// Files a breach; returns the incident it joined (and those newly linked to it,
    /// which changed too).
    pub fn add(&mut self, a: &Alert, l: &Learner, window_s: u64) -> (u64, Vec<u64>) {
        let window = window_s * 1_000_000_000;
        let id = match self.open.get(&a.device) {
            Some(id)
                if self
                    .list
                    .get(id)
                    .is_some_and(|i| a.ts_ns <= i.last_ns + window) =>
            {
                *id
            }
            _ => {
                self.next_id += 1;
                let id = self.next_id;
                self.list.insert(
                    id,
                    Incident {
                        id,
                        devices: BTreeSet::from([a.device.clone()]),
                        endpoints: BTreeSet::new(),
                        first_ns: a.ts_ns,
                        last_ns: a.ts_ns,
                        alerts: Vec::new(),
                        linked: BTreeSet::new(),
                    },
                );
                self.open.insert(a.device.clone(), id);
                while self.list.len() > MAX_INCIDENTS {
                    self.forget_oldest();
                }
                id
            }
        };
        let keys = link_keys(a, l);
        let server = (!l.settings.internal.contains(&a.header.server, a.header.v6))
            .then(|| from_key(&a.header.server, a.header.v6).to_string());
        {
            let inc = self.list.get_mut(&id).expect("incident just found or made");
            inc.first_ns = inc.first_ns.min(a.ts_ns);
            inc.last_ns = inc.last_ns.max(a.ts_ns);
            inc.endpoints.extend(keys.iter().cloned());
            if inc.alerts.len() < MAX_ENTRIES {
                inc.alerts.push(Entry {
                    ts_ns: a.ts_ns,
                    model: a.model.id.to_string(),
                    score: a.score,
                    device: a.device.clone(),
                    endpoint: a.endpoint.clone(),
                    reason: a.reason.clone(),
                    server,
                    port: a.header.sport,
                    details: a.details.clone(),
                });
            }
        }
        // Link with other devices' incidents that share an endpoint.
        let mut newly = Vec::new();
        let others: Vec<u64> = self
            .list
            .values()
            .filter(|i| i.id != id && !i.devices.contains(&a.device))
            .filter(|i| keys.iter().any(|k| i.endpoints.contains(k)))
            .map(|i| i.id)
            .collect();
        for o in others {
            let added = self.list.get_mut(&id).unwrap().linked.insert(o);
            self.list.get_mut(&o).unwrap().linked.insert(id);
            if added {
                newly.push(o);
            }
        }
        (id, newly)
    }

    /// An incident by id.
    pub fn get(&self, id: u64) -> Option<&Incident> {
        self.list.get(&id)
    }
}
