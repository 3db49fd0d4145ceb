//! Each shadow-AI model fires on its behaviour and stays silent on the normal behaviour
//! beside it. Records go through the detector, the learner and the AI inventory as the
//! control plane sends them (judge, then learn), after two days of ordinary traffic.

use super::super::{Alert, Detector};
use crate::config::{AiAllowConf, AiConf, ModelConf};
use crate::learn::{net, Learned, Learner, Settings};
use crate::worker::records::Header;
use serde_json::{json, Map, Value};

const S: u64 = 1_000_000_000;
/// 2026-03-09T08:00:00Z.
const T0: u64 = 1_773_043_200;
/// After the baseline every device is past its learning period.
const DAY3: u64 = T0 + 2 * 86_400;

const DEVICES: [&str; 4] = ["10.20.1.12", "10.20.1.17", "10.20.1.40", "10.20.1.50"];

struct Net {
    l: Learner,
    d: Detector,
    alerts: Vec<Alert>,
    next: u64,
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn flow_obj(start: u64, end: u64, out: u64, inb: u64) -> Value {
    json!({
        "pkts_toserver": 10, "pkts_toclient": 10,
        "bytes_toserver": out, "bytes_toclient": inb,
        "start": crate::output::eve::timestamp(start * S),
        "end": crate::output::eve::timestamp(end * S),
    })
}

impl Net {
    fn new(ai: AiConf) -> Net {
        let settings = Settings {
            learning_s: 24 * 3600,
            ..Settings::default()
        };
        let mut d = Detector::new(&ModelConf::default());
        d.ai = super::AiModels::new(&ai).unwrap();
        Net {
            l: Learner::new(settings, Learned::default()),
            d,
            alerts: Vec::new(),
            next: 1,
        }
    }

    fn header(&mut self, dev: &str, server: &str, port: u16) -> Header {
        let (c, v6) = net::to_key(dev.parse().unwrap());
        let (s, _) = net::to_key(server.parse().unwrap());
        self.next += 1;
        Header {
            flow_id: self.next,
            v6,
            client: c,
            server: s,
            cport: 40000 + (self.next % 20000) as u16,
            sport: port,
            proto: 6,
            ..Default::default()
        }
    }

    fn feed(&mut self, h: &Header, t: u64, rec: Value) {
        let rec = obj(rec);
        let mut a = self.d.observe(&self.l, h, t * S, &rec);
        self.l.observe(h, t * S, &rec);
        self.d.ai.learn(&mut self.l, t * S);
        self.alerts.append(&mut a);
    }

    /// A TLS connection with SNI `name` (None: no SNI) sending `out` bytes.
    fn tls(&mut self, dev: &str, server: &str, name: Option<&str>, t: u64, out: u64) {
        let h = self.header(dev, server, 443);
        self.l.first_contact(&h, t * S);
        let mut tls = json!({"version": "TLS 1.3"});
        if let Some(n) = name {
            tls["sni"] = json!(n);
        }
        self.feed(&h, t, json!({"event_type": "tls", "tls": tls}));
        self.feed(&h, t + 20, json!({"event_type": "flow", "app_proto": "tls", "flow": flow_obj(t, t + 20, out, 60_000), "vigil": {"conn_state": "SF"}}));
    }

    /// A DNS answer naming `ip`.
    fn dns(&mut self, dev: &str, name: &str, ip: &str, t: u64) {
        let h = self.header(dev, "10.20.0.53", 53);
        self.feed(&h, t, json!({"event_type": "dns", "dns": {"type": "response", "rcode": "NOERROR", "queries": [{"rrname": name, "rrtype": "A"}], "answers": [{"rrname": name, "rrtype": "A", "ttl": 300, "rdata": ip}]}}));
    }

    /// A plaintext HTTP transaction and its flow.
    #[allow(clippy::too_many_arguments)]
    fn http(
        &mut self,
        dev: &str,
        server: &str,
        port: u16,
        t: u64,
        method: &str,
        url: &str,
        ua: &str,
        status: u16,
        vigil: Value,
    ) {
        let h = self.header(dev, server, port);
        self.feed(&h, t, json!({"event_type": "http", "http": {"hostname": server, "url": url, "http_method": method, "http_user_agent": ua, "status": status}, "vigil": vigil}));
        self.feed(&h, t + 1, json!({"event_type": "flow", "app_proto": "http", "flow": flow_obj(t, t + 1, 900, 700), "vigil": {"conn_state": "SF"}}));
    }

    /// Two days of ordinary traffic: browsing by name; 10.20.1.40 also uses GitHub
    /// Copilot every hour and sends curl and Python requests user agents.
    fn baseline(&mut self) {
        for day in 0..2 {
            for hour in 0..10 {
                let t = T0 + day * 86_400 + hour * 3600;
                for (i, dev) in DEVICES.iter().enumerate() {
                    let t = t + i as u64 * 60;
                    self.dns(dev, "www.office.com", "52.96.0.1", t);
                    self.tls(dev, "52.96.0.1", Some("www.office.com"), t + 1, 3_000);
                    self.http(
                        dev,
                        "10.20.0.80",
                        80,
                        t + 30,
                        "GET",
                        "/news/",
                        "Mozilla/5.0 (X11; Linux x86_64) Firefox/147.0",
                        200,
                        json!({}),
                    );
                }
                self.tls(
                    "10.20.1.40",
                    "140.82.112.22",
                    Some("api.individual.githubcopilot.com"),
                    t + 200,
                    12_000,
                );
                self.http(
                    "10.20.1.40",
                    "10.20.0.80",
                    80,
                    t + 300,
                    "GET",
                    "/",
                    "python-requests/2.32.3",
                    200,
                    json!({}),
                );
            }
        }
    }

    fn fired(&self, model: &str) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.model.id == model).collect()
    }

    fn clear(&mut self) {
        self.alerts.clear();
    }
}

fn office(ai: AiConf) -> Net {
    let mut n = Net::new(ai);
    n.baseline();
    assert!(
        n.alerts.is_empty()
            || n.alerts
                .iter()
                .all(|a| a.model.id == "shadow-ai/unsanctioned-ai-service"),
        "{:?}",
        n.alerts
            .iter()
            .map(|a| a.reason.clone())
            .collect::<Vec<_>>()
    );
    n.clear();
    n
}

fn copilot_sanctioned() -> AiConf {
    AiConf {
        sanctioned: vec!["github-copilot".into()],
        ..Default::default()
    }
}

#[test]
fn baseline_is_silent_when_its_service_is_sanctioned() {
    let mut n = Net::new(copilot_sanctioned());
    n.baseline();
    assert!(
        n.alerts.is_empty(),
        "{:?}",
        n.alerts.iter().map(|a| &a.reason).collect::<Vec<_>>()
    );
    let inv = &n.l.state.ai;
    let u = &inv.devices["10.20.1.40"].services["github-copilot"];
    assert_eq!(u.connections, 20);
    assert_eq!(u.bytes_up, 20 * 12_000);
    assert_eq!(u.days.len(), 2);
    assert!(!inv.devices.contains_key("10.20.1.12"));
}

#[test]
fn first_use_of_a_service_is_new_and_unsanctioned_once() {
    let mut n = office(copilot_sanctioned());
    n.dns("10.20.1.12", "chatgpt.com", "104.18.32.47", DAY3);
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("chatgpt.com"),
        DAY3 + 1,
        8_000,
    );
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("ab.chatgpt.com"),
        DAY3 + 2,
        2_000,
    );
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("chatgpt.com"),
        DAY3 + 600,
        8_000,
    );
    let new = n.fired("shadow-ai/new-ai-service");
    assert_eq!(
        new.len(),
        1,
        "one breach per service, whatever its hostnames"
    );
    assert_eq!(new[0].device, "10.20.1.12");
    assert_eq!(new[0].endpoint, "chatgpt.com");
    assert_eq!(new[0].score, 50, "no other device uses it");
    assert!(
        new[0]
            .reason
            .contains("ChatGPT (OpenAI, chat assistant) for the first time"),
        "{}",
        new[0].reason
    );
    let uns = n.fired("shadow-ai/unsanctioned-ai-service");
    assert_eq!(uns.len(), 1);
    assert!(
        uns[0].reason.contains("sanctions github-copilot"),
        "{}",
        uns[0].reason
    );
    // A second device: new for it (another device uses it), unsanctioned too.
    n.clear();
    n.tls(
        "10.20.1.17",
        "104.18.32.47",
        Some("chatgpt.com"),
        DAY3 + 700,
        8_000,
    );
    let new = n.fired("shadow-ai/new-ai-service");
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].score, 40);
    assert!(
        new[0].reason.contains("1 other device uses it"),
        "{}",
        new[0].reason
    );
    // The unsanctioned breach repeats after models.repeat_after (an hour).
    n.clear();
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("chatgpt.com"),
        DAY3 + 4000,
        8_000,
    );
    assert!(n.fired("shadow-ai/new-ai-service").is_empty());
    let uns = n.fired("shadow-ai/unsanctioned-ai-service");
    assert_eq!(uns.len(), 1);
    assert!(uns[0].reason.contains("3 connections"), "{}", uns[0].reason);
}

#[test]
fn sanctioned_and_allowed_services_are_new_but_not_unsanctioned() {
    let conf = AiConf {
        sanctioned: vec!["github-copilot".into()],
        allow: vec![AiAllowConf {
            networks: vec!["10.20.1.40".into()],
            services: vec!["model-api".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut n = office(conf);
    n.tls(
        "10.20.1.12",
        "140.82.112.22",
        Some("api.githubcopilot.com"),
        DAY3,
        5_000,
    );
    n.tls(
        "10.20.1.40",
        "162.159.140.245",
        Some("api.openai.com"),
        DAY3 + 10,
        5_000,
    );
    assert!(n.fired("shadow-ai/unsanctioned-ai-service").is_empty());
    let new: Vec<(&str, &str)> = n
        .fired("shadow-ai/new-ai-service")
        .iter()
        .map(|a| (a.device.as_str(), a.endpoint.as_str()))
        .collect();
    assert_eq!(
        new,
        [
            ("10.20.1.12", "api.githubcopilot.com"),
            ("10.20.1.40", "api.openai.com")
        ]
    );
    assert!(
        n.alerts[1].reason.contains("allowed for 10.20.1.40"),
        "{}",
        n.alerts[1].reason
    );
    // Outside its network the allowance does not apply.
    n.clear();
    n.tls(
        "10.20.1.17",
        "162.159.140.245",
        Some("api.openai.com"),
        DAY3 + 20,
        5_000,
    );
    assert_eq!(n.fired("shadow-ai/unsanctioned-ai-service").len(), 1);
}

#[test]
fn a_learning_device_breaches_policy_but_is_not_new() {
    let mut n = office(copilot_sanctioned());
    // 10.20.1.99 shows up today: still learning.
    n.tls(
        "10.20.1.99",
        "160.79.104.10",
        Some("claude.ai"),
        DAY3,
        4_000,
    );
    assert!(n.fired("shadow-ai/new-ai-service").is_empty());
    assert_eq!(n.fired("shadow-ai/unsanctioned-ai-service").len(), 1);
}

#[test]
fn a_service_named_only_by_dns_is_found_at_the_flows_end() {
    let mut n = office(copilot_sanctioned());
    n.dns("10.20.1.17", "api.anthropic.com", "160.79.104.10", DAY3);
    n.tls("10.20.1.17", "160.79.104.10", None, DAY3 + 1, 4_000);
    let new = n.fired("shadow-ai/new-ai-service");
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].endpoint, "api.anthropic.com");
    assert_eq!(
        n.l.state.ai.devices["10.20.1.17"].services["anthropic-api"].connections,
        1
    );
}

#[test]
fn large_uploads_over_the_threshold_or_far_above_usual() {
    let mut n = office(copilot_sanctioned());
    // Small chats: silent.
    for i in 0..5 {
        n.tls(
            "10.20.1.12",
            "104.18.32.47",
            Some("chatgpt.com"),
            DAY3 + i * 60,
            9_000,
        );
    }
    assert!(n.fired("shadow-ai/large-upload-to-ai-service").is_empty());
    // One 25 MB upload: breaches, with the service unsanctioned (+10).
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("files.oaiusercontent.com"),
        DAY3 + 400,
        25_000_000,
    );
    let up = n.fired("shadow-ai/large-upload-to-ai-service");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].score, 80);
    assert!(
        up[0].reason.contains("23.9 MiB") || up[0].reason.contains("MiB"),
        "{}",
        up[0].reason
    );
    assert!(up[0].reason.contains("threshold"), "{}", up[0].reason);
    // Three 2 MB uploads within the hour add up past 5 MB, on a sanctioned service.
    n.clear();
    for i in 0..3 {
        n.tls(
            "10.20.1.17",
            "140.82.112.22",
            Some("api.githubcopilot.com"),
            DAY3 + 1000 + i * 300,
            2_000_000,
        );
    }
    let up = n.fired("shadow-ai/large-upload-to-ai-service");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].score, 70);
    assert!(
        up[0].reason.contains("in 3 connections"),
        "{}",
        up[0].reason
    );
    // Spread over hours they do not.
    n.clear();
    for i in 0..3 {
        n.tls(
            "10.20.1.50",
            "140.82.112.22",
            Some("api.githubcopilot.com"),
            DAY3 + i * 4000,
            2_000_000,
        );
    }
    assert!(n.fired("shadow-ai/large-upload-to-ai-service").is_empty());
}

#[test]
fn an_upload_far_above_a_devices_usual_breaches_below_the_threshold() {
    let mut n = office(copilot_sanctioned());
    // 10.20.1.40 sends ~12 KB an hour to Copilot (baseline); 1.5 MB now is far above.
    n.tls(
        "10.20.1.40",
        "140.82.112.22",
        Some("api.githubcopilot.com"),
        DAY3,
        1_500_000,
    );
    let up = n.fired("shadow-ai/large-upload-to-ai-service");
    assert_eq!(
        up.len(),
        1,
        "{:?}",
        n.alerts.iter().map(|a| &a.reason).collect::<Vec<_>>()
    );
    assert!(
        up[0].reason.contains("spreads above its usual"),
        "{}",
        up[0].reason
    );
    // Another device without that baseline: 1.5 MB is below the threshold, silent.
    n.clear();
    n.tls(
        "10.20.1.12",
        "140.82.112.22",
        Some("api.githubcopilot.com"),
        DAY3 + 10,
        1_500_000,
    );
    assert!(n.fired("shadow-ai/large-upload-to-ai-service").is_empty());
}

fn rpc(method: &str, name: Option<&str>) -> Value {
    let mut j = json!({"jsonrpc": "2.0", "method": method, "id": true});
    if let Some(n) = name {
        j["params_name"] = json!(n);
    }
    json!({"json": j, "mcp": {"protocol_version": "2025-06-18"}})
}

#[test]
fn mcp_over_plaintext_http() {
    let mut n = office(copilot_sanctioned());
    n.http(
        "10.20.1.40",
        "10.20.0.90",
        8000,
        DAY3,
        "POST",
        "/mcp",
        "python-httpx/0.28.1",
        200,
        rpc("initialize", None),
    );
    n.http(
        "10.20.1.40",
        "10.20.0.90",
        8000,
        DAY3 + 1,
        "POST",
        "/mcp",
        "python-httpx/0.28.1",
        200,
        rpc("tools/call", Some("query_database")),
    );
    let m = n.fired("shadow-ai/mcp-activity");
    assert_eq!(m.len(), 1, "once per client and server");
    assert_eq!(m[0].device, "10.20.1.40");
    assert_eq!(m[0].endpoint, "10.20.0.90:8000");
    assert!(
        m[0].reason.contains("initialize on /mcp"),
        "{}",
        m[0].reason
    );
    let s = &n.l.state.ai.mcp_servers["10.20.0.90:8000"];
    assert_eq!(s.tools["query_database"].count, 1);
    assert_eq!(s.sessions, 1);
    // JSON-RPC that is not MCP (an Ethereum node), and REST JSON: silent.
    n.clear();
    n.http(
        "10.20.1.12",
        "10.20.0.91",
        8545,
        DAY3 + 10,
        "POST",
        "/",
        "curl/8.5.0",
        200,
        json!({"json": {"jsonrpc": "2.0", "method": "eth_blockNumber"}}),
    );
    n.http(
        "10.20.1.12",
        "10.20.0.80",
        80,
        DAY3 + 20,
        "POST",
        "/api/forms",
        "Mozilla/5.0",
        200,
        json!({"json": {"model": "x"}}),
    );
    assert!(n.fired("shadow-ai/mcp-activity").is_empty());
    // Headers alone say MCP (the body may be past what was read).
    n.http(
        "10.20.1.17",
        "10.20.0.92",
        3000,
        DAY3 + 30,
        "POST",
        "/messages",
        "node",
        202,
        json!({"mcp": {"session_id": "abc", "method": "tools/call", "name": "send_email"}}),
    );
    let m = n.fired("shadow-ai/mcp-activity");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].score, 60, "a tool call");
    assert!(
        m[0].reason.contains("tool \"send_email\""),
        "{}",
        m[0].reason
    );
}

#[test]
fn mcp_to_a_listed_server_or_from_an_allowed_network_is_expected() {
    let conf = AiConf {
        mcp_servers: vec!["10.20.0.90".into()],
        allow: vec![AiAllowConf {
            networks: vec!["10.20.1.17".into()],
            mcp: true,
            ..Default::default()
        }],
        ..copilot_sanctioned()
    };
    let mut n = office(conf);
    n.http(
        "10.20.1.40",
        "10.20.0.90",
        8000,
        DAY3,
        "POST",
        "/mcp",
        "x",
        200,
        rpc("tools/list", None),
    );
    n.http(
        "10.20.1.17",
        "10.20.0.93",
        8000,
        DAY3,
        "POST",
        "/mcp",
        "x",
        200,
        rpc("tools/list", None),
    );
    assert!(n.fired("shadow-ai/mcp-activity").is_empty());
    n.http(
        "10.20.1.12",
        "10.20.0.93",
        8000,
        DAY3,
        "POST",
        "/mcp",
        "x",
        200,
        rpc("tools/list", None),
    );
    assert_eq!(n.fired("shadow-ai/mcp-activity").len(), 1);
}

#[test]
fn internal_llm_servers() {
    let mut n = office(copilot_sanctioned());
    let body = |m: &str| json!({"json": {"model": m}});
    n.http(
        "10.20.1.40",
        "10.20.0.120",
        11434,
        DAY3,
        "POST",
        "/api/chat",
        "python-httpx/0.28.1",
        200,
        body("llama3.1:8b"),
    );
    n.http(
        "10.20.1.12",
        "10.20.0.120",
        11434,
        DAY3 + 5,
        "POST",
        "/api/generate",
        "python-httpx/0.28.1",
        200,
        body("qwen2.5:7b"),
    );
    let x = n.fired("shadow-ai/local-llm-server");
    assert_eq!(x.len(), 1, "once per server");
    assert_eq!(x[0].device, "10.20.0.120");
    assert!(
        x[0].reason.contains("serves an Ollama API on port 11434"),
        "{}",
        x[0].reason
    );
    assert!(x[0].reason.contains("model llama3.1:8b"), "{}", x[0].reason);
    n.clear();
    n.http(
        "10.20.1.40",
        "10.20.0.121",
        8000,
        DAY3 + 9,
        "POST",
        "/v1/chat/completions",
        "x",
        200,
        body("Qwen/Qwen2.5-7B-Instruct"),
    );
    assert_eq!(n.fired("shadow-ai/local-llm-server").len(), 1);
    let s = &n.l.state.ai.llm_servers["10.20.0.120:11434"];
    assert_eq!(s.clients.len(), 2);
    assert_eq!(s.models.len(), 2);
    // Not answered, not internal, or not an LLM path: silent.
    n.clear();
    n.http(
        "10.20.1.40",
        "10.20.0.122",
        11434,
        DAY3 + 20,
        "POST",
        "/api/chat",
        "x",
        404,
        body("m"),
    );
    n.http(
        "10.20.1.40",
        "93.184.215.14",
        80,
        DAY3 + 21,
        "POST",
        "/v1/chat/completions",
        "x",
        200,
        body("m"),
    );
    n.http(
        "10.20.1.40",
        "10.20.0.80",
        80,
        DAY3 + 22,
        "POST",
        "/api/forms",
        "x",
        200,
        body("m"),
    );
    assert!(n.fired("shadow-ai/local-llm-server").is_empty());
    // A listed LLM server: silent.
    let mut n = office(AiConf {
        llm_servers: vec!["10.20.0.120".into()],
        ..copilot_sanctioned()
    });
    n.http(
        "10.20.1.40",
        "10.20.0.120",
        11434,
        DAY3,
        "POST",
        "/api/chat",
        "x",
        200,
        body("m"),
    );
    assert!(n.fired("shadow-ai/local-llm-server").is_empty());
}

#[test]
fn ai_sdk_user_agents_from_devices_not_known_to_run_them() {
    let mut n = office(copilot_sanctioned());
    let ua = "OpenAI/Python 1.59.7";
    n.http(
        "10.20.1.40",
        "10.20.0.121",
        8000,
        DAY3,
        "POST",
        "/v1/chat/completions",
        ua,
        200,
        json!({}),
    );
    n.http(
        "10.20.1.40",
        "10.20.0.121",
        8000,
        DAY3 + 10,
        "POST",
        "/v1/chat/completions",
        ua,
        200,
        json!({}),
    );
    let a = n.fired("shadow-ai/ai-agent-user-agent");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].device, "10.20.1.40");
    assert!(
        a[0].reason.contains("OpenAI SDK by OpenAI"),
        "{}",
        a[0].reason
    );
    // Another SDK on the same device is news; the same SDK next day is not.
    n.clear();
    n.http(
        "10.20.1.40",
        "10.20.0.120",
        11434,
        DAY3 + 20,
        "POST",
        "/api/chat",
        "ollama-python/0.4.7 (x86_64 linux) Python/3.12.3",
        200,
        json!({}),
    );
    n.http(
        "10.20.1.40",
        "10.20.0.121",
        8000,
        DAY3 + 86_400,
        "POST",
        "/v1/chat/completions",
        "OpenAI/Python 1.60.0",
        200,
        json!({}),
    );
    let a = n.fired("shadow-ai/ai-agent-user-agent");
    assert_eq!(a.len(), 1);
    assert!(
        a[0].reason.contains("before only OpenAI SDK"),
        "{}",
        a[0].reason
    );
    // Browsers and generic HTTP libraries are not AI agents; a learning device is silent.
    n.clear();
    n.http(
        "10.20.1.12",
        "10.20.0.80",
        80,
        DAY3,
        "GET",
        "/",
        "python-requests/2.32.3",
        200,
        json!({}),
    );
    n.http(
        "10.20.1.98",
        "10.20.0.121",
        8000,
        DAY3,
        "POST",
        "/v1/chat/completions",
        ua,
        200,
        json!({}),
    );
    assert!(n.fired("shadow-ai/ai-agent-user-agent").is_empty());
}

#[test]
fn a_device_seen_with_the_sdk_before_the_catalogue_knew_it_is_known() {
    let mut n = Net::new(copilot_sanctioned());
    n.baseline();
    // The learner saw this user agent in the baseline period (as a device's habit).
    let h = n.header("10.20.1.50", "10.20.0.80", 80);
    n.l.observe(
        &h,
        (T0 + 100) * S,
        &obj(
            json!({"event_type": "http", "http": {"http_user_agent": "anthropic-sdk-python/0.40"}}),
        ),
    );
    n.clear();
    n.http(
        "10.20.1.50",
        "10.20.0.121",
        8000,
        DAY3,
        "POST",
        "/v1/messages",
        "Anthropic/Python 0.42.0",
        200,
        json!({}),
    );
    assert!(n.fired("shadow-ai/ai-agent-user-agent").is_empty());
}

#[test]
fn disabled_models_stay_silent_but_the_inventory_still_learns() {
    let mut n = Net::new(copilot_sanctioned());
    n.d = Detector::new(&ModelConf {
        disabled: vec![
            "shadow-ai/new-ai-service".into(),
            "shadow-ai/unsanctioned-ai-service".into(),
        ],
        ..Default::default()
    });
    n.d.ai = super::AiModels::new(&copilot_sanctioned()).unwrap();
    n.baseline();
    n.tls(
        "10.20.1.12",
        "104.18.32.47",
        Some("chatgpt.com"),
        DAY3,
        8_000,
    );
    assert!(n.alerts.is_empty());
    assert!(n.l.state.ai.uses("10.20.1.12", "openai-chatgpt"));
}
