//! The webhook: each selected EVE record (incidents and alerts by default) POSTed as JSON
//! to an HTTPS receiver, on the output's own thread.
//!
//! The body is `{"delivery", "sensor", "event_type", "text", "record"}`: `text` is a
//! one-paragraph summary that Slack and Microsoft Teams incoming webhooks show as the
//! message; `record` is the EVE record itself. `X-Vigil-Signature: sha256=<hex>` is the
//! HMAC-SHA256 of the exact body bytes under the secret (ring), `X-Vigil-Delivery` the
//! delivery id (the same on every retry, so a receiver can drop duplicates). A failed
//! delivery (no connection, timeout, 429 or 5xx) is retried after `backoff` seconds,
//! doubling up to `max_backoff` (or the receiver's `Retry-After`), `retries` times; other
//! 4xx answers are not retried.

use super::sinks::{Counters, Inbox};
use crate::config::WebhookConf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// `X-Vigil-Signature` for a body: `sha256=` and the hex HMAC-SHA256.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    format!("sha256={}", hex::encode(hmac::sign(&k, body).as_ref()))
}

/// The text Slack and Teams show for a record.
pub fn text(rec: &Value, sensor: &str) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("?").to_string();
    match rec["event_type"].as_str().unwrap_or("") {
        "alert" => {
            let v = &rec["vigil"];
            format!(
                "Vigil {sensor}: alert, score {} — {} on {} → {}. {}",
                v["score"],
                s(&v["model"]),
                s(&v["device"]),
                s(&v["endpoint"]),
                s(&v["reason"])
            )
        }
        "incident" => {
            let i = &rec["incident"];
            let list = |v: &Value| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            format!(
                "Vigil {sensor}: incident {}, score {} — devices {}; tactics {}. {}",
                i["id"],
                i["score"],
                list(&i["devices"]),
                list(&i["tactics"]),
                s(&i["narrative"])
            )
        }
        "response" => {
            let r = &rec["response"];
            format!(
                "Vigil {sensor}: action {} {} is {}. {}",
                r["id"],
                s(&r["action"]),
                s(&r["state"]),
                s(&r["reason"])
            )
        }
        other => format!("Vigil {sensor}: {other} record"),
    }
}

/// The webhook output's thread.
pub struct Webhook {
    url: String,
    key: Vec<u8>,
    agent: ureq::Agent,
    sensor: String,
    retries: u32,
    backoff: Duration,
    max_backoff: Duration,
    rng: SystemRandom,
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    /// Worth another try, after at least this long if the receiver said so.
    Retry(Option<Duration>),
    Refused,
}

impl Webhook {
    /// From the profile's `[output.webhook]`: reads the secret and the extra CA.
    pub fn new(c: &WebhookConf) -> Result<Webhook, String> {
        let secret = c
            .secret_file
            .as_deref()
            .ok_or("output.webhook: secret_file is needed")?;
        let key = crate::api::auth::read_secret(secret, "webhook secret")?;
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &c.ca_file {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!("{}: no PEM certificate in it", ca.display()));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(c.timeout)))
            .http_status_as_error(false)
            .user_agent(format!("vigil/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        Ok(Webhook {
            url: c.url.clone(),
            key,
            agent: config.into(),
            sensor: crate::output::syslog::local_hostname(),
            retries: c.retries,
            backoff: Duration::from_secs_f64(c.backoff),
            max_backoff: Duration::from_secs_f64(c.max_backoff),
            rng: SystemRandom::new(),
        })
    }

    /// Delivers every record the inbox gives until the sink is dropped.
    pub fn run(self, inbox: Inbox) {
        while let Some(rec) = inbox.next() {
            self.deliver(&rec, inbox.counters());
        }
    }

    fn body(&self, rec: &Value) -> (String, Vec<u8>) {
        let mut id = [0u8; 12];
        let _ = self.rng.fill(&mut id);
        let id = hex::encode(id);
        let body = json!({
            "delivery": id,
            "sensor": self.sensor,
            "event_type": rec["event_type"],
            "text": text(rec, &self.sensor),
            "record": rec,
        });
        (id, body.to_string().into_bytes())
    }

    fn deliver(&self, rec: &Value, c: &Counters) {
        let (id, body) = self.body(rec);
        let sig = signature(&self.key, &body);
        let mut wait = self.backoff;
        for attempt in 0..=self.retries {
            if attempt > 0 {
                c.retries.fetch_add(1, Ordering::Relaxed);
            }
            match self.attempt(&id, &sig, &body) {
                Attempt::Delivered => {
                    c.sent.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Attempt::Refused => break,
                Attempt::Retry(after) => {
                    if attempt == self.retries {
                        break;
                    }
                    let pause = after.map_or(wait, |a| a.min(self.max_backoff));
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(self.max_backoff);
                }
            }
        }
        c.failed.fetch_add(1, Ordering::Relaxed);
    }

    fn attempt(&self, id: &str, sig: &str, body: &[u8]) -> Attempt {
        let r = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("X-Vigil-Signature", sig)
            .header("X-Vigil-Delivery", id)
            .send(body);
        match r {
            Err(_) => Attempt::Retry(None),
            Ok(resp) => {
                let status = resp.status().as_u16();
                if (200..300).contains(&status) {
                    Attempt::Delivered
                } else if status == 429 || status >= 500 {
                    let after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Attempt::Retry(after)
                } else {
                    Attempt::Refused
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn slack_text_says_what_happened() {
        let rec = json!({"event_type": "incident", "incident": {"id": 2, "score": 98,
            "devices": ["10.20.1.17"], "tactics": ["Command and Control", "Exfiltration"],
            "narrative": "At 08:30 10.20.1.17 reached ..."}});
        let t = text(&rec, "sensor1");
        assert_eq!(t, "Vigil sensor1: incident 2, score 98 — devices 10.20.1.17; tactics Command and Control, Exfiltration. At 08:30 10.20.1.17 reached ...");
    }
}
