//! What each request gets: the routes of the JSON API (`docs/openapi.yaml`), `/metrics`
//! and the console's files, answered from the current view. Independent of the HTTP
//! server, so every route is tested without a socket. Approving and releasing an action
//! is not answered here: it becomes a command for the control plane, which answers it
//! with the same code as `vigil actions` on the control socket.

use super::view::View;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// Request counters.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub unauthorized: AtomicU64,
    pub not_found: AtomicU64,
    pub commands: AtomicU64,
}

/// An answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Response {
    pub fn json(status: u16, v: &Value) -> Response {
        Response {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(v).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    pub fn error(status: u16, msg: &str) -> Response {
        Response::json(status, &json!({"error": msg}))
    }

    fn bytes(content_type: &'static str, body: &[u8]) -> Response {
        Response {
            status: 200,
            content_type,
            body: body.to_vec(),
            headers: Vec::new(),
        }
    }
}

/// What the server does with a request.
pub enum Outcome {
    Answer(Response),
    /// Send this command to the control plane; its answer (`{"ok": ...}`) is the reply.
    Command(Value),
}

/// A request, as the router needs it.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// The settings the router needs.
pub struct Routing<'a> {
    pub token: &'a super::auth::Token,
    pub console: bool,
    pub counters: &'a Counters,
    pub view_interval_s: u64,
}

/// Decodes `%XX` escapes and `+`.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query parameter.
fn param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

fn limit(query: &str, default: usize) -> Result<usize, Response> {
    match param(query, "limit") {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Response::error(400, "limit must be a whole number of at least 1")),
    }
}

fn ts(ns: u64) -> Value {
    if ns == 0 {
        Value::Null
    } else {
        json!(crate::output::eve::timestamp(ns))
    }
}

/// `GET /api/v1/status`.
pub fn status(v: &View, r: &Routing<'_>, history: bool) -> Value {
    let packets: u64 = v.workers.iter().map(|w| w.packets).sum();
    let bytes: u64 = v.workers.iter().map(|w| w.bytes).sum();
    let open = v.incidents.iter().filter(|i| i["open"] == true).count();
    let count = |state: &str| v.actions.iter().filter(|a| a["state"] == state).count();
    let mut s = json!({
        "sensor": v.sensor,
        "version": env!("CARGO_PKG_VERSION"),
        "input": v.input,
        "live": v.live,
        "started": ts(v.started_ns),
        "uptime_s": v.built_ns.saturating_sub(v.started_ns) / 1_000_000_000,
        "packet_time": ts(v.packet_time_ns),
        "view": {
            "built": ts(v.built_ns),
            "interval_s": r.view_interval_s,
            "build_ms": v.build_ns as f64 / 1e6,
            "views": v.views,
        },
        "packets": packets,
        "bytes": bytes,
        "flows": v.flows,
        "drops": {
            "total": v.port.drops(),
            "imissed": v.port.imissed,
            "rx_nombuf": v.port.rx_nombuf,
            "dispatch": v.port.dispatch_dropped,
            "summary_queue_full": v.workers.iter().map(|w| w.summary_queue_full).sum::<u64>(),
            "records_dropped": v.workers.iter().map(|w| w.records_dropped).sum::<u64>(),
        },
        "errors": v.port.ierrors,
        "rate": {"pps": v.rate.pps, "bps": v.rate.bps, "drops_ps": v.rate.drops_ps},
        "workers": v.workers.iter().enumerate().map(|(i, w)| json!({
            "id": i, "packets": w.packets, "bytes": w.bytes, "flows": w.flows,
            "flows_active": w.flows_active, "records_dropped": w.records_dropped,
            "summary_queue_full": w.summary_queue_full, "summary_queue_depth": w.summary_depth,
            "record_queue_depth": w.record_depth,
        })).collect::<Vec<_>>(),
        "incidents": {"open": open, "total": v.incidents_total},
        "actions": {"pending": count("pending"), "active": count("active")},
        "alerts": v.alerts_by_model.values().sum::<u64>(),
        "devices": v.devices_learned,
        "endpoints": v.endpoints_learned,
        "rare_endpoints": v.rare_endpoints,
        "eve_records": v.eve_records,
        "outputs": v.outputs,
        "api": {
            "requests": r.counters.requests.load(Ordering::Relaxed),
            "unauthorized": r.counters.unauthorized.load(Ordering::Relaxed),
        },
        "hot_path_allocations": v.hot_path_allocations,
    });
    if history {
        s["history"] = v
            .history
            .iter()
            .map(|h| json!({"t": h.at_s, "pps": h.pps, "bps": h.bps, "drops_ps": h.drops_ps}))
            .collect();
    }
    s
}

/// Whether a path needs the token (everything but the console's files, the OpenAPI
/// document and the health check).
fn public(path: &str) -> bool {
    matches!(
        path,
        "/" | "/index.html" | "/console.js" | "/console.css" | "/healthz" | "/api/v1/openapi.yaml"
    )
}

/// Answers a request from the view.
pub fn route(req: &Request<'_>, v: &View, r: &Routing<'_>) -> Outcome {
    r.counters.requests.fetch_add(1, Ordering::Relaxed);
    let path = req.path;
    if !public(path) && !r.token.check(req.authorization) {
        r.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
        let mut resp = Response::error(401, "a valid bearer token is needed");
        resp.headers
            .push(("WWW-Authenticate", "Bearer realm=\"vigil\"".into()));
        return Outcome::Answer(resp);
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = req.method == "GET" || req.method == "HEAD";
    let answer = |resp| Outcome::Answer(resp);
    let not_found = || {
        r.counters.not_found.fetch_add(1, Ordering::Relaxed);
        Outcome::Answer(Response::error(404, "no such resource"))
    };
    // POST /api/v1/actions/{id}/{approve|release}
    if let ["api", "v1", "actions", id, verb @ ("approve" | "release")] = parts.as_slice() {
        if req.method != "POST" {
            return answer(method_not_allowed("POST"));
        }
        let Ok(id) = id.parse::<u64>() else {
            return answer(Response::error(400, "an action id is a number"));
        };
        let body: Value = if req.body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(req.body) {
                Ok(b) => b,
                Err(_) => return answer(Response::error(400, "the body must be JSON")),
            }
        };
        let who = body["by"]
            .as_str()
            .filter(|s| !s.trim().is_empty() && s.len() <= 64)
            .map_or("the API".to_string(), |s| format!("{} (API)", s.trim()));
        r.counters.commands.fetch_add(1, Ordering::Relaxed);
        return Outcome::Command(json!({"cmd": verb, "id": id, "by": who}));
    }
    if !get {
        return answer(method_not_allowed("GET"));
    }
    match parts.as_slice() {
        [""] | ["index.html"] if r.console => answer(Response::bytes(
            "text/html; charset=utf-8",
            super::console::INDEX.as_bytes(),
        )),
        ["console.js"] if r.console => answer(Response::bytes(
            "text/javascript; charset=utf-8",
            super::console::SCRIPT.as_bytes(),
        )),
        ["console.css"] if r.console => answer(Response::bytes(
            "text/css; charset=utf-8",
            super::console::STYLE.as_bytes(),
        )),
        ["healthz"] => answer(Response::json(200, &json!({"ok": true}))),
        ["api", "v1", "openapi.yaml"] => answer(Response::bytes(
            "application/yaml",
            super::console::OPENAPI.as_bytes(),
        )),
        ["metrics"] => answer(Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: super::metrics::render(v, r).into_bytes(),
            headers: Vec::new(),
        }),
        ["api", "v1", "status"] => {
            let h = param(req.query, "history").is_some_and(|h| h == "true" || h == "1");
            answer(Response::json(200, &status(v, r, h)))
        }
        ["api", "v1", "devices"] => {
            let list: Vec<&Value> = v.devices.iter().map(|d| &*d.summary).collect();
            answer(Response::json(
                200,
                &json!({"as_of": ts(v.packet_time_ns), "devices": list}),
            ))
        }
        ["api", "v1", "devices", ip] => {
            let ip = decode(ip);
            match v.devices.iter().find(|d| d.summary["ip"] == ip.as_str()) {
                Some(dv) => {
                    let mut d = (*dv.summary).clone();
                    d["pattern"] = (*dv.pattern).clone();
                    d["breaches"] = device_breaches(v, &ip);
                    d["incidents"] = v
                        .incidents
                        .iter()
                        .filter(|i| i["devices"].as_array().is_some_and(|a| a.iter().any(|x| x == ip.as_str())))
                        .map(|i| json!({"id": i["id"], "score": i["score"], "first": i["first"], "last": i["last"], "open": i["open"]}))
                        .collect();
                    answer(Response::json(200, &d))
                }
                None => not_found(),
            }
        }
        ["api", "v1", "endpoints"] => match limit(req.query, 1000) {
            Ok(n) => answer(Response::json(
                200,
                &json!({
                    "as_of": ts(v.packet_time_ns),
                    "rare_devices": v.rare_devices,
                    "rare_total": v.rare_endpoints,
                    "endpoints": v.endpoints.iter().take(n).collect::<Vec<_>>(),
                }),
            )),
            Err(e) => answer(e),
        },
        ["api", "v1", "alerts"] => {
            let n = match limit(req.query, 200) {
                Ok(n) => n,
                Err(e) => return answer(e),
            };
            let device = param(req.query, "device");
            let model = param(req.query, "model");
            let list: Vec<&Value> = v
                .alerts
                .iter()
                .map(|a| &**a)
                .filter(|a| device.as_deref().is_none_or(|d| a["vigil"]["device"] == d))
                .filter(|a| model.as_deref().is_none_or(|m| a["vigil"]["model"] == m))
                .take(n)
                .collect();
            answer(Response::json(200, &json!({"alerts": list})))
        }
        ["api", "v1", "incidents"] => {
            let n = match limit(req.query, 100) {
                Ok(n) => n,
                Err(e) => return answer(e),
            };
            let open_only = param(req.query, "open").is_some_and(|o| o == "true" || o == "1");
            let list: Vec<Value> = v
                .incidents
                .iter()
                .filter(|i| !open_only || i["open"] == true)
                .take(n)
                .map(|i| {
                    let mut s = (**i).clone();
                    if let Value::Object(m) = &mut s {
                        m.remove("alerts");
                    }
                    s
                })
                .collect();
            answer(Response::json(
                200,
                &json!({"total": v.incidents_total, "incidents": list}),
            ))
        }
        ["api", "v1", "incidents", id] => {
            let Ok(id) = id.parse::<u64>() else {
                return answer(Response::error(400, "an incident id is a number"));
            };
            match v.incidents.iter().find(|i| i["id"] == id) {
                Some(i) => {
                    let mut i = (**i).clone();
                    i["actions"] = v
                        .actions
                        .iter()
                        .filter(|a| a["incident_id"] == id)
                        .cloned()
                        .collect();
                    answer(Response::json(200, &i))
                }
                None => not_found(),
            }
        }
        ["api", "v1", "actions"] => {
            let state = param(req.query, "state");
            let list: Vec<&Value> = v
                .actions
                .iter()
                .filter(|a| state.as_deref().is_none_or(|s| a["state"] == s))
                .collect();
            answer(Response::json(200, &json!({"actions": list})))
        }
        ["api", "v1", "actions", id] => match id.parse::<u64>() {
            Ok(id) => match v.actions.iter().find(|a| a["id"] == id) {
                Some(a) => answer(Response::json(200, a)),
                None => not_found(),
            },
            Err(_) => answer(Response::error(400, "an action id is a number")),
        },
        ["api", "v1", "ai"] => answer(Response::json(200, &v.ai)),
        _ => not_found(),
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = Response::error(405, "method not allowed");
    r.headers.push(("Allow", allow.into()));
    r
}

/// A device's breaches, newest first, from its incidents (kept across restarts).
fn device_breaches(v: &View, ip: &str) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for i in &v.incidents {
        for a in i["alerts"].as_array().into_iter().flatten() {
            if a["device"] == ip {
                let mut a = a.clone();
                a["incident_id"] = i["id"].clone();
                out.push(a);
            }
        }
    }
    out.sort_by(|a, b| b["timestamp"].as_str().cmp(&a["timestamp"].as_str()));
    out.truncate(100);
    Value::Array(out)
}

/// The answer to a command, as an HTTP response: 200 with the action, 409 when the
/// action is not in a state that allows it, 404 when there is none.
pub fn command_answer(answer: &Value) -> Response {
    if answer["ok"] == true {
        return Response::json(200, answer);
    }
    let msg = answer["error"].as_str().unwrap_or("refused");
    let status = if msg.starts_with("no action") {
        404
    } else {
        409
    };
    Response::json(status, answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::Token;
    use std::sync::Arc;

    fn routing<'a>(t: &'a Token, c: &'a Counters) -> Routing<'a> {
        Routing {
            token: t,
            console: true,
            counters: c,
            view_interval_s: 1,
        }
    }

    fn req<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        auth: Option<&'a [u8]>,
    ) -> Request<'a> {
        Request {
            method,
            path,
            query,
            authorization: auth,
            body: b"",
        }
    }

    fn answer(o: Outcome) -> Response {
        match o {
            Outcome::Answer(r) => r,
            Outcome::Command(_) => panic!("a command"),
        }
    }

    #[test]
    fn tokens_guard_everything_but_the_console_files() {
        let t = Token::new(b"0123456789abcdef");
        let c = Counters::default();
        let r = routing(&t, &c);
        let v = View::default();
        let good: &[u8] = b"Bearer 0123456789abcdef";
        for p in [
            "/api/v1/status",
            "/metrics",
            "/api/v1/devices",
            "/api/v1/ai",
            "/nope",
        ] {
            let resp = answer(route(&req("GET", p, "", None), &v, &r));
            assert_eq!(resp.status, 401, "{p}");
            assert!(resp.headers.iter().any(|(k, _)| *k == "WWW-Authenticate"));
            let resp = answer(route(
                &req("GET", p, "", Some(b"Bearer wrong-token-000000")),
                &v,
                &r,
            ));
            assert_eq!(resp.status, 401, "{p}");
        }
        assert_eq!(c.unauthorized.load(Ordering::Relaxed), 10);
        assert_eq!(t.refused.load(Ordering::Relaxed), 10);
        assert_eq!(
            answer(route(&req("GET", "/", "", None), &v, &r)).status,
            200
        );
        assert_eq!(
            answer(route(&req("GET", "/api/v1/status", "", Some(good)), &v, &r)).status,
            200
        );
        assert_eq!(
            answer(route(&req("GET", "/nope", "", Some(good)), &v, &r)).status,
            404
        );
        assert_eq!(
            answer(route(
                &req("DELETE", "/api/v1/status", "", Some(good)),
                &v,
                &r
            ))
            .status,
            405
        );
        assert_eq!(
            answer(route(
                &req("GET", "/api/v1/alerts", "limit=0", Some(good)),
                &v,
                &r
            ))
            .status,
            400
        );
    }

    #[test]
    fn approving_becomes_a_command_for_the_control_plane() {
        let t = Token::new(b"0123456789abcdef");
        let c = Counters::default();
        let r = routing(&t, &c);
        let v = View::default();
        let mut q = req(
            "POST",
            "/api/v1/actions/7/approve",
            "",
            Some(b"Bearer 0123456789abcdef"),
        );
        q.body = br#"{"by": "alice"}"#;
        match route(&q, &v, &r) {
            Outcome::Command(cmd) => {
                assert_eq!(cmd, json!({"cmd": "approve", "id": 7, "by": "alice (API)"}))
            }
            Outcome::Answer(a) => panic!("{}", a.status),
        }
        q.method = "GET";
        assert_eq!(answer(route(&q, &v, &r)).status, 405);
        let a = command_answer(&json!({"ok": false, "error": "action 7 is active, not pending"}));
        assert_eq!(a.status, 409);
        assert_eq!(
            command_answer(&json!({"ok": false, "error": "no action 9"})).status,
            404
        );
    }

    #[test]
    fn a_device_page_has_its_breaches() {
        let t = Token::new(b"0123456789abcdef");
        let c = Counters::default();
        let r = routing(&t, &c);
        let v = View {
            devices: vec![crate::api::view::DeviceView {
                summary: Arc::new(json!({"ip": "fd00::5"})),
                pattern: Arc::new(json!({})),
            }],
            incidents: vec![Arc::new(
                json!({"id": 3, "devices": ["fd00::5"], "open": true,
                "alerts": [{"timestamp": "2026-03-13T08:00:00.000000+0000", "device": "fd00::5", "model": "m"}]}),
            )],
            ..Default::default()
        };
        let resp = answer(route(
            &req(
                "GET",
                "/api/v1/devices/fd00%3A%3A5",
                "",
                Some(b"Bearer 0123456789abcdef"),
            ),
            &v,
            &r,
        ));
        assert_eq!(resp.status, 200);
        let d: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(d["breaches"][0]["incident_id"], 3);
        assert_eq!(d["incidents"][0]["id"], 3);
        assert_eq!(decode("a%20b+c%zz"), "a b c%zz");
    }
}
