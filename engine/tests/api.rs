//! The API through the real binary, on a `clickfix-macos` replay after four days of
//! `office` that keeps serving (`capture.stay`): every route of `docs/openapi.yaml`
//! refuses a missing or wrong token with 401 (counted), and with the token answers what
//! its schema says (validated with jsonschema); `/metrics` parses as Prometheus text and
//! agrees with the engine; approve and release from the API change the action as
//! `vigil actions` sees it; a token file others may read stops the engine (exit 2, one
//! line); off loopback the API needs TLS, and speaks it when given a certificate.

mod operator_common;
use operator_common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The OpenAPI document as JSON.
fn openapi() -> Value {
    let text = std::fs::read_to_string(root().join("docs/openapi.yaml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(y).unwrap()
}

/// A validator for `#/components/schemas/NAME` (or any `$ref` into the document).
fn validator(doc: &Value, reference: &str) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$ref"] = json!(reference);
    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{reference}: {e}"))
}

fn errors(v: &jsonschema::Validator, x: &Value) -> Vec<String> {
    v.iter_errors(x)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn start(name: &str, extra_api: &str) -> (Engine, String, String, std::path::PathBuf) {
    let state = learned_office(name);
    let dir = tmp(&format!("{name}-files"));
    std::fs::create_dir_all(&dir).unwrap();
    let token = format!("{name}-token-0123456789abcdef");
    let token_path = secret_file(&dir.join("api.token"), &token);
    let port = free_port();
    let extra = format!(
        "{CONFIRM}\n[api]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\ntoken_file = {token_path:?}\n{extra_api}\n"
    );
    let prof = profile(&dir.join("p.toml"), &clickfix(), &state, true, &extra);
    let e = Engine::start(&prof, &dir.join("eve.json"), &dir.join("engine.log"));
    (e, format!("127.0.0.1:{port}"), token, state)
}

#[test]
fn the_api_answers_with_the_token_only_and_as_its_openapi_document_says() {
    let (engine, addr, token, state) = start("api", "");
    let base = format!("http://{addr}");
    let agent = agent(None);
    let get = |path: &str, tok: Option<&str>| {
        request(&agent, "GET", &format!("{base}{path}"), tok, None).unwrap()
    };
    let status = wait_for(120, "the replay to end with pending actions", || {
        let s = request(
            &agent,
            "GET",
            &format!("{base}/api/v1/status"),
            Some(&token),
            None,
        )
        .ok()?;
        let v = s.json();
        (v["actions"]["pending"].as_u64()? >= 2
            && v["workers"][0]["packets"] == v["packets"]
            && v["incidents"]["total"] == 2)
            .then_some(v)
    });
    // The view is up to a second old: wait for one built after the replay's end.
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let doc = openapi();
    let device = "10.20.1.17";
    let incidents = get("/api/v1/incidents", Some(&token)).json();
    let incident = incidents["incidents"][0]["id"].as_u64().unwrap();
    let actions = get("/api/v1/actions", Some(&token)).json();
    let action = actions["actions"][0]["id"].as_u64().unwrap();

    // Every GET route of the document.
    let mut refused = 0u64;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let url = path.replace("{ip}", device).replace(
            "{id}",
            &if path.starts_with("/api/v1/incidents") {
                incident.to_string()
            } else {
                action.to_string()
            },
        );
        let public = op["security"].as_array().is_some_and(|s| s.is_empty());
        if !public {
            for tok in [None, Some("wrong-token-0123456789abcdef")] {
                let a = get(&url, tok);
                assert_eq!(a.status, 401, "{url} with {tok:?}");
                assert_eq!(a.header("WWW-Authenticate"), Some("Bearer realm=\"vigil\""));
                assert_eq!(a.json()["error"], "a valid bearer token is needed");
                refused += 1;
            }
        }
        let a = get(&url, Some(&token));
        assert_eq!(a.status, 200, "{url}: {}", a.text());
        checked += 1;
        let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
        if schema.is_null() {
            continue;
        }
        let v = match schema.get("$ref") {
            Some(r) => validator(&doc, r.as_str().unwrap()),
            None => {
                let mut root = doc.clone();
                for (k, x) in schema.as_object().unwrap() {
                    root[k] = x.clone();
                }
                jsonschema::validator_for(&root).unwrap()
            }
        };
        let body = a.json();
        let errs = errors(&v, &body);
        assert!(errs.is_empty(), "{url} does not match its schema: {errs:?}");
    }
    assert!(checked >= 12, "{checked} routes checked");

    // What the routes say agrees with the engine.
    assert_eq!(status["incidents"]["open"], 2);
    let inc = get(&format!("/api/v1/incidents/{incident}"), Some(&token)).json();
    assert!(
        inc["narrative"].as_str().unwrap().contains("marie-macbook")
            || inc["narrative"].as_str().unwrap().contains("DESKTOP-FIN23")
    );
    assert!(inc["mitre"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "T1071.001"));
    let dev = get(&format!("/api/v1/devices/{device}"), Some(&token)).json();
    assert_eq!(dev["names"][0], "marie-macbook");
    assert!(dev["breaches"].as_array().unwrap().len() >= 10);
    assert!(dev["pattern"]["hours"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h.as_u64().unwrap() > 0));
    let alerts = get("/api/v1/alerts?limit=1000", Some(&token)).json();
    let n_alerts = alerts["alerts"].as_array().unwrap().len() as u64;
    assert_eq!(n_alerts, status["alerts"].as_u64().unwrap());
    let beacon = get(
        "/api/v1/alerts?model=compromise%2Fbeaconing-activity-to-external-rare",
        Some(&token),
    )
    .json();
    assert!(beacon["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["vigil"]["model"] == "compromise/beaconing-activity-to-external-rare"));
    assert_eq!(get("/api/v1/devices/10.99.99.99", Some(&token)).status, 404);
    assert_eq!(get("/api/v1/incidents/999", Some(&token)).status, 404);
    assert_eq!(get("/api/v1/alerts?limit=x", Some(&token)).status, 400);
    assert_eq!(get("/", None).status, 200);
    assert!(get("/", None).text().contains("console.js"));

    // Approve and release from the API: the same handling as the control socket.
    let pending: Vec<u64> = get("/api/v1/actions?state=pending", Some(&token)).json()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    let post = |path: &str, body: Option<&str>| {
        request(&agent, "POST", &format!("{base}{path}"), Some(&token), body).unwrap()
    };
    let (keep, drop_) = (pending[0], pending[1]);
    let a = post(
        &format!("/api/v1/actions/{keep}/approve"),
        Some(r#"{"by": "alice"}"#),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["action"]["state"], "active");
    assert!(a.json()["action"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("approved by alice (API): "));
    let twice = post(&format!("/api/v1/actions/{keep}/approve"), None);
    assert_eq!(twice.status, 409);
    assert_eq!(twice.json()["ok"], false);
    assert_eq!(
        post(&format!("/api/v1/actions/{drop_}/release"), None).status,
        200
    );
    assert_eq!(post("/api/v1/actions/9999/approve", None).status, 404);
    let unauth = request(
        &agent,
        "POST",
        &format!("{base}/api/v1/actions/{keep}/release"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(unauth.status, 401);
    refused += 1;
    assert_eq!(
        get(&format!("/api/v1/actions/{keep}/approve"), Some(&token)).status,
        405
    );
    let list = vigil()
        .args(["actions", "list", "--json", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(list.status.success());
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let state_of = |id: u64| {
        list["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state_of(keep), "active");
    assert_eq!(state_of(drop_), "released");

    // /metrics: Prometheus text that agrees with the engine.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let m = get("/metrics", Some(&token));
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = m.text();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        let s = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no {name} {labels:?}"));
        match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => panic!("{name} is not a plain value"),
        }
    };
    assert_eq!(
        value("vigil_worker_packets_total", &[("worker", "0")]),
        status["packets"].as_f64().unwrap()
    );
    assert_eq!(value("vigil_api_unauthorized_total", &[]), refused as f64);
    assert_eq!(value("vigil_incidents_open", &[]), 2.0);
    assert_eq!(
        value(
            "vigil_response_actions",
            &[("action", "block-connection"), ("state", "released")]
        ) + value(
            "vigil_response_actions",
            &[("action", "block-endpoint"), ("state", "released")]
        ),
        1.0
    );
    let mut by_model: BTreeMap<String, f64> = BTreeMap::new();
    for s in scrape
        .samples
        .iter()
        .filter(|s| s.metric == "vigil_alerts_total")
    {
        if let prometheus_parse::Value::Counter(v) = s.value {
            by_model.insert(s.labels.get("model").unwrap().to_string(), v);
        }
    }
    assert_eq!(by_model.values().sum::<f64>(), n_alerts as f64);
    assert!(by_model.contains_key("compromise/possible-doppelganger-attack"));
    for family in [
        "vigil_worker_flows_active",
        "vigil_worker_summary_queue_depth",
        "vigil_port_dropped_packets_total",
        "vigil_output_dropped_total",
        "vigil_eve_records_total",
    ] {
        assert!(scrape.docs.contains_key(family), "no HELP for {family}");
    }
    // Prometheus naming: counters end in _total, nothing else does.
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f[3] == "counter", f[2].ends_with("_total"), "{l}");
    }

    assert_eq!(engine.stop(), Some(0));
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn a_token_file_others_may_read_stops_the_engine() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("bad-token");
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("api.token");
    std::fs::write(&token, "0123456789abcdef0123456789\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let prof = profile(
        &dir.join("p.toml"),
        &clickfix(),
        &dir.join("state"),
        false,
        &format!(
            "[api]\nenabled = true\nlisten = \"127.0.0.1:{}\"\ntoken_file = {token:?}\n",
            free_port()
        ),
    );
    let o = vigil()
        .arg("run")
        .arg("--profile")
        .arg(&prof)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("api.token") && err.contains("chmod 600") && err.contains("0644"),
        "{err}"
    );

    // Off loopback, the API needs TLS: the profile is refused with its line.
    let text = std::fs::read_to_string(&prof)
        .unwrap()
        .replace("127.0.0.1:", "0.0.0.0:");
    std::fs::write(&prof, &text).unwrap();
    let o = vigil().arg("check-config").arg(&prof).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = text
        .lines()
        .position(|l| l.starts_with("listen = \"0.0.0.0"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("p.toml:{line}: 0.0.0.0 is not a loopback address")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_api_speaks_tls_when_given_a_certificate() {
    let dir = tmp("tls-cert");
    let (cert, key) = certificate(&dir);
    let (engine, addr, token, state) =
        start("tls", &format!("tls_cert = {cert:?}\ntls_key = {key:?}\n"));
    let port = addr.rsplit(':').next().unwrap();
    let url = format!("https://localhost:{port}");
    let tls = agent(Some(&cert));
    // Up once the replay has ended (and the engine handles SIGINT).
    let a = wait_for(120, "the API over TLS", || {
        let a = request(
            &tls,
            "GET",
            &format!("{url}/api/v1/status"),
            Some(&token),
            None,
        )
        .ok()?;
        (a.json()["incidents"]["total"] == 2).then_some(a)
    });
    assert_eq!(a.status, 200);
    assert!(a.header("Strict-Transport-Security").is_some());
    assert_eq!(
        request(&tls, "GET", &format!("{url}/api/v1/status"), None, None)
            .unwrap()
            .status,
        401
    );
    // Plain HTTP to the TLS port gets no answer it could read.
    assert!(request(
        &agent(None),
        "GET",
        &format!("http://{addr}/api/v1/status"),
        Some(&token),
        None
    )
    .map_or(true, |a| a.status != 200));
    // A client that does not trust the certificate refuses it.
    assert!(request(&agent(None), "GET", &format!("{url}/healthz"), None, None).is_err());
    assert_eq!(engine.stop(), Some(0));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&dir);
}
