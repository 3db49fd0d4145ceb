//! The shadow-AI models (`docs/shadow-ai.md`), run by the detector on every record it
//! sees, with the AI watch (`crate::ai`) saying what the record shows about AI use:
//!
//! - `shadow-ai/new-ai-service`: a device's first use of a catalogue service;
//! - `shadow-ai/unsanctioned-ai-service`: use of a service the policy does not sanction
//!   for the device;
//! - `shadow-ai/large-upload-to-ai-service`: bytes up to one service within a window
//!   above a threshold, or far above the device's usual upload per hour of AI use;
//! - `shadow-ai/mcp-activity`: MCP over plaintext HTTP to a server the policy does not
//!   list;
//! - `shadow-ai/local-llm-server`: an internal host answering an LLM API (Ollama,
//!   OpenAI-compatible) that the policy does not list;
//! - `shadow-ai/ai-agent-user-agent`: an AI SDK or agent User-Agent from a device not
//!   known to run it.
//!
//! As with every model, each record is judged against what was learned before it (the
//! inventory in `Learned::ai`), then [`AiModels::learn`] adds it to the inventory and to
//! the periodic EVE `ai` records.

use super::{catalog, mb, Alert, Detector};
use crate::ai::catalog::Service;
use crate::ai::observe::{ip, AgentSeen, FlowSeen, LlmSeen, McpSeen, Seen, ServiceSeen, Watch};
use crate::ai::policy::Policy;
use crate::ai::records::Periodic;
use crate::config::AiConf;
use crate::learn::report::when;
use crate::learn::Learner;
use crate::worker::records::Header;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};

/// The shadow-AI models that need no baseline: they may breach while a device is still
/// learning (policy and presence, and the fixed upload threshold).
pub const NO_BASELINE: [&str; 4] = [
    catalog::AI_UNSANCTIONED.id,
    catalog::AI_LARGE_UPLOAD.id,
    catalog::AI_MCP.id,
    catalog::AI_LOCAL_LLM.id,
];

/// Hours of AI use a device needs before its usual upload can judge it.
const MIN_UPLOAD_HOURS: u64 = 8;

/// The AI watch, the models' own memory, and what waits to be learned.
pub struct AiModels {
    pub watch: Watch,
    pub conf: AiConf,
    /// What the records observed since the last [`AiModels::learn`] showed.
    pending: Vec<Seen>,
    /// (device, service) → (packet-time s, bytes up) of its recent connections.
    uploads: HashMap<(String, String), VecDeque<(u64, u64)>>,
    /// (model, device, key) → when it last breached: one breach per service, server or
    /// agent per `models.repeat_after`, whichever hostname or flow carried it.
    last: HashMap<(&'static str, String, String), u64>,
    /// The EVE `ai` records being gathered.
    pub periodic: Periodic,
}

impl Default for AiModels {
    fn default() -> Self {
        AiModels::new(&AiConf::default()).expect("the built-in AI catalogue loads")
    }
}

impl AiModels {
    /// The models of a profile's `[ai]` section (its catalogue loaded now).
    pub fn new(c: &AiConf) -> Result<AiModels, String> {
        Ok(AiModels {
            watch: Watch::new(c.open_catalog()?, Policy::from_conf(c)),
            conf: c.clone(),
            pending: Vec::new(),
            uploads: HashMap::new(),
            last: HashMap::new(),
            periodic: Periodic::new(c.record_interval),
        })
    }

    /// Learns what the records observed since the last call showed (after the learner
    /// learned from them): the inventory in the learned state, and the periodic records.
    /// A resumed replay's records already in the loaded state are not learned twice.
    pub fn learn(&mut self, l: &mut Learner, emitted_ns: u64) {
        if l.covers(emitted_ns) {
            self.pending.clear();
            return;
        }
        for s in self.pending.drain(..) {
            l.state.ai.apply(&s);
            self.periodic.add(emitted_ns, &s);
        }
    }
}

/// A category as words ("model API").
fn category(c: &str) -> String {
    c.replace('-', " ").replace(" api", " API")
}

/// `n thing` or `n things`.
fn count(n: impl Into<u64>, thing: &str) -> String {
    let n = n.into();
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

fn about(s: &Service) -> String {
    format!("{} ({}, {})", s.name, s.provider, category(&s.category))
}

impl Detector {
    /// Whether `model` may breach again for `device` and `key` (a service, server or
    /// agent), and if so notes that it does now.
    fn ai_once(&mut self, model: &'static str, device: &str, key: &str, now_s: u64) -> bool {
        let k = (model, device.to_string(), key.to_string());
        if self
            .ai
            .last
            .get(&k)
            .is_some_and(|t| now_s < t + self.conf.repeat_after)
        {
            return false;
        }
        if self.ai.last.len() >= 100_000 {
            // Forget what may breach again anyway.
            let after = self.conf.repeat_after;
            self.ai.last.retain(|_, t| now_s < *t + after);
        }
        self.ai.last.insert(k, now_s);
        true
    }

    /// The shadow-AI models over one record.
    pub(super) fn ai_models(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
        out: &mut Vec<Alert>,
    ) {
        let seen = self.ai.watch.see(l, h, ts_ns, rec);
        for s in &seen {
            match s {
                Seen::Service(x) => self.ai_service(l, h, ts_ns, x, out),
                Seen::Flow(x) => self.ai_upload(l, h, ts_ns, x, out),
                Seen::Mcp(x) => self.ai_mcp(l, h, ts_ns, x, out),
                Seen::Llm(x) => self.ai_llm(l, h, ts_ns, x, out),
                Seen::Agent(x) => self.ai_agent(l, h, ts_ns, x, out),
            }
        }
        self.ai.pending.extend(seen);
    }

    /// new-ai-service and unsanctioned-ai-service, as a connection to a service starts.
    fn ai_service(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        x: &ServiceSeen,
        out: &mut Vec<Alert>,
    ) {
        let now_s = ts_ns / 1_000_000_000;
        let inv = &l.state.ai;
        let (dev, svc) = (&x.device, &x.service);
        let permit = self.ai.watch.policy.permits(svc, ip(dev));
        let policy = permit
            .clone()
            .unwrap_or_else(|| "not sanctioned".to_string());
        if !inv.uses(dev, &svc.id) && self.ai_once(catalog::AI_NEW_SERVICE.id, dev, &svc.id, now_s)
        {
            let others = inv.other_users(dev, &svc.id);
            let m = &catalog::AI_NEW_SERVICE;
            let network = match others {
                0 => "no other device has used it".to_string(),
                1 => "1 other device uses it".to_string(),
                n => format!("{n} other devices use it"),
            };
            let reason = format!(
                "{dev} used {} for the first time, at {}; {network}; {policy}",
                about(svc),
                x.host
            );
            let score = m.score + if others == 0 { 10 } else { 0 };
            self.fire(
                out,
                m,
                h,
                ts_ns,
                dev,
                &x.host,
                score,
                reason,
                json!({"service": svc.id, "provider": svc.provider, "category": svc.category, "host": x.host, "other_devices": others, "policy": policy}),
            );
        }
        if permit.is_none() && self.ai_once(catalog::AI_UNSANCTIONED.id, dev, &svc.id, now_s) {
            let m = &catalog::AI_UNSANCTIONED;
            let so_far = match inv.devices.get(dev).and_then(|d| d.services.get(&svc.id)) {
                Some(u) => format!(
                    "it has used it since {} ({}, {} up)",
                    when(u.first_s),
                    count(u.connections, "connection"),
                    mb(u.bytes_up)
                ),
                None => "its first use".to_string(),
            };
            let sanctioned = if self.ai.conf.sanctioned.is_empty() {
                "the AI policy sanctions no service".to_string()
            } else {
                format!(
                    "the AI policy sanctions {}",
                    self.ai.conf.sanctioned.join(", ")
                )
            };
            let reason = format!(
                "{dev} used {} at {}, which the AI policy does not sanction for it ({sanctioned}); {so_far}",
                about(svc),
                x.host
            );
            self.fire(
                out,
                m,
                h,
                ts_ns,
                dev,
                &x.host,
                m.score,
                reason,
                json!({"service": svc.id, "provider": svc.provider, "category": svc.category, "host": x.host, "sanctioned": self.ai.conf.sanctioned}),
            );
        }
    }

    /// large-upload-to-ai-service, as a connection to a service ends.
    fn ai_upload(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        x: &FlowSeen,
        out: &mut Vec<Alert>,
    ) {
        let now_s = ts_ns / 1_000_000_000;
        let (dev, svc) = (&x.seen.device, &x.seen.service);
        let window = self.ai.conf.upload_window;
        let q = self
            .ai
            .uploads
            .entry((dev.clone(), svc.id.clone()))
            .or_default();
        q.push_back((x.end_s, x.up));
        while q.front().is_some_and(|(t, _)| t + window < x.end_s) {
            q.pop_front();
        }
        if q.len() > 4096 {
            q.pop_front();
        }
        let (sum, conns) = (q.iter().map(|(_, b)| b).sum::<u64>(), q.len() as u64);
        let largest = q.iter().map(|(_, b)| *b).max().unwrap_or(0);
        if self.ai.uploads.len() > 100_000 {
            // Forget pairs quiet for longer than the window.
            self.ai
                .uploads
                .retain(|_, q| q.back().is_some_and(|(t, _)| t + window >= x.end_s));
        }
        let c = self.ai.conf.clone();
        let (mean, std, hours) = l
            .state
            .ai
            .devices
            .get(dev)
            .map_or((0.0, 0.0, 0), |d| d.usual_upload());
        let usual_limit = mean + c.upload_sigmas * std.max(mean * 0.1);
        let over_threshold = sum >= c.upload_bytes;
        let over_usual = sum >= c.upload_min_bytes
            && hours >= MIN_UPLOAD_HOURS
            && sum as f64 > usual_limit
            && !self.device_learning;
        if !(over_threshold || over_usual) {
            return;
        }
        if !self.ai_once(catalog::AI_LARGE_UPLOAD.id, dev, &svc.id, now_s) {
            return;
        }
        let permitted = self.ai.watch.policy.permits(svc, ip(dev));
        let why = if over_threshold {
            format!("at or above the {} threshold", mb(c.upload_bytes))
        } else {
            format!(
                "{:.0} spreads above its usual",
                (sum as f64 - mean) / std.max(mean * 0.1).max(1.0)
            )
        };
        let usual = if hours >= MIN_UPLOAD_HOURS {
            format!(
                "its usual upload to AI services is {} per hour of use (± {}, over {})",
                mb(mean as u64),
                mb(std as u64),
                count(hours, "hour")
            )
        } else {
            format!(
                "it has too little history for a usual upload to AI services ({} of use)",
                count(hours, "hour")
            )
        };
        let policy = permitted.clone().unwrap_or_else(|| "not sanctioned".into());
        let parts = if conns == 1 {
            "in 1 connection".to_string()
        } else {
            format!("in {conns} connections (the largest {})", mb(largest))
        };
        let reason = format!(
            "{dev} sent {} to {} at {} {parts} within {}, {why}; {usual}; {} is {policy}",
            mb(sum),
            about(svc),
            x.seen.host,
            super::fmt_dur(window),
            svc.name
        );
        let m = &catalog::AI_LARGE_UPLOAD;
        let score = m.score + if permitted.is_none() { 10 } else { 0 };
        self.fire(
            out,
            m,
            h,
            ts_ns,
            dev,
            &x.seen.host,
            score,
            reason,
            json!({"service": svc.id, "provider": svc.provider, "bytes_up": sum, "connections": conns, "largest_connection_up": largest, "window_s": window, "last_connection_up": x.up, "usual_per_hour": mean, "spread": std, "hours": hours, "threshold": c.upload_bytes, "policy": policy}),
        );
    }

    /// mcp-activity: MCP between a client and a server the policy does not list.
    fn ai_mcp(&mut self, l: &Learner, h: &Header, ts_ns: u64, x: &McpSeen, out: &mut Vec<Alert>) {
        let now_s = ts_ns / 1_000_000_000;
        let server_ip = x.server.rsplit_once(':').map_or("", |(a, _)| a);
        if self
            .ai
            .watch
            .policy
            .mcp_expected(ip(&x.client), ip(server_ip))
        {
            return;
        }
        let internal = &l.settings.internal;
        let device = if internal.contains_ip(ip(&x.client)) {
            x.client.clone()
        } else {
            server_ip.to_string()
        };
        if !self.ai_once(catalog::AI_MCP.id, &device, &x.server, now_s) {
            return;
        }
        let name = l
            .hostname_of(server_ip, now_s)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let method = x.method.clone().unwrap_or_else(|| "a request".into());
        let target = match (&x.name, method.as_str()) {
            (Some(n), "tools/call") => format!(" of tool {n:?}"),
            (Some(n), _) => format!(" of {n:?}"),
            _ => String::new(),
        };
        let mut how = vec!["JSON-RPC over plaintext HTTP".to_string()];
        if let Some(v) = &x.protocol_version {
            how.push(format!("protocol {v}"));
        }
        if let Some(ua) = &x.user_agent {
            how.push(format!("user agent {ua}"));
        }
        let known = l.state.ai.mcp_servers.get(&x.server);
        let history = match known {
            Some(s) => format!(
                "the server has had {} from {} since {}, {} called",
                count(s.seen.count, "request"),
                count(s.clients.len() as u64, "client"),
                when(s.seen.first_s),
                count(s.tools.len() as u64, "tool")
            ),
            None => "a server not seen speaking MCP before".to_string(),
        };
        let reason = format!(
            "{} spoke MCP to {}{name}: {method}{target} on {} ({}); no MCP server or network in the AI policy covers it; {history}",
            x.client,
            x.server,
            if x.path.is_empty() { "/" } else { &x.path },
            how.join(", ")
        );
        let m = &catalog::AI_MCP;
        let score = m.score + if method == "tools/call" { 15 } else { 0 };
        self.fire(
            out,
            m,
            h,
            ts_ns,
            &device,
            &x.server,
            score,
            reason,
            json!({"client": x.client, "server": x.server, "path": x.path, "method": x.method, "name": x.name, "session": x.session, "protocol_version": x.protocol_version}),
        );
    }

    /// local-llm-server: an internal host answering an LLM API the policy does not list.
    fn ai_llm(&mut self, l: &Learner, h: &Header, ts_ns: u64, x: &LlmSeen, out: &mut Vec<Alert>) {
        let now_s = ts_ns / 1_000_000_000;
        if self.ai.watch.policy.llm_expected(ip(&x.server_ip)) {
            return;
        }
        if !self.ai_once(catalog::AI_LOCAL_LLM.id, &x.server_ip, &x.server, now_s) {
            return;
        }
        let api = match x.api {
            "ollama" => "an Ollama API",
            _ => "an OpenAI-compatible API",
        };
        let model = x
            .model
            .as_ref()
            .map(|m| format!(" (model {m})"))
            .unwrap_or_default();
        let clients = l
            .state
            .ai
            .llm_servers
            .get(&x.server)
            .map_or(0, |s| s.clients.len());
        let reason = format!(
            "{} serves {api} on port {}: {} sent {} {}{model}, answered {}; {} before; an internal LLM server the AI policy does not list",
            x.server_ip,
            h.sport,
            x.client,
            x.method,
            x.path,
            x.status,
            count(clients as u64, "client")
        );
        let m = &catalog::AI_LOCAL_LLM;
        self.fire(
            out,
            m,
            h,
            ts_ns,
            &x.server_ip,
            &x.server,
            m.score,
            reason,
            json!({"api": x.api, "server": x.server, "client": x.client, "path": x.path, "model": x.model}),
        );
    }

    /// ai-agent-user-agent: an AI SDK or agent from a device not known to run it.
    fn ai_agent(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        x: &AgentSeen,
        out: &mut Vec<Alert>,
    ) {
        let now_s = ts_ns / 1_000_000_000;
        let dev = &x.device;
        if self.ai.watch.policy.agents_expected(ip(dev)) {
            return;
        }
        let known_agent = l
            .state
            .ai
            .devices
            .get(dev)
            .is_some_and(|d| d.agents.contains_key(&x.agent.id));
        let device = l.state.devices.get(dev);
        // A user agent of the same SDK learned before this catalogue knew it counts too.
        let known_ua = device.is_some_and(|d| {
            d.user_agents.keys().any(|u| {
                self.ai
                    .watch
                    .catalog
                    .catalog
                    .agent(u)
                    .is_some_and(|a| a.id == x.agent.id)
            })
        });
        if known_agent || known_ua {
            return;
        }
        if !self.ai_once(catalog::AI_AGENT_UA.id, dev, &x.agent.id, now_s) {
            return;
        }
        let uas = device.map_or(0, |d| d.user_agents.len());
        let others: Vec<&str> = l
            .state
            .ai
            .devices
            .get(dev)
            .map(|d| d.agents.values().map(|a| a.name.as_str()).collect())
            .unwrap_or_default();
        let before = if others.is_empty() {
            "no AI SDK or agent seen from it before".to_string()
        } else {
            format!("before only {}", others.join(", "))
        };
        let reason = format!(
            "{dev} sent the user agent {:?} ({} by {}) to {}; it had sent {} before, {before}",
            x.user_agent,
            x.agent.name,
            x.agent.provider,
            x.endpoint,
            count(uas as u64, "other user agent")
        );
        let m = &catalog::AI_AGENT_UA;
        self.fire(
            out,
            m,
            h,
            ts_ns,
            dev,
            &x.endpoint,
            m.score,
            reason,
            json!({"agent": x.agent.id, "provider": x.agent.provider, "user_agent": x.user_agent, "endpoint": x.endpoint}),
        );
    }
}

#[cfg(test)]
mod tests;
