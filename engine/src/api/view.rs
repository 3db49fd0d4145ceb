//! The read-only view the control plane publishes for the API, the console and
//! `/metrics` (every `api.view_interval` seconds of wall time, through `arc-swap`): what
//! the engine counts (per worker, the port, queues, EVE records, breaches by model,
//! outputs), what it learned (devices with their pattern of life, rare endpoints, the
//! AI inventory), and what it found and did (recent alerts, incidents, actions).
//!
//! Built on the control-plane thread from its own state; the workers are only read
//! through the atomic counters they already publish. The API thread serves whatever
//! view is current, so no request ever waits on the control plane (approving and
//! releasing actions excepted: those go through the control plane's command handling).
//! Parts that cost more to build (devices, incidents) are kept from one view to the
//! next and rebuilt only when what they show changed; a device's pattern of life (its
//! top endpoints, user agents, ports), the costliest part, at most every
//! [`PATTERN_EVERY`] while the device keeps changing.

use crate::learn::device::Device;
use crate::learn::names::{is_ip_literal, registrable_domain};
use crate::learn::Learner;
use crate::output::eve::timestamp;
use crate::respond::incident::Incident;
use crate::respond::ResponseState;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// One worker's figures.
#[derive(Debug, Clone, Default)]
pub struct WorkerView {
    pub packets: u64,
    pub bytes: u64,
    pub flows: u64,
    pub flows_active: u64,
    pub records_dropped: u64,
    pub summary_queue_full: u64,
    /// Slots waiting in its summary and record queues toward the control plane.
    pub summary_depth: u64,
    pub record_depth: u64,
}

/// The capture port's counters.
#[derive(Debug, Clone, Default)]
pub struct PortView {
    pub ipackets: u64,
    pub ibytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub rx_nombuf: u64,
    /// Packets the software dispatcher dropped (full rings, live only).
    pub dispatch_dropped: u64,
}

impl PortView {
    /// Every packet lost before a worker saw it.
    pub fn drops(&self) -> u64 {
        self.imissed + self.rx_nombuf + self.dispatch_dropped
    }
}

/// Throughput between two views.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Wall-clock seconds since the epoch.
    pub at_s: f64,
    pub pps: f64,
    pub bps: f64,
    pub drops_ps: f64,
}

/// Samples kept for the console's throughput chart (five minutes at one a second).
pub const HISTORY: usize = 300;
/// Alerts of this run kept for `/api/v1/alerts`.
pub const RECENT_ALERTS: usize = 2000;
/// Incidents and finished actions in a view (the most recent).
pub const MAX_INCIDENTS: usize = 500;
pub const MAX_ACTIONS: usize = 500;
/// Rare endpoints in a view (the most recently used).
pub const MAX_ENDPOINTS: usize = 1000;
/// Items of each list in a device's pattern of life.
const TOP_ENDPOINTS: usize = 25;
const TOP_ITEMS: usize = 10;
/// Shortest time between two rebuilds of a busy device's pattern of life.
pub const PATTERN_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// A device in the view: what lists show, and its pattern of life (`pattern`).
#[derive(Debug, Clone)]
pub struct DeviceView {
    pub summary: Arc<Value>,
    pub pattern: Arc<Value>,
}

/// The view.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Wall clock (ns since the epoch) when built, and when the engine started.
    pub built_ns: u64,
    pub started_ns: u64,
    /// How long building the previous view took on the control plane.
    pub build_ns: u64,
    pub views: u64,
    pub sensor: String,
    pub input: String,
    /// A live port (no end) rather than a capture.
    pub live: bool,
    /// Latest packet time seen.
    pub packet_time_ns: u64,
    pub workers: Vec<WorkerView>,
    pub port: PortView,
    pub rate: Sample,
    pub history: Arc<VecDeque<Sample>>,
    pub flows: u64,
    pub eve_records: BTreeMap<String, u64>,
    pub alerts_by_model: BTreeMap<String, u64>,
    pub hot_path_allocations: u64,
    pub snapshots_published: u64,
    pub devices_learned: u64,
    pub endpoints_learned: u64,
    pub domains_learned: u64,
    pub names_learned: u64,
    /// Devices (address order), each with its pattern of life.
    pub devices: Vec<DeviceView>,
    /// Rare endpoints, most recent first; how many endpoints are rare in all.
    pub endpoints: Arc<Vec<Value>>,
    pub rare_endpoints: u64,
    pub rare_devices: u64,
    /// Incidents, the most recent first, and how many there are in all.
    pub incidents: Vec<Arc<Value>>,
    pub incidents_total: u64,
    /// Actions: every live one, then the most recent others.
    pub actions: Vec<Value>,
    /// Alerts written during this run, newest first.
    pub alerts: Vec<Arc<Value>>,
    pub ai: Arc<Value>,
    /// Output counters, by output (`vigil.outputs` of the stats record).
    pub outputs: Value,
}

/// What a view is built from (all on the control-plane thread).
pub struct Sources<'a> {
    pub sensor: &'a str,
    pub input: &'a str,
    pub live: bool,
    pub started_ns: u64,
    pub packet_time_ns: u64,
    pub workers: Vec<WorkerView>,
    pub port: PortView,
    pub flows: u64,
    pub eve_records: &'a BTreeMap<String, u64>,
    pub alerts_by_model: &'a BTreeMap<&'static str, u64>,
    pub learn: &'a Learner,
    pub respond: &'a ResponseState,
    pub incident_window_s: u64,
    pub ai_policy: &'a crate::ai::policy::Policy,
    pub recent_alerts: &'a VecDeque<Arc<Value>>,
    pub outputs: Value,
}

/// What is kept between views.
#[derive(Default)]
pub struct Cache {
    devices: HashMap<String, DeviceCache>,
    incidents: HashMap<u64, (IncidentSig, Arc<Value>)>,
    history: VecDeque<Sample>,
    last: Option<(f64, u64, u64, u64)>,
    views: u64,
}

type DeviceSig = (u64, u64, u64, usize, usize, usize, bool);

/// A device as the last views showed it.
struct DeviceCache {
    sig: DeviceSig,
    summary: Arc<Value>,
    /// What the pattern was built from, and when.
    pattern_sig: DeviceSig,
    pattern: Arc<Value>,
    pattern_at: std::time::Instant,
}
type IncidentSig = (usize, u64, usize, bool);

/// Wall-clock ns since the epoch.
pub fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn ts_s(s: u64) -> String {
    timestamp(s * 1_000_000_000)
}

/// A device: who it is and how busy it has been.
pub fn device_summary(d: &Device, learning: bool) -> Value {
    json!({
        "ip": d.ip,
        "mac": d.mac,
        "names": d.names.keys().collect::<Vec<_>>(),
        "os": d.os,
        "first_seen": ts_s(d.first_s),
        "last_seen": ts_s(d.last_s),
        "learning": learning,
        "connections": d.connections,
        "failed": d.failed,
        "endpoint_count": d.endpoints.len(),
        "user_agent_count": d.user_agents.len(),
    })
}

/// A device's pattern of life: connections by hour of day, its most used endpoints
/// (with how many devices reach them), ports, protocols, user agents, bytes out per hour.
pub fn device_pattern(d: &Device, l: &Learner) -> Value {
    let now_s = l.state.now_s;
    let window = l.settings.window_s;
    let mut eps: Vec<(&String, &crate::learn::device::EndpointUse)> = d.endpoints.iter().collect();
    eps.sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(b.0)));
    let endpoints: Vec<Value> = eps
        .iter()
        .take(TOP_ENDPOINTS)
        .map(|(name, u)| {
            let devices = l
                .state
                .endpoints
                .get(name.as_str())
                .map_or(0, |e| e.devices_within(now_s, window));
            json!({
                "endpoint": name,
                "domain": if is_ip_literal(name) { Value::Null } else { json!(registrable_domain(name)) },
                "connections": u.seen.count,
                "first_seen": ts_s(u.seen.first_s),
                "last_seen": ts_s(u.seen.last_s),
                "bytes_out": u.bytes_out,
                "bytes_in": u.bytes_in,
                "devices": devices,
                "rare": devices <= l.settings.rare_devices,
            })
        })
        .collect();
    let top = |m: &BTreeMap<String, crate::learn::device::Use>| -> Vec<Value> {
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        v.iter()
            .take(TOP_ITEMS)
            .map(|(k, u)| {
                json!({"value": k, "count": u.count, "first_seen": ts_s(u.first_s), "last_seen": ts_s(u.last_s)})
            })
            .collect()
    };
    let mut ports: Vec<(&u16, &u64)> = d.ports.iter().collect();
    ports.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut protocols: Vec<(&String, &u64)> = d.protocols.iter().collect();
    protocols.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    json!({
        "hours": d.hours,
        "endpoints": endpoints,
        "ports": ports.iter().take(TOP_ITEMS).map(|(p, n)| json!({"port": p, "connections": n})).collect::<Vec<_>>(),
        "protocols": protocols.iter().take(TOP_ITEMS).map(|(p, n)| json!({"protocol": p, "connections": n})).collect::<Vec<_>>(),
        "user_agents": top(&d.user_agents),
        "bytes_out_per_hour": {"mean": d.bytes_out_hourly.mean, "std": d.bytes_out_hourly.std(), "hours": d.bytes_out_hourly.n},
    })
}

/// An incident as the API shows it: its EVE body, whether it is still open (a breach
/// of its devices within the incident window would join it), and its techniques.
pub fn incident_json(i: &Incident, l: &Learner, open: bool) -> Value {
    let eve = i.eve(l);
    let mut v = eve.get("incident").cloned().unwrap_or(Value::Null);
    let mut mitre: Vec<&str> = Vec::new();
    for a in &i.alerts {
        if let Some(m) = crate::detect::catalog::by_id(&a.model) {
            for t in m.mitre {
                if !mitre.contains(t) {
                    mitre.push(t);
                }
            }
        }
    }
    if let Value::Object(m) = &mut v {
        m.insert("open".into(), json!(open));
        m.insert("mitre".into(), json!(mitre));
        m.insert("alert_count".into(), json!(i.alerts.len()));
        // Each breach with its techniques and tactic, for the timeline.
        if let Some(Value::Array(list)) = m.get_mut("alerts") {
            for (a, e) in list.iter_mut().zip(&i.alerts) {
                let techniques =
                    crate::detect::catalog::by_id(&e.model).map_or(&[][..], |m| m.mitre);
                a["mitre"] = json!(techniques);
                a["tactics"] = json!(techniques
                    .iter()
                    .map(|t| crate::respond::incident::tactic(t))
                    .collect::<Vec<_>>());
            }
        }
    }
    v
}

/// Builds a view; `cache` carries what did not change from the previous one.
pub fn build(src: Sources<'_>, cache: &mut Cache, build_ns: u64) -> View {
    let now = wall_ns();
    let l = src.learn;
    let now_s = l.state.now_s;

    // Throughput since the previous view.
    let packets: u64 = src.workers.iter().map(|w| w.packets).sum();
    let bytes: u64 = src.workers.iter().map(|w| w.bytes).sum();
    let drops = src.port.drops();
    let at_s = now as f64 / 1e9;
    let rate = match cache.last {
        Some((t, p, b, d)) if at_s > t => {
            let dt = at_s - t;
            Sample {
                at_s,
                pps: packets.saturating_sub(p) as f64 / dt,
                bps: bytes.saturating_sub(b) as f64 * 8.0 / dt,
                drops_ps: drops.saturating_sub(d) as f64 / dt,
            }
        }
        _ => Sample {
            at_s,
            ..Default::default()
        },
    };
    cache.last = Some((at_s, packets, bytes, drops));
    cache.history.push_back(rate);
    while cache.history.len() > HISTORY {
        cache.history.pop_front();
    }

    // Devices: rebuilt only when something shown changed.
    let learning_s = l.settings.learning_s;
    let mut devices = Vec::with_capacity(l.state.devices.len());
    // Patterns brought up to date in one view at most (new devices aside), so refreshes
    // spread over views instead of all falling due together.
    let mut budget = (l.state.devices.len() / 10).max(64);
    for (ip, d) in &l.state.devices {
        let learning = d.learning(now_s, learning_s);
        let sig: DeviceSig = (
            d.last_s,
            d.connections,
            d.failed,
            d.names.len(),
            d.user_agents.len(),
            d.endpoints.len(),
            learning,
        );
        let c = match cache.devices.get_mut(ip) {
            Some(c) => {
                if c.sig != sig {
                    c.sig = sig;
                    c.summary = Arc::new(device_summary(d, learning));
                }
                if c.pattern_sig != sig && budget > 0 && c.pattern_at.elapsed() >= PATTERN_EVERY {
                    budget -= 1;
                    c.pattern_sig = sig;
                    c.pattern = Arc::new(device_pattern(d, l));
                    c.pattern_at = std::time::Instant::now();
                }
                c
            }
            None => cache.devices.entry(ip.clone()).or_insert(DeviceCache {
                sig,
                summary: Arc::new(device_summary(d, learning)),
                pattern_sig: sig,
                pattern: Arc::new(device_pattern(d, l)),
                pattern_at: std::time::Instant::now(),
            }),
        };
        devices.push(DeviceView {
            summary: Arc::clone(&c.summary),
            pattern: Arc::clone(&c.pattern),
        });
    }
    cache
        .devices
        .retain(|ip, _| l.state.devices.contains_key(ip));

    // Rare endpoints, most recently used first.
    let window = l.settings.window_s;
    let rare = l.settings.rare_devices;
    let mut rare_list: Vec<(&String, &crate::learn::Endpoint, usize)> = l
        .state
        .endpoints
        .iter()
        .map(|(n, e)| (n, e, e.devices_within(now_s, window)))
        .filter(|(_, _, n)| *n <= rare)
        .collect();
    let rare_total = rare_list.len() as u64;
    rare_list.sort_by(|a, b| b.1.last_s.cmp(&a.1.last_s).then(a.0.cmp(b.0)));
    let endpoints: Vec<Value> = rare_list
        .iter()
        .take(MAX_ENDPOINTS)
        .map(|(name, e, n)| {
            let ip = is_ip_literal(name);
            json!({
                "endpoint": name,
                "kind": if ip { "address" } else { "hostname" },
                "domain": if ip { Value::Null } else { json!(registrable_domain(name)) },
                "devices": n,
                "device_list": e.devices.keys().collect::<Vec<_>>(),
                "first_seen": ts_s(e.first_s),
                "last_seen": ts_s(e.last_s),
                "connections": e.connections,
            })
        })
        .collect();

    // Incidents, most recent first; rebuilt when they changed.
    let window_ns = src.incident_window_s * 1_000_000_000;
    let now_ns = now_s * 1_000_000_000;
    let mut inc: Vec<&Incident> = src.respond.incidents.list.values().collect();
    inc.sort_by(|a, b| b.last_ns.cmp(&a.last_ns).then(b.id.cmp(&a.id)));
    let mut incidents = Vec::new();
    for i in inc.iter().take(MAX_INCIDENTS) {
        let open = i.last_ns + window_ns >= now_ns;
        let sig: IncidentSig = (i.alerts.len(), i.last_ns, i.linked.len(), open);
        let v = match cache.incidents.get(&i.id) {
            Some((s, v)) if *s == sig => Arc::clone(v),
            _ => {
                let v = Arc::new(incident_json(i, l, open));
                cache.incidents.insert(i.id, (sig, Arc::clone(&v)));
                v
            }
        };
        incidents.push(v);
    }
    let shown: std::collections::HashSet<u64> =
        inc.iter().take(MAX_INCIDENTS).map(|i| i.id).collect();
    cache.incidents.retain(|id, _| shown.contains(id));

    // Actions: the live ones, then the latest others.
    let mut actions: Vec<Value> = Vec::new();
    let mut others = 0;
    for a in src.respond.actions.values().rev() {
        if a.live() || others < MAX_ACTIONS {
            if !a.live() {
                others += 1;
            }
            actions.push(a.eve()["response"].clone());
        }
    }

    cache.views += 1;
    View {
        built_ns: now,
        started_ns: src.started_ns,
        build_ns,
        views: cache.views,
        sensor: src.sensor.to_string(),
        input: src.input.to_string(),
        live: src.live,
        packet_time_ns: src.packet_time_ns,
        workers: src.workers,
        port: src.port,
        rate,
        history: Arc::new(cache.history.clone()),
        flows: src.flows,
        eve_records: src.eve_records.clone(),
        alerts_by_model: src
            .alerts_by_model
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        hot_path_allocations: crate::alloc::hot_allocations(),
        snapshots_published: l.publications,
        devices_learned: l.state.devices.len() as u64,
        endpoints_learned: l.state.endpoints.len() as u64,
        domains_learned: l.state.domains.len() as u64,
        names_learned: l.state.names.len() as u64,
        devices,
        endpoints: Arc::new(endpoints),
        rare_endpoints: rare_total,
        rare_devices: rare as u64,
        incidents,
        incidents_total: src.respond.incidents.list.len() as u64,
        actions,
        alerts: src.recent_alerts.iter().rev().cloned().collect(),
        ai: Arc::new(crate::ai::report::json(&l.state, src.ai_policy)),
        outputs: src.outputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_show_their_pattern_of_life() {
        let mut d = Device::new("10.0.0.5".into(), 1000);
        for i in 0..40u64 {
            d.connection(
                "a.example.com",
                1000 + i,
                1001 + i,
                443,
                "tls",
                100,
                200,
                false,
                64,
            );
        }
        d.connection("b.example.net", 5000, 5001, 8443, "tls", 10, 20, false, 64);
        d.user_agent("curl/8.7.1", 5000, 64);
        let l = Learner::new(Default::default(), Default::default());
        let v = device_pattern(&d, &l);
        assert_eq!(v["endpoints"][0]["endpoint"], "a.example.com");
        assert_eq!(v["endpoints"][0]["connections"], 40);
        assert_eq!(v["ports"][0]["port"], 443);
        assert_eq!(v["hours"].as_array().unwrap().len(), 24);
        assert_eq!(v["hours"][0], 40);
        assert_eq!(v["hours"][1], 1);
        assert_eq!(v["user_agents"][0]["value"], "curl/8.7.1");
        assert_eq!(device_summary(&d, true)["connections"], 41);
    }

    #[test]
    fn a_second_view_reuses_what_did_not_change() {
        // A network of 2000 devices, each with 100 endpoints and 20 user agents.
        let mut learned = crate::learn::Learned::default();
        for d in 0..2000u64 {
            let ip = format!("10.{}.{}.{}", d / 65536, (d / 256) % 256, d % 256);
            let mut dev = Device::new(ip.clone(), 1000);
            for e in 0..100u64 {
                let ep = format!("h{e}.example{}.com", d % 7);
                dev.connection(&ep, 1000 + e, 1001 + e, 443, "tls", 1000, 5000, false, 2048);
                learned
                    .endpoints
                    .entry(ep)
                    .or_default()
                    .devices
                    .insert(ip.clone(), 1000 + e);
            }
            for u in 0..20u64 {
                dev.user_agent(&format!("agent/{u}"), 2000, 2048);
            }
            learned.devices.insert(ip, dev);
        }
        learned.now_s = 5000;
        let l = Learner::new(Default::default(), learned);
        let respond = ResponseState::default();
        let policy = crate::ai::policy::Policy::from_conf(&Default::default());
        let by_type = BTreeMap::new();
        let by_model = BTreeMap::new();
        let recent = VecDeque::new();
        let src = || Sources {
            sensor: "s",
            input: "i",
            live: true,
            started_ns: 0,
            packet_time_ns: 5_000_000_000_000,
            workers: vec![WorkerView::default()],
            port: PortView::default(),
            flows: 0,
            eve_records: &by_type,
            alerts_by_model: &by_model,
            learn: &l,
            respond: &respond,
            incident_window_s: 21600,
            ai_policy: &policy,
            recent_alerts: &recent,
            outputs: Value::Null,
        };
        let mut cache = Cache::default();
        let t = std::time::Instant::now();
        let first = build(src(), &mut cache, 0);
        let cold = t.elapsed();
        let t = std::time::Instant::now();
        let second = build(src(), &mut cache, 0);
        let warm = t.elapsed();
        eprintln!("view of 2000 devices × 100 endpoints: {cold:?} cold, {warm:?} warm");
        assert_eq!(first.devices.len(), 2000);
        assert_eq!(
            first.devices[0].pattern["endpoints"]
                .as_array()
                .unwrap()
                .len(),
            25
        );
        // Nothing changed: every device is the same allocation as before.
        assert!(first.devices.iter().zip(&second.devices).all(|(a, b)| {
            Arc::ptr_eq(&a.summary, &b.summary) && Arc::ptr_eq(&a.pattern, &b.pattern)
        }));
        assert!(warm < cold, "{warm:?} ≥ {cold:?}");
        // Every device busy since: summaries are new, patterns wait their turn.
        let mut learned = l.state.clone();
        for d in learned.devices.values_mut() {
            d.connection("new.example.org", 4000, 4001, 443, "tls", 1, 1, false, 2048);
        }
        let l2 = Learner::new(Default::default(), learned);
        let mut s3 = src();
        s3.learn = &l2;
        let t = std::time::Instant::now();
        let third = build(s3, &mut cache, 0);
        let busy = t.elapsed();
        eprintln!("the same, every device changed: {busy:?}");
        assert_eq!(third.devices[0].summary["connections"], 101);
        assert!(Arc::ptr_eq(
            &first.devices[0].pattern,
            &third.devices[0].pattern
        ));
    }
}
