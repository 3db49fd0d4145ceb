//! `shadow-ai`: three hours of the office (by default Friday 2026-03-13, 08:00–11:00
//! UTC, right after the four days of `office`) in which its staff use AI:
//!
//! - hosted assistants in the browser, over TLS 1.3 with SNI, after DNS lookups:
//!   ChatGPT (LAPTOP-SALES12), Claude (marie-macbook), Perplexity (pierre-mbp), DeepSeek
//!   (julie-air), Gemini (DESKTOP-HR31) and Microsoft Copilot (DESKTOP-ACC11);
//! - a 24 MiB file uploaded to ChatGPT (`files.oaiusercontent.com`) by LAPTOP-SALES12;
//! - on dev-ws40: GitHub Copilot completions from VS Code, Python scripts calling
//!   `api.openai.com` and `api.anthropic.com`, a model download from Hugging Face; and in
//!   plaintext, an MCP client (JSON-RPC 2.0 over HTTP POST `/mcp` with the MCP headers:
//!   `initialize`, `notifications/initialized`, `tools/list`, `tools/call`) talking to
//!   the internal MCP server `mcp.office.example` (10.20.0.90:8000), the Ollama Python
//!   client (`POST /api/chat`, `/api/generate`) against `llm.office.example`
//!   (10.20.0.120:11434), and the OpenAI Python SDK against the OpenAI-compatible
//!   `/v1/chat/completions` of `vllm.office.example` (10.20.0.121:8000).
//!
//! The other devices keep their ordinary day. Hosts and addresses exist only here.

use super::http::{self, Request};
use super::office::DAY;
use super::packet::Ip;
use super::rng::Rng;
use super::run::{Exchange, Peer, Task, What, World, MIN, SEC};
use super::tls::{self, Hello, ServerTls};
use super::world::{self, DEVICES};

/// DESKTOP-ACC11: Microsoft Copilot in Edge (sanctioned by the default profile).
pub const ACC: Ip = [10, 20, 1, 11];
/// LAPTOP-SALES12: ChatGPT, and the large upload.
pub const SALES: Ip = [10, 20, 1, 12];
/// marie-macbook: Claude.
pub const MARIE: Ip = [10, 20, 1, 17];
/// pierre-mbp: Perplexity.
pub const PIERRE: Ip = [10, 20, 1, 18];
/// julie-air: DeepSeek.
pub const JULIE: Ip = [10, 20, 1, 19];
/// DESKTOP-HR31: Gemini.
pub const HR: Ip = [10, 20, 1, 31];
/// dev-ws40: Copilot, model APIs, Hugging Face, MCP, Ollama, vLLM.
pub const DEV: Ip = [10, 20, 1, 40];

/// The internal MCP server.
pub const MCP_HOST: &str = "mcp.office.example";
pub const MCP_IP: Ip = [10, 20, 0, 90];
pub const MCP_PORT: u16 = 8000;
/// The internal Ollama server.
pub const OLLAMA_HOST: &str = "llm.office.example";
pub const OLLAMA_IP: Ip = [10, 20, 0, 120];
pub const OLLAMA_PORT: u16 = 11434;
/// The internal vLLM server (OpenAI-compatible API).
pub const VLLM_HOST: &str = "vllm.office.example";
pub const VLLM_IP: Ip = [10, 20, 0, 121];
pub const VLLM_PORT: u16 = 8000;

/// Bytes of the file LAPTOP-SALES12 uploads to ChatGPT.
pub const UPLOAD_BYTES: usize = 24 << 20;

/// The MCP client's and the LLM clients' user agents.
pub const UA_MCP: &str = "python-httpx/0.28.1";
pub const UA_OLLAMA: &str = "ollama-python/0.4.7 (x86_64 linux) Python/3.12.3";
pub const UA_OPENAI: &str = "OpenAI/Python 1.59.7";

/// A host of the scenario: name, CNAME chain, address, TTL, round trip (ms).
struct Host(&'static str, &'static [&'static str], Ip, u32, u32);

const HOSTS: &[Host] = &[
    Host("chatgpt.com", &[], [104, 18, 32, 47], 300, 12),
    Host("ab.chatgpt.com", &[], [104, 18, 37, 228], 300, 12),
    Host("cdn.oaistatic.com", &[], [104, 18, 41, 158], 300, 12),
    Host(
        "files.oaiusercontent.com",
        &["files-oaiusercontent.trafficmanager.net"],
        [20, 209, 161, 129],
        60,
        28,
    ),
    Host("claude.ai", &[], [160, 79, 104, 10], 300, 18),
    Host("www.perplexity.ai", &[], [104, 18, 26, 48], 300, 12),
    Host("chat.deepseek.com", &[], [116, 205, 40, 114], 600, 210),
    Host("gemini.google.com", &[], [142, 250, 179, 110], 300, 11),
    Host(
        "copilot.microsoft.com",
        &["copilot-microsoft-com.a-0001.a-msedge.net"],
        [13, 107, 246, 60],
        60,
        14,
    ),
    Host(
        "api.individual.githubcopilot.com",
        &[],
        [140, 82, 112, 22],
        60,
        94,
    ),
    Host("api.openai.com", &[], [162, 159, 140, 245], 300, 12),
    Host("api.anthropic.com", &[], [160, 79, 104, 11], 300, 18),
    Host("huggingface.co", &[], [3, 165, 160, 12], 60, 15),
    Host(
        "cdn-lfs.huggingface.co",
        &["d2ws9o8vfrpkyk.cloudfront.net"],
        [18, 244, 28, 55],
        60,
        15,
    ),
    Host(MCP_HOST, &[], MCP_IP, 3600, 1),
    Host(OLLAMA_HOST, &[], OLLAMA_IP, 3600, 1),
    Host(VLLM_HOST, &[], VLLM_IP, 3600, 1),
];

/// A hosted assistant and who uses it: device, main host, asset hosts.
const CHATS: &[(Ip, &str, &[&str])] = &[
    (
        SALES,
        "chatgpt.com",
        &["cdn.oaistatic.com", "ab.chatgpt.com"],
    ),
    (MARIE, "claude.ai", &[]),
    (PIERRE, "www.perplexity.ai", &[]),
    (JULIE, "chat.deepseek.com", &[]),
    (HR, "gemini.google.com", &[]),
    (ACC, "copilot.microsoft.com", &[]),
];

/// One step of the scenario, run at a task's time on its device.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// A session with the hosted assistant of `CHATS[i]`: the page, then prompts.
    Chat(usize),
    /// LAPTOP-SALES12 uploads a 24 MiB file to ChatGPT.
    Upload,
    /// VS Code asks GitHub Copilot for completions.
    Copilot,
    /// A Python script calls a hosted model API (`api.openai.com` or
    /// `api.anthropic.com`).
    Api(&'static str),
    /// A model download from Hugging Face.
    HfDownload,
    /// An MCP session `n` with the internal MCP server.
    Mcp(u32),
    /// An Ollama request `n`.
    Ollama(u32),
    /// An OpenAI-compatible chat completion `n` to vLLM.
    Vllm(u32),
}

const T13: ServerTls = ServerTls {
    tls13: true,
    chain: &[],
    ecdsa: false,
    cipher13: 4865,
};

fn host(name: &str) -> &'static Host {
    HOSTS
        .iter()
        .find(|h| h.0 == name)
        .unwrap_or_else(|| panic!("{name} is not a shadow-ai host"))
}

/// Adds the scenario's names to the resolver.
pub fn setup(w: &mut World) {
    for h in HOSTS {
        w.resolver.zone.add(h.0, h.1, &[h.2], h.3);
    }
}

fn task(t: u64, ip: Ip, step: Step) -> Task {
    Task {
        t,
        dev: world::device(ip),
        what: What::Ai(step),
    }
}

/// The scenario's steps from `start` until `end`.
pub fn plan(seed: u64, start: u64, end: u64) -> Vec<Task> {
    let mut r = Rng::derive(seed, "shadow-ai", 0);
    let day = start / DAY * DAY;
    let mut out = Vec::new();
    for (i, (ip, _, _)) in CHATS.iter().enumerate() {
        let arrived = super::attacks::arrival(seed, world::device(*ip), day).max(start);
        // A first session soon after arrival, then every 25 to 55 minutes.
        let mut t = arrived + 8 * MIN + r.below(15 * MIN);
        while t + 10 * MIN < end {
            out.push(task(t, *ip, Step::Chat(i)));
            t += 25 * MIN + r.below(30 * MIN);
        }
    }
    // The upload: 35 to 45 minutes after LAPTOP-SALES12's first ChatGPT session.
    let first_chat = out
        .iter()
        .filter(|x| x.dev == world::device(SALES))
        .map(|x| x.t)
        .min()
        .unwrap_or(start + 30 * MIN);
    out.push(task(
        first_chat + 35 * MIN + r.below(10 * MIN),
        SALES,
        Step::Upload,
    ));
    // dev-ws40's day with AI.
    let dev = super::attacks::arrival(seed, world::device(DEV), day).max(start);
    let mut t = dev + 3 * MIN + r.below(3 * MIN);
    while t < end - 2 * MIN {
        out.push(task(t, DEV, Step::Copilot));
        t += 4 * MIN + r.below(8 * MIN);
    }
    for (k, api) in [
        "api.openai.com",
        "api.anthropic.com",
        "api.openai.com",
        "api.openai.com",
        "api.anthropic.com",
    ]
    .iter()
    .enumerate()
    {
        let t = dev + 15 * MIN + k as u64 * 25 * MIN + r.below(10 * MIN);
        if t < end - 5 * MIN {
            out.push(task(t, DEV, Step::Api(api)));
        }
    }
    out.push(task(
        dev + 22 * MIN + r.below(5 * MIN),
        DEV,
        Step::HfDownload,
    ));
    for n in 0..2u32 {
        let t = dev + 30 * MIN + u64::from(n) * 55 * MIN + r.below(10 * MIN);
        if t < end - 5 * MIN {
            out.push(task(t, DEV, Step::Mcp(n)));
        }
    }
    let mut t = dev + 40 * MIN + r.below(5 * MIN);
    let mut n = 0;
    while t < end - 5 * MIN {
        out.push(task(t, DEV, Step::Ollama(n)));
        if n % 2 == 1 {
            out.push(task(t + 2 * MIN + r.below(MIN), DEV, Step::Vllm(n / 2)));
        }
        n += 1;
        t += 9 * MIN + r.below(12 * MIN);
    }
    out
}

fn peer(h: &Host, port: u16) -> Peer {
    Peer {
        ip: h.2,
        port,
        rtt_ms: h.4,
        hop_ttl: if h.2[0] == 10 { 63 } else { 52 },
    }
}

/// A TLS connection from `dev` to the named host after a lookup; returns its end.
#[allow(clippy::too_many_arguments)]
fn tls_to(
    w: &mut World,
    r: &mut Rng,
    dev: usize,
    name: &str,
    t: u64,
    hello: &Hello,
    x: &[Exchange],
    idle: u64,
    rates: Option<(f64, f64)>,
) -> u64 {
    let h = host(name);
    let (ip, ready) = w.lookup(r, dev, h.0, t);
    if ip.is_none() {
        return t;
    }
    w.tls(
        r,
        dev,
        &peer(h, 443),
        ready,
        hello,
        Some(h.0),
        &T13,
        x,
        idle,
        rates,
    )
}

/// Plaintext HTTP messages from `dev` to an internal server after a lookup.
fn http_to(
    w: &mut World,
    r: &mut Rng,
    dev: usize,
    name: &str,
    port: u16,
    t: u64,
    msgs: &[(Vec<u8>, Vec<u8>)],
) {
    let h = host(name);
    let (ip, ready) = w.lookup(r, dev, h.0, t);
    if ip.is_none() {
        return;
    }
    w.http(r, dev, &peer(h, port), ready, msgs, false, None);
}

/// Some words for prompts and answers: `lo` characters and up to `spread` more.
fn words(r: &mut Rng, lo: usize, spread: u64) -> String {
    let n = lo + r.below(spread) as usize;
    const W: &[&str] = &[
        "quarterly",
        "customer",
        "pipeline",
        "summary",
        "revenue",
        "draft",
        "email",
        "table",
        "the",
        "for",
        "and",
        "please",
        "report",
        "contract",
        "renewal",
        "forecast",
        "team",
        "rewrite",
        "bullet",
        "points",
        "policy",
        "translate",
        "french",
        "meeting",
        "notes",
    ];
    let mut s = String::new();
    while s.len() < n {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(r.pick::<&str>(W));
    }
    s
}

fn json_response(date: &str, body: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut h: Vec<(&str, &str)> = vec![
        ("Date", date),
        ("Server", "uvicorn"),
        ("Content-Type", "application/json"),
    ];
    h.extend_from_slice(extra);
    http::response(200, &h, body.as_bytes())
}

/// One MCP request (JSON-RPC 2.0 POST /mcp) and its answer.
fn mcp_message(
    session: Option<&str>,
    body: &str,
    answer: Option<&str>,
    date: &str,
    new_session: Option<&str>,
) -> (Vec<u8>, Vec<u8>) {
    let host = format!("{MCP_HOST}:{MCP_PORT}");
    let mut headers: Vec<(&str, &str)> = vec![
        ("Accept", "application/json, text/event-stream"),
        ("Content-Type", "application/json"),
    ];
    if let Some(s) = session {
        headers.push(("mcp-session-id", s));
        headers.push(("mcp-protocol-version", "2025-06-18"));
    }
    let req = Request {
        method: "POST",
        path: "/mcp",
        host: &host,
        user_agent: Some(UA_MCP),
        headers: &headers,
        body: body.as_bytes(),
    }
    .bytes();
    let resp = match answer {
        Some(a) => {
            let extra: Vec<(&str, &str)> = new_session
                .map(|s| vec![("mcp-session-id", s)])
                .unwrap_or_default();
            json_response(date, a, &extra)
        }
        None => http::response(202, &[("Date", date), ("Server", "uvicorn")], b""),
    };
    (req, resp)
}

/// Runs one step.
pub fn run(w: &mut World, r: &mut Rng, dev: usize, step: Step, t: u64) {
    let d = &DEVICES[dev];
    match step {
        Step::Chat(i) => {
            let (_, main, assets) = CHATS[i];
            let prompts = 2 + r.below(4) as usize;
            let mut x = vec![Exchange {
                req: 650,
                resp: 40_000 + r.below(80_000) as usize,
                think: 100,
            }];
            for _ in 0..prompts {
                x.push(Exchange {
                    req: 1_500 + r.below(5_000) as usize,
                    resp: 12_000 + r.below(60_000) as usize,
                    think: 15 * SEC + r.below(75 * SEC),
                });
            }
            let idle = 20 * SEC + r.below(40 * SEC);
            tls_to(w, r, dev, main, t, d.hello, &x, idle, None);
            for (k, a) in assets.iter().enumerate() {
                let x = [Exchange {
                    req: 500,
                    resp: 3_000 + r.below(90_000) as usize,
                    think: 100,
                }];
                tls_to(
                    w,
                    r,
                    dev,
                    a,
                    t + 300_000 + k as u64 * 150_000,
                    d.hello,
                    &x,
                    5 * SEC,
                    None,
                );
            }
        }
        Step::Upload => {
            // The chat page asks for an upload URL, then the browser PUTs the file.
            let x = [Exchange {
                req: 1_100,
                resp: 2_400,
                think: 100,
            }];
            let done = tls_to(w, r, dev, "chatgpt.com", t, d.hello, &x, 2 * SEC, None);
            let x = [Exchange {
                req: UPLOAD_BYTES + 1_800,
                resp: 900,
                think: 200,
            }];
            tls_to(
                w,
                r,
                dev,
                "files.oaiusercontent.com",
                done.min(t + 3 * SEC),
                d.hello,
                &x,
                3 * SEC,
                Some((40e6, 100e6)),
            );
        }
        Step::Copilot => {
            let n = 2 + r.below(6) as usize;
            let x: Vec<Exchange> = (0..n)
                .map(|j| Exchange {
                    req: 1_500 + r.below(3_000) as usize,
                    resp: 400 + r.below(2_500) as usize,
                    think: if j == 0 {
                        100
                    } else {
                        2 * SEC + r.below(40 * SEC)
                    },
                })
                .collect();
            let idle = 5 * SEC + r.below(20 * SEC);
            tls_to(
                w,
                r,
                dev,
                "api.individual.githubcopilot.com",
                t,
                &tls::CHROMIUM,
                &x,
                idle,
                None,
            );
        }
        Step::Api(name) => {
            let n = 1 + r.below(3) as usize;
            let x: Vec<Exchange> = (0..n)
                .map(|j| Exchange {
                    req: 900 + r.below(4_000) as usize,
                    resp: 800 + r.below(6_000) as usize,
                    think: if j == 0 {
                        100
                    } else {
                        3 * SEC + r.below(10 * SEC)
                    },
                })
                .collect();
            tls_to(w, r, dev, name, t, &tls::OPENSSL_CURL, &x, 500_000, None);
        }
        Step::HfDownload => {
            let x = [Exchange {
                req: 420,
                resp: 2_800,
                think: 100,
            }];
            let done = tls_to(
                w,
                r,
                dev,
                "huggingface.co",
                t,
                &tls::OPENSSL_CURL,
                &x,
                300_000,
                None,
            );
            let x = [Exchange {
                req: 520,
                resp: 6_000_000 + r.below(500_000) as usize,
                think: 100,
            }];
            tls_to(
                w,
                r,
                dev,
                "cdn-lfs.huggingface.co",
                done.min(t + 2 * SEC),
                &tls::OPENSSL_CURL,
                &x,
                300_000,
                Some((20e6, 80e6)),
            );
        }
        Step::Mcp(n) => {
            let date = http::date(t);
            let session = r.hex(32);
            let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"mcp","version":"0.1.0"}}}"#;
            let init_ok = r#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{"experimental":{},"prompts":{"listChanged":false},"resources":{"subscribe":false,"listChanged":false},"tools":{"listChanged":false}},"serverInfo":{"name":"office-tools","version":"1.9.4"}}}"#;
            let tools = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"query_database","description":"Run a read-only SQL query on the CRM database","inputSchema":{"type":"object","properties":{"sql":{"type":"string"}},"required":["sql"]}},{"name":"read_file","description":"Read a file from the shared drive","inputSchema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}},{"name":"create_ticket","description":"Open a helpdesk ticket","inputSchema":{"type":"object","properties":{"title":{"type":"string"},"body":{"type":"string"}},"required":["title"]}}]}}"#;
            let calls: &[(&str, &str)] = if n == 0 {
                &[
                    (
                        "query_database",
                        r#"{"sql":"SELECT name, email, arr FROM customers ORDER BY arr DESC LIMIT 50"}"#,
                    ),
                    (
                        "read_file",
                        r#"{"path":"/shares/finance/forecast-2026-q2.xlsx"}"#,
                    ),
                ]
            } else {
                &[(
                    "create_ticket",
                    r#"{"title":"VPN drops every hour","body":"Seen since Monday"}"#,
                )]
            };
            let mut msgs = vec![
                mcp_message(None, init, Some(init_ok), &date, Some(&session)),
                mcp_message(
                    Some(&session),
                    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                    None,
                    &date,
                    None,
                ),
                mcp_message(
                    Some(&session),
                    r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
                    Some(tools),
                    &date,
                    None,
                ),
            ];
            for (k, (tool, args)) in calls.iter().enumerate() {
                let id = k + 2;
                let body = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
                );
                let answer = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"{}"}}],"isError":false}}}}"#,
                    words(r, 300, 2_500)
                );
                msgs.push(mcp_message(
                    Some(&session),
                    &body,
                    Some(&answer),
                    &date,
                    None,
                ));
            }
            http_to(w, r, dev, MCP_HOST, MCP_PORT, t, &msgs);
        }
        Step::Ollama(n) => {
            let date = http::date(t);
            let model = "llama3.1:8b";
            let (path, body) = if n % 2 == 0 {
                (
                    "/api/chat",
                    format!(
                        r#"{{"model":"{model}","messages":[{{"role":"user","content":"{}"}}],"tools":[],"stream":false,"format":null,"options":{{}},"keep_alive":null}}"#,
                        words(r, 200, 800)
                    ),
                )
            } else {
                (
                    "/api/generate",
                    format!(
                        r#"{{"model":"{model}","prompt":"{}","suffix":"","system":"","template":"","context":null,"stream":false,"raw":false,"format":null,"images":null,"options":{{}},"keep_alive":null}}"#,
                        words(r, 200, 800)
                    ),
                )
            };
            let host = format!("{OLLAMA_HOST}:{OLLAMA_PORT}");
            let req = Request {
                method: "POST",
                path,
                host: &host,
                user_agent: Some(UA_OLLAMA),
                headers: &[
                    ("Accept-Encoding", "gzip, deflate"),
                    ("Accept", "application/json"),
                    ("Connection", "keep-alive"),
                    ("Content-Type", "application/json"),
                ],
                body: body.as_bytes(),
            }
            .bytes();
            let text = words(r, 400, 2_000);
            let answer = if path == "/api/chat" {
                format!(
                    r#"{{"model":"{model}","created_at":"2026-03-13T09:00:00.000000Z","message":{{"role":"assistant","content":"{text}"}},"done_reason":"stop","done":true,"total_duration":{},"eval_count":{}}}"#,
                    2_000_000_000 + r.below(9_000_000_000),
                    100 + r.below(400)
                )
            } else {
                format!(
                    r#"{{"model":"{model}","created_at":"2026-03-13T09:00:00.000000Z","response":"{text}","done":true,"done_reason":"stop","total_duration":{}}}"#,
                    2_000_000_000 + r.below(9_000_000_000)
                )
            };
            let resp = http::response(
                200,
                &[
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("Date", &date),
                ],
                answer.as_bytes(),
            );
            http_to(w, r, dev, OLLAMA_HOST, OLLAMA_PORT, t, &[(req, resp)]);
        }
        Step::Vllm(n) => {
            let date = http::date(t);
            let model = "Qwen/Qwen2.5-7B-Instruct";
            let body = format!(
                r#"{{"messages":[{{"role":"system","content":"You are a helpful assistant."}},{{"role":"user","content":"{}"}}],"model":"{model}","temperature":0.2}}"#,
                words(r, 150, 600)
            );
            let host = format!("{VLLM_HOST}:{VLLM_PORT}");
            let req = Request {
                method: "POST",
                path: "/v1/chat/completions",
                host: &host,
                user_agent: Some(UA_OPENAI),
                headers: &[
                    ("Accept-Encoding", "gzip, deflate"),
                    ("Connection", "keep-alive"),
                    ("Accept", "application/json"),
                    ("Content-Type", "application/json"),
                    ("X-Stainless-Lang", "python"),
                    ("X-Stainless-Package-Version", "1.59.7"),
                    ("X-Stainless-OS", "Linux"),
                    ("X-Stainless-Arch", "x64"),
                    ("X-Stainless-Runtime", "CPython"),
                    ("X-Stainless-Runtime-Version", "3.12.3"),
                    ("Authorization", "Bearer EMPTY"),
                    ("X-Stainless-Retry-Count", "0"),
                ],
                body: body.as_bytes(),
            }
            .bytes();
            let answer = format!(
                r#"{{"id":"chatcmpl-{}","object":"chat.completion","created":1773392400,"model":"{model}","choices":[{{"index":0,"message":{{"role":"assistant","content":"{}"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":0}}}}"#,
                r.hex(16),
                words(r, 300, 1_500),
                40 + n * 3,
                120 + r.below(300)
            );
            let resp = json_response(&date, &answer, &[]);
            http_to(w, r, dev, VLLM_HOST, VLLM_PORT, t, &[(req, resp)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::jsonrpc;

    #[test]
    fn plan_covers_every_step_within_the_window() {
        let start = (1_773_360_000 + 8 * 3600) * SEC;
        let end = start + 180 * MIN;
        let tasks = plan(1, start, end);
        let count = |f: &dyn Fn(&Step) -> bool| {
            tasks
                .iter()
                .filter(|t| matches!(t.what, What::Ai(s) if f(&s)))
                .count()
        };
        assert_eq!(count(&|s| matches!(s, Step::Upload)), 1);
        assert!(count(&|s| matches!(s, Step::Mcp(_))) == 2);
        assert!(count(&|s| matches!(s, Step::Ollama(_))) >= 3);
        assert!(count(&|s| matches!(s, Step::Vllm(_))) >= 1);
        assert!(count(&|s| matches!(s, Step::Copilot)) >= 10);
        for i in 0..CHATS.len() {
            assert!(
                count(&|s| matches!(s, Step::Chat(j) if *j == i)) >= 2,
                "{i}"
            );
        }
        assert!(tasks.iter().all(|t| t.t >= start && t.t < end));
        // Every name resolves in the scenario's zone; the catalogue knows the public ones.
        let cat = crate::ai::catalog::Catalog::builtin();
        for h in HOSTS {
            assert!(
                h.0.ends_with(".office.example") || cat.service(h.0).is_some(),
                "{}",
                h.0
            );
        }
    }

    #[test]
    fn mcp_and_llm_bodies_read_as_the_worker_reads_them() {
        let (req, _) = mcp_message(
            Some("s"),
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/x"}}}"#,
            Some("{}"),
            "d",
            None,
        );
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("POST /mcp HTTP/1.1\r\nHost: mcp.office.example:8000\r\n"));
        assert!(text.contains("mcp-protocol-version: 2025-06-18\r\n"));
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let f = jsonrpc::scan(body.as_bytes()).unwrap();
        assert_eq!(f.method, Some(&b"tools/call"[..]));
        assert_eq!(f.name, Some(&b"read_file"[..]));
    }
}
