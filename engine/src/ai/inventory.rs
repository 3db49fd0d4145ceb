//! The AI inventory, kept in the learned state (`Learned::ai`) so it survives restarts:
//! which devices use which AI services (first and last seen, connections, bytes up and
//! down, per day), which AI SDKs and agents they run, which MCP servers exist with the
//! clients, methods and tools called on them, and which internal hosts serve LLM APIs
//! with their models and clients. Every list is bounded; the least recently used entry
//! goes first.

use super::observe::{AgentSeen, FlowSeen, LlmSeen, McpSeen, Seen, ServiceSeen};
use crate::learn::device::Ewma;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days of per-day figures kept per service and device.
pub const DAYS_KEPT: usize = 62;
/// Hostnames, user agents, paths and models kept per entry.
pub const NAMES_KEPT: usize = 32;
/// Tools, methods and clients kept per server.
pub const ITEMS_KEPT: usize = 256;
/// MCP servers and LLM servers kept.
pub const SERVERS_KEPT: usize = 4096;

/// When something was seen, and how often.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub first_s: u64,
    pub last_s: u64,
    pub count: u64,
}

impl Tally {
    fn touch(&mut self, t: u64) {
        if self.count == 0 || t < self.first_s {
            self.first_s = t;
        }
        self.last_s = self.last_s.max(t);
        self.count += 1;
    }
}

/// One day's use of a service by a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUse {
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// A device's use of one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceUse {
    pub name: String,
    pub provider: String,
    pub category: String,
    pub first_s: u64,
    pub last_s: u64,
    /// Connections that ended (failed attempts not counted).
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// The most one connection sent up.
    pub largest_up: u64,
    /// Names it was reached by → connections started.
    pub hostnames: BTreeMap<String, u64>,
    /// Days since the epoch (packet time) → that day's use.
    pub days: BTreeMap<u64, DayUse>,
}

/// A device's use of one AI SDK or agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentUse {
    pub name: String,
    pub provider: String,
    #[serde(flatten)]
    pub seen: Tally,
    /// User-Agent strings → requests.
    pub user_agents: BTreeMap<String, u64>,
    /// Where they went → requests.
    pub endpoints: BTreeMap<String, u64>,
}

/// What one device does with AI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceAi {
    /// Service id → use.
    pub services: BTreeMap<String, ServiceUse>,
    /// Agent id → use.
    pub agents: BTreeMap<String, AgentUse>,
    /// Bytes sent to AI services per hour in which it used any (mean and spread).
    pub upload_hourly: Ewma,
    /// The hour (since the epoch) being summed, and its sum so far.
    pub upload_hour: u64,
    pub upload_hour_bytes: u64,
}

impl DeviceAi {
    /// The usual bytes up to AI services per hour of use (mean, spread, samples),
    /// counting the hour in progress only once it is over.
    pub fn usual_upload(&self) -> (f64, f64, u64) {
        (
            self.upload_hourly.mean,
            self.upload_hourly.std(),
            self.upload_hourly.n,
        )
    }
}

/// An MCP server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct McpServer {
    #[serde(flatten)]
    pub seen: Tally,
    /// Client address → requests.
    pub clients: BTreeMap<String, Tally>,
    /// JSON-RPC method → requests.
    pub methods: BTreeMap<String, u64>,
    /// Tools called (`tools/call`) → calls.
    pub tools: BTreeMap<String, Tally>,
    /// Resources read and prompts got → requests.
    pub resources: BTreeMap<String, u64>,
    pub prompts: BTreeMap<String, u64>,
    pub paths: BTreeMap<String, u64>,
    pub protocol_versions: BTreeMap<String, u64>,
    pub user_agents: BTreeMap<String, u64>,
    /// Sessions started (`initialize` requests).
    pub sessions: u64,
}

/// An internal host serving an LLM API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmServer {
    pub address: String,
    #[serde(flatten)]
    pub seen: Tally,
    /// `ollama`, `openai-compatible` → requests.
    pub apis: BTreeMap<String, u64>,
    pub models: BTreeMap<String, u64>,
    pub paths: BTreeMap<String, u64>,
    pub clients: BTreeMap<String, Tally>,
}

/// The whole inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Device address → its AI use.
    pub devices: BTreeMap<String, DeviceAi>,
    /// `address:port` → MCP server.
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// `address:port` → LLM server.
    pub llm_servers: BTreeMap<String, LlmServer>,
}

/// Counts `k` in a bounded map, forgetting the smallest count (then the first name) to
/// make room.
fn bump(m: &mut BTreeMap<String, u64>, k: &str, by: u64, cap: usize) {
    if let Some(v) = m.get_mut(k) {
        *v += by;
        return;
    }
    if m.len() >= cap {
        if let Some(old) = m
            .iter()
            .min_by_key(|(k, v)| (**v, (*k).clone()))
            .map(|(k, _)| k.clone())
        {
            m.remove(&old);
        }
    }
    m.insert(k.to_string(), by);
}

/// Touches `k` in a bounded map of `Tally`, forgetting the least recently seen.
fn touch(m: &mut BTreeMap<String, Tally>, k: &str, t: u64, cap: usize) {
    if !m.contains_key(k) && m.len() >= cap {
        if let Some(old) = m
            .iter()
            .min_by_key(|(k, v)| (v.last_s, (*k).clone()))
            .map(|(k, _)| k.clone())
        {
            m.remove(&old);
        }
    }
    m.entry(k.to_string()).or_default().touch(t);
}

/// Makes room for one more server, forgetting the one quiet for longest.
fn room<V>(m: &mut BTreeMap<String, V>, key: &str, last: impl Fn(&V) -> u64) {
    if m.contains_key(key) || m.len() < SERVERS_KEPT {
        return;
    }
    if let Some(old) = m
        .iter()
        .min_by_key(|(k, v)| (last(v), (*k).clone()))
        .map(|(k, _)| k.clone())
    {
        m.remove(&old);
    }
}

impl Inventory {
    /// Whether `device` has used `service` before.
    pub fn uses(&self, device: &str, service: &str) -> bool {
        self.devices
            .get(device)
            .is_some_and(|d| d.services.contains_key(service))
    }

    /// Devices other than `device` that have used `service`.
    pub fn other_users(&self, device: &str, service: &str) -> usize {
        self.devices
            .iter()
            .filter(|(ip, d)| ip.as_str() != device && d.services.contains_key(service))
            .count()
    }

    /// Learns what a record showed.
    pub fn apply(&mut self, seen: &Seen) {
        match seen {
            Seen::Service(s) => self.service_start(s),
            Seen::Flow(f) => self.flow(f),
            Seen::Mcp(m) => self.mcp(m),
            Seen::Llm(l) => self.llm(l),
            Seen::Agent(a) => self.agent(a),
        }
    }

    fn use_of(&mut self, s: &ServiceSeen, t: u64) -> &mut ServiceUse {
        let u = self
            .devices
            .entry(s.device.clone())
            .or_default()
            .services
            .entry(s.service.id.clone())
            .or_insert_with(|| ServiceUse {
                first_s: t,
                last_s: t,
                ..Default::default()
            });
        // The catalogue's names as of the latest use.
        u.name.clone_from(&s.service.name);
        u.provider.clone_from(&s.service.provider);
        u.category.clone_from(&s.service.category);
        u.first_s = u.first_s.min(t);
        u.last_s = u.last_s.max(t);
        u
    }

    fn service_start(&mut self, s: &ServiceSeen) {
        let u = self.use_of(s, s.ts_s);
        bump(&mut u.hostnames, &s.host, 1, NAMES_KEPT);
    }

    fn flow(&mut self, f: &FlowSeen) {
        let u = self.use_of(&f.seen, f.start_s);
        u.last_s = u.last_s.max(f.end_s);
        u.connections += 1;
        u.bytes_up += f.up;
        u.bytes_down += f.down;
        u.largest_up = u.largest_up.max(f.up);
        let day = u.days.entry(f.start_s / 86_400).or_default();
        day.connections += 1;
        day.bytes_up += f.up;
        day.bytes_down += f.down;
        while u.days.len() > DAYS_KEPT {
            u.days.pop_first();
        }
        let d = self.devices.entry(f.seen.device.clone()).or_default();
        // An hour of use closes when a later one starts (a connection ending late in an
        // hour already closed counts toward the current one).
        let hour = f.end_s / 3600;
        if hour > d.upload_hour {
            if d.upload_hour_bytes > 0 {
                d.upload_hourly.add(d.upload_hour_bytes as f64);
            }
            d.upload_hour = hour;
            d.upload_hour_bytes = 0;
        }
        d.upload_hour_bytes += f.up;
    }

    fn mcp(&mut self, m: &McpSeen) {
        room(&mut self.mcp_servers, &m.server, |s| s.seen.last_s);
        let s = self.mcp_servers.entry(m.server.clone()).or_default();
        s.seen.touch(m.ts_s);
        touch(&mut s.clients, &m.client, m.ts_s, ITEMS_KEPT);
        if let Some(meth) = &m.method {
            bump(&mut s.methods, meth, 1, ITEMS_KEPT);
            if meth == "initialize" {
                s.sessions += 1;
            }
            if let Some(n) = &m.name {
                match meth.as_str() {
                    "tools/call" => touch(&mut s.tools, n, m.ts_s, ITEMS_KEPT),
                    "resources/read" => bump(&mut s.resources, n, 1, ITEMS_KEPT),
                    "prompts/get" => bump(&mut s.prompts, n, 1, ITEMS_KEPT),
                    _ => {}
                }
            }
        }
        if !m.path.is_empty() {
            bump(&mut s.paths, &m.path, 1, NAMES_KEPT);
        }
        if let Some(v) = &m.protocol_version {
            bump(&mut s.protocol_versions, v, 1, NAMES_KEPT);
        }
        if let Some(u) = &m.user_agent {
            bump(&mut s.user_agents, u, 1, NAMES_KEPT);
        }
    }

    fn llm(&mut self, l: &LlmSeen) {
        room(&mut self.llm_servers, &l.server, |s| s.seen.last_s);
        let s = self.llm_servers.entry(l.server.clone()).or_default();
        s.address.clone_from(&l.server_ip);
        s.seen.touch(l.ts_s);
        bump(&mut s.apis, l.api, 1, NAMES_KEPT);
        bump(&mut s.paths, &l.path, 1, NAMES_KEPT);
        if let Some(m) = &l.model {
            bump(&mut s.models, m, 1, NAMES_KEPT);
        }
        touch(&mut s.clients, &l.client, l.ts_s, ITEMS_KEPT);
    }

    fn agent(&mut self, a: &AgentSeen) {
        let u = self
            .devices
            .entry(a.device.clone())
            .or_default()
            .agents
            .entry(a.agent.id.clone())
            .or_default();
        u.name.clone_from(&a.agent.name);
        u.provider.clone_from(&a.agent.provider);
        u.seen.touch(a.ts_s);
        bump(&mut u.user_agents, &a.user_agent, 1, NAMES_KEPT);
        bump(&mut u.endpoints, &a.endpoint, 1, NAMES_KEPT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::catalog::Catalog;

    fn svc(device: &str, id: &str, t: u64) -> ServiceSeen {
        let c = Catalog::builtin();
        ServiceSeen {
            device: device.into(),
            service: c.by_id(id).unwrap().clone(),
            host: c.by_id(id).unwrap().hosts[0].clone(),
            ts_s: t,
        }
    }

    #[test]
    fn services_by_device_and_day() {
        let mut inv = Inventory::default();
        let t = 1_773_392_400; // 2026-03-13 09:00
        inv.apply(&Seen::Service(svc("10.20.1.12", "openai-chatgpt", t)));
        assert!(inv.uses("10.20.1.12", "openai-chatgpt"));
        assert_eq!(
            inv.devices["10.20.1.12"].services["openai-chatgpt"].connections,
            0
        );
        for (i, up) in [4_000u64, 25_000_000, 6_000].iter().enumerate() {
            let start = t + i as u64 * 86_400;
            inv.apply(&Seen::Flow(FlowSeen {
                seen: svc("10.20.1.12", "openai-chatgpt", start + 30),
                start_s: start,
                end_s: start + 30,
                up: *up,
                down: 50_000,
            }));
        }
        let u = &inv.devices["10.20.1.12"].services["openai-chatgpt"];
        assert_eq!(u.connections, 3);
        assert_eq!(u.bytes_up, 25_010_000);
        assert_eq!(u.bytes_down, 150_000);
        assert_eq!(u.largest_up, 25_000_000);
        assert_eq!(u.days.len(), 3);
        assert_eq!(u.days[&(t / 86_400 + 1)].bytes_up, 25_000_000);
        assert_eq!((u.first_s, u.last_s), (t, t + 2 * 86_400 + 30));
        assert_eq!(u.provider, "OpenAI");
        // Two hours of use closed: 4 kB and 25 MB.
        assert_eq!(inv.devices["10.20.1.12"].upload_hourly.n, 2);
        assert_eq!(inv.other_users("10.20.1.17", "openai-chatgpt"), 1);
        assert_eq!(inv.other_users("10.20.1.12", "openai-chatgpt"), 0);
    }

    #[test]
    fn a_state_saved_before_the_inventory_existed_still_loads() {
        let mut v = serde_json::to_value(crate::learn::Learned::default()).unwrap();
        v.as_object_mut().unwrap().remove("ai");
        let l: crate::learn::Learned = serde_json::from_value(v).unwrap();
        assert_eq!(l.ai, Inventory::default());
    }

    #[test]
    fn mcp_servers_list_tools_and_stay_bounded() {
        let mut inv = Inventory::default();
        for i in 0..(ITEMS_KEPT as u64 + 20) {
            inv.apply(&Seen::Mcp(McpSeen {
                client: "10.20.1.40".into(),
                server: "10.20.0.90:8000".into(),
                path: "/mcp".into(),
                method: Some("tools/call".into()),
                name: Some(format!("tool{i}")),
                session: None,
                protocol_version: Some("2025-06-18".into()),
                user_agent: None,
                ts_s: 1000 + i,
            }));
        }
        let s = &inv.mcp_servers["10.20.0.90:8000"];
        assert_eq!(s.tools.len(), ITEMS_KEPT);
        assert!(s.tools.contains_key(&format!("tool{}", ITEMS_KEPT + 19)));
        assert!(
            !s.tools.contains_key("tool0"),
            "the oldest tool is forgotten"
        );
        assert_eq!(s.methods["tools/call"], ITEMS_KEPT as u64 + 20);
        assert_eq!(s.clients["10.20.1.40"].count, ITEMS_KEPT as u64 + 20);
    }
}
