//! Periodic EVE `ai` records: every `ai.record_interval` seconds of packet time (hourly
//! by default), one record per device and AI service, per MCP client and server, per
//! LLM server and client, and per device and AI agent active in that interval, with the
//! interval's figures and the inventory's totals. What happened is counted in the
//! interval of the packet time its record was produced at, and an interval is written
//! once the control plane has everything before its end (a replay's epoch boundary), so
//! a replay writes the same records whatever the number of workers. The last, partial
//! interval is written when the run ends.
//!
//! The record's own fields live under `vigil.ai` (its envelope: `timestamp`,
//! `event_type`, `src_ip`, and `dest_ip`/`dest_port` for servers), so it validates
//! against Suricata's EVE schema like every other record once `vigil` is set aside.

use super::catalog::{Agent, Service};
use super::inventory::Inventory;
use super::observe::ip;
use super::observe::Seen;
use super::policy::Policy;
use crate::control::records::Records;
use crate::output::eve::{self, EveWriter};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
struct ServiceAcc {
    service: Service,
    started: u64,
    connections: u64,
    up: u64,
    down: u64,
    hosts: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
struct McpAcc {
    requests: u64,
    methods: BTreeMap<String, u64>,
    tools: BTreeMap<String, u64>,
    paths: BTreeSet<String>,
    versions: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
struct LlmAcc {
    requests: u64,
    apis: BTreeSet<&'static str>,
    models: BTreeMap<String, u64>,
    paths: BTreeMap<String, u64>,
}

#[derive(Debug, Clone)]
struct AgentAcc {
    agent: Agent,
    requests: u64,
    user_agents: BTreeSet<String>,
    endpoints: BTreeSet<String>,
}

/// What one interval saw.
#[derive(Debug, Clone, Default)]
struct Bucket {
    services: BTreeMap<(String, String), ServiceAcc>,
    mcp: BTreeMap<(String, String), McpAcc>,
    llm: BTreeMap<(String, String), LlmAcc>,
    agents: BTreeMap<(String, String), AgentAcc>,
}

/// Intervals being gathered.
#[derive(Debug, Clone, Default)]
pub struct Periodic {
    /// Nanoseconds of packet time per interval (0: one interval, written at the end).
    interval_ns: u64,
    buckets: BTreeMap<u64, Bucket>,
    /// Earliest packet time counted in this run (an interval starts at its boundary, or
    /// there for the run's first).
    first_ns: u64,
    /// Records written.
    pub written: u64,
}

fn split(server: &str) -> (String, Option<u16>) {
    match server.rsplit_once(':') {
        Some((a, p)) => (a.to_string(), p.parse().ok()),
        None => (server.to_string(), None),
    }
}

fn record(ts_ns: u64, src: &str, dest: Option<&str>, ai: Value) -> Value {
    let mut m = Map::new();
    m.insert("timestamp".into(), json!(eve::timestamp(ts_ns)));
    m.insert("event_type".into(), json!("ai"));
    m.insert("src_ip".into(), json!(src));
    if let Some(d) = dest {
        let (a, p) = split(d);
        m.insert("dest_ip".into(), json!(a));
        if let Some(p) = p {
            m.insert("dest_port".into(), json!(p));
        }
    }
    m.insert("vigil".into(), json!({ "ai": ai }));
    Value::Object(m)
}

impl Periodic {
    /// Intervals of `interval_s` seconds (0: one, written at the end).
    pub fn new(interval_s: u64) -> Periodic {
        Periodic {
            interval_ns: interval_s * 1_000_000_000,
            ..Default::default()
        }
    }

    fn index(&self, ts_ns: u64) -> u64 {
        ts_ns.checked_div(self.interval_ns).unwrap_or(0)
    }

    /// Counts what a record produced at `ts_ns` showed.
    pub fn add(&mut self, ts_ns: u64, s: &Seen) {
        if ts_ns == 0 {
            return;
        }
        if self.first_ns == 0 || ts_ns < self.first_ns {
            self.first_ns = ts_ns;
        }
        let b = self.buckets.entry(self.index(ts_ns)).or_default();
        match s {
            Seen::Service(x) => {
                let a = b
                    .services
                    .entry((x.device.clone(), x.service.id.clone()))
                    .or_insert_with(|| ServiceAcc {
                        service: x.service.clone(),
                        started: 0,
                        connections: 0,
                        up: 0,
                        down: 0,
                        hosts: BTreeSet::new(),
                    });
                a.started += 1;
                a.hosts.insert(x.host.clone());
            }
            Seen::Flow(f) => {
                let x = &f.seen;
                let a = b
                    .services
                    .entry((x.device.clone(), x.service.id.clone()))
                    .or_insert_with(|| ServiceAcc {
                        service: x.service.clone(),
                        started: 0,
                        connections: 0,
                        up: 0,
                        down: 0,
                        hosts: BTreeSet::new(),
                    });
                a.connections += 1;
                a.up += f.up;
                a.down += f.down;
                if a.hosts.len() < 32 {
                    a.hosts.insert(x.host.clone());
                }
            }
            Seen::Mcp(m) => {
                let a = b
                    .mcp
                    .entry((m.client.clone(), m.server.clone()))
                    .or_default();
                a.requests += 1;
                if let Some(meth) = &m.method {
                    *a.methods.entry(meth.clone()).or_insert(0) += 1;
                    if let (Some(n), "tools/call") = (&m.name, meth.as_str()) {
                        *a.tools.entry(n.clone()).or_insert(0) += 1;
                    }
                }
                a.paths.insert(m.path.clone());
                if let Some(v) = &m.protocol_version {
                    a.versions.insert(v.clone());
                }
            }
            Seen::Llm(l) => {
                let a = b
                    .llm
                    .entry((l.server.clone(), l.client.clone()))
                    .or_default();
                a.requests += 1;
                a.apis.insert(l.api);
                if let Some(m) = &l.model {
                    *a.models.entry(m.clone()).or_insert(0) += 1;
                }
                *a.paths.entry(l.path.clone()).or_insert(0) += 1;
            }
            Seen::Agent(g) => {
                let a = b
                    .agents
                    .entry((g.device.clone(), g.agent.id.clone()))
                    .or_insert_with(|| AgentAcc {
                        agent: g.agent.clone(),
                        requests: 0,
                        user_agents: BTreeSet::new(),
                        endpoints: BTreeSet::new(),
                    });
                a.requests += 1;
                if a.user_agents.len() < 16 {
                    a.user_agents.insert(g.user_agent.clone());
                }
                if a.endpoints.len() < 16 {
                    a.endpoints.insert(g.endpoint.clone());
                }
            }
        }
    }

    /// The records of every interval that ended by `upto_ns`.
    pub fn due(&mut self, upto_ns: u64, inv: &Inventory, policy: &Policy) -> Vec<Value> {
        if self.interval_ns == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        while let Some((&idx, _)) = self.buckets.first_key_value() {
            let end = (idx + 1) * self.interval_ns;
            if end > upto_ns {
                break;
            }
            let Some(b) = self.buckets.remove(&idx) else {
                break;
            };
            let start = (idx * self.interval_ns).max(self.first_ns);
            out.extend(Self::records(&b, start, end, inv, policy));
        }
        self.written += out.len() as u64;
        out
    }

    /// The records of every interval still open, the last ending at `last_ns` (the end
    /// of a run).
    pub fn rest(&mut self, last_ns: u64, inv: &Inventory, policy: &Policy) -> Vec<Value> {
        let mut out = Vec::new();
        let buckets = std::mem::take(&mut self.buckets);
        for (idx, b) in buckets {
            let (start, end) = if self.interval_ns == 0 {
                (self.first_ns, last_ns.max(self.first_ns))
            } else {
                let s = (idx * self.interval_ns).max(self.first_ns);
                (s, ((idx + 1) * self.interval_ns).min(last_ns.max(s)))
            };
            out.extend(Self::records(&b, start, end, inv, policy));
        }
        self.written += out.len() as u64;
        out
    }

    fn records(b: &Bucket, start: u64, end: u64, inv: &Inventory, policy: &Policy) -> Vec<Value> {
        let interval = json!({"start": eve::timestamp(start), "end": eve::timestamp(end)});
        let mut out = Vec::new();
        for ((dev, id), a) in &b.services {
            let s = &a.service;
            let permit = policy.permits(s, ip(dev));
            let total = inv.devices.get(dev).and_then(|d| d.services.get(id));
            out.push(record(
                end,
                dev,
                None,
                json!({
                    "kind": "service",
                    "service": s.id,
                    "name": s.name,
                    "provider": s.provider,
                    "category": s.category,
                    "sanctioned": permit.is_some(),
                    "policy": permit.unwrap_or_else(|| "not sanctioned".into()),
                    "interval": interval,
                    "connections_started": a.started,
                    "connections": a.connections,
                    "bytes_toserver": a.up,
                    "bytes_toclient": a.down,
                    "hostnames": a.hosts,
                    "first_seen": total.map(|u| eve::timestamp(u.first_s * 1_000_000_000)),
                    "total": total.map(|u| json!({
                        "connections": u.connections,
                        "bytes_toserver": u.bytes_up,
                        "bytes_toclient": u.bytes_down,
                    })),
                }),
            ));
        }
        for ((client, server), a) in &b.mcp {
            let total = inv.mcp_servers.get(server);
            out.push(record(
                end,
                client,
                Some(server),
                json!({
                    "kind": "mcp",
                    "server": server,
                    "interval": interval,
                    "requests": a.requests,
                    "methods": a.methods,
                    "tools_called": a.tools,
                    "paths": a.paths,
                    "protocol_versions": a.versions,
                    "server_tools": total.map(|s| s.tools.keys().collect::<Vec<_>>()),
                    "server_clients": total.map(|s| s.clients.len()),
                }),
            ));
        }
        for ((server, client), a) in &b.llm {
            let total = inv.llm_servers.get(server);
            out.push(record(
                end,
                client,
                Some(server),
                json!({
                    "kind": "llm-server",
                    "server": server,
                    "interval": interval,
                    "requests": a.requests,
                    "apis": a.apis,
                    "models": a.models,
                    "paths": a.paths,
                    "server_models": total.map(|s| s.models.keys().collect::<Vec<_>>()),
                    "server_clients": total.map(|s| s.clients.len()),
                }),
            ));
        }
        for ((dev, id), a) in &b.agents {
            out.push(record(
                end,
                dev,
                None,
                json!({
                    "kind": "agent",
                    "agent": id,
                    "name": a.agent.name,
                    "provider": a.agent.provider,
                    "interval": interval,
                    "requests": a.requests,
                    "user_agents": a.user_agents,
                    "endpoints": a.endpoints,
                }),
            ));
        }
        out
    }
}

fn write(r: &mut Records, recs: Vec<Value>, eve: &mut Option<EveWriter>) -> Result<(), String> {
    for rec in recs {
        *r.by_type.entry("ai".into()).or_insert(0) += 1;
        if let Some(e) = eve.as_mut() {
            e.write(&rec)
                .map_err(|e| format!("cannot write EVE output: {e}"))?;
        }
    }
    Ok(())
}

/// Called by the control loop with everything before `upto_ns` applied: reloads a
/// changed catalogue, and writes the `ai` records of the intervals that ended.
pub fn write_due(r: &mut Records, upto_ns: u64, eve: &mut Option<EveWriter>) -> Result<(), String> {
    let ai = &mut r.detect.ai;
    ai.watch.catalog.refresh();
    let recs = ai
        .periodic
        .due(upto_ns, &r.learn.state.ai, &ai.watch.policy);
    write(r, recs, eve)
}

/// At the end of a run: the `ai` records of the intervals still open.
pub fn write_rest(
    r: &mut Records,
    last_ns: u64,
    eve: &mut Option<EveWriter>,
) -> Result<(), String> {
    let ai = &mut r.detect.ai;
    let recs = ai
        .periodic
        .rest(last_ns, &r.learn.state.ai, &ai.watch.policy);
    write(r, recs, eve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::catalog::Catalog;
    use crate::ai::observe::{FlowSeen, McpSeen, ServiceSeen};
    use crate::config::AiConf;

    const S: u64 = 1_000_000_000;
    /// 2026-03-13T09:00:00Z.
    const T: u64 = 1_773_392_400;

    #[test]
    fn intervals_close_when_their_end_is_reached() {
        let c = Catalog::builtin();
        let policy = Policy::from_conf(&AiConf {
            sanctioned: vec!["github-copilot".into()],
            ..Default::default()
        });
        let mut p = Periodic::new(3600);
        let inv = Inventory::default();
        let seen = |dev: &str, id: &str, t: u64| ServiceSeen {
            device: dev.into(),
            service: c.by_id(id).unwrap().clone(),
            host: c.by_id(id).unwrap().hosts[0].clone(),
            ts_s: t,
        };
        p.add(
            (T + 10) * S,
            &Seen::Service(seen("10.20.1.12", "openai-chatgpt", T + 10)),
        );
        p.add(
            (T + 40) * S,
            &Seen::Flow(FlowSeen {
                seen: seen("10.20.1.12", "openai-chatgpt", T + 40),
                start_s: T + 10,
                end_s: T + 40,
                up: 5000,
                down: 90_000,
            }),
        );
        p.add(
            (T + 3700) * S,
            &Seen::Service(seen("10.20.1.40", "github-copilot", T + 3700)),
        );
        p.add(
            (T + 3800) * S,
            &Seen::Mcp(McpSeen {
                client: "10.20.1.40".into(),
                server: "10.20.0.90:8000".into(),
                path: "/mcp".into(),
                method: Some("tools/call".into()),
                name: Some("read_file".into()),
                session: None,
                protocol_version: Some("2025-06-18".into()),
                user_agent: None,
                ts_s: T + 3800,
            }),
        );
        assert!(p.due((T + 3599) * S, &inv, &policy).is_empty());
        let first = p.due((T + 3600) * S, &inv, &policy);
        assert_eq!(first.len(), 1);
        let r = &first[0];
        assert_eq!(r["event_type"], "ai");
        assert_eq!(r["src_ip"], "10.20.1.12");
        assert_eq!(r["timestamp"], "2026-03-13T10:00:00.000000+0000");
        let ai = &r["vigil"]["ai"];
        assert_eq!(ai["service"], "openai-chatgpt");
        assert_eq!(ai["sanctioned"], false);
        assert_eq!(ai["connections"], 1);
        assert_eq!(ai["bytes_toserver"], 5000);
        assert_eq!(ai["interval"]["start"], "2026-03-13T09:00:10.000000+0000");
        // The rest at the end of the run: the open hour, cut at the last packet.
        let rest = p.rest((T + 4000) * S, &inv, &policy);
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[0]["vigil"]["ai"]["sanctioned"], true);
        assert_eq!(rest[1]["vigil"]["ai"]["kind"], "mcp");
        assert_eq!(rest[1]["dest_ip"], "10.20.0.90");
        assert_eq!(rest[1]["dest_port"], 8000);
        assert_eq!(rest[1]["vigil"]["ai"]["tools_called"]["read_file"], 1);
        assert_eq!(rest[1]["timestamp"], "2026-03-13T10:06:40.000000+0000");
        assert_eq!(p.written, 3);
    }

    #[test]
    fn interval_zero_writes_only_at_the_end() {
        let c = Catalog::builtin();
        let policy = Policy::from_conf(&AiConf::default());
        let inv = Inventory::default();
        let mut p = Periodic::new(0);
        for (i, dev) in ["10.20.1.12", "10.20.1.17"].iter().enumerate() {
            let t = T + i as u64 * 7200;
            p.add(
                t * S,
                &Seen::Service(ServiceSeen {
                    device: dev.to_string(),
                    service: c.by_id("anthropic-claude").unwrap().clone(),
                    host: "claude.ai".into(),
                    ts_s: t,
                }),
            );
        }
        assert!(p.due((T + 86_400) * S, &inv, &policy).is_empty());
        let all = p.rest((T + 9000) * S, &inv, &policy);
        assert_eq!(all.len(), 2);
        for r in &all {
            assert_eq!(
                r["vigil"]["ai"]["interval"]["start"],
                "2026-03-13T09:00:00.000000+0000"
            );
            assert_eq!(
                r["vigil"]["ai"]["interval"]["end"],
                "2026-03-13T11:30:00.000000+0000"
            );
            assert_eq!(r["vigil"]["ai"]["connections_started"], 1);
        }
    }
}
