//! Response: incidents, and the actions Vigil takes on its own.
//!
//! Every breach joins an incident (`incident`). Triggers from the profile decide whether
//! it calls for an action: block a connection, block an endpoint, hold a device to its
//! pattern of life, or quarantine it, each with an expiry. The mode says what happens to
//! a decision: `observe` records it (pending, never enforced unless approved by hand),
//! `confirm` waits for a person's approval, `autonomous` enforces it at once.
//! Maintenance windows and exemptions suppress an action while its breach still shows.
//! Every decision and change of state is an EVE `response` record with its reason; the
//! active actions become the block table workers enforce (`blocks`); actions and
//! incidents are saved with the learned state, so they survive a restart.

pub mod blocks;
pub mod incident;
pub mod reset;

use crate::config::{parse_rfc3339, ExemptConf, ResponseConf, TriggerConf};
use crate::detect::Alert;
use crate::learn::names::is_ip_literal;
use crate::learn::net::{from_key, to_key, Cidr};
use crate::learn::Learner;
use crate::output::eve::timestamp;
use crate::worker::records::Header;
use blocks::BlockSet;
use incident::Incidents;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// One action and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: u64,
    /// `block-connection`, `block-endpoint`, `enforce-pattern-of-life`, `quarantine`.
    pub action: String,
    /// `pending`, `active`, `suppressed`, `released`, `expired`.
    pub state: String,
    /// The mode it was decided in.
    pub mode: String,
    pub device: String,
    /// The external address (connection and endpoint blocks).
    pub endpoint: Option<String>,
    pub dest_port: Option<u16>,
    /// Packet time it takes (took) effect, and when it ends.
    pub start_ns: u64,
    pub expires_ns: u64,
    pub reason: String,
    pub incident_id: u64,
    /// The flow of the breach that caused it (for the EVE envelope).
    #[serde(default)]
    pub flow: Option<FlowRef>,
}

/// The flow an action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRef {
    pub flow_id: u64,
    pub client: [u8; 16],
    pub server: [u8; 16],
    pub cport: u16,
    pub sport: u16,
    pub proto: u8,
    pub v6: bool,
}

impl FlowRef {
    fn of(h: &Header) -> FlowRef {
        FlowRef {
            flow_id: h.flow_id,
            client: h.client,
            server: h.server,
            cport: h.cport,
            sport: h.sport,
            proto: h.proto,
            v6: h.v6,
        }
    }

    /// A record header with this flow's identity.
    pub fn header(&self) -> Header {
        Header {
            flow_id: self.flow_id,
            v6: self.v6,
            client: self.client,
            server: self.server,
            cport: self.cport,
            sport: self.sport,
            proto: self.proto,
            ..Default::default()
        }
    }
}

impl Action {
    /// Whether the action may still change (not released or expired).
    pub fn live(&self) -> bool {
        matches!(self.state.as_str(), "pending" | "active" | "suppressed")
    }

    /// The EVE `response` record's own fields.
    pub fn eve(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(timestamp(self.start_ns)));
        m.insert("event_type".into(), json!("response"));
        m.insert(
            "response".into(),
            json!({
                "id": self.id,
                "action": self.action,
                "state": self.state,
                "mode": self.mode,
                "device": self.device,
                "endpoint": self.endpoint,
                "dest_port": self.dest_port,
                "start": timestamp(self.start_ns),
                "expires": timestamp(self.expires_ns),
                "reason": self.reason,
                "incident_id": self.incident_id,
            }),
        );
        m
    }
}

/// What is saved: actions and incidents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseState {
    pub next_id: u64,
    pub actions: BTreeMap<u64, Action>,
    pub incidents: Incidents,
}

/// The file the response state is saved in, next to the learned state.
pub const STATE_FILE: &str = "response.state";

/// An EVE record to write: the envelope's flow (if any) and the body.
pub type Out = (Option<Header>, Map<String, Value>);

/// A parsed exemption.
struct Exempt {
    device: Option<Cidr>,
    endpoint_net: Option<Cidr>,
    endpoint_name: Option<String>,
    from_ns: u64,
    until_ns: u64,
    reason: String,
}

impl Exempt {
    fn of(e: &ExemptConf) -> Exempt {
        let endpoint_net = e.endpoint.as_deref().and_then(|s| Cidr::parse(s).ok());
        Exempt {
            device: e.device.as_deref().and_then(|d| Cidr::parse(d).ok()),
            endpoint_name: match (&e.endpoint, endpoint_net) {
                (Some(n), None) => Some(n.trim_end_matches('.').to_ascii_lowercase()),
                _ => None,
            },
            endpoint_net,
            from_ns: e.from.as_deref().and_then(parse_rfc3339).unwrap_or(0),
            until_ns: e
                .until
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(u64::MAX),
            reason: if e.reason.is_empty() {
                "exemption".into()
            } else {
                e.reason.clone()
            },
        }
    }

    fn matches(&self, device: &str, server: Option<&str>, endpoint: &str, ts_ns: u64) -> bool {
        if ts_ns < self.from_ns || ts_ns > self.until_ns {
            return false;
        }
        if let Some(c) = &self.device {
            let ok = device
                .parse()
                .ok()
                .map(to_key)
                .is_some_and(|(a, v6)| c.contains(&a, v6));
            if !ok {
                return false;
            }
        }
        if let Some(c) = &self.endpoint_net {
            let ok = server
                .and_then(|s| s.parse().ok())
                .map(to_key)
                .is_some_and(|(a, v6)| c.contains(&a, v6));
            if !ok {
                return false;
            }
        }
        if let Some(n) = &self.endpoint_name {
            let e = endpoint
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !(e == *n || e.ends_with(&format!(".{n}"))) {
                return false;
            }
        }
        true
    }
}

/// The responder.
pub struct Responder {
    conf: ResponseConf,
    exempt: Vec<Exempt>,
    pub state: ResponseState,
    /// Each device's recent breach times (for "breaches over time").
    recent: HashMap<String, VecDeque<u64>>,
    blocks_changed: bool,
    /// Actions made active but not yet published to the workers: their record is
    /// written, with the true start, when the block table goes out.
    fresh: Vec<u64>,
}

fn trigger_matches(t: &TriggerConf, a: &Alert, breaches: usize, incident_score: u8) -> bool {
    if let Some(m) = &t.model {
        let ok = match m.strip_suffix("/*") {
            Some(f) => a.model.id.starts_with(&format!("{f}/")),
            None => a.model.id == m,
        };
        if !ok {
            return false;
        }
    }
    if t.min_score.is_some_and(|s| a.score < s) {
        return false;
    }
    if t.breaches.is_some_and(|n| breaches < n as usize) {
        return false;
    }
    if t.incident_score.is_some_and(|s| incident_score < s) {
        return false;
    }
    true
}

impl Responder {
    /// A responder with the profile's settings, starting from `state`.
    pub fn new(conf: &ResponseConf, state: ResponseState) -> Responder {
        Responder {
            exempt: conf.exempt.iter().map(Exempt::of).collect(),
            conf: conf.clone(),
            state,
            recent: HashMap::new(),
            blocks_changed: true,
            fresh: Vec::new(),
        }
    }

    /// A breach: files it in an incident, decides whether it calls for an action.
    /// Returns the incident id and the records to write (incident updates, decisions).
    pub fn on_alert(&mut self, a: &Alert, l: &Learner) -> (u64, Vec<Out>) {
        let mut out = Vec::new();
        let (inc, linked) = self.state.incidents.add(a, l, self.conf.incident_window);
        for id in std::iter::once(inc).chain(linked) {
            if let Some(i) = self.state.incidents.get(id) {
                out.push((None, i.eve(l)));
            }
        }
        let within_default = self.conf.incident_window * 1_000_000_000;
        let q = self.recent.entry(a.device.clone()).or_default();
        q.push_back(a.ts_ns);
        let longest = self
            .conf
            .trigger
            .iter()
            .filter_map(|t| t.within)
            .max()
            .map_or(within_default, |w| w * 1_000_000_000);
        while q.front().is_some_and(|t| *t + longest < a.ts_ns) {
            q.pop_front();
        }
        let incident_score = self.state.incidents.get(inc).map_or(0, |i| i.score());
        let trigger = self.conf.trigger.iter().find(|t| {
            let n = match t.within {
                Some(w) => q
                    .iter()
                    .filter(|x| **x + w * 1_000_000_000 >= a.ts_ns)
                    .count(),
                None => q.len(),
            };
            trigger_matches(t, a, n, incident_score)
        });
        if let Some(t) = trigger.cloned() {
            if let Some(rec) = self.decide(&t, a, inc, incident_score, l) {
                out.push(rec);
            }
        }
        (inc, out)
    }

    fn decide(
        &mut self,
        t: &TriggerConf,
        a: &Alert,
        incident_id: u64,
        incident_score: u8,
        l: &Learner,
    ) -> Option<Out> {
        let h = &a.header;
        let external = !l.settings.internal.contains(&h.server, h.v6);
        let server = external.then(|| from_key(&h.server, h.v6).to_string());
        let (endpoint, port) = match t.action.as_str() {
            "block-connection" => (Some(server.clone()?), Some(h.sport)),
            "block-endpoint" => (Some(server.clone()?), None),
            _ => (None, None),
        };
        // One live action of a kind per target.
        if self.state.actions.values().any(|x| {
            x.live()
                && x.action == t.action
                && x.device == a.device
                && x.endpoint == endpoint
                && x.dest_port == port
        }) {
            return None;
        }
        // An active action's start becomes the moment the workers get it (`published`).
        let start_ns = a.ts_ns;
        let duration = t.duration.unwrap_or(self.conf.default_duration);
        let why_trigger = match (&t.model, t.min_score, t.breaches, t.incident_score) {
            (_, _, Some(n), _) => format!("{} breaches within {} s", n, t.within.unwrap_or(0)),
            (_, _, _, Some(s)) => format!("incident {incident_id} scored {incident_score} (≥ {s})"),
            (Some(m), Some(s), _, _) => format!("{m} scored {} (≥ {s})", a.score),
            (Some(m), None, _, _) => format!("a {m} breach"),
            (None, Some(s), _, _) => format!("a breach scored {} (≥ {s})", a.score),
            _ => "a breach".into(),
        };
        let target = match (&endpoint, port) {
            (Some(e), Some(p)) => format!("{} → {e}:{p}", a.device),
            (Some(e), None) => format!("{e} for every device"),
            _ => a.device.clone(),
        };
        let mut reason = format!(
            "{} {target} for {} s: {why_trigger} — {}",
            t.action, duration, a.reason
        );
        let exempt = self
            .exempt
            .iter()
            .find(|e| e.matches(&a.device, server.as_deref(), &a.endpoint, a.ts_ns));
        let state = if let Some(e) = exempt {
            reason = format!("suppressed by {}: {reason}", e.reason);
            "suppressed"
        } else {
            match self.conf.mode.as_str() {
                "autonomous" => "active",
                _ => "pending",
            }
        };
        self.state.next_id += 1;
        let action = Action {
            id: self.state.next_id,
            action: t.action.clone(),
            state: state.into(),
            mode: self.conf.mode.clone(),
            device: a.device.clone(),
            endpoint,
            dest_port: port,
            start_ns,
            expires_ns: start_ns + duration * 1_000_000_000,
            reason,
            incident_id,
            flow: Some(FlowRef::of(h)),
        };
        let id = action.id;
        let rec = (Some(*h), action.eve());
        self.state.actions.insert(id, action);
        if state == "active" {
            // Recorded when the workers get it (see `published`).
            self.blocks_changed = true;
            self.fresh.push(id);
            return None;
        }
        Some(rec)
    }

    /// The block table went out to the workers at packet time `at_ns`: the actions made
    /// active since take effect now; their `response` records say so.
    pub fn published(&mut self, at_ns: u64) -> Vec<Out> {
        let mut out = Vec::new();
        for id in std::mem::take(&mut self.fresh) {
            if let Some(a) = self.state.actions.get_mut(&id) {
                if a.state != "active" {
                    continue;
                }
                let duration = a.expires_ns.saturating_sub(a.start_ns);
                a.start_ns = at_ns;
                a.expires_ns = a.start_ns + duration;
                out.push((a.flow.map(|f| f.header()), a.eve()));
            }
        }
        out
    }

    /// Expires actions whose time has come (packet time `now_ns`).
    pub fn tick(&mut self, now_ns: u64) -> Vec<Out> {
        let mut out = Vec::new();
        for a in self.state.actions.values_mut() {
            if a.live() && a.expires_ns <= now_ns {
                if a.state == "active" {
                    self.blocks_changed = true;
                }
                a.state = "expired".into();
                out.push((a.flow.map(|f| f.header()), a.eve()));
            }
        }
        out
    }

    /// A person approved action `id` (pending → active) at packet time `now_ns`.
    pub fn approve(&mut self, id: u64, now_ns: u64, who: &str) -> Result<Out, String> {
        let start = now_ns;
        let a = self
            .state
            .actions
            .get_mut(&id)
            .ok_or_else(|| format!("no action {id}"))?;
        if a.state != "pending" {
            return Err(format!("action {id} is {}, not pending", a.state));
        }
        let duration = a.expires_ns.saturating_sub(a.start_ns);
        a.state = "active".into();
        a.start_ns = start;
        a.expires_ns = start + duration;
        a.reason = format!("approved by {who}: {}", a.reason);
        self.blocks_changed = true;
        self.fresh.push(id);
        Ok((a.flow.map(|f| f.header()), a.eve()))
    }

    /// A person released action `id` (any live state → released).
    pub fn release(&mut self, id: u64, now_ns: u64, who: &str) -> Result<Out, String> {
        let a = self
            .state
            .actions
            .get_mut(&id)
            .ok_or_else(|| format!("no action {id}"))?;
        if !a.live() {
            return Err(format!("action {id} is already {}", a.state));
        }
        if a.state == "active" {
            self.blocks_changed = true;
        }
        a.state = "released".into();
        a.expires_ns = a.expires_ns.min(now_ns.max(a.start_ns));
        a.reason = format!("released by {who}: {}", a.reason);
        Ok((a.flow.map(|f| f.header()), a.eve()))
    }

    /// Whether the active set changed since the last call (clears the flag).
    pub fn take_blocks_changed(&mut self) -> bool {
        std::mem::take(&mut self.blocks_changed)
    }

    /// The block table of the active actions.
    pub fn block_set(&self) -> BlockSet {
        let mut b = BlockSet::default();
        for a in self.state.actions.values().filter(|a| a.state == "active") {
            let Ok(dev) = a.device.parse() else { continue };
            let (d, v6) = to_key(dev);
            let server = a
                .endpoint
                .as_deref()
                .filter(|e| is_ip_literal(e))
                .and_then(|e| e.parse().ok())
                .map(to_key);
            match (a.action.as_str(), server) {
                ("block-connection", Some((s, _))) => {
                    b.block_connection(&d, &s, v6, a.dest_port.unwrap_or(0))
                }
                ("block-endpoint", Some((s, sv6))) => b.block_endpoint(&s, sv6),
                ("enforce-pattern-of-life", _) => b.enforce(&d, v6),
                ("quarantine", _) => b.quarantine(&d, v6),
                _ => {}
            }
        }
        b
    }

    /// The actions, newest first (for `vigil actions list`).
    pub fn list(&self) -> Vec<&Action> {
        self.state.actions.values().rev().collect()
    }
}

#[cfg(test)]
mod tests;
