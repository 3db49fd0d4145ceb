//! The outputs through the real binary: a replay of `clickfix-macos` after four days of
//! `office` with every output on (EVE rotated by size and reopened on SIGHUP, syslog to
//! local UDP and TCP listeners, the webhook to a local HTTPS receiver that refuses its
//! first delivery, the API), then `vigil report security`. Every syslog message parses
//! as RFC 5424 (syslog_rfc5424) and says what its EVE record says; every webhook
//! signature verifies; the retried delivery comes back identical; the outputs' counters
//! in the final stats record match what the listeners got; and a receiver that never
//! answers costs drops, counted, not time.

mod operator_common;
use operator_common::*;
use ring::hmac;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Datagrams received on a UDP socket, as text.
fn udp_listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 70000];
        while let Ok(n) = s.recv(&mut buf) {
            g.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    (port, got)
}

/// Messages received over TCP with RFC 6587 octet counting (`LEN SP MSG`).
fn tcp_listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { return };
            let g = Arc::clone(&g);
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn);
                loop {
                    let mut len = Vec::new();
                    if r.read_until(b' ', &mut len).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = std::str::from_utf8(&len[..len.len() - 1])
                        .unwrap()
                        .parse()
                        .expect("octet count");
                    let mut msg = vec![0u8; n];
                    r.read_exact(&mut msg).unwrap();
                    g.lock().unwrap().push(String::from_utf8(msg).unwrap());
                }
            });
        }
    });
    (port, got)
}

/// One request the webhook receiver got.
#[derive(Clone)]
struct Hook {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
}

impl Hook {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS receiver (rustls) that answers 503 to its first request and 200 after.
fn https_receiver(cert: &Path, key: &Path) -> (u16, Arc<Mutex<Vec<Hook>>>) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got: Arc<Mutex<Vec<Hook>>> = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        for tcp in l.incoming() {
            let Ok(tcp) = tcp else { return };
            let _ = tcp.set_nodelay(true);
            let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut s = rustls::StreamOwned::new(conn, tcp);
            // Requests on this connection until it closes.
            loop {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                if !head.ends_with(b"\r\n\r\n") {
                    break;
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let headers: Vec<(String, String)> = text
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(": "))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0u8; len];
                s.read_exact(&mut body).unwrap();
                let mut all = g.lock().unwrap();
                let status = if all.is_empty() { 503 } else { 200 };
                all.push(Hook {
                    headers,
                    body,
                    status,
                });
                drop(all);
                let reason = if status == 200 {
                    "OK"
                } else {
                    "Service Unavailable"
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n"
                );
                let _ = s.flush();
            }
        }
    });
    (port, got)
}

fn count(records: &[Value], et: &str) -> usize {
    records.iter().filter(|r| r["event_type"] == et).count()
}

/// Every EVE file of a rotated set, oldest first.
fn rotated(path: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for n in (1..100).rev() {
        let p = std::path::PathBuf::from(format!("{}.{n}", path.display()));
        if p.exists() {
            files.push(p);
        }
    }
    files.push(path.to_path_buf());
    files
}

#[test]
fn every_output_on_a_clickfix_replay_then_the_security_report() {
    let state = learned_office("all-outputs");
    let dir = tmp("all-outputs-files");
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = certificate(&dir);
    let secret = "webhook-secret-0123456789";
    let secret_path = secret_file(&dir.join("webhook.secret"), secret);
    let token = "api-token-abcdefghijklmnop";
    let token_path = secret_file(&dir.join("api.token"), token);
    let (udp_port, udp) = udp_listener();
    let (hook_port, hooks) = https_receiver(&cert, &key);
    let api_port = free_port();
    let extra = format!(
        r#"{CONFIRM}
[output.syslog]
enabled = true
server = "127.0.0.1:{udp_port}"
transport = "udp"
format = "json"
hostname = "sensor-test"
events = ["alert", "incident", "response"]

[output.webhook]
enabled = true
url = "https://127.0.0.1:{hook_port}/hooks/vigil"
secret_file = {secret_path:?}
ca_file = {cert:?}
events = ["incident", "alert"]
backoff = 0.2
max_backoff = 1.0

[api]
enabled = true
listen = "127.0.0.1:{api_port}"
token_file = {token_path:?}
"#
    );
    // Rotation by size: the [output] keys of the software profile, changed.
    let prof = profile(&dir.join("all.toml"), &clickfix(), &state, true, &extra);
    let text = std::fs::read_to_string(&prof)
        .unwrap()
        .replace("eve_max_bytes = 0\n", "eve_max_bytes = 300000\n")
        .replace("eve_keep = 5\n", "eve_keep = 50\n");
    assert!(text.contains("eve_max_bytes = 300000"));
    std::fs::write(&prof, text).unwrap();
    let eve = dir.join("eve.json");
    let engine = Engine::start(&prof, &eve, &dir.join("engine.log"));
    let agent = agent(None);
    let base = format!("http://127.0.0.1:{api_port}");
    // The capture ends; the engine keeps serving.
    let packets = clickfix_packets();
    wait_for(120, "the replay to end", || {
        let s = request(
            &agent,
            "GET",
            &format!("{base}/api/v1/status"),
            Some(token),
            None,
        )
        .ok()?;
        let v = s.json();
        (v["packets"] == packets && v["actions"]["pending"].as_u64()? >= 2).then_some(())
    });
    // Every output has delivered what it was given (the API shows their counters).
    let began = Instant::now();
    wait_for(60, "the outputs to deliver", || {
        let s = request(
            &agent,
            "GET",
            &format!("{base}/api/v1/status"),
            Some(token),
            None,
        )
        .ok()?;
        let o = &s.json()["outputs"];
        let idle = |k: &str| o[k]["queued"] == 0 && o[k]["sent"].as_u64().unwrap_or(0) > 0;
        (idle("syslog") && idle("webhook") && hooks.lock().unwrap().len() > 1).then_some(())
    });
    eprintln!("outputs delivered {:?} after the replay", began.elapsed());

    // logrotate's move, then SIGHUP: the next record (an approval) goes to a new file.
    let moved = dir.join("eve.json.moved");
    std::fs::rename(&eve, &moved).unwrap();
    engine.signal("HUP");
    let pending = request(
        &agent,
        "GET",
        &format!("{base}/api/v1/actions?state=pending"),
        Some(token),
        None,
    )
    .unwrap()
    .json();
    let id = pending["actions"][0]["id"].as_u64().unwrap();
    let kind = pending["actions"][0]["action"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(300));
    let a = request(
        &agent,
        "POST",
        &format!("{base}/api/v1/actions/{id}/approve"),
        Some(token),
        Some(r#"{"by": "outputs-test"}"#),
    )
    .unwrap();
    assert_eq!(a.status, 200, "{}", a.text());
    let reopened = wait_for(10, "the approval in the reopened file", || {
        let r = eve_records(&eve);
        (!r.is_empty()).then_some(r)
    });
    assert_eq!(reopened[0]["event_type"], "response");
    assert_eq!(reopened[0]["response"]["state"], "active");
    assert!(reopened[0]["response"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("approved by outputs-test (API)"));
    assert_eq!(engine.stop(), Some(0));

    // Every record, in order: the rotated files, the file moved away, the new one.
    let mut files = rotated(&dir.join("eve.json"));
    files.pop();
    assert!(files.len() >= 4, "rotated into {} files", files.len());
    for f in &files {
        let len = std::fs::metadata(f).unwrap().len();
        // A file is cut once it holds 300 000 bytes: at most one record more.
        assert!(len < 300_000 + 70_000, "{}: {len} bytes", f.display());
    }
    files.push(moved);
    files.push(eve.clone());
    let records: Vec<Value> = files.iter().flat_map(|f| eve_records(f)).collect();
    let fin = records
        .iter()
        .rev()
        .find(|r| r["event_type"] == "stats" && r["vigil"]["final"] == true)
        .expect("a final stats record");
    assert_eq!(fin["stats"]["decoder"]["pkts"], packets);
    let (alerts, incidents, responses) = (
        count(&records, "alert"),
        count(&records, "incident"),
        count(&records, "response"),
    );
    assert!(alerts >= 20 && incidents >= 20 && responses >= 3);
    let outputs = &fin["vigil"]["outputs"];
    assert!(outputs["eve"]["rotations"].as_u64().unwrap() >= 3);
    assert_eq!(outputs["eve"]["reopens"], 1);

    // Syslog: one RFC 5424 message per alert, incident and response record.
    let msgs = udp.lock().unwrap().clone();
    assert_eq!(msgs.len(), alerts + incidents + responses);
    assert_eq!(outputs["syslog"]["sent"], msgs.len());
    assert_eq!(outputs["syslog"]["dropped"], 0);
    let eve_alerts: Vec<&Value> = records
        .iter()
        .filter(|r| r["event_type"] == "alert")
        .collect();
    let mut syslog_alerts = Vec::new();
    for m in &msgs {
        let p = syslog_rfc5424::parse_message(m.as_str())
            .unwrap_or_else(|e| panic!("not RFC 5424 ({e:?}): {m}"));
        assert_eq!(p.facility, syslog_rfc5424::SyslogFacility::LOG_LOCAL0);
        assert_eq!(p.hostname.as_deref(), Some("sensor-test"));
        assert_eq!(p.appname.as_deref(), Some("vigil"));
        let body: Value = serde_json::from_str(&p.msg).expect("MSG is the EVE JSON");
        assert_eq!(p.msgid.as_deref(), body["event_type"].as_str());
        let sd =
            p.sd.find_sdid("vigil@32473")
                .expect("Vigil's structured data");
        if body["event_type"] == "alert" {
            assert_eq!(
                sd.get("model").map(String::as_str),
                body["vigil"]["model"].as_str()
            );
            assert_eq!(
                sd.get("score").map(String::as_str),
                Some(body["vigil"]["score"].to_string().as_str())
            );
            // Severity follows the alert's: 1 → error (3), 2 → warning (4), 3 → notice.
            let want = match body["alert"]["severity"].as_u64().unwrap() {
                1 => syslog_rfc5424::SyslogSeverity::SEV_ERR,
                2 => syslog_rfc5424::SyslogSeverity::SEV_WARNING,
                _ => syslog_rfc5424::SyslogSeverity::SEV_NOTICE,
            };
            assert_eq!(p.severity, want);
            syslog_alerts.push(body.clone());
        }
        if body["event_type"] == "incident" {
            assert!(body["incident"]["alert_count"].as_u64().unwrap() >= 1);
            assert!(body["incident"].get("alerts").is_none());
        }
    }
    assert_eq!(syslog_alerts.len(), eve_alerts.len());
    for (a, b) in syslog_alerts.iter().zip(&eve_alerts) {
        assert_eq!(a, *b, "syslog carries the EVE alert as written");
    }

    // Webhook: every delivery signed; the refused first one retried with the same id
    // and body; one delivery per alert and incident.
    let got = hooks.lock().unwrap().clone();
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    for h in &got {
        let sig = h.header("X-Vigil-Signature").expect("signed");
        let hex_sig = sig.strip_prefix("sha256=").expect("sha256=");
        hmac::verify(&key, &h.body, &hex::decode(hex_sig).unwrap())
            .expect("the signature verifies");
        assert_eq!(h.header("Content-Type"), Some("application/json"));
        let v: Value = serde_json::from_slice(&h.body).unwrap();
        assert!(v["text"].as_str().unwrap().starts_with("Vigil "));
        assert_eq!(v["delivery"].as_str(), h.header("X-Vigil-Delivery"));
    }
    assert_eq!(got[0].status, 503);
    assert_eq!(got[1].status, 200);
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(got.len(), alerts + incidents + 1);
    let first: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert!(matches!(
        first["event_type"].as_str(),
        Some("alert" | "incident")
    ));
    let hook_incidents: Vec<Value> = got[1..]
        .iter()
        .map(|h| serde_json::from_slice::<Value>(&h.body).unwrap())
        .filter(|v| v["event_type"] == "incident")
        .collect();
    assert_eq!(hook_incidents.len(), incidents);
    assert!(hook_incidents
        .iter()
        .any(|v| v["text"].as_str().unwrap().contains("marie-macbook")));
    assert_eq!(outputs["webhook"]["sent"], alerts + incidents);
    assert_eq!(outputs["webhook"]["retries"], 1);
    assert_eq!(outputs["webhook"]["failed"], 0);
    assert_eq!(outputs["webhook"]["dropped"], 0);

    // The report for management, from the saved state.
    let report = dir.join("report.html");
    let o = vigil()
        .args(["report", "security", "--since", "7d", "--out"])
        .arg(&report)
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    eprintln!("report: {} bytes", html.len());
    for want in [
        "Incidents by day and severity",
        "Incident 1",
        "Incident 2",
        "marie-macbook",
        "zoom.uswebob.us",
        "Command and Control",
        "Top rare endpoints",
        "83.136.208.246",
        "AI usage",
        "Actions taken and released",
        "block-endpoint",
        "block-connection",
        ">active<",
        ">pending<",
    ] {
        assert!(html.contains(want), "the report lacks {want:?}");
    }
    assert!(html.matches("<svg").count() >= 3);
    // Self-contained: nothing fetched from anywhere.
    for bad in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(bad), "the report refers to {bad}");
    }
    let figures: Value = serde_json::from_slice(
        &vigil()
            .args(["report", "security", "--since", "7d", "--json", "--state"])
            .arg(&state)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(figures["summary"]["incidents"], 2);
    assert_eq!(figures["summary"]["breaches"], alerts);
    assert_eq!(
        figures["incidents_by_day"]["high"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        2
    );
    assert_eq!(figures["actions_by_kind"][&kind]["active"], 1);
    assert_eq!(figures["summary"]["actions"], 3);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&state);
}

/// Packets in the ClickFix capture.
fn clickfix_packets() -> u64 {
    let bytes = std::fs::read(clickfix()).unwrap();
    let mut r = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
    let mut n = 0;
    while let Some(p) = r.next_packet() {
        p.unwrap();
        n += 1;
    }
    n
}

#[test]
fn syslog_over_tcp_carries_cef_with_octet_counting() {
    let state = learned_office("tcp-cef");
    let dir = tmp("tcp-cef-files");
    std::fs::create_dir_all(&dir).unwrap();
    let (port, got) = tcp_listener();
    let extra = format!(
        r#"
[output.syslog]
enabled = true
server = "127.0.0.1:{port}"
transport = "tcp"
format = "cef"
facility = "daemon"
events = ["alert"]
min_score = 60
"#
    );
    let prof = profile(&dir.join("tcp.toml"), &clickfix(), &state, false, &extra);
    let eve = dir.join("eve.json");
    let o = vigil()
        .arg("replay")
        .arg(clickfix())
        .arg("--profile")
        .arg(&prof)
        .arg("--state")
        .arg(&state)
        .arg("--eve")
        .arg(&eve)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let records = eve_records(&eve);
    let wanted: Vec<&Value> = records
        .iter()
        .filter(|r| r["event_type"] == "alert" && r["vigil"]["score"].as_u64().unwrap() >= 60)
        .collect();
    assert!(wanted.len() >= 5, "{} alerts of 60 or more", wanted.len());
    let msgs = wait_for(10, "every message", || {
        let m = got.lock().unwrap().clone();
        (m.len() >= wanted.len()).then_some(m)
    });
    assert_eq!(msgs.len(), wanted.len());
    for (m, r) in msgs.iter().zip(&wanted) {
        let p = syslog_rfc5424::parse_message(m.as_str())
            .unwrap_or_else(|e| panic!("not RFC 5424 ({e:?}): {m}"));
        assert_eq!(p.facility, syslog_rfc5424::SyslogFacility::LOG_DAEMON);
        let sid = r["alert"]["signature_id"].to_string();
        let head = format!(
            "CEF:0|Vigil|Vigil NDR|{}|{sid}|{}|",
            env!("CARGO_PKG_VERSION"),
            r["vigil"]["model"].as_str().unwrap()
        );
        assert!(p.msg.starts_with(&head), "{}", p.msg);
        assert!(p
            .msg
            .contains(&format!("dst={}", r["dest_ip"].as_str().unwrap())));
        assert!(p.msg.contains(&format!("cn1={}", r["vigil"]["score"])));
    }
    let fin = records.last().unwrap();
    assert_eq!(fin["vigil"]["outputs"]["syslog"]["sent"], wanted.len());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn a_receiver_that_never_answers_costs_drops_not_time() {
    let state = learned_office("stuck");
    let dir = tmp("stuck-files");
    std::fs::create_dir_all(&dir).unwrap();
    // Accepts connections and never answers.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    let secret_path = secret_file(&dir.join("s"), "0123456789abcdef-secret");
    let extra = format!(
        r#"
[output.webhook]
enabled = true
url = "http://127.0.0.1:{port}/hook"
secret_file = {secret_path:?}
events = ["alert", "incident", "response"]
timeout = 30
retries = 0
queue = 2
"#
    );
    let prof = profile(&dir.join("stuck.toml"), &clickfix(), &state, false, &extra);
    let eve = dir.join("eve.json");
    let began = Instant::now();
    let o = vigil()
        .arg("replay")
        .arg(clickfix())
        .arg("--profile")
        .arg(&prof)
        .arg("--state")
        .arg(&state)
        .arg("--eve")
        .arg(&eve)
        .output()
        .unwrap();
    let took = began.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let records = eve_records(&eve);
    let offered =
        count(&records, "alert") + count(&records, "incident") + count(&records, "response");
    let w = &records.last().unwrap()["vigil"]["outputs"]["webhook"];
    // One delivery hangs on its 30 s timeout; two wait in the queue; the rest are
    // dropped, and the replay does not wait for any of them (waiting would take
    // offered × 30 s; the run ends within the 5 s it gives outputs at exit).
    assert_eq!(w["sent"], 0);
    assert!(w["dropped"].as_u64().unwrap() >= offered as u64 - 3, "{w}");
    assert_eq!(
        w["dropped"].as_u64().unwrap() + w["queued"].as_u64().unwrap() + 1,
        offered as u64,
        "{w}"
    );
    assert!(took < Duration::from_secs(40), "the replay took {took:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the webhook output still had"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&state);
}
