//! What an EVE record says about AI use, read on the control plane:
//!
//! - a device's connection to a catalogue **service**, named by its SNI (TLS, QUIC), HTTP
//!   Host, or else the name a DNS answer gave the address; when it starts and, at the
//!   flow's end, its bytes up and down;
//! - **MCP** over plaintext HTTP: JSON-RPC 2.0 with an MCP method (`initialize`,
//!   `tools/list`, `tools/call`, `resources/read`, `prompts/get`, `notifications/…`), or
//!   the MCP headers (`Mcp-Session-Id`, `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`);
//! - an internal host **serving an LLM API**: Ollama (`/api/generate`, `/api/chat`,
//!   `/api/embed`…, anything under `/api/` on 11434) or OpenAI-compatible
//!   (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`),
//!   answered 2xx;
//! - an **AI SDK or agent** by its User-Agent.

use super::catalog::{Agent, Service, Watched};
use super::policy::Policy;
use crate::learn::names::is_ip_literal;
use crate::learn::net::from_key;
use crate::learn::{failed_state, Learner};
use crate::worker::records::Header;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// A device's connection to an AI service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSeen {
    pub device: String,
    pub service: Service,
    /// The name the connection was made to.
    pub host: String,
    /// Packet-time seconds of the record.
    pub ts_s: u64,
}

/// A connection to an AI service that ended.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowSeen {
    pub seen: ServiceSeen,
    pub start_s: u64,
    pub end_s: u64,
    /// Frame bytes to the service and back.
    pub up: u64,
    pub down: u64,
}

/// One MCP request over plaintext HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct McpSeen {
    pub client: String,
    /// `address:port`.
    pub server: String,
    pub path: String,
    /// JSON-RPC method (from the body, else the `Mcp-Method` header).
    pub method: Option<String>,
    /// Tool, prompt or resource (`params.name`/`params.uri`, else `Mcp-Name`).
    pub name: Option<String>,
    pub session: Option<String>,
    pub protocol_version: Option<String>,
    pub user_agent: Option<String>,
    pub ts_s: u64,
}

/// One request an internal host answered on an LLM API.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSeen {
    pub client: String,
    /// `address:port`.
    pub server: String,
    pub server_ip: String,
    /// `ollama` or `openai-compatible`.
    pub api: &'static str,
    pub method: String,
    pub path: String,
    pub model: Option<String>,
    pub status: u64,
    pub ts_s: u64,
}

/// An AI SDK or agent's User-Agent sent by a device.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSeen {
    pub device: String,
    pub agent: Agent,
    pub user_agent: String,
    /// Where it went: hostname, else `address:port`.
    pub endpoint: String,
    pub ts_s: u64,
}

/// What one record showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A connection to a service started (the first record naming it).
    Service(ServiceSeen),
    /// A connection to a service ended.
    Flow(FlowSeen),
    Mcp(McpSeen),
    Llm(LlmSeen),
    Agent(AgentSeen),
}

/// What is remembered of a flow to an AI service until it ends.
#[derive(Debug, Clone)]
struct FlowAi {
    service: Service,
    host: String,
}

/// The catalogue, the policy, and the flows to AI services now open.
#[derive(Debug)]
pub struct Watch {
    pub catalog: Watched,
    pub policy: Policy,
    flows: crate::flowmap::FlowMap<FlowAi>,
}

/// JSON-RPC methods of MCP (2024-11-05 to 2025-06-18).
pub fn is_mcp_method(m: &str) -> bool {
    matches!(m, "initialize" | "ping")
        || [
            "tools/",
            "resources/",
            "prompts/",
            "notifications/",
            "completion/",
            "logging/",
            "sampling/",
            "roots/",
            "elicitation/",
        ]
        .iter()
        .any(|p| m.starts_with(p))
}

/// The API an internal server answers on `path` (query removed) and `port`, if any.
pub fn llm_api(path: &str, port: u16) -> Option<&'static str> {
    const OLLAMA: &[&str] = &[
        "/api/generate",
        "/api/chat",
        "/api/embed",
        "/api/embeddings",
        "/api/pull",
        "/api/create",
        "/api/push",
    ];
    const OPENAI: &[&str] = &[
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/embeddings",
        "/v1/responses",
    ];
    let p = path.trim_end_matches('/');
    if OLLAMA.contains(&p) || (port == 11434 && p.starts_with("/api/")) {
        Some("ollama")
    } else if OPENAI.iter().any(|e| p.ends_with(e)) {
        Some("openai-compatible")
    } else {
        None
    }
}

/// The value at `path` in a record (null when missing), without copying the record.
fn at<'a>(m: &'a Map<String, Value>, path: &[&str]) -> &'a Value {
    static NULL: Value = Value::Null;
    let Some((first, rest)) = path.split_first() else {
        return &NULL;
    };
    let mut cur = m.get(*first).unwrap_or(&NULL);
    for p in rest {
        cur = cur.get(p).unwrap_or(&NULL);
    }
    cur
}

/// A non-empty string at `path` in a record.
fn s<'a>(m: &'a Map<String, Value>, path: &[&str]) -> Option<&'a str> {
    at(m, path).as_str().filter(|x| !x.is_empty())
}

/// A non-empty string at `path` under a value.
fn sv<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.is_empty())
}

impl Watch {
    /// A watch over `catalog` with `policy`.
    pub fn new(catalog: Watched, policy: Policy) -> Watch {
        Watch {
            catalog,
            policy,
            flows: Default::default(),
        }
    }

    /// Flows to AI services now open.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// What `rec` (about the flow of `h`, at `ts_ns`) shows, judged against nothing:
    /// the models and the inventory decide what it means.
    pub fn see(
        &mut self,
        l: &Learner,
        h: &Header,
        ts_ns: u64,
        rec: &Map<String, Value>,
    ) -> Vec<Seen> {
        let mut out = Vec::new();
        let ts_s = ts_ns / 1_000_000_000;
        let net = &l.settings.internal;
        let client_in = net.contains(&h.client, h.v6);
        let server_in = net.contains(&h.server, h.v6);
        let client = from_key(&h.client, h.v6).to_string();
        let server = from_key(&h.server, h.v6).to_string();
        let to_service = client_in && !server_in;
        match s(rec, &["event_type"]).unwrap_or("") {
            "tls" => {
                if let (true, Some(sni)) = (to_service, s(rec, &["tls", "sni"])) {
                    self.name(h.flow_id, &client, sni, ts_s, &mut out);
                }
            }
            "quic" => {
                if let (true, Some(sni)) = (to_service, s(rec, &["quic", "sni"])) {
                    self.name(h.flow_id, &client, sni, ts_s, &mut out);
                }
            }
            "http" => {
                let host = s(rec, &["http", "hostname"]);
                if let (true, Some(host)) = (to_service, host) {
                    self.name(h.flow_id, &client, host, ts_s, &mut out);
                }
                self.http(
                    rec, h, &client, &server, client_in, server_in, ts_s, &mut out,
                );
            }
            "flow" => {
                let ctx = self.flows.remove(&h.flow_id);
                if !to_service {
                    return out;
                }
                let f = at(rec, &["flow"]);
                let start_s = f["start"]
                    .as_str()
                    .and_then(crate::output::eve::parse_timestamp)
                    .map_or(ts_s, |t| t / 1_000_000_000);
                let end_s = f["end"]
                    .as_str()
                    .and_then(crate::output::eve::parse_timestamp)
                    .map_or(ts_s, |t| t / 1_000_000_000);
                let conn_state = s(rec, &["vigil", "conn_state"]).unwrap_or("");
                if h.proto == 6 && failed_state(conn_state) {
                    return out;
                }
                let ctx = match ctx {
                    Some(c) => c,
                    None => {
                        // Named by nothing on the flow: the name DNS gave its address.
                        let Some(name) = l.hostname_of(&server, start_s) else {
                            return out;
                        };
                        let Some(svc) = self.catalog.catalog.service(name) else {
                            return out;
                        };
                        let c = FlowAi {
                            service: svc.clone(),
                            host: name.to_string(),
                        };
                        out.push(Seen::Service(ServiceSeen {
                            device: client.clone(),
                            service: c.service.clone(),
                            host: c.host.clone(),
                            ts_s: start_s,
                        }));
                        c
                    }
                };
                out.push(Seen::Flow(FlowSeen {
                    seen: ServiceSeen {
                        device: client,
                        service: ctx.service,
                        host: ctx.host,
                        ts_s,
                    },
                    start_s,
                    end_s,
                    up: f["bytes_toserver"].as_u64().unwrap_or(0),
                    down: f["bytes_toclient"].as_u64().unwrap_or(0),
                }));
            }
            _ => {}
        }
        out
    }

    /// A flow to an external endpoint was named `host`: the start of a service
    /// connection if the catalogue knows the name (once per flow).
    fn name(&mut self, flow_id: u64, device: &str, host: &str, ts_s: u64, out: &mut Vec<Seen>) {
        if is_ip_literal(host) || self.flows.contains_key(&flow_id) {
            return;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let Some(svc) = self.catalog.catalog.service(&host) else {
            return;
        };
        self.flows.insert(
            flow_id,
            FlowAi {
                service: svc.clone(),
                host: host.clone(),
            },
        );
        out.push(Seen::Service(ServiceSeen {
            device: device.to_string(),
            service: svc.clone(),
            host,
            ts_s,
        }));
    }

    #[allow(clippy::too_many_arguments)]
    fn http(
        &self,
        rec: &Map<String, Value>,
        h: &Header,
        client: &str,
        server: &str,
        client_in: bool,
        server_in: bool,
        ts_s: u64,
        out: &mut Vec<Seen>,
    ) {
        let url = s(rec, &["http", "url"]).unwrap_or("");
        let path = url.split(['?', '#']).next().unwrap_or("").to_string();
        let ua = s(rec, &["http", "http_user_agent"]);
        let json = at(rec, &["vigil", "json"]);
        let mcp = at(rec, &["vigil", "mcp"]);
        let endpoint = format!("{server}:{}", h.sport);
        // MCP.
        let rpc2 = json["jsonrpc"] == "2.0";
        let body_method = sv(json, &["method"]);
        let method = body_method.or_else(|| sv(mcp, &["method"]));
        let headers = mcp.as_object().is_some_and(|m| !m.is_empty());
        let path_says = ["/mcp", "/sse", "/messages"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")));
        let is_mcp = headers || (rpc2 && (method.is_some_and(is_mcp_method) || path_says));
        if is_mcp && (client_in || server_in) {
            out.push(Seen::Mcp(McpSeen {
                client: client.to_string(),
                server: endpoint.clone(),
                path: path.clone(),
                method: method.map(str::to_string),
                name: sv(json, &["params_name"])
                    .or_else(|| sv(mcp, &["name"]))
                    .map(str::to_string),
                session: sv(mcp, &["session_id"]).map(str::to_string),
                protocol_version: sv(mcp, &["protocol_version"]).map(str::to_string),
                user_agent: ua.map(str::to_string),
                ts_s,
            }));
        }
        // An internal host serving an LLM API.
        let status = at(rec, &["http", "status"]).as_u64().unwrap_or(0);
        if server_in && (200..300).contains(&status) && !is_mcp {
            if let Some(api) = llm_api(&path, h.sport) {
                out.push(Seen::Llm(LlmSeen {
                    client: client.to_string(),
                    server: endpoint.clone(),
                    server_ip: server.to_string(),
                    api,
                    method: s(rec, &["http", "http_method"]).unwrap_or("").to_string(),
                    path: path.clone(),
                    model: sv(json, &["model"]).map(str::to_string),
                    status,
                    ts_s,
                }));
            }
        }
        // AI SDKs and agents.
        if let (true, Some(ua)) = (client_in, ua) {
            if let Some(agent) = self.catalog.catalog.agent(ua) {
                let host = s(rec, &["http", "hostname"]).filter(|x| !is_ip_literal(x));
                out.push(Seen::Agent(AgentSeen {
                    device: client.to_string(),
                    agent: agent.clone(),
                    user_agent: ua.to_string(),
                    endpoint: host.map_or(endpoint, |x| format!("{x}:{}", h.sport)),
                    ts_s,
                }));
            }
        }
    }
}

/// An address string as an `IpAddr` (the unspecified address when it is not one).
pub fn ip(a: &str) -> IpAddr {
    a.parse()
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_methods_and_llm_paths() {
        for m in [
            "initialize",
            "tools/list",
            "tools/call",
            "resources/read",
            "prompts/get",
            "notifications/initialized",
            "ping",
        ] {
            assert!(is_mcp_method(m), "{m}");
        }
        for m in ["eth_call", "getblock", "textDocument/completion", "tools"] {
            assert!(!is_mcp_method(m), "{m}");
        }
        assert_eq!(llm_api("/api/chat", 8080), Some("ollama"));
        assert_eq!(llm_api("/api/tags", 11434), Some("ollama"));
        assert_eq!(llm_api("/api/tags", 8080), None);
        assert_eq!(
            llm_api("/v1/chat/completions", 8000),
            Some("openai-compatible")
        );
        assert_eq!(
            llm_api("/openai/v1/embeddings", 80),
            Some("openai-compatible")
        );
        assert_eq!(llm_api("/v1/models", 8000), None);
        assert_eq!(llm_api("/news/", 80), None);
    }
}
