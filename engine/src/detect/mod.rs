//! Detection models: behaviour that breaks a device's pattern of life or the network's,
//! scored, explained in one sentence with the numbers, and mapped to MITRE ATT&CK.
//!
//! The detector runs on the control plane over the same records the learner learns
//! from, and sees each one *before* the learner does, so "new for this device" and
//! "rare for the network" mean new and rare as of that moment. State keyed by (device,
//! endpoint), such as beacon timing, lives here, so it is right whichever worker saw
//! each connection. The catalogue is in `catalog` and `docs/models.md`.

pub mod ai;
pub mod beacon;
pub mod bigrams;
pub mod brands;
pub mod catalog;
pub mod dga;
pub mod ioc;

use crate::app::{Dir, EveBody};
use crate::config::ModelConf;
use crate::learn::names::{is_ip_literal, registrable_domain};
use crate::learn::net::from_key;
use crate::learn::{failed_state, Learner};
use crate::worker::records::Header;
use beacon::Series;
use catalog::ModelInfo;
use ioc::{Iocs, Kind};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

/// A breach: one model fired for one device and endpoint.
#[derive(Debug, Clone)]
pub struct Alert {
    pub model: &'static ModelInfo,
    pub score: u8,
    pub device: String,
    pub endpoint: String,
    /// One sentence: why, with the numbers.
    pub reason: String,
    /// Packet time.
    pub ts_ns: u64,
    /// The flow the alert is about (its tuple is the EVE record's).
    pub header: Header,
    /// Model-specific facts (`vigil.details`).
    pub details: Value,
}

impl Alert {
    /// The EVE `alert` body (the engine adds the flow's envelope).
    pub fn eve(&self) -> EveBody {
        let severity = match self.score {
            70.. => 1,
            40..=69 => 2,
            _ => 3,
        };
        let mut fields = Map::new();
        fields.insert("event_type".into(), json!("alert"));
        fields.insert(
            "alert".into(),
            json!({
                "action": "allowed",
                "gid": 1,
                "signature_id": self.model.sid,
                "rev": 1,
                "signature": format!("VIGIL {}", self.model.id),
                "category": self.model.category,
                "severity": severity,
            }),
        );
        fields.insert(
            "vigil".into(),
            json!({
                "model": self.model.id,
                "score": self.score,
                "device": self.device,
                "endpoint": self.endpoint,
                "reason": self.reason,
                "mitre": self.model.mitre,
                "incident_id": Value::Null,
                "details": self.details,
            }),
        );
        EveBody {
            dir: Dir::ToServer,
            ts_ns: self.ts_ns,
            fields,
        }
    }
}

/// Ports where each protocol is at home.
fn usual_port(app: &str, port: u16) -> bool {
    match app {
        "http" => matches!(port, 80 | 8080 | 8000 | 8008 | 8888 | 3128 | 591 | 11371),
        "tls" => matches!(
            port,
            443 | 8443
                | 465
                | 563
                | 585
                | 636
                | 853
                | 989
                | 990
                | 992
                | 993
                | 994
                | 995
                | 5061
                | 5223
                | 8883
                | 4443
        ),
        "ssh" => matches!(port, 22 | 2222),
        _ => true,
    }
}

/// Whether an endpoint belongs to GitHub.
fn is_github(name: &str) -> bool {
    let d = registrable_domain(name);
    d == "github.com"
        || d == "githubassets.com"
        || d == "github.io"
        || name.ends_with(".githubusercontent.com")
        || name == "githubusercontent.com"
}

/// Bytes in a readable form.
fn mb(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1024 {
        format!("{:.0} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} bytes")
    }
}

fn fmt_dur(s: u64) -> String {
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

fn devices_phrase(n: usize, days: u64) -> String {
    match n {
        0 => "a new endpoint for the network".into(),
        1 => format!("reached by 1 device in {days} days"),
        n => format!("reached by {n} devices in {days} days"),
    }
}

/// What the detector remembers of a flow until it ends.
#[derive(Debug, Default, Clone)]
struct FlowCtx {
    /// SNI or Host name (not an address literal).
    name: Option<String>,
}

/// The detector.
pub struct Detector {
    conf: ModelConf,
    disabled: HashSet<String>,
    flows: crate::flowmap::FlowMap<FlowCtx>,
    posts: HashMap<(String, String), VecDeque<u64>>,
    failed: HashMap<String, VecDeque<(u64, String)>>,
    nx: HashMap<String, VecDeque<(u64, String)>>,
    series: HashMap<(String, String), (Series, Header)>,
    fired: HashMap<(&'static str, String, String), u64>,
    iocs: Iocs,
    /// The device of the record being judged is still in its learning period.
    device_learning: bool,
    /// Breaches by model id.
    pub counts: BTreeMap<&'static str, u64>,
    /// The shadow-AI models (and the AI catalogue and policy they judge by).
    pub ai: ai::AiModels,
}

/// Seconds an endpoint must have been in a device's habits to not count as novel for it.
const HABIT_S: u64 = 86_400;

impl Detector {
    /// A detector with the profile's thresholds; indicator files are loaded now.
    pub fn new(conf: &ModelConf) -> Detector {
        Detector {
            disabled: conf.disabled.iter().cloned().collect(),
            iocs: Iocs::load(&conf.ioc_files),
            conf: conf.clone(),
            flows: Default::default(),
            posts: HashMap::new(),
            failed: HashMap::new(),
            nx: HashMap::new(),
            series: HashMap::new(),
            fired: HashMap::new(),
            device_learning: false,
            counts: BTreeMap::new(),
            ai: ai::AiModels::default(),
        }
    }

    /// Indicators loaded, and problems met loading them.
    pub fn iocs(&self) -> (usize, &[String]) {
        (self.iocs.len(), &self.iocs.errors)
    }

    /// Reloads indicator files that changed (wall-clock checks, at most every
    /// `models.ioc_reload` seconds).
    pub fn refresh_iocs(&mut self) {
        self.iocs
            .refresh(Duration::from_secs(self.conf.ioc_reload.max(1)));
    }

    #[allow(clippy::too_many_arguments)]
    fn fire(
        &mut self,
        out: &mut Vec<Alert>,
        model: &'static ModelInfo,
        h: &Header,
        ts_ns: u64,
        device: &str,
        endpoint: &str,
        score: u8,
        reason: String,
        details: Value,
    ) {
        if self.disabled.contains(model.id) {
            return;
        }
        // While a device is learning (and at the start, when everything is new to the
        // network) only what needs no baseline may breach.
        let needs_no_baseline = [
            catalog::IOC_MATCH.id,
            catalog::DGA_DNS.id,
            catalog::POST_TO_IP_WITHOUT_HOSTNAME.id,
        ];
        if self.device_learning
            && !needs_no_baseline.contains(&model.id)
            && !ai::NO_BASELINE.contains(&model.id)
        {
            return;
        }
        let now_s = ts_ns / 1_000_000_000;
        let key = (model.id, device.to_string(), endpoint.to_string());
        if let Some(last) = self.fired.get(&key) {
            if now_s < last + self.conf.repeat_after {
                return;
            }
        }
        self.fired.insert(key, now_s);
        *self.counts.entry(model.id).or_insert(0) += 1;
        out.push(Alert {
            model,
            score: score.min(100),
            device: device.to_string(),
            endpoint: endpoint.to_string(),
            reason,
            ts_ns,
            header: *h,
            details,
        });
    }

    /// The device and external server of a flow a device opened, as strings.
    fn parties(l: &Learner, h: &Header) -> Option<(String, String)> {
        let net = &l.settings.internal;
        if net.contains(&h.client, h.v6) && !net.contains(&h.server, h.v6) {
            Some((
                from_key(&h.client, h.v6).to_string(),
                from_key(&h.server, h.v6).to_string(),
            ))
        } else {
            None
        }
    }

    /// The endpoint a flow reached: its SNI or Host, else the name a DNS answer gave its
    /// address, else the address.
    fn endpoint(&self, l: &Learner, h: &Header, server: &str, now_s: u64) -> String {
        if let Some(n) = self.flows.get(&h.flow_id).and_then(|c| c.name.clone()) {
            return n;
        }
        l.hostname_of(server, now_s)
            .map(str::to_string)
            .unwrap_or_else(|| server.to_string())
    }

    /// Devices that reached `endpoint` in the window, when it is rare and not one of the
    /// device's own habits (used for more than a day).
    fn rare(&self, l: &Learner, device: &str, endpoint: &str, now_s: u64) -> Option<usize> {
        let n = l.endpoint_devices(endpoint);
        if n > l.settings.rare_devices {
            return None;
        }
        let habit = l
            .state
            .devices
            .get(device)
            .and_then(|d| d.endpoints.get(endpoint))
            .is_some_and(|u| u.seen.first_s + HABIT_S <= now_s);
        (!habit).then_some(n)
    }

    /// An EVE record about to be learned from; returns the breaches it completes.
    pub fn observe(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        let et = rec.get("event_type").and_then(Value::as_str).unwrap_or("");
        let now_s = ts_ns / 1_000_000_000;
        self.device_learning = l
            .state
            .devices
            .get(&from_key(&h.client, h.v6).to_string())
            .is_none_or(|d| d.learning(now_s, l.settings.learning_s));
        match et {
            "http" => self.http(l, h, ts_ns, rec, &mut out),
            "tls" => self.tls(l, h, ts_ns, rec, &mut out),
            "quic" => {
                if let Some(sni) = rec
                    .get("quic")
                    .and_then(|q| q.get("sni"))
                    .and_then(Value::as_str)
                {
                    self.name_flow(l, h, sni);
                    self.lookalike(l, h, ts_ns, sni, &mut out);
                    self.ioc(l, h, ts_ns, Kind::Domain, sni, &mut out);
                }
            }
            "dns" => self.dns(l, h, ts_ns, rec, &mut out),
            "flow" => self.flow(l, h, ts_ns, rec, &mut out),
            _ => {}
        }
        self.ai_models(l, h, ts_ns, rec, &mut out);
        out
    }

    fn name_flow(&mut self, l: &Learner, h: &Header, name: &str) {
        if Self::parties(l, h).is_none() || name.is_empty() || is_ip_literal(name) {
            return;
        }
        self.flows
            .get_or_insert_with(h.flow_id, FlowCtx::default)
            .name = Some(name.trim_end_matches('.').to_ascii_lowercase());
    }

    fn ioc(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        kind: Kind,
        value: &str,
        out: &mut Vec<Alert>,
    ) {
        let Some((matched, src)) = self.iocs.find(kind, value) else {
            return;
        };
        let src = src.clone();
        let device = from_key(&h.client, h.v6).to_string();
        let device = if l.settings.internal.contains(&h.client, h.v6) {
            device
        } else {
            from_key(&h.server, h.v6).to_string()
        };
        let server = from_key(&h.server, h.v6).to_string();
        let reason = format!(
            "{device} matched the {} indicator {matched:?} ({}, from {}) on its connection to {server}:{}",
            kind.name(),
            src.label,
            src.file,
            h.sport
        );
        let model = &catalog::IOC_MATCH;
        self.fire(
            out,
            model,
            h,
            ts_ns,
            &device,
            &matched,
            model.score,
            reason,
            json!({"kind": kind.name(), "indicator": matched, "source": src.file, "label": src.label}),
        );
    }

    fn lookalike(&mut self, l: &Learner, h: &Header, ts_ns: u64, host: &str, out: &mut Vec<Alert>) {
        let Some((device, _)) = Self::parties(l, h) else {
            return;
        };
        if is_ip_literal(host) {
            return;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let reg = registrable_domain(&host);
        let Some(brand) = brands::borrowed_brand(&host, &reg) else {
            return;
        };
        let now_s = ts_ns / 1_000_000_000;
        let Some(n) = self.rare(l, &device, &host, now_s) else {
            return;
        };
        let days = l.settings.window_s / 86400;
        let reason = format!(
            "{device} reached {host}, a rare hostname ({}) that carries the brand name \"{brand}\" on {reg}, a domain that brand does not use",
            devices_phrase(n, days)
        );
        let model = &catalog::DOPPELGANGER;
        self.fire(
            out,
            model,
            h,
            ts_ns,
            &device,
            &host,
            model.score,
            reason,
            json!({"brand": brand, "domain": reg, "devices": n}),
        );
    }

    fn http(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
        out: &mut Vec<Alert>,
    ) {
        let http = rec.get("http").cloned().unwrap_or(Value::Null);
        let host = http["hostname"].as_str().unwrap_or("").to_string();
        let ua = http["http_user_agent"].as_str().unwrap_or("").to_string();
        let method = http["http_method"].as_str().unwrap_or("").to_string();
        let url = http["url"].as_str().unwrap_or("").to_string();
        let Some((device, server)) = Self::parties(l, h) else {
            return;
        };
        self.name_flow(l, h, &host);
        self.ioc(l, h, ts_ns, Kind::Ip, &server, out);
        if !host.is_empty() && !is_ip_literal(&host) {
            self.ioc(l, h, ts_ns, Kind::Domain, &host, out);
        }
        self.ioc(l, h, ts_ns, Kind::Url, &url, out);
        self.ioc(l, h, ts_ns, Kind::UserAgent, &ua, out);
        let now_s = ts_ns / 1_000_000_000;
        let endpoint = self.endpoint(l, h, &server, now_s);
        self.lookalike(l, h, ts_ns, &host, out);
        let days = l.settings.window_s / 86400;
        let no_name = l.without_hostname(&server, Some(&host), now_s);
        let target = format!("{server}:{}", h.sport);
        let ua_txt = if ua.is_empty() {
            "none".to_string()
        } else {
            ua.clone()
        };
        if method.eq_ignore_ascii_case("POST") {
            if no_name {
                let m = &catalog::POST_TO_IP_WITHOUT_HOSTNAME;
                let reason = format!(
                    "{device} POSTed {url} to {target}, an address no DNS answer, SNI or Host name named (user agent {ua_txt})"
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &target,
                    m.score,
                    reason,
                    json!({"url": url, "user_agent": ua}),
                );
            } else if let Some(n) = self.rare(l, &device, &endpoint, now_s) {
                let window = self.conf.post_window;
                let q = self
                    .posts
                    .entry((device.clone(), endpoint.clone()))
                    .or_default();
                q.push_back(now_s);
                while q.front().is_some_and(|t| *t + window < now_s) {
                    q.pop_front();
                }
                let count = q.len() as u32;
                if count >= self.conf.posts_to_rare_hostname {
                    let m = &catalog::POSTS_TO_RARE_HOSTNAME;
                    let score = m.score as u32 + (count - self.conf.posts_to_rare_hostname).min(20);
                    let reason = format!(
                        "{device} made {count} HTTP POSTs in {} to {endpoint} ({target}), a rare hostname {} (user agent {ua_txt})",
                        fmt_dur(window),
                        devices_phrase(n, days)
                    );
                    self.fire(
                        out,
                        m,
                        h,
                        ts_ns,
                        &device,
                        &endpoint,
                        score as u8,
                        reason,
                        json!({"posts": count, "window_s": window, "devices": n, "user_agent": ua}),
                    );
                }
            }
        }
        let dev = l.state.devices.get(&device);
        let learning = dev.is_none_or(|d| d.learning(now_s, l.settings.learning_s));
        if !ua.is_empty() && !learning {
            let d = dev.unwrap();
            let new_ua = !d.user_agents.contains_key(&ua);
            if new_ua && no_name {
                let m = &catalog::NEW_UA_TO_IP_WITHOUT_HOSTNAME;
                let reason = format!(
                    "{device} used the user agent {ua:?}, new for it (it has used {} others), to {target}, an address with no hostname",
                    d.user_agents.len()
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &target,
                    m.score,
                    reason,
                    json!({"user_agent": ua, "known_user_agents": d.user_agents.len()}),
                );
            }
            let ps = ua.to_ascii_lowercase().contains("powershell");
            if ps
                && !d
                    .user_agents
                    .keys()
                    .any(|k| k.to_ascii_lowercase().contains("powershell"))
            {
                let m = &catalog::NEW_POWERSHELL_UA;
                let reason = format!(
                    "{device} sent a PowerShell user agent for the first time ({ua:?}), to {target}"
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &ua,
                    m.score,
                    reason,
                    json!({"user_agent": ua}),
                );
            }
        }
        if ua.to_ascii_lowercase().contains("powershell") {
            if let Some(n) = self.rare(l, &device, &endpoint, now_s) {
                let m = &catalog::POWERSHELL_TO_RARE;
                let reason = format!(
                    "PowerShell ({ua:?}) on {device} sent {method} {url} to {endpoint} ({target}), {}",
                    devices_phrase(n, days)
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &endpoint,
                    m.score,
                    reason,
                    json!({"user_agent": ua, "devices": n}),
                );
            }
        }
    }

    fn tls(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
        out: &mut Vec<Alert>,
    ) {
        let tls = rec.get("tls").cloned().unwrap_or(Value::Null);
        let Some((device, server)) = Self::parties(l, h) else {
            return;
        };
        let sni = tls["sni"].as_str().unwrap_or("").to_string();
        self.name_flow(l, h, &sni);
        self.ioc(l, h, ts_ns, Kind::Ip, &server, out);
        if !sni.is_empty() {
            self.ioc(l, h, ts_ns, Kind::Domain, &sni, out);
            self.lookalike(l, h, ts_ns, &sni, out);
        }
        if let Some(j) = tls["ja3"]["hash"].as_str() {
            self.ioc(l, h, ts_ns, Kind::Ja3, j, out);
        }
        if let Some(j) = tls["ja4"].as_str() {
            self.ioc(l, h, ts_ns, Kind::Ja4, j, out);
        }
        let self_signed = rec
            .get("vigil")
            .and_then(|v| v.get("self_signed"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if self_signed {
            let now_s = ts_ns / 1_000_000_000;
            let endpoint = self.endpoint(l, h, &server, now_s);
            if let Some(n) = self.rare(l, &device, &endpoint, now_s) {
                let subject = tls["subject"].as_str().unwrap_or("?").to_string();
                let m = &catalog::RARE_SELF_SIGNED;
                let reason = format!(
                    "{endpoint} ({server}:{}) presented a self-signed certificate ({subject}) to {device}; {}",
                    h.sport,
                    devices_phrase(n, l.settings.window_s / 86400)
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &endpoint,
                    m.score,
                    reason,
                    json!({"subject": subject, "devices": n}),
                );
            }
        }
    }

    fn dns(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
        out: &mut Vec<Alert>,
    ) {
        let dns = rec.get("dns").cloned().unwrap_or(Value::Null);
        let query = dns["queries"][0]["rrname"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if !l.settings.internal.contains(&h.client, h.v6) || query.is_empty() {
            return;
        }
        if dns["type"] == "request" {
            self.ioc(l, h, ts_ns, Kind::Domain, &query, out);
            return;
        }
        if dns["rcode"] != "NXDOMAIN" {
            return;
        }
        let s = dga::score(&query, self.conf.dga_bits);
        if !s.generated {
            return;
        }
        let device = from_key(&h.client, h.v6).to_string();
        let now_s = ts_ns / 1_000_000_000;
        let window = self.conf.dga_window;
        let q = self.nx.entry(device.clone()).or_default();
        q.push_back((now_s, query.clone()));
        while q.front().is_some_and(|t| t.0 + window < now_s) {
            q.pop_front();
        }
        let count = q.len() as u32;
        if count >= self.conf.dga_nxdomains {
            let examples: Vec<String> = q.iter().rev().take(3).map(|x| x.1.clone()).collect();
            let m = &catalog::DGA_DNS;
            let reason = format!(
                "{device} got {count} NXDOMAIN answers in {} for names that look generated (e.g. {}: {:.1} bits per letter, words score above {:.1})",
                fmt_dur(window),
                examples.join(", "),
                s.bits,
                self.conf.dga_bits
            );
            let score = m.score as u32 + (count - self.conf.dga_nxdomains).min(20);
            let registrable = registrable_domain(&query);
            self.fire(out, m, h, ts_ns, &device, "NXDOMAIN", score as u8, reason, json!({"nxdomains": count, "window_s": window, "examples": examples, "last": registrable}));
        }
    }

    fn flow(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
        out: &mut Vec<Alert>,
    ) {
        let ctx = self.flows.get(&h.flow_id).cloned();
        let Some((device, server)) = Self::parties(l, h) else {
            self.flows.remove(&h.flow_id);
            return;
        };
        let f = rec.get("flow").cloned().unwrap_or(Value::Null);
        let start_ns = f["start"]
            .as_str()
            .and_then(crate::output::eve::parse_timestamp)
            .unwrap_or(ts_ns);
        let start_s = start_ns / 1_000_000_000;
        let now_s = ts_ns / 1_000_000_000;
        let endpoint = ctx
            .as_ref()
            .and_then(|c| c.name.clone())
            .or_else(|| l.hostname_of(&server, start_s).map(str::to_string))
            .unwrap_or_else(|| server.clone());
        self.flows.remove(&h.flow_id);
        self.ioc(l, h, ts_ns, Kind::Ip, &server, out);
        let days = l.settings.window_s / 86400;
        let target = format!("{server}:{}", h.sport);
        let bytes_out = f["bytes_toserver"].as_u64().unwrap_or(0);
        let bytes_in = f["bytes_toclient"].as_u64().unwrap_or(0);
        let conn_state = rec
            .get("vigil")
            .and_then(|v| v.get("conn_state"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let failed = h.proto == 6 && failed_state(conn_state);
        let app = rec.get("app_proto").and_then(Value::as_str).unwrap_or("");
        let rare = self.rare(l, &device, &endpoint, now_s);

        if failed {
            if let Some(_n) = rare {
                let window = self.conf.failed_window;
                let q = self.failed.entry(device.clone()).or_default();
                q.push_back((now_s, target.clone()));
                while q.front().is_some_and(|t| t.0 + window < now_s) {
                    q.pop_front();
                }
                let count = q.len() as u32;
                if count >= self.conf.failed_connections {
                    let mut targets: Vec<String> = q.iter().map(|x| x.1.clone()).collect();
                    targets.sort();
                    targets.dedup();
                    let m = &catalog::FAILED_CONNECTIONS;
                    let shown: Vec<&str> = targets.iter().take(3).map(String::as_str).collect();
                    let reason = format!(
                        "{device} had {count} failed connections (no answer or refused) in {} to rare endpoints ({}{})",
                        fmt_dur(window),
                        shown.join(", "),
                        if targets.len() > 3 { ", ..." } else { "" }
                    );
                    let score = m.score as u32 + (count - self.conf.failed_connections).min(20);
                    self.fire(
                        out,
                        m,
                        h,
                        ts_ns,
                        &device,
                        &targets[0],
                        score as u8,
                        reason,
                        json!({"failed": count, "window_s": window, "targets": targets}),
                    );
                }
            }
        }

        if !failed && matches!(app, "http" | "tls" | "ssh") && !usual_port(app, h.sport) {
            if let Some(n) = rare {
                let m = &catalog::PROTOCOL_ON_UNCOMMON_PORT;
                let reason = format!(
                    "{device} spoke {} on port {} (not a usual {} port) to {endpoint} ({server}), {}",
                    app.to_uppercase(),
                    h.sport,
                    app.to_uppercase(),
                    devices_phrase(n, days)
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &target,
                    m.score,
                    reason,
                    json!({"app_proto": app, "port": h.sport, "devices": n}),
                );
            }
        }

        let dev = l.state.devices.get(&device);
        if is_github(&endpoint) && bytes_in >= self.conf.github_download_bytes {
            let uses_github = dev.is_some_and(|d| {
                d.endpoints
                    .iter()
                    .any(|(e, u)| is_github(e) && u.seen.first_s + 3600 <= start_s)
            });
            if !uses_github {
                let m = &catalog::GITHUB_DOWNLOAD;
                let reason = format!(
                    "{device} downloaded {} from {endpoint}; it had not used GitHub before",
                    mb(bytes_in)
                );
                self.fire(
                    out,
                    m,
                    h,
                    ts_ns,
                    &device,
                    &endpoint,
                    m.score,
                    reason,
                    json!({"bytes": bytes_in}),
                );
            }
        }

        if bytes_out >= self.conf.exfil_min_bytes {
            let (mean, std) = dev.map_or((0.0, 0.0), |d| {
                (d.bytes_out_hourly.mean, d.bytes_out_hourly.std())
            });
            let limit = mean + self.conf.exfil_sigmas * std;
            let new_for_device = dev.is_none_or(|d| {
                d.endpoints
                    .get(&endpoint)
                    .is_none_or(|u| u.seen.first_s + 3600 > start_s)
            });
            if new_for_device && bytes_out as f64 > limit {
                let m = &catalog::EXFIL_TO_NEW_ENDPOINT;
                let sigmas = if std > 0.0 {
                    format!("{:.0} spreads above", (bytes_out as f64 - mean) / std)
                } else {
                    "far above".into()
                };
                let reason = format!(
                    "{device} sent {} to {endpoint} ({target}), a new endpoint for it; that is {sigmas} its usual {} per hour (± {})",
                    mb(bytes_out),
                    mb(mean as u64),
                    mb(std as u64)
                );
                self.fire(out, m, h, ts_ns, &device, &endpoint, m.score, reason, json!({"bytes_out": bytes_out, "bytes_in": bytes_in, "usual_per_hour": mean, "spread": std}));
            }
        }

        self.beacon(
            l, h, ts_ns, &device, &endpoint, &target, start_ns, bytes_out, rare, out,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn beacon(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        device: &str,
        endpoint: &str,
        target: &str,
        start_ns: u64,
        bytes_out: u64,
        rare: Option<usize>,
        out: &mut Vec<Alert>,
    ) {
        let key = (device.to_string(), endpoint.to_string());
        if !self.series.contains_key(&key) && self.series.len() >= self.conf.beacon_pairs {
            // Forget the pair quiet for longest.
            if let Some(old) = self
                .series
                .iter()
                .min_by_key(|(_, (s, _))| s.last_ms)
                .map(|(k, _)| k.clone())
            {
                self.series.remove(&old);
            }
        }
        let entry = self
            .series
            .entry(key)
            .or_insert_with(|| (Series::default(), *h));
        entry.0.add(start_ns / 1_000_000, bytes_out);
        entry.1 = *h;
        let n = entry.0.len();
        if n < self.conf.beacon_min_connections as usize
            || (entry.0.since_eval as usize) < (n / 8).max(1)
        {
            return;
        }
        entry.0.since_eval = 0;
        let Some(b) = entry.0.score() else { return };
        let Some(devs) = rare else { return };
        if b.score < self.conf.beacon_score
            || b.period_s < self.conf.beacon_min_period
            || b.span_s < self.conf.beacon_min_span
        {
            return;
        }
        let days = l.settings.window_s / 86400;
        let details = json!({
            "score": (b.score * 100.0).round() / 100.0,
            "period_s": (b.period_s * 10.0).round() / 10.0,
            "mad_s": (b.mad_s * 10.0).round() / 10.0,
            "connections": b.connections,
            "span_s": b.span_s.round(),
            "median_bytes": b.median_bytes,
            "devices": devs,
        });
        let dga = dga::score(endpoint, self.conf.dga_bits);
        if b.period_s <= self.conf.beacon_fast_period && !is_ip_literal(endpoint) && dga.generated {
            let m = &catalog::FAST_BEACONING_DGA;
            let reason = format!(
                "{device} connected {} times to {endpoint} ({target}) every {:.0} s (± {:.1} s), and the name looks generated ({:.1} bits per letter); beacon score {:.2}",
                b.connections, b.period_s, b.mad_s, dga.bits, b.score
            );
            self.fire(
                out,
                m,
                h,
                ts_ns,
                device,
                endpoint,
                m.score,
                reason,
                details.clone(),
            );
        }
        let m = &catalog::BEACONING;
        let reason = format!(
            "{device} connected {} times in {} to {endpoint} ({target}) every {:.0} s (± {:.1} s) with regular sizes (about {} each); beacon score {:.2}; {}",
            b.connections,
            fmt_dur(b.span_s as u64),
            b.period_s,
            b.mad_s,
            mb(b.median_bytes as u64),
            b.score,
            devices_phrase(devs, days)
        );
        let score = m.score as f64 + (b.score - self.conf.beacon_score) * 100.0;
        self.fire(
            out,
            m,
            h,
            ts_ns,
            device,
            endpoint,
            score.round().min(95.0) as u8,
            reason,
            details,
        );
    }
}

#[cfg(test)]
mod tests;
