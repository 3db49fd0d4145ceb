//! `vigil report ai`: the AI inventory from a saved state, as tables for people and JSON
//! for scripts: AI services by device (policy, first and last seen, connections, bytes up
//! and down, per day in the JSON), AI SDKs and agents by device, MCP servers with their
//! clients and the tools called on them, and internal LLM servers with their models.

use super::catalog::Service;
use super::inventory::{Inventory, ServiceUse};
use super::observe::ip;
use super::policy::Policy;
use crate::learn::report::{table, when};
use crate::learn::Learned;
use crate::output::eve::timestamp;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn ts(s: u64) -> String {
    timestamp(s * 1_000_000_000)
}

fn bytes(b: u64) -> String {
    if b >= 1 << 30 {
        format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
    } else if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1024 {
        format!("{:.0} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// A day number (days since the epoch) as `2026-03-13`.
fn day(d: u64) -> String {
    ts(d * 86_400)[..10].to_string()
}

/// A device's names, from what was learned of it.
fn names(l: &Learned, ip: &str) -> Vec<String> {
    l.devices
        .get(ip)
        .map(|d| d.names.keys().cloned().collect())
        .unwrap_or_default()
}

/// The name DNS gave a server (any answer still remembered), if any.
fn server_name(l: &Learned, addr: &str) -> Option<String> {
    l.names
        .name_of(addr, l.now_s)
        .map(str::to_string)
        .or_else(|| {
            l.devices
                .get(addr)
                .and_then(|d| d.names.keys().next().cloned())
        })
}

fn policy_of(policy: &Policy, u: &ServiceUse, id: &str, device: &str) -> String {
    let s = Service {
        id: id.to_string(),
        name: u.name.clone(),
        provider: u.provider.clone(),
        category: u.category.clone(),
        hosts: Vec::new(),
    };
    policy
        .permits(&s, ip(device))
        .unwrap_or_else(|| "not sanctioned".into())
}

fn top(m: &BTreeMap<String, u64>, n: usize) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut s: Vec<String> = v
        .iter()
        .take(n)
        .map(|(k, c)| format!("{k} ({c})"))
        .collect();
    if v.len() > n {
        s.push(format!("+{}", v.len() - n));
    }
    if s.is_empty() {
        "-".into()
    } else {
        s.join(", ")
    }
}

/// The inventory as JSON.
pub fn json(l: &Learned, policy: &Policy) -> Value {
    let inv: &Inventory = &l.ai;
    let devices: Vec<Value> = inv
        .devices
        .iter()
        .map(|(ip, d)| {
            let services: Vec<Value> = d
                .services
                .iter()
                .map(|(id, u)| {
                    let days: serde_json::Map<String, Value> = u
                        .days
                        .iter()
                        .map(|(k, v)| {
                            (
                                day(*k),
                                json!({"connections": v.connections, "bytes_up": v.bytes_up, "bytes_down": v.bytes_down}),
                            )
                        })
                        .collect();
                    json!({
                        "service": id,
                        "name": u.name,
                        "provider": u.provider,
                        "category": u.category,
                        "policy": policy_of(policy, u, id, ip),
                        "first_seen": ts(u.first_s),
                        "last_seen": ts(u.last_s),
                        "connections": u.connections,
                        "bytes_up": u.bytes_up,
                        "bytes_down": u.bytes_down,
                        "largest_upload": u.largest_up,
                        "hostnames": u.hostnames,
                        "days": days,
                    })
                })
                .collect();
            let agents: Vec<Value> = d
                .agents
                .iter()
                .map(|(id, a)| {
                    json!({
                        "agent": id,
                        "name": a.name,
                        "provider": a.provider,
                        "first_seen": ts(a.seen.first_s),
                        "last_seen": ts(a.seen.last_s),
                        "requests": a.seen.count,
                        "user_agents": a.user_agents,
                        "endpoints": a.endpoints,
                    })
                })
                .collect();
            json!({
                "device": ip,
                "names": names(l, ip),
                "services": services,
                "agents": agents,
                "bytes_up": d.services.values().map(|u| u.bytes_up).sum::<u64>(),
                "bytes_down": d.services.values().map(|u| u.bytes_down).sum::<u64>(),
            })
        })
        .collect();
    let mcp: Vec<Value> = inv
        .mcp_servers
        .iter()
        .map(|(k, s)| {
            let addr = k.rsplit_once(':').map_or(k.as_str(), |x| x.0);
            json!({
                "server": k,
                "name": server_name(l, addr),
                "first_seen": ts(s.seen.first_s),
                "last_seen": ts(s.seen.last_s),
                "requests": s.seen.count,
                "sessions": s.sessions,
                "clients": s.clients.iter().map(|(c, t)| json!({"client": c, "requests": t.count, "first_seen": ts(t.first_s), "last_seen": ts(t.last_s)})).collect::<Vec<_>>(),
                "methods": s.methods,
                "tools": s.tools.iter().map(|(n, t)| json!({"tool": n, "calls": t.count, "first_seen": ts(t.first_s), "last_seen": ts(t.last_s)})).collect::<Vec<_>>(),
                "resources": s.resources,
                "prompts": s.prompts,
                "paths": s.paths,
                "protocol_versions": s.protocol_versions,
                "user_agents": s.user_agents,
            })
        })
        .collect();
    let llm: Vec<Value> = inv
        .llm_servers
        .iter()
        .map(|(k, s)| {
            json!({
                "server": k,
                "name": server_name(l, &s.address),
                "first_seen": ts(s.seen.first_s),
                "last_seen": ts(s.seen.last_s),
                "requests": s.seen.count,
                "apis": s.apis,
                "models": s.models,
                "paths": s.paths,
                "clients": s.clients.iter().map(|(c, t)| json!({"client": c, "requests": t.count, "first_seen": ts(t.first_s), "last_seen": ts(t.last_s)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "as_of": ts(l.now_s),
        "devices": devices,
        "mcp_servers": mcp,
        "llm_servers": llm,
    })
}

/// The inventory as tables.
pub fn tables(l: &Learned, policy: &Policy) -> String {
    let inv = &l.ai;
    let mut out = String::new();
    let name = |ip: &str| names(l, ip).first().cloned().unwrap_or_else(|| "-".into());
    let mut rows = Vec::new();
    for (ip, d) in &inv.devices {
        for (id, u) in &d.services {
            let busiest = u.days.iter().max_by_key(|(_, v)| v.bytes_up);
            rows.push(vec![
                ip.clone(),
                name(ip),
                u.name.clone(),
                u.provider.clone(),
                u.category.clone(),
                policy_of(policy, u, id, ip),
                when(u.first_s),
                when(u.last_s),
                u.connections.to_string(),
                bytes(u.bytes_up),
                bytes(u.bytes_down),
                u.days.len().to_string(),
                busiest.map_or("-".into(), |(k, v)| {
                    format!("{} {}", bytes(v.bytes_up), day(*k))
                }),
            ]);
        }
    }
    out.push_str("AI services by device\n");
    out.push_str(&table(
        &[
            "DEVICE",
            "NAME",
            "SERVICE",
            "PROVIDER",
            "CATEGORY",
            "POLICY",
            "FIRST SEEN",
            "LAST SEEN",
            "CONNS",
            "UP",
            "DOWN",
            "DAYS",
            "MOST UP IN A DAY",
        ],
        &rows,
    ));
    let services: std::collections::BTreeSet<&String> = inv
        .devices
        .values()
        .flat_map(|d| d.services.keys())
        .collect();
    out.push_str(&format!(
        "{} devices use {} AI services, as of {} (packet time)\n",
        inv.devices
            .values()
            .filter(|d| !d.services.is_empty())
            .count(),
        services.len(),
        when(l.now_s)
    ));

    let rows: Vec<Vec<String>> = inv
        .devices
        .iter()
        .flat_map(|(ip, d)| {
            d.agents.values().map(move |a| {
                vec![
                    ip.clone(),
                    a.name.clone(),
                    a.provider.clone(),
                    top(&a.user_agents, 2),
                    top(&a.endpoints, 2),
                    a.seen.count.to_string(),
                    when(a.seen.first_s),
                    when(a.seen.last_s),
                ]
            })
        })
        .collect();
    out.push_str("\nAI SDKs and agents by device\n");
    out.push_str(&table(
        &[
            "DEVICE",
            "AGENT",
            "PROVIDER",
            "USER AGENTS",
            "TO",
            "REQUESTS",
            "FIRST SEEN",
            "LAST SEEN",
        ],
        &rows,
    ));

    let rows: Vec<Vec<String>> = inv
        .mcp_servers
        .iter()
        .map(|(k, s)| {
            let addr = k.rsplit_once(':').map_or(k.as_str(), |x| x.0);
            let tools: BTreeMap<String, u64> =
                s.tools.iter().map(|(n, t)| (n.clone(), t.count)).collect();
            vec![
                k.clone(),
                server_name(l, addr).unwrap_or_else(|| "-".into()),
                s.clients.keys().cloned().collect::<Vec<_>>().join(","),
                s.seen.count.to_string(),
                s.sessions.to_string(),
                top(&s.methods, 4),
                top(&tools, 6),
                when(s.seen.first_s),
                when(s.seen.last_s),
            ]
        })
        .collect();
    out.push_str("\nMCP servers\n");
    out.push_str(&table(
        &[
            "SERVER",
            "NAME",
            "CLIENTS",
            "REQUESTS",
            "SESSIONS",
            "METHODS",
            "TOOLS CALLED",
            "FIRST SEEN",
            "LAST SEEN",
        ],
        &rows,
    ));

    let rows: Vec<Vec<String>> = inv
        .llm_servers
        .iter()
        .map(|(k, s)| {
            vec![
                k.clone(),
                server_name(l, &s.address).unwrap_or_else(|| "-".into()),
                s.apis.keys().cloned().collect::<Vec<_>>().join(","),
                top(&s.models, 4),
                s.clients.keys().cloned().collect::<Vec<_>>().join(","),
                s.seen.count.to_string(),
                when(s.seen.first_s),
                when(s.seen.last_s),
            ]
        })
        .collect();
    out.push_str("\nLocal LLM servers\n");
    out.push_str(&table(
        &[
            "SERVER",
            "NAME",
            "API",
            "MODELS",
            "CLIENTS",
            "REQUESTS",
            "FIRST SEEN",
            "LAST SEEN",
        ],
        &rows,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::catalog::Catalog;
    use crate::ai::observe::{FlowSeen, Seen, ServiceSeen};
    use crate::config::AiConf;

    #[test]
    fn tables_and_json_list_devices_services_and_bytes() {
        let c = Catalog::builtin();
        let mut l = Learned::default();
        let t = 1_773_392_400;
        for (dev, id, up) in [
            ("10.20.1.12", "openai-chatgpt", 25_000_000u64),
            ("10.20.1.12", "openai-chatgpt", 3_000),
            ("10.20.1.40", "github-copilot", 80_000),
        ] {
            let seen = ServiceSeen {
                device: dev.into(),
                service: c.by_id(id).unwrap().clone(),
                host: c.by_id(id).unwrap().hosts[0].clone(),
                ts_s: t,
            };
            l.ai.apply(&Seen::Service(seen.clone()));
            l.ai.apply(&Seen::Flow(FlowSeen {
                seen,
                start_s: t,
                end_s: t + 60,
                up,
                down: 40_000,
            }));
        }
        l.now_s = t + 60;
        let p = Policy::from_conf(&AiConf {
            sanctioned: vec!["github-copilot".into()],
            ..Default::default()
        });
        let text = tables(&l, &p);
        assert!(text.contains("ChatGPT"), "{text}");
        assert!(text.contains("23.8 MiB"), "{text}");
        assert!(text.contains("not sanctioned") && text.contains("sanctioned"));
        assert!(text.contains("2 devices use 2 AI services"), "{text}");
        let j = json(&l, &p);
        let d = &j["devices"][0];
        assert_eq!(d["device"], "10.20.1.12");
        assert_eq!(d["services"][0]["connections"], 2);
        assert_eq!(d["services"][0]["bytes_up"], 25_003_000);
        assert_eq!(d["services"][0]["days"]["2026-03-13"]["bytes_down"], 80_000);
        assert_eq!(j["devices"][1]["services"][0]["policy"], "sanctioned");
    }
}
