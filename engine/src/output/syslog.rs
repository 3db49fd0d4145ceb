//! Syslog for SIEMs: each selected EVE record as one RFC 5424 message,
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [STRUCTURED-DATA] MSG`, over UDP
//! (RFC 5426, one message a datagram) or TCP (RFC 6587: octet counting, or a newline
//! after each message), with the EVE JSON (an incident without its breach list) or a
//! CEF line (`cef`) as MSG.
//!
//! Hand-written: the format is a dozen lines of RFC, the crates that write it do not do
//! structured data with octet-counted TCP, and the sender must live on its own thread
//! with a bounded queue (`sinks`), reconnecting on its own.
//!
//! TIMESTAMP is the event's packet time; MSGID the EVE event type; the structured data
//! element `vigil@32473` (32473 is the enterprise number RFC 5612 reserves for
//! documentation; Vigil has none of its own) carries the fields a SIEM filters on.

use super::sinks::Inbox;
use crate::config::{SyslogConf, FACILITIES};
use serde_json::Value;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The structured-data id of Vigil's parameters.
pub const SD_ID: &str = "vigil@32473";

/// RFC 5424 severity of a record: alerts by their Suricata severity (1 → error,
/// 2 → warning, 3 → notice), incidents by score, responses notice (active: warning).
pub fn severity(rec: &Value) -> u8 {
    match rec["event_type"].as_str().unwrap_or("") {
        "alert" => match rec["alert"]["severity"].as_u64().unwrap_or(3) {
            1 => 3,
            2 => 4,
            _ => 5,
        },
        "incident" => match rec["incident"]["score"].as_u64().unwrap_or(0) {
            70.. => 3,
            40..=69 => 4,
            _ => 5,
        },
        "response" => {
            if rec["response"]["state"] == "active" {
                4
            } else {
                5
            }
        }
        _ => 6,
    }
}

/// An EVE timestamp (`2026-03-13T09:12:21.164132+0000`) as RFC 5424 wants it
/// (`2026-03-13T09:12:21.164132Z`); `-` (NILVALUE) when absent.
pub fn timestamp(rec: &Value) -> String {
    match rec["timestamp"].as_str() {
        Some(t) if t.len() >= 26 && t.ends_with("+0000") => format!("{}Z", &t[..t.len() - 5]),
        _ => "-".into(),
    }
}

/// Escapes a structured-data parameter value (RFC 5424 §6.3.3: `"`, `\` and `]`).
fn sd_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// The structured-data parameters of a record.
fn sd_params(rec: &Value) -> Vec<(&'static str, String)> {
    let s = |v: &Value| match v {
        Value::String(x) => Some(x.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut p = Vec::new();
    let mut add = |k: &'static str, v: &Value| {
        if let Some(x) = s(v) {
            p.push((k, x));
        }
    };
    add("src_ip", &rec["src_ip"]);
    add("src_port", &rec["src_port"]);
    add("dest_ip", &rec["dest_ip"]);
    add("dest_port", &rec["dest_port"]);
    add("proto", &rec["proto"]);
    add("flow_id", &rec["flow_id"]);
    add("community_id", &rec["community_id"]);
    match rec["event_type"].as_str().unwrap_or("") {
        "alert" => {
            let v = &rec["vigil"];
            add("model", &v["model"]);
            add("score", &v["score"]);
            add("device", &v["device"]);
            add("endpoint", &v["endpoint"]);
            add("incident_id", &v["incident_id"]);
            add("signature_id", &rec["alert"]["signature_id"]);
            if let Some(m) = v["mitre"].as_array() {
                let t: Vec<&str> = m.iter().filter_map(Value::as_str).collect();
                p.push(("mitre", t.join(",")));
            }
        }
        "incident" => {
            let i = &rec["incident"];
            add("incident_id", &i["id"]);
            add("score", &i["score"]);
            let list = |v: &Value| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            };
            p.push(("devices", list(&i["devices"])));
            p.push(("tactics", list(&i["tactics"])));
            p.push((
                "alerts",
                i["alerts"].as_array().map_or(0, |a| a.len()).to_string(),
            ));
        }
        "response" => {
            let r = &rec["response"];
            add("action_id", &r["id"]);
            add("action", &r["action"]);
            add("state", &r["state"]);
            add("device", &r["device"]);
            add("endpoint", &r["endpoint"]);
            add("incident_id", &r["incident_id"]);
        }
        _ => {}
    }
    p
}

/// The record as MSG: its EVE JSON, an incident without the list of its breaches (the
/// alerts went out on their own, and a datagram is small).
pub fn json_payload(rec: &Value) -> String {
    if rec["event_type"] == "incident" {
        let mut r = rec.clone();
        if let Some(i) = r.get_mut("incident").and_then(Value::as_object_mut) {
            let n = i.remove("alerts").and_then(|a| a.as_array().map(Vec::len));
            i.insert("alert_count".into(), Value::from(n.unwrap_or(0)));
        }
        return r.to_string();
    }
    rec.to_string()
}

/// How one message is built.
pub struct Format {
    pub facility: u8,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub cef: bool,
    pub max: usize,
}

impl Format {
    /// From the profile's `[output.syslog]`.
    pub fn new(c: &SyslogConf) -> Format {
        let hostname = if c.hostname.is_empty() {
            local_hostname()
        } else {
            c.hostname.clone()
        };
        Format {
            facility: FACILITIES
                .iter()
                .find(|(n, _)| *n == c.facility)
                .map_or(16, |(_, f)| *f),
            hostname,
            app_name: c.app_name.clone(),
            procid: std::process::id().to_string(),
            cef: c.format == "cef",
            max: c.max_message,
        }
    }

    /// One RFC 5424 message (without transport framing), and whether it was cut.
    pub fn message(&self, rec: &Value) -> (String, bool) {
        let pri = self.facility as u32 * 8 + severity(rec) as u32;
        let et = rec["event_type"].as_str().unwrap_or("-");
        let msgid: String = et
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(32)
            .collect();
        let mut sd = format!("[{SD_ID}");
        for (k, v) in sd_params(rec) {
            sd.push_str(&format!(" {k}=\"{}\"", sd_escape(&v)));
        }
        sd.push(']');
        let body = if self.cef {
            super::cef::line(rec)
        } else {
            json_payload(rec)
        };
        let mut m = format!(
            "<{pri}>1 {} {} {} {} {} {sd} {body}",
            timestamp(rec),
            self.hostname,
            self.app_name,
            self.procid,
            if msgid.is_empty() { "-".into() } else { msgid },
        );
        let cut = m.len() > self.max;
        if cut {
            let mut end = self.max;
            while !m.is_char_boundary(end) {
                end -= 1;
            }
            m.truncate(end);
        }
        (m, cut)
    }
}

/// This machine's host name (`/proc/sys/kernel/hostname`), or `-` (NILVALUE).
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b)))
        .unwrap_or_else(|| "-".into())
}

enum Transport {
    Udp(UdpSocket),
    Tcp(Option<TcpStream>),
}

/// The syslog output's thread.
pub struct Sender {
    format: Format,
    addr: SocketAddr,
    transport: Transport,
    octet_counting: bool,
    /// When a broken TCP connection may be tried again.
    retry_at: Option<Instant>,
    backoff: Duration,
}

impl Sender {
    /// Resolves the receiver and opens the socket (TCP connects on first use).
    pub fn new(c: &SyslogConf) -> Result<Sender, String> {
        let addr = c
            .server
            .to_socket_addrs()
            .map_err(|e| format!("output.syslog.server {}: {e}", c.server))?
            .next()
            .ok_or_else(|| format!("output.syslog.server {}: no address", c.server))?;
        let transport = if c.transport == "udp" {
            let bind: SocketAddr = if addr.is_ipv4() {
                "0.0.0.0:0".parse().unwrap_or(addr)
            } else {
                "[::]:0".parse().unwrap_or(addr)
            };
            let s = UdpSocket::bind(bind).map_err(|e| format!("syslog UDP socket: {e}"))?;
            s.connect(addr)
                .map_err(|e| format!("output.syslog.server {addr}: {e}"))?;
            Transport::Udp(s)
        } else {
            Transport::Tcp(None)
        };
        Ok(Sender {
            format: Format::new(c),
            addr,
            transport,
            octet_counting: c.framing == "octet-counting",
            retry_at: None,
            backoff: Duration::from_millis(500),
        })
    }

    /// Sends every record the inbox gives until the sink is dropped.
    pub fn run(mut self, inbox: Inbox) {
        while let Some(rec) = inbox.next() {
            let (msg, cut) = self.format.message(&rec);
            let c = inbox.counters();
            if cut {
                c.truncated.fetch_add(1, Ordering::Relaxed);
            }
            if self.send(&msg, c) {
                c.sent.fetch_add(1, Ordering::Relaxed);
            } else {
                c.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Transport::Tcp(Some(s)) = &mut self.transport {
            let _ = s.flush();
        }
    }

    fn send(&mut self, msg: &str, c: &super::sinks::Counters) -> bool {
        match &mut self.transport {
            // A datagram nobody receives is not an error UDP can report reliably; an
            // ICMP refusal shows up as an error on a later send, counted as failed.
            Transport::Udp(s) => s.send(msg.as_bytes()).is_ok(),
            Transport::Tcp(conn) => {
                let mut frame = Vec::with_capacity(msg.len() + 8);
                if self.octet_counting {
                    frame.extend_from_slice(format!("{} ", msg.len()).as_bytes());
                    frame.extend_from_slice(msg.as_bytes());
                } else {
                    frame.extend_from_slice(msg.replace('\n', " ").as_bytes());
                    frame.push(b'\n');
                }
                // One reconnection per message at most; while the receiver is down,
                // messages fail fast until the backoff has passed (the queue fills and
                // drops rather than the thread sleeping on each one).
                for attempt in 0..2 {
                    if conn.is_none() {
                        if self.retry_at.is_some_and(|t| Instant::now() < t) {
                            return false;
                        }
                        match TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)) {
                            Ok(s) => {
                                let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
                                let _ = s.set_nodelay(true);
                                *conn = Some(s);
                                self.retry_at = None;
                                self.backoff = Duration::from_millis(500);
                            }
                            Err(_) => {
                                self.retry_at = Some(Instant::now() + self.backoff);
                                self.backoff = (self.backoff * 2).min(Duration::from_secs(30));
                                return false;
                            }
                        }
                        if attempt > 0 {
                            c.retries.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if let Some(s) = conn.as_mut() {
                        if s.write_all(&frame).is_ok() {
                            return true;
                        }
                    }
                    *conn = None;
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fmt() -> Format {
        Format {
            facility: 16,
            hostname: "sensor1".into(),
            app_name: "vigil".into(),
            procid: "42".into(),
            cef: false,
            max: 8192,
        }
    }

    #[test]
    fn an_alert_becomes_one_rfc5424_message() {
        let rec = json!({"timestamp": "2026-03-13T09:12:21.164132+0000", "event_type": "alert",
            "src_ip": "10.20.1.17", "dest_ip": "83.136.208.246", "dest_port": 6783,
            "alert": {"severity": 2, "signature_id": 9000002},
            "vigil": {"model": "anomalous-connection/posting-http-to-ip-without-hostname",
                      "score": 50, "device": "10.20.1.17", "endpoint": "83.136.208.246:6783",
                      "reason": "a \"quoted\" reason]", "mitre": ["T1071.001"], "incident_id": 3}});
        let (m, cut) = fmt().message(&rec);
        assert!(!cut);
        // local0 (16) × 8 + warning (4) = 132.
        assert!(
            m.starts_with("<132>1 2026-03-13T09:12:21.164132Z sensor1 vigil 42 alert [vigil@32473 src_ip=\"10.20.1.17\""),
            "{m}"
        );
        assert!(m.contains(" model=\"anomalous-connection/posting-http-to-ip-without-hostname\""));
        assert!(m.contains(" mitre=\"T1071.001\""));
        let json_start = m.find("] {").unwrap() + 2;
        let back: Value = serde_json::from_str(&m[json_start..]).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(sd_escape(r#"a"b\c]d"#), r#"a\"b\\c\]d"#);
        let mut f = fmt();
        f.max = 480;
        let rec = json!({"event_type": "flow", "pad": "é".repeat(1000)});
        let (m, cut) = f.message(&rec);
        assert!(cut);
        assert!(m.len() <= 480);
        assert_eq!(timestamp(&rec), "-");
    }

    #[test]
    fn an_incident_goes_without_its_breach_list() {
        let rec = json!({"event_type": "incident", "incident": {"id": 1, "score": 98,
            "devices": ["10.20.1.17"], "tactics": ["Command and Control"],
            "alerts": [{"model": "x"}, {"model": "y"}]}});
        let p: Value = serde_json::from_str(&json_payload(&rec)).unwrap();
        assert_eq!(p["incident"]["alert_count"], 2);
        assert!(p["incident"].get("alerts").is_none());
        assert_eq!(severity(&rec), 3);
    }
}
