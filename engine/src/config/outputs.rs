//! The profile's outputs beyond the EVE file itself: rotation of the EVE file
//! (`[output] eve_max_bytes`, `eve_max_age`, `eve_keep`), syslog (`[output.syslog]`:
//! RFC 5424 over UDP or TCP, the EVE JSON or CEF as payload) and the signed webhook
//! (`[output.webhook]`), and the operator API (`[api]`: listen address, bearer token
//! file, TLS, the console). Checked here; started by `output::sinks` and `api`.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// EVE event types an output may select.
pub const EVENT_TYPES: [&str; 12] = [
    "alert", "incident", "response", "ai", "flow", "dns", "http", "tls", "quic", "ssh", "dhcp",
    "stats",
];

/// Syslog facilities by name (RFC 5424 §6.2.1).
pub const FACILITIES: [(&str, u8); 20] = [
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// `[output.syslog]`: EVE records to a syslog server or SIEM.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyslogConf {
    pub enabled: bool,
    /// `host:port` of the receiver.
    pub server: String,
    /// `udp` (RFC 5426) or `tcp` (RFC 6587).
    pub transport: String,
    /// TCP framing: `octet-counting` (RFC 6587 §3.4.1) or `newline`.
    pub framing: String,
    /// Payload: `json` (the EVE record) or `cef` (ArcSight Common Event Format).
    pub format: String,
    /// Facility name (`local0`, `daemon`, ...).
    pub facility: String,
    /// RFC 5424 APP-NAME and HOSTNAME (empty: this machine's name).
    pub app_name: String,
    pub hostname: String,
    /// EVE event types sent.
    pub events: Vec<String>,
    /// Alerts and incidents below this score are not sent.
    pub min_score: u8,
    /// Messages waiting for the sender at most (more are dropped and counted).
    pub queue: usize,
    /// Longest message in bytes; a longer one is cut (and counted).
    pub max_message: usize,
}

impl Default for SyslogConf {
    fn default() -> Self {
        SyslogConf {
            enabled: false,
            server: "127.0.0.1:514".into(),
            transport: "udp".into(),
            framing: "octet-counting".into(),
            format: "json".into(),
            facility: "local0".into(),
            app_name: "vigil".into(),
            hostname: String::new(),
            events: vec!["alert".into(), "incident".into(), "response".into()],
            min_score: 0,
            queue: 4096,
            max_message: 8192,
        }
    }
}

/// `[output.webhook]`: incidents and alerts POSTed to an HTTPS receiver, signed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConf {
    pub enabled: bool,
    /// `https://...` (plain `http://` only to a loopback address, e.g. a local relay).
    pub url: String,
    /// The HMAC-SHA256 key of `X-Vigil-Signature`, in a file of mode 0600.
    pub secret_file: Option<PathBuf>,
    /// Extra trusted certificate authorities (PEM), for a receiver with a private CA.
    pub ca_file: Option<PathBuf>,
    /// EVE event types sent.
    pub events: Vec<String>,
    /// Alerts and incidents below this score are not sent.
    pub min_score: u8,
    /// Seconds for one attempt.
    pub timeout: u64,
    /// Attempts after the first for a failed delivery (connection error, 429 or 5xx).
    pub retries: u32,
    /// Seconds before the first retry, doubled each time up to `max_backoff`.
    pub backoff: f64,
    pub max_backoff: f64,
    /// Deliveries waiting at most (more are dropped and counted).
    pub queue: usize,
}

impl Default for WebhookConf {
    fn default() -> Self {
        WebhookConf {
            enabled: false,
            url: String::new(),
            secret_file: None,
            ca_file: None,
            events: vec!["incident".into(), "alert".into()],
            min_score: 0,
            timeout: 10,
            retries: 5,
            backoff: 1.0,
            max_backoff: 60.0,
            queue: 1024,
        }
    }
}

/// `[api]`: the JSON API, `/metrics` and the web console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConf {
    pub enabled: bool,
    /// Address and port to listen on; anything but loopback needs `tls_cert`.
    pub listen: String,
    /// The bearer token, in a file of mode 0600.
    pub token_file: Option<PathBuf>,
    /// Certificate chain and private key (PEM) for HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Serve the web console at `/`.
    pub console: bool,
    /// Wall-clock seconds between the views the control plane publishes.
    pub view_interval: u64,
    /// Connections served at once (more wait to be accepted).
    pub max_connections: usize,
}

impl Default for ApiConf {
    fn default() -> Self {
        ApiConf {
            enabled: false,
            listen: "127.0.0.1:8787".into(),
            token_file: None,
            tls_cert: None,
            tls_key: None,
            console: true,
            view_interval: 1,
            max_connections: 64,
        }
    }
}

fn resolve(p: &mut Option<PathBuf>, base: &Path) {
    if let Some(f) = p {
        if f.is_relative() {
            *p = Some(base.join(&*f));
        }
    }
}

/// Resolves the files these sections name against the profile's directory.
pub(super) fn resolve_paths(s: &mut WebhookConf, a: &mut ApiConf, base: &Path) {
    resolve(&mut s.secret_file, base);
    resolve(&mut s.ca_file, base);
    resolve(&mut a.token_file, base);
    resolve(&mut a.tls_cert, base);
    resolve(&mut a.tls_key, base);
}

type Problem = (&'static str, &'static str, String);

fn events(section: &'static str, list: &[String]) -> Result<(), Problem> {
    for e in list {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err((
                section,
                "events",
                format!(
                    "{e:?} is not an EVE event type Vigil writes ({})",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `host:port` names a port (the host is resolved when the output starts).
fn host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((h, p)) => !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

/// Checks `[output.syslog]`.
pub(super) fn check_syslog(s: &SyslogConf) -> Result<(), Problem> {
    const S: &str = "output.syslog";
    if !host_port(&s.server) {
        return Err((S, "server", format!("{:?} is not host:port", s.server)));
    }
    if !matches!(s.transport.as_str(), "udp" | "tcp") {
        return Err((
            S,
            "transport",
            format!("transport must be udp or tcp, not {:?}", s.transport),
        ));
    }
    if !matches!(s.framing.as_str(), "octet-counting" | "newline") {
        return Err((
            S,
            "framing",
            format!(
                "framing must be octet-counting or newline, not {:?}",
                s.framing
            ),
        ));
    }
    if !matches!(s.format.as_str(), "json" | "cef") {
        return Err((
            S,
            "format",
            format!("format must be json or cef, not {:?}", s.format),
        ));
    }
    if !FACILITIES.iter().any(|(n, _)| *n == s.facility) {
        return Err((
            S,
            "facility",
            format!(
                "{:?} is not a syslog facility (local0 … local7, daemon, …)",
                s.facility
            ),
        ));
    }
    if s.app_name.is_empty()
        || s.app_name.len() > 48
        || !s.app_name.bytes().all(|b| (33..=126).contains(&b))
    {
        return Err((
            S,
            "app_name",
            "app_name must be 1 to 48 printable ASCII characters without spaces".into(),
        ));
    }
    if s.hostname.len() > 255 || !s.hostname.bytes().all(|b| (33..=126).contains(&b)) {
        return Err((
            S,
            "hostname",
            "hostname must be at most 255 printable ASCII characters without spaces".into(),
        ));
    }
    events(S, &s.events)?;
    if s.queue == 0 {
        return Err((S, "queue", "queue must be at least 1".into()));
    }
    if !(480..=65000).contains(&s.max_message) {
        return Err((
            S,
            "max_message",
            format!(
                "max_message must be from 480 to 65000 bytes, not {}",
                s.max_message
            ),
        ));
    }
    Ok(())
}

/// Whether a URL's host is a loopback address or `localhost`.
pub fn loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks `[output.webhook]`.
pub(super) fn check_webhook(w: &WebhookConf) -> Result<(), Problem> {
    const S: &str = "output.webhook";
    if !w.enabled {
        return Ok(());
    }
    let https = w.url.starts_with("https://");
    let http = w.url.starts_with("http://");
    if !https && !http {
        return Err((S, "url", format!("{:?} is not an https:// URL", w.url)));
    }
    if http && !loopback_url(&w.url) {
        return Err((
            S,
            "url",
            "incidents leave the sensor only over HTTPS: plain http:// is for a loopback relay"
                .into(),
        ));
    }
    if w.secret_file.is_none() {
        return Err((
            S,
            "secret_file",
            "secret_file is needed: the HMAC key receivers check X-Vigil-Signature with".into(),
        ));
    }
    if let Some(ca) = &w.ca_file {
        if !ca.is_file() {
            return Err((S, "ca_file", format!("{} does not exist", ca.display())));
        }
    }
    events(S, &w.events)?;
    if w.timeout == 0 || w.timeout > 300 {
        return Err((S, "timeout", "timeout must be from 1 to 300 seconds".into()));
    }
    if w.retries > 20 {
        return Err((S, "retries", "retries must be at most 20".into()));
    }
    if !(w.backoff > 0.0 && w.backoff <= w.max_backoff && w.max_backoff <= 3600.0) {
        return Err((
            S,
            "backoff",
            "backoff must be above 0 and at most max_backoff (at most 3600 s)".into(),
        ));
    }
    if w.queue == 0 {
        return Err((S, "queue", "queue must be at least 1".into()));
    }
    Ok(())
}

/// Checks `[api]`.
pub(super) fn check_api(a: &ApiConf) -> Result<(), Problem> {
    const S: &str = "api";
    let addr: SocketAddr = a.listen.parse().map_err(|_| {
        (
            S,
            "listen",
            format!(
                "{:?} is not an address and port (like 127.0.0.1:8787)",
                a.listen
            ),
        )
    })?;
    if a.tls_cert.is_some() != a.tls_key.is_some() {
        return Err((S, "tls_cert", "tls_cert and tls_key go together".into()));
    }
    if !a.enabled {
        return Ok(());
    }
    if !addr.ip().is_loopback() && a.tls_cert.is_none() {
        return Err((
            S,
            "listen",
            format!(
                "{} is not a loopback address: give tls_cert and tls_key (the token must not cross the network in clear)",
                addr.ip()
            ),
        ));
    }
    if a.token_file.is_none() {
        return Err((
            S,
            "token_file",
            "token_file is needed: a file of mode 0600 holding the bearer token".into(),
        ));
    }
    if a.view_interval == 0 || a.view_interval > 60 {
        return Err((
            S,
            "view_interval",
            "view_interval must be from 1 to 60 seconds".into(),
        ));
    }
    if a.max_connections == 0 {
        return Err((
            S,
            "max_connections",
            "max_connections must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Checks the EVE rotation keys of `[output]`.
pub(super) fn check_rotation(max_bytes: u64, keep: u32) -> Result<(), Problem> {
    if max_bytes > 0 && max_bytes < 4096 {
        return Err((
            "output",
            "eve_max_bytes",
            "eve_max_bytes must be 0 (no size rotation) or at least 4096".into(),
        ));
    }
    if keep == 0 || keep > 1000 {
        return Err((
            "output",
            "eve_keep",
            "eve_keep must be from 1 to 1000 rotated files".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        assert!(loopback_url("http://127.0.0.1:9000/hook"));
        assert!(loopback_url("http://localhost/hook"));
        assert!(loopback_url("http://[::1]:80/x"));
        assert!(!loopback_url("http://10.0.0.1/hook"));
        assert!(!loopback_url("http://hooks.example.com/x"));
    }

    #[test]
    fn bad_sections_are_refused() {
        let mut s = SyslogConf {
            enabled: true,
            ..Default::default()
        };
        assert!(check_syslog(&s).is_ok());
        s.transport = "sctp".into();
        assert_eq!(check_syslog(&s).unwrap_err().1, "transport");
        s.transport = "tcp".into();
        s.events = vec!["alerts".into()];
        assert_eq!(check_syslog(&s).unwrap_err().1, "events");
        s.events = vec![];
        s.server = "nohost".into();
        assert_eq!(check_syslog(&s).unwrap_err().1, "server");

        let mut w = WebhookConf {
            enabled: true,
            url: "http://hooks.example.com/x".into(),
            secret_file: Some("/tmp/x".into()),
            ..Default::default()
        };
        assert_eq!(check_webhook(&w).unwrap_err().1, "url");
        w.url = "https://hooks.example.com/x".into();
        assert!(check_webhook(&w).is_ok());
        w.secret_file = None;
        assert_eq!(check_webhook(&w).unwrap_err().1, "secret_file");

        let mut a = ApiConf {
            enabled: true,
            token_file: Some("/tmp/t".into()),
            ..Default::default()
        };
        assert!(check_api(&a).is_ok());
        a.listen = "0.0.0.0:8787".into();
        assert_eq!(check_api(&a).unwrap_err().1, "listen");
        a.tls_cert = Some("c.pem".into());
        assert_eq!(check_api(&a).unwrap_err().1, "tls_cert");
        a.tls_key = Some("k.pem".into());
        assert!(check_api(&a).is_ok());
        a.listen = "localhost".into();
        assert_eq!(check_api(&a).unwrap_err().1, "listen");
    }
}
