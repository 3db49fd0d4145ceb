//! Pattern of life: what Vigil learns about the network, on the control plane.
//!
//! - **Devices** (`device`): internal addresses with MAC, names (DHCP option 12, DNS PTR,
//!   mDNS), an OS hint, and a baseline of what each usually does.
//! - **Endpoints**: external destinations named by hostname (SNI, HTTP Host, a DNS
//!   answer for the address) when one is known, else by address; each hostname also
//!   counts toward its registrable domain. For each, which devices reached it and when,
//!   over a sliding window: rarity.
//! - **Names** (`names`): the IP → hostname map from DNS answers.
//! - **Snapshots** (`snapshot`, `table`): the address-level rarity workers look up per new
//!   flow, republished on a bounded interval; workers report a device's first contact
//!   with an address as a compact record, which the learner applies here.
//! - **Persistence** (`persist`): the learned state saved atomically and reloaded.
//!
//! Everything runs on packet time (record timestamps), never the wall clock, so a capture
//! of four days replayed in seconds leaves the state four live days would.

pub mod device;
pub mod names;
pub mod net;
pub mod persist;
pub mod report;
pub mod snapshot;
pub mod table;

use crate::config::LearnConf;
use crate::worker::records::Header;
use device::{Device, NameSource};
use names::{is_ip_literal, normalise, registrable_domain, resolve_chain, NameMap};
use net::{from_key, Networks};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use snapshot::{AddrRarity, Retired, Snapshot, SnapshotCell};
use std::collections::BTreeMap;
use std::sync::Arc;
use table::{key_ip, key_pair, KeyTable};

/// Which devices reached an endpoint, and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub first_s: u64,
    pub last_s: u64,
    /// Device address → its latest contact (packet-time seconds).
    pub devices: BTreeMap<String, u64>,
    /// Connections from devices.
    pub connections: u64,
}

impl Endpoint {
    fn contact(&mut self, device: &str, now_s: u64) {
        if self.devices.is_empty() && self.connections == 0 {
            self.first_s = now_s;
        }
        self.first_s = self.first_s.min(now_s);
        self.last_s = self.last_s.max(now_s);
        let d = self.devices.entry(device.to_string()).or_insert(now_s);
        *d = (*d).max(now_s);
    }

    /// Devices whose latest contact lies within `window_s` of `now_s`.
    pub fn devices_within(&self, now_s: u64, window_s: u64) -> usize {
        let from = now_s.saturating_sub(window_s);
        self.devices.values().filter(|t| **t >= from).count()
    }
}

/// Everything learned; what is saved and reloaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// Records of `learned_capture` generated before this packet time are already in the
    /// state (a replay of the same capture after a restart does not learn them twice).
    pub learned_until_ns: u64,
    /// The capture (name, packets, bytes) `learned_until_ns` is about; None when live.
    #[serde(default)]
    pub learned_capture: Option<String>,
    /// Latest packet time learned from, seconds.
    pub now_s: u64,
    pub devices: BTreeMap<String, Device>,
    /// External endpoints by hostname or address.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Registrable domains of the hostnames.
    pub domains: BTreeMap<String, Endpoint>,
    pub names: NameMap,
    /// DHCP client MAC → the host name it asked with (option 12).
    pub dhcp_names: BTreeMap<String, String>,
    /// Shadow AI: which devices use which AI services, SDKs, MCP and LLM servers.
    #[serde(default)]
    pub ai: crate::ai::inventory::Inventory,
}

/// The learner's settings, from the profile.
#[derive(Debug, Clone)]
pub struct Settings {
    pub internal: Networks,
    pub rare_devices: usize,
    pub window_s: u64,
    pub learning_s: u64,
    pub dns_hold_s: u64,
    pub names_capacity: usize,
    pub device_items: usize,
    pub publish_interval_ns: u64,
}

impl Settings {
    /// From a profile's `[learn]` section (validated already).
    pub fn from_conf(c: &LearnConf) -> Settings {
        Settings {
            internal: Networks::parse(&c.internal).unwrap_or_default(),
            rare_devices: c.rare_devices as usize,
            window_s: c.rarity_window_days as u64 * 86400,
            learning_s: c.learning_hours as u64 * 3600,
            dns_hold_s: c.dns_hold as u64,
            names_capacity: c.names_capacity,
            device_items: c.device_items,
            publish_interval_ns: c.publish_interval.max(1) * 1_000_000_000,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_conf(&LearnConf::default())
    }
}

/// Connection states that mean the connection failed.
pub fn failed_state(conn_state: &str) -> bool {
    matches!(conn_state, "S0" | "REJ" | "RSTOS0" | "RSTRH" | "SH" | "SHR")
}

/// The learner: applies records, answers questions, publishes snapshots.
pub struct Learner {
    pub settings: Settings,
    pub state: Learned,
    /// Records before this packet time are in the loaded state already.
    resume_until_ns: u64,
    /// The capture being replayed (None live).
    capture: Option<String>,
    /// Records skipped for that reason.
    pub skipped: u64,
    /// Hostnames (SNI, Host) seen on flows not yet ended.
    flow_names: crate::flowmap::FlowMap<String>,
    cell: Arc<SnapshotCell>,
    retired: Retired,
    dirty: bool,
    last_publish_ns: u64,
    generation: u64,
    /// Snapshots published.
    pub publications: u64,
    /// What the active response actions block (published with the snapshot).
    blocks: crate::respond::blocks::BlockSet,
    blocks_dirty: bool,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn u(v: &Value, path: &[&str]) -> Option<u64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_u64()
}

impl Learner {
    /// A learner starting from `state` (loaded, or empty).
    pub fn new(settings: Settings, state: Learned) -> Learner {
        Learner::for_input(settings, state, None)
    }

    /// A learner for a replay of `capture` (its identity: name, packets, bytes), or live
    /// (None). Records the loaded state already learned from the same capture are
    /// skipped; any other input is learned in full.
    pub fn for_input(settings: Settings, state: Learned, capture: Option<String>) -> Learner {
        let cell = Arc::new(SnapshotCell::new(settings.internal));
        let resume = if capture.is_some() && state.learned_capture == capture {
            state.learned_until_ns
        } else {
            0
        };
        let mut l = Learner {
            capture,
            resume_until_ns: resume,
            settings,
            state,
            skipped: 0,
            flow_names: Default::default(),
            cell,
            retired: Retired::default(),
            dirty: true,
            last_publish_ns: 0,
            generation: 0,
            publications: 0,
            blocks: Default::default(),
            blocks_dirty: false,
        };
        l.publish(l.state.now_s * 1_000_000_000);
        l
    }

    /// The cell workers read snapshots from.
    pub fn cell(&self) -> Arc<SnapshotCell> {
        Arc::clone(&self.cell)
    }

    fn internal(&self, addr: &[u8; 16], v6: bool) -> bool {
        self.settings.internal.contains(addr, v6)
    }

    fn device(&mut self, ip: &str, now_s: u64) -> &mut Device {
        self.state
            .devices
            .entry(ip.to_string())
            .or_insert_with(|| Device::new(ip.to_string(), now_s))
    }

    fn advance(&mut self, ts_ns: u64) {
        let s = ts_ns / 1_000_000_000;
        if s > self.state.now_s {
            self.state.now_s = s;
        }
    }

    /// Whether a record generated at packet time `ts_ns` came from packets the loaded
    /// state has learned from already (a replay resumed after a restart).
    pub fn covers(&self, ts_ns: u64) -> bool {
        ts_ns != 0 && ts_ns < self.resume_until_ns
    }

    /// Whether a record generated at packet time `ts_ns` is already in the loaded state.
    fn already_learned(&mut self, ts_ns: u64) -> bool {
        if ts_ns != 0 && ts_ns < self.resume_until_ns {
            self.skipped += 1;
            true
        } else {
            false
        }
    }

    /// A worker's report that a device reached an external address it had not reached
    /// within the window (as far as the worker's snapshot knew).
    pub fn first_contact(&mut self, h: &Header, ts_ns: u64) {
        if self.already_learned(ts_ns) {
            return;
        }
        self.advance(ts_ns);
        let now_s = ts_ns / 1_000_000_000;
        let device = from_key(&h.client, h.v6).to_string();
        let addr = from_key(&h.server, h.v6).to_string();
        self.device(&device, now_s).seen(now_s);
        self.state
            .endpoints
            .entry(addr)
            .or_default()
            .contact(&device, now_s);
        self.dirty = true;
    }

    /// An EVE record the control plane wrote for the flow of `h`; `emitted_ns` is the
    /// packet time at which the worker produced it.
    pub fn observe(&mut self, h: &Header, emitted_ns: u64, rec: &Map<String, Value>) {
        if self.already_learned(emitted_ns) {
            // Not learned twice, but a flow still open at the resume point needs the name
            // its earlier records gave it.
            let name = match rec.get("event_type").and_then(Value::as_str) {
                Some("flow") => {
                    self.flow_names.remove(&h.flow_id);
                    None
                }
                Some("http") => rec.get("http").and_then(|x| x.get("hostname")),
                Some("tls") => rec.get("tls").and_then(|x| x.get("sni")),
                Some("quic") => rec.get("quic").and_then(|x| x.get("sni")),
                _ => None,
            };
            if let Some(n) = name.and_then(Value::as_str) {
                let n = n.to_string();
                self.name_flow(h, &n);
            }
            return;
        }
        self.advance(emitted_ns);
        let rec = Value::Object(rec.clone());
        match s(&rec, &["event_type"]) {
            Some("flow") => self.flow(h, &rec),
            Some("http") => self.http(h, emitted_ns, &rec),
            Some("tls") => self.tls(h, emitted_ns, &rec),
            Some("quic") => self.quic(h, emitted_ns, &rec),
            Some("dns") => self.dns(emitted_ns, &rec),
            Some("dhcp") => self.dhcp(emitted_ns, &rec),
            _ => {}
        }
    }

    fn name_flow(&mut self, h: &Header, name: &str) {
        if name.is_empty() || is_ip_literal(name) || self.internal(&h.server, h.v6) {
            return;
        }
        self.flow_names
            .get_or_insert_with(h.flow_id, || normalise(name));
    }

    fn http(&mut self, h: &Header, ts_ns: u64, rec: &Value) {
        let now_s = ts_ns / 1_000_000_000;
        if let Some(host) = s(rec, &["http", "hostname"]) {
            self.name_flow(h, host);
        }
        if self.internal(&h.client, h.v6) {
            let ip = from_key(&h.client, h.v6).to_string();
            let cap = self.settings.device_items;
            if let Some(ua) = s(rec, &["http", "http_user_agent"]) {
                self.device(&ip, now_s).user_agent(ua, now_s, cap);
            }
        }
    }

    fn tls(&mut self, h: &Header, ts_ns: u64, rec: &Value) {
        let now_s = ts_ns / 1_000_000_000;
        if let Some(sni) = s(rec, &["tls", "sni"]) {
            self.name_flow(h, sni);
        }
        if self.internal(&h.client, h.v6) {
            let ip = from_key(&h.client, h.v6).to_string();
            let cap = self.settings.device_items;
            let ja3 = s(rec, &["tls", "ja3", "hash"]).map(str::to_string);
            let ja4 = s(rec, &["tls", "ja4"]).map(str::to_string);
            if ja3.is_some() || ja4.is_some() {
                self.device(&ip, now_s)
                    .tls_client(ja3.as_deref(), ja4.as_deref(), now_s, cap);
            }
        }
    }

    fn quic(&mut self, h: &Header, ts_ns: u64, rec: &Value) {
        let now_s = ts_ns / 1_000_000_000;
        if let Some(sni) = s(rec, &["quic", "sni"]) {
            self.name_flow(h, sni);
        }
        if self.internal(&h.client, h.v6) {
            if let Some(ja4) = s(rec, &["quic", "ja4"]).map(str::to_string) {
                let ip = from_key(&h.client, h.v6).to_string();
                let cap = self.settings.device_items;
                self.device(&ip, now_s)
                    .tls_client(None, Some(&ja4), now_s, cap);
            }
        }
    }

    fn dns(&mut self, ts_ns: u64, rec: &Value) {
        let now_s = ts_ns / 1_000_000_000;
        if s(rec, &["dns", "type"]) != Some("response") {
            return;
        }
        let Some(answers) = rec["dns"]["answers"].as_array() else {
            return;
        };
        let list: Vec<(String, String, String, u64)> = answers
            .iter()
            .filter_map(|a| {
                Some((
                    normalise(a.get("rrname")?.as_str()?),
                    a.get("rrtype")?.as_str()?.to_string(),
                    a.get("rdata")?.as_str().unwrap_or("").to_string(),
                    a.get("ttl").and_then(Value::as_u64).unwrap_or(0),
                ))
            })
            .collect();
        let mdns = u(rec, &["src_port"]) == Some(5353) || u(rec, &["dest_port"]) == Some(5353);
        let query = rec["dns"]["queries"][0]["rrname"]
            .as_str()
            .map(normalise)
            .or_else(|| list.first().map(|a| a.0.clone()))
            .unwrap_or_default();
        let (hold, cap) = (self.settings.dns_hold_s, self.settings.names_capacity);
        for (name, addr, ttl) in resolve_chain(&query, &list) {
            let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
                continue;
            };
            let internal = self.settings.internal.contains_ip(ip);
            if mdns {
                if internal && name.ends_with(".local") {
                    let n = name.trim_end_matches(".local").to_string();
                    self.device(&ip.to_string(), now_s)
                        .names
                        .insert(n, NameSource::Mdns);
                }
                continue;
            }
            self.state
                .names
                .answer(&ip.to_string(), name, now_s, ttl, hold, cap);
        }
        for (name, ty, data, _) in &list {
            if ty != "PTR" || data.is_empty() {
                continue;
            }
            if let Some(ip) = ptr_address(name) {
                if self.settings.internal.contains_ip(ip) {
                    let n = normalise(data);
                    let n = n.trim_end_matches(".local").to_string();
                    let src = if mdns {
                        NameSource::Mdns
                    } else {
                        NameSource::Ptr
                    };
                    self.device(&ip.to_string(), now_s).names.insert(n, src);
                }
            }
        }
    }

    fn dhcp(&mut self, ts_ns: u64, rec: &Value) {
        let now_s = ts_ns / 1_000_000_000;
        let d = &rec["dhcp"];
        let Some(mac) = d
            .get("client_mac")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        if let Some(host) = d.get("hostname").and_then(Value::as_str) {
            if !host.is_empty() {
                self.state.dhcp_names.insert(mac.clone(), host.to_string());
            }
        }
        let vendor = d
            .get("vendor_class_identifier")
            .and_then(Value::as_str)
            .map(str::to_string);
        let addr = ["assigned_ip", "client_ip", "requested_ip"]
            .iter()
            .filter_map(|k| d.get(*k).and_then(Value::as_str))
            .find(|a| *a != "0.0.0.0")
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
            .filter(|ip| self.settings.internal.contains_ip(*ip));
        let Some(ip) = addr else { return };
        let name = self.state.dhcp_names.get(&mac).cloned();
        let dev = self.device(&ip.to_string(), now_s);
        dev.seen(now_s);
        dev.mac = Some(mac);
        if let Some(n) = name {
            dev.names.insert(n, NameSource::Dhcp);
        }
        if dev.os.is_none() {
            if let Some(v) = vendor {
                if v.starts_with("MSFT") {
                    dev.os = Some("Windows".into());
                } else if v.starts_with("android") {
                    dev.os = Some("Android".into());
                }
            }
        }
    }

    fn flow(&mut self, h: &Header, rec: &Value) {
        let name = self.flow_names.remove(&h.flow_id);
        let f = &rec["flow"];
        let parse_ts = |k: &str| {
            f.get(k)
                .and_then(Value::as_str)
                .and_then(crate::output::eve::parse_timestamp)
                .unwrap_or(0)
        };
        let (start_ns, end_ns) = (parse_ts("start"), parse_ts("end"));
        let (start_s, end_s) = (start_ns / 1_000_000_000, end_ns / 1_000_000_000);
        let client_in = self.internal(&h.client, h.v6);
        let server_in = self.internal(&h.server, h.v6);
        let client = from_key(&h.client, h.v6).to_string();
        let server = from_key(&h.server, h.v6).to_string();
        let answered = u(f, &["pkts_toclient"]).unwrap_or(0) > 0;
        if client_in {
            self.device(&client, start_s).seen(end_s);
        }
        if server_in && answered {
            self.device(&server, start_s).seen(end_s);
        }
        if !client_in || server_in {
            return;
        }
        if rec["vigil"]["blocked"] == true {
            // What a response action blocked does not become part of the pattern of life.
            return;
        }
        // A device reached an external endpoint.
        let endpoint = name
            .clone()
            .or_else(|| {
                self.state
                    .names
                    .name_of(&server, start_s)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| server.clone());
        let conn_state = s(rec, &["vigil", "conn_state"]).unwrap_or("");
        let failed = h.proto == 6 && failed_state(conn_state);
        let proto = s(rec, &["app_proto"]).unwrap_or("unknown").to_string();
        let bytes_out = u(f, &["bytes_toserver"]).unwrap_or(0);
        let bytes_in = u(f, &["bytes_toclient"]).unwrap_or(0);
        let cap = self.settings.device_items;
        self.device(&client, start_s).connection(
            &endpoint, start_s, end_s, h.sport, &proto, bytes_out, bytes_in, failed, cap,
        );
        // The address itself (workers look addresses up), the name, and its domain.
        let ep = self.state.endpoints.entry(server.clone()).or_default();
        ep.contact(&client, start_s);
        ep.connections += 1;
        if endpoint != server {
            let ep = self.state.endpoints.entry(endpoint.clone()).or_default();
            ep.contact(&client, start_s);
            ep.connections += 1;
            let dom = registrable_domain(&endpoint);
            let d = self.state.domains.entry(dom).or_default();
            d.contact(&client, start_s);
            d.connections += 1;
        }
        self.dirty = true;
    }

    /// Devices that reached `endpoint` (hostname or address) within the window.
    pub fn endpoint_devices(&self, endpoint: &str) -> usize {
        self.state.endpoints.get(endpoint).map_or(0, |e| {
            e.devices_within(self.state.now_s, self.settings.window_s)
        })
    }

    /// Whether `endpoint` is rare: new to the network, or reached by at most K devices.
    pub fn is_rare(&self, endpoint: &str) -> bool {
        self.endpoint_devices(endpoint) <= self.settings.rare_devices
    }

    /// The hostname of address `ip` at `now_s` from DNS answers, if any.
    pub fn hostname_of(&self, ip: &str, now_s: u64) -> Option<&str> {
        self.state.names.name_of(ip, now_s)
    }

    /// Whether a flow to `ip` at `now_s` went without any hostname: no DNS answer for it
    /// within its TTL plus the hold time, and no SNI or Host name on the flow itself.
    pub fn without_hostname(&self, ip: &str, flow_name: Option<&str>, now_s: u64) -> bool {
        flow_name.is_none_or(|n| n.is_empty() || is_ip_literal(n))
            && self.hostname_of(ip, now_s).is_none()
    }

    /// Publishes a new worker snapshot when something changed and the interval passed
    /// (`now_ns` in packet time). Returns whether it published.
    pub fn maybe_publish(&mut self, now_ns: u64) -> bool {
        // New blocks go out at once; learning waits for the interval.
        let learning_due =
            self.dirty && now_ns >= self.last_publish_ns + self.settings.publish_interval_ns;
        if !self.blocks_dirty && !learning_due {
            self.retired.collect();
            return false;
        }
        self.publish(now_ns);
        true
    }

    /// Replaces what workers block; published at the next chance, whatever the interval.
    pub fn set_blocks(&mut self, blocks: crate::respond::blocks::BlockSet) {
        self.blocks = blocks;
        self.blocks_dirty = true;
    }

    /// Forgets contacts older than the window, then builds and publishes the snapshot.
    pub fn publish(&mut self, now_ns: u64) {
        let now_s = (now_ns / 1_000_000_000).max(self.state.now_s);
        self.prune(now_s);
        let window = self.settings.window_s;
        let addrs_n = self.state.endpoints.len();
        let pairs_n: usize = self.state.endpoints.values().map(|e| e.devices.len()).sum();
        let mut addrs: KeyTable<AddrRarity> = KeyTable::with_capacity(addrs_n);
        let mut pairs: KeyTable<()> = KeyTable::with_capacity(pairs_n);
        for (k, e) in &self.state.endpoints {
            let Ok(ip) = k.parse::<std::net::IpAddr>() else {
                continue;
            };
            let (a, v6) = net::to_key(ip);
            let n = e.devices_within(now_s, window);
            addrs.insert(
                key_ip(&a, v6),
                AddrRarity {
                    devices: n.min(u16::MAX as usize) as u16,
                    first_seen_s: e.first_s.min(u32::MAX as u64) as u32,
                },
            );
            for dev in e.devices.keys() {
                if let Ok(d) = dev.parse::<std::net::IpAddr>() {
                    let (dk, dv6) = net::to_key(d);
                    if dv6 == v6 {
                        pairs.insert(key_pair(&dk, &a, v6), ());
                    }
                }
            }
        }
        self.generation += 1;
        let old = self.cell.publish(Snapshot {
            generation: self.generation,
            as_of_ns: now_ns,
            addrs,
            pairs,
            blocks: self.blocks.clone(),
        });
        self.retired.retire(old);
        self.dirty = false;
        self.blocks_dirty = false;
        self.last_publish_ns = now_ns;
        self.publications += 1;
    }

    fn prune(&mut self, now_s: u64) {
        let from = now_s.saturating_sub(self.settings.window_s);
        for map in [&mut self.state.endpoints, &mut self.state.domains] {
            map.retain(|_, e| {
                e.devices.retain(|_, t| *t >= from);
                !e.devices.is_empty()
            });
        }
        self.state.names.expire(now_s);
    }

    /// The state to save: everything learned from packets before `boundary_ns` (the
    /// epoch boundary of a replay, or the latest packet time live).
    pub fn to_save(&mut self, boundary_ns: u64) -> &Learned {
        if self.capture.is_some() && self.state.learned_capture != self.capture {
            self.state.learned_capture = self.capture.clone();
            self.state.learned_until_ns = 0;
        }
        self.state.learned_until_ns = self.state.learned_until_ns.max(boundary_ns);
        &self.state
    }
}

/// The address a PTR name stands for (`17.1.20.10.in-addr.arpa` → 10.20.1.17).
pub fn ptr_address(name: &str) -> Option<std::net::IpAddr> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    if let Some(v4) = n.strip_suffix(".in-addr.arpa") {
        let parts: Vec<u8> = v4
            .split('.')
            .map(|p| p.parse::<u8>())
            .collect::<Result<_, _>>()
            .ok()?;
        if parts.len() != 4 {
            return None;
        }
        return Some(std::net::IpAddr::from([
            parts[3], parts[2], parts[1], parts[0],
        ]));
    }
    if let Some(v6) = n.strip_suffix(".ip6.arpa") {
        let nibbles: Vec<u8> = v6
            .split('.')
            .map(|p| u8::from_str_radix(p, 16))
            .collect::<Result<_, _>>()
            .ok()?;
        if nibbles.len() != 32 {
            return None;
        }
        let mut a = [0u8; 16];
        for (i, pair) in nibbles.rchunks(2).enumerate() {
            // rchunks from the end: the last two labels are the first byte's nibbles.
            a[i] = (pair[1] << 4) | pair[0];
        }
        return Some(std::net::IpAddr::from(a));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const S: u64 = 1_000_000_000;
    /// 2026-03-09T00:00:00Z.
    const T0: u64 = 1_773_014_400;

    fn header(flow_id: u64, client: &str, server: &str, sport: u16, proto: u8) -> Header {
        let (c, v6) = net::to_key(client.parse().unwrap());
        let (sv, _) = net::to_key(server.parse().unwrap());
        Header {
            flow_id,
            v6,
            client: c,
            server: sv,
            cport: 50000,
            sport,
            proto,
            ..Default::default()
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn flow_rec(
        start_s: u64,
        end_s: u64,
        out: u64,
        conn_state: &str,
        app: &str,
    ) -> Map<String, Value> {
        obj(json!({
            "event_type": "flow",
            "app_proto": app,
            "flow": {
                "pkts_toserver": 5, "pkts_toclient": 4,
                "bytes_toserver": out, "bytes_toclient": 900,
                "start": crate::output::eve::timestamp(start_s * S),
                "end": crate::output::eve::timestamp(end_s * S),
            },
            "vigil": {"conn_state": conn_state}
        }))
    }

    fn dns_answer(name: &str, ip: &str, ttl: u64) -> Map<String, Value> {
        obj(json!({
            "event_type": "dns", "src_port": 53, "dest_port": 40000,
            "dns": {"type": "response", "rrname": name,
                    "queries": [{"rrname": name, "rrtype": "A"}],
                    "answers": [{"rrname": name, "rrtype": "A", "ttl": ttl, "rdata": ip}]}
        }))
    }

    /// A connection from `dev` to `server` at `t`, optionally named on the flow itself.
    fn connect(l: &mut Learner, id: u64, dev: &str, server: &str, t: u64, sni: Option<&str>) {
        let h = header(id, dev, server, 443, 6);
        l.first_contact(&h, t * S);
        if let Some(n) = sni {
            l.observe(&h, t * S, &obj(json!({"event_type": "tls", "tls": {"sni": n, "ja3": {"hash": "abc"}, "ja4": "t13d"}})));
        }
        l.observe(&h, (t + 5) * S, &flow_rec(t, t + 5, 1200, "SF", "tls"));
    }

    #[test]
    fn without_hostname_only_when_nothing_names_the_address() {
        let mut l = Learner::new(Settings::default(), Learned::default());
        let resolver = header(1, "10.20.1.5", "10.20.0.53", 53, 17);
        // A DNS answer names 140.82.121.4 for 60 s + the hold (3600 s).
        l.observe(
            &resolver,
            T0 * S,
            &dns_answer("github.com", "140.82.121.4", 60),
        );
        assert!(!l.without_hostname("140.82.121.4", None, T0 + 10));
        assert!(!l.without_hostname("140.82.121.4", None, T0 + 3660));
        // Once the answer is too old, the address has no hostname...
        assert!(l.without_hostname("140.82.121.4", None, T0 + 3661));
        // ...unless the flow itself names it (SNI or Host), which a bare-IP Host does not.
        assert!(!l.without_hostname("140.82.121.4", Some("github.com"), T0 + 3661));
        assert!(l.without_hostname("140.82.121.4", Some("140.82.121.4"), T0 + 3661));
        // An address no answer ever named.
        assert!(l.without_hostname("104.145.210.107", None, T0 + 10));
        assert!(l.without_hostname("104.145.210.107", Some(""), T0 + 10));
    }

    #[test]
    fn rarity_and_baselines() {
        let mut l = Learner::new(Settings::default(), Learned::default());
        let resolver = header(1, "10.20.1.5", "10.20.0.53", 53, 17);
        l.observe(
            &resolver,
            T0 * S,
            &dns_answer("www.office.com", "52.96.0.1", 300),
        );
        // Three devices use office.com by DNS name; one reaches a bare address.
        for (i, dev) in ["10.20.1.5", "10.20.1.6", "10.20.1.7"].iter().enumerate() {
            connect(&mut l, 10 + i as u64, dev, "52.96.0.1", T0 + 10, None);
        }
        connect(&mut l, 20, "10.20.1.17", "104.145.210.107", T0 + 20, None);
        connect(
            &mut l,
            21,
            "10.20.1.17",
            "148.72.73.98",
            T0 + 30,
            Some("zoom.uswebob.us"),
        );
        assert_eq!(l.endpoint_devices("www.office.com"), 3);
        assert_eq!(l.state.domains["office.com"].devices.len(), 3);
        assert!(!l.is_rare("www.office.com"));
        assert_eq!(l.endpoint_devices("104.145.210.107"), 1);
        assert!(l.is_rare("104.145.210.107"));
        assert!(l.is_rare("zoom.uswebob.us"));
        assert!(l.is_rare("never-seen.example"));
        assert_eq!(l.state.domains["uswebob.us"].devices.len(), 1);
        let d = &l.state.devices["10.20.1.17"];
        assert!(d.endpoints.contains_key("zoom.uswebob.us"));
        assert!(d.endpoints.contains_key("104.145.210.107"));
        assert_eq!(d.ja3["abc"].count, 1);
        assert_eq!(d.ports[&443], 2);
        assert!(l.state.devices["10.20.1.6"]
            .endpoints
            .contains_key("www.office.com"));
        // The workers' snapshot knows the address-level facts.
        l.publish((T0 + 40) * S);
        let snap = l.cell().load();
        let (a, _) = net::to_key("52.96.0.1".parse().unwrap());
        let (d17, _) = net::to_key("10.20.1.17".parse().unwrap());
        let (bare, _) = net::to_key("104.145.210.107".parse().unwrap());
        assert_eq!(snap.addr(&a, false).unwrap().devices, 3);
        assert!(snap.knows_pair(&d17, &bare, false));
        assert!(!snap.knows_pair(&d17, &a, false));
        // Thirty-one days later the contacts have left the window.
        l.publish((T0 + 31 * 86400) * S);
        assert_eq!(l.endpoint_devices("www.office.com"), 0);
    }

    #[test]
    fn dhcp_and_ptr_name_devices() {
        let mut l = Learner::new(Settings::default(), Learned::default());
        let h = header(1, "0.0.0.0", "255.255.255.255", 67, 17);
        l.observe(&h, T0 * S, &obj(json!({"event_type": "dhcp", "dhcp": {"type": "request", "client_mac": "3c:22:fb:01:02:03", "hostname": "marie-macbook", "requested_ip": "10.20.1.17", "client_ip": "0.0.0.0", "assigned_ip": "0.0.0.0"}})));
        l.observe(&h, T0 * S, &obj(json!({"event_type": "dhcp", "dhcp": {"type": "reply", "dhcp_type": "ack", "client_mac": "3c:22:fb:01:02:03", "assigned_ip": "10.20.1.17", "client_ip": "0.0.0.0", "vendor_class_identifier": "MSFT 5.0"}})));
        let d = &l.state.devices["10.20.1.17"];
        assert_eq!(d.mac.as_deref(), Some("3c:22:fb:01:02:03"));
        assert!(d.names.contains_key("marie-macbook"));
        let r = header(2, "10.20.1.5", "10.20.0.53", 53, 17);
        l.observe(&r, T0 * S, &obj(json!({"event_type": "dns", "dns": {"type": "response", "queries": [{"rrname": "23.1.20.10.in-addr.arpa", "rrtype": "PTR"}], "answers": [{"rrname": "23.1.20.10.in-addr.arpa", "rrtype": "PTR", "ttl": 60, "rdata": "DESKTOP-FIN23.corp.local"}]}})));
        assert!(l.state.devices["10.20.1.23"]
            .names
            .contains_key("desktop-fin23.corp"));
    }

    #[test]
    fn a_loaded_state_does_not_learn_the_same_packets_twice() {
        let mut l = Learner::for_input(
            Settings::default(),
            Learned::default(),
            Some("a.pcap".into()),
        );
        connect(&mut l, 1, "10.20.1.5", "52.96.0.1", T0, None);
        let saved = l.to_save((T0 + 100) * S).clone();
        // Another capture at the same packet times is learned in full...
        let mut other =
            Learner::for_input(Settings::default(), saved.clone(), Some("b.pcap".into()));
        connect(&mut other, 1, "10.20.1.5", "52.96.0.1", T0, None);
        assert_eq!(other.state.devices["10.20.1.5"].connections, 2);
        // ...the same capture again is not learned twice.
        let mut again = Learner::for_input(Settings::default(), saved, Some("a.pcap".into()));
        connect(&mut again, 1, "10.20.1.5", "52.96.0.1", T0, None);
        assert_eq!(again.state.devices["10.20.1.5"].connections, 1);
        assert!(again.skipped > 0);
        connect(&mut again, 2, "10.20.1.5", "52.96.0.1", T0 + 200, None);
        assert_eq!(again.state.devices["10.20.1.5"].connections, 2);
    }

    #[test]
    fn ptr_names() {
        assert_eq!(
            ptr_address("17.1.20.10.in-addr.arpa"),
            Some("10.20.1.17".parse().unwrap())
        );
        let v6 = "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.";
        assert_eq!(
            ptr_address(v6),
            Some("4321:0:1:2:3:4:567:89ab".parse().unwrap())
        );
        assert_eq!(ptr_address("example.com"), None);
    }
}
