//! A device's pattern of life: who it is (address, MAC, names, OS hint) and what it
//! usually does (endpoints, ports, protocols, user agents, TLS fingerprints, active
//! hours, bytes sent out per hour), each kept with first/last seen and counts, and the
//! hourly volume as an exponentially weighted mean and spread.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How often and when something was used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Use {
    pub first_s: u64,
    pub last_s: u64,
    pub count: u64,
}

impl Use {
    fn touch(&mut self, now_s: u64) {
        if self.count == 0 || now_s < self.first_s {
            self.first_s = now_s;
        }
        self.last_s = self.last_s.max(now_s);
        self.count += 1;
    }
}

/// Use of one endpoint by a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointUse {
    #[serde(flatten)]
    pub seen: Use,
    /// Bytes the device sent to it (frame bytes, to-server).
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// An exponentially weighted mean and variance (West's incremental form).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    pub mean: f64,
    pub var: f64,
    /// Samples taken.
    pub n: u64,
}

impl Ewma {
    /// Weight of each new sample once warmed up.
    pub const ALPHA: f64 = 0.05;

    /// Adds a sample. The first samples are averaged plainly (weight 1/n) until 1/n falls
    /// below `ALPHA`, so the mean does not start biased toward zero.
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let a = (1.0 / self.n as f64).max(Self::ALPHA);
        let d = x - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }

    /// Standard deviation.
    pub fn std(&self) -> f64 {
        self.var.max(0.0).sqrt()
    }
}

/// Names seen for a device, by where they came from.
pub type Names = BTreeMap<String, NameSource>;

/// Where a device's name was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameSource {
    Dhcp,
    Ptr,
    Mdns,
}

/// Most hours of silence filled with zero samples at once (a week).
const MAX_IDLE_HOURS: u64 = 168;

/// A device: one internal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub ip: String,
    pub mac: Option<String>,
    pub first_s: u64,
    pub last_s: u64,
    pub names: Names,
    /// OS guessed from its user agents (DHCP vendor class when it has none).
    pub os: Option<String>,
    /// External endpoints (hostname, or address when no name was known).
    pub endpoints: BTreeMap<String, EndpointUse>,
    /// Server ports of its connections to external endpoints.
    pub ports: BTreeMap<u16, u64>,
    /// Application protocols of those connections (`app_proto`, `failed` when unknown).
    pub protocols: BTreeMap<String, u64>,
    pub user_agents: BTreeMap<String, Use>,
    pub ja3: BTreeMap<String, Use>,
    pub ja4: BTreeMap<String, Use>,
    /// Connections started per hour of day (UTC).
    pub hours: [u64; 24],
    /// Bytes sent to external endpoints per hour, over the hours since its first flow.
    pub bytes_out_hourly: Ewma,
    /// The hour (packet time, hours since the epoch) being summed, and its sum so far.
    pub hour: u64,
    pub hour_bytes: u64,
    /// Connections to external endpoints.
    pub connections: u64,
    /// Connections that failed (S0, REJ, RSTOS0, SH and similar).
    pub failed: u64,
}

impl Device {
    /// A device first seen at `now_s`.
    pub fn new(ip: String, now_s: u64) -> Device {
        Device {
            ip,
            first_s: now_s,
            last_s: now_s,
            hour: now_s / 3600,
            ..Default::default()
        }
    }

    /// Whether the device is still in its learning period at `now_s`.
    pub fn learning(&self, now_s: u64, learning_secs: u64) -> bool {
        now_s < self.first_s.saturating_add(learning_secs)
    }

    /// Notes activity at `now_s`.
    pub fn seen(&mut self, now_s: u64) {
        if now_s < self.first_s {
            self.first_s = now_s;
        }
        self.last_s = self.last_s.max(now_s);
    }

    /// Closes the hours before `now_s`'s hour: each becomes one sample of hourly bytes.
    pub fn roll_hours(&mut self, now_s: u64) {
        let h = now_s / 3600;
        if h <= self.hour {
            return;
        }
        self.bytes_out_hourly.add(self.hour_bytes as f64);
        let idle = (h - self.hour - 1).min(MAX_IDLE_HOURS);
        for _ in 0..idle {
            self.bytes_out_hourly.add(0.0);
        }
        self.hour = h;
        self.hour_bytes = 0;
    }

    /// A finished connection to an external endpoint.
    #[allow(clippy::too_many_arguments)]
    pub fn connection(
        &mut self,
        endpoint: &str,
        start_s: u64,
        end_s: u64,
        port: u16,
        proto: &str,
        bytes_out: u64,
        bytes_in: u64,
        failed: bool,
        cap: usize,
    ) {
        self.seen(end_s);
        self.roll_hours(end_s);
        self.hour_bytes += bytes_out;
        self.connections += 1;
        if failed {
            self.failed += 1;
        }
        self.hours[((start_s / 3600) % 24) as usize] += 1;
        *self.ports.entry(port).or_insert(0) += 1;
        *self.protocols.entry(proto.to_string()).or_insert(0) += 1;
        if !self.endpoints.contains_key(endpoint) && self.endpoints.len() >= cap {
            evict_oldest(&mut self.endpoints, |u| u.seen.last_s);
        }
        let e = self.endpoints.entry(endpoint.to_string()).or_default();
        e.seen.touch(start_s);
        e.seen.last_s = e.seen.last_s.max(end_s);
        e.bytes_out += bytes_out;
        e.bytes_in += bytes_in;
    }

    /// A user agent the device sent.
    pub fn user_agent(&mut self, ua: &str, now_s: u64, cap: usize) {
        self.seen(now_s);
        touch_capped(&mut self.user_agents, ua, now_s, cap);
        if let Some(os) = os_hint(ua) {
            // A browser's precise hint is not replaced by an Apple system agent's vague one.
            if os != "macOS/iOS" || self.os.is_none() {
                self.os = Some(os.to_string());
            }
        }
    }

    /// A TLS client fingerprint the device sent.
    pub fn tls_client(&mut self, ja3: Option<&str>, ja4: Option<&str>, now_s: u64, cap: usize) {
        self.seen(now_s);
        if let Some(j) = ja3 {
            touch_capped(&mut self.ja3, j, now_s, cap);
        }
        if let Some(j) = ja4 {
            touch_capped(&mut self.ja4, j, now_s, cap);
        }
    }
}

fn touch_capped(m: &mut BTreeMap<String, Use>, k: &str, now_s: u64, cap: usize) {
    if let Some(u) = m.get_mut(k) {
        u.touch(now_s);
        return;
    }
    if m.len() >= cap {
        evict_oldest(m, |u| u.last_s);
    }
    let mut u = Use::default();
    u.touch(now_s);
    m.insert(k.to_string(), u);
}

/// Forgets the entry used longest ago.
fn evict_oldest<V>(m: &mut BTreeMap<String, V>, last: impl Fn(&V) -> u64) {
    if let Some(k) = m
        .iter()
        .min_by_key(|(k, v)| (last(v), (*k).clone()))
        .map(|(k, _)| k.clone())
    {
        m.remove(&k);
    }
}

/// The operating system a user agent names, if any.
pub fn os_hint(ua: &str) -> Option<&'static str> {
    let u = ua.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| u.contains(w));
    Some(
        if any(&["windowspowershell", "windows nt", "win64"]) || u.starts_with("microsoft") {
            "Windows"
        } else if any(&["iphone", "ipad", "ios "]) {
            "iOS"
        } else if u.contains("android") {
            "Android"
        } else if any(&["mac os x", "macintosh"]) {
            "macOS"
        } else if any(&["(x11; cros ", "; cros "]) {
            "ChromeOS"
        } else if any(&["linux", "x11", "ubuntu", "debian apt"]) {
            "Linux"
        } else if u.starts_with("com.apple.")
            || any(&["cfnetwork", "darwin"])
            || u.starts_with("captivenetworksupport")
        {
            // Apple's system agents: macOS or iOS alike.
            "macOS/iOS"
        } else {
            return None;
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_tracks_mean_and_spread() {
        let mut e = Ewma::default();
        for i in 0..1000 {
            e.add(if i % 2 == 0 { 90.0 } else { 110.0 });
        }
        assert!((e.mean - 100.0).abs() < 2.0, "{e:?}");
        assert!((e.std() - 10.0).abs() < 1.5, "{e:?}");
        let mut first = Ewma::default();
        first.add(42.0);
        assert_eq!(first.mean, 42.0);
    }

    #[test]
    fn hours_roll_with_idle_zeros() {
        let mut d = Device::new("10.0.0.5".into(), 0);
        d.connection("example.com", 10, 20, 443, "tls", 1000, 5000, false, 16);
        // Three hours later: hour 0 had 1000 bytes, hours 1 and 2 none.
        d.connection(
            "example.com",
            3 * 3600,
            3 * 3600 + 5,
            443,
            "tls",
            10,
            10,
            false,
            16,
        );
        assert_eq!(d.bytes_out_hourly.n, 3);
        assert_eq!(d.hour_bytes, 10);
        assert_eq!(d.endpoints["example.com"].seen.count, 2);
        assert_eq!(d.endpoints["example.com"].bytes_out, 1010);
    }

    #[test]
    fn baselines_are_bounded() {
        let mut d = Device::new("10.0.0.5".into(), 0);
        for i in 0..100u64 {
            d.connection(&format!("h{i}.example"), i, i, 443, "tls", 1, 1, false, 10);
            d.user_agent(&format!("agent/{i}"), i, 10);
        }
        assert_eq!(d.endpoints.len(), 10);
        assert!(d.endpoints.contains_key("h99.example"));
        assert_eq!(d.user_agents.len(), 10);
    }

    #[test]
    fn os_hints() {
        assert_eq!(
            os_hint("Mozilla/5.0 (Windows NT; Windows NT 10.0; fr-FR) WindowsPowerShell/5.1"),
            Some("Windows")
        );
        assert_eq!(
            os_hint("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15"),
            Some("macOS")
        );
        assert_eq!(os_hint("curl/8.7.1"), None);
        assert_eq!(os_hint("Microsoft-CryptoAPI/10.0"), Some("Windows"));
        assert_eq!(os_hint("com.apple.trustd/3.0"), Some("macOS/iOS"));
        assert_eq!(
            os_hint("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36"),
            Some("ChromeOS")
        );
        assert_eq!(os_hint("Debian APT-HTTP/1.3 (2.6.1)"), Some("Linux"));
        assert_eq!(
            os_hint("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            Some("Linux")
        );
    }
}
