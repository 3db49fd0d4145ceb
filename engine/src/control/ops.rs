//! The operator surface on the control-plane side: starts the outputs that leave the
//! sensor (the EVE file with rotation and SIGHUP reopen, syslog, webhook) and the API
//! server before the data path, then, from the control loop, publishes the read-only
//! view the API serves (every `api.view_interval` seconds of wall time), hands the API's
//! commands to the same handling as the control socket's, and ticks the EVE writer
//! (flush every second, rotation by age, reopen after SIGHUP).
//!
//! Nothing here touches the workers: their counters are read through the atomics they
//! already publish, and the outputs' queues never make the control plane wait.

use super::socket;
use super::ControlPlane;
use crate::api::view::{self, Cache, PortView, Sources, View, WorkerView};
use crate::config::Profile;
use crate::output::eve::{EveWriter, FileStats, Rotation};
use crate::output::sinks::Outputs;
use arc_swap::ArcSwap;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Commands from the API waiting for the control plane at most.
const COMMAND_QUEUE: usize = 64;

/// What the control plane keeps of the operator surface.
#[derive(Default)]
pub struct Ops {
    /// The view the API serves (None when the API is off).
    view: Option<Arc<ArcSwap<View>>>,
    cache: Cache,
    every: Duration,
    last: Option<Instant>,
    commands: Option<Receiver<socket::Request>>,
    /// A command came from the API: publish a new view at once, so what it changed
    /// shows on the next request.
    refresh: bool,
    /// The outputs' counters, the EVE file's, the API's.
    outputs: Vec<(&'static str, Arc<crate::output::sinks::Counters>)>,
    eve_file: Option<Arc<FileStats>>,
    api: Option<Arc<crate::api::routes::Counters>>,
    sensor: String,
    started_ns: u64,
    incident_window_s: u64,
}

/// What `start` sets up for a run.
pub struct Started {
    pub eve: Option<EveWriter>,
    pub ops: Ops,
    /// The output threads, to be given time to deliver at the end (`Outputs::finish`).
    pub outputs: Outputs,
}

/// Starts the EVE writer, the syslog and webhook outputs and the API server of a
/// profile. Errors are the operator's (exit 2): one line.
pub fn start(p: &Profile, eve_path: Option<&str>) -> Result<Started, String> {
    let (sinks, outputs) = Outputs::start(&p.output)?;
    let api_on = p.api.enabled;
    let mut eve = match eve_path {
        Some(path) => {
            let hup = if path == "-" {
                None
            } else {
                // logrotate's convention: SIGHUP reopens the file at its path.
                let flag = Arc::new(AtomicBool::new(false));
                signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&flag))
                    .map_err(|e| format!("cannot install the SIGHUP handler: {e}"))?;
                Some(flag)
            };
            let o = &p.output;
            let rotation = Rotation {
                max_bytes: o.eve_max_bytes,
                max_age: (o.eve_max_age > 0).then(|| Duration::from_secs(o.eve_max_age)),
                keep: o.eve_keep,
            };
            let mut w = EveWriter::open_rotating(path, rotation, hup)?;
            if !sinks.is_empty() {
                w.set_sinks(sinks);
            }
            Some(w)
        }
        None if !sinks.is_empty() || api_on => Some(EveWriter::sinks_only(sinks)),
        None => None,
    };
    let mut ops = Ops {
        outputs: outputs.counters.clone(),
        eve_file: eve
            .as_ref()
            .filter(|_| eve_path.is_some_and(|p| p != "-"))
            .map(|w| Arc::clone(&w.stats)),
        sensor: crate::output::syslog::local_hostname(),
        started_ns: view::wall_ns(),
        incident_window_s: p.response.incident_window,
        every: Duration::from_secs(p.api.view_interval.max(1)),
        ..Default::default()
    };
    if api_on {
        let cell = Arc::new(ArcSwap::from_pointee(View::default()));
        let (tx, rx) = std::sync::mpsc::sync_channel(COMMAND_QUEUE);
        let server = crate::api::server::start(&p.api, Arc::clone(&cell), tx)?;
        eprintln!(
            "vigil: API and console on {}://{}",
            if p.api.tls_cert.is_some() {
                "https"
            } else {
                "http"
            },
            server.addr
        );
        ops.view = Some(cell);
        ops.commands = Some(rx);
        ops.api = Some(server.counters);
        if let Some(w) = &mut eve {
            w.keep_recent_alerts(view::RECENT_ALERTS);
        }
    }
    Ok(Started { eve, ops, outputs })
}

impl Ops {
    /// Commands the API sent since the last call.
    pub fn commands(&mut self) -> Vec<socket::Request> {
        let got: Vec<socket::Request> = match &self.commands {
            Some(rx) => rx.try_iter().collect(),
            None => Vec::new(),
        };
        self.refresh |= !got.is_empty();
        got
    }

    /// The outputs' counters (`vigil.outputs` of the stats record, `/metrics`).
    pub fn outputs_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (name, c) in &self.outputs {
            m.insert(name.to_string(), c.json());
        }
        if let Some(f) = &self.eve_file {
            m.insert(
                "eve".into(),
                json!({
                    "bytes": f.bytes.load(Ordering::Relaxed),
                    "rotations": f.rotations.load(Ordering::Relaxed),
                    "reopens": f.reopens.load(Ordering::Relaxed),
                }),
            );
        }
        if let Some(a) = &self.api {
            m.insert(
                "api".into(),
                json!({
                    "requests": a.requests.load(Ordering::Relaxed),
                    "unauthorized": a.unauthorized.load(Ordering::Relaxed),
                }),
            );
        }
        Value::Object(m)
    }
}

impl ControlPlane {
    /// From the control loop: ticks the EVE writer, and publishes a new view when one is
    /// due. `now_ns` is the latest packet time, `flows` the flows seen.
    pub(super) fn tick_ops(&mut self, now_ns: u64, flows: u64) -> Result<(), String> {
        if let Some(eve) = &mut self.eve {
            eve.tick()
                .map_err(|e| format!("cannot write EVE output: {e}"))?;
        }
        let due = self.ops.refresh || self.ops.last.is_none_or(|t| t.elapsed() >= self.ops.every);
        if self.ops.view.is_none() || !due {
            return Ok(());
        }
        self.ops.refresh = false;
        self.ops.last = Some(Instant::now());
        let began = Instant::now();
        let v = self.build_view(now_ns, flows);
        let mut v = v;
        v.build_ns = began.elapsed().as_nanos() as u64;
        if let Some(cell) = &self.ops.view {
            cell.store(Arc::new(v));
        }
        Ok(())
    }

    fn build_view(&mut self, now_ns: u64, flows: u64) -> View {
        let port = crate::capture::dpdk::port_stats(self.port);
        let record_depths = self.records.queue_depths();
        let workers: Vec<WorkerView> = self
            .workers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let c = w.read();
                WorkerView {
                    packets: c.packets,
                    bytes: c.bytes,
                    flows: c.flows,
                    flows_active: c.flows_active,
                    records_dropped: c.records_dropped,
                    summary_queue_full: c.queue_full,
                    summary_depth: self.queues.get(i).map_or(0, |q| q.len() as u64),
                    record_depth: record_depths.get(i).copied().unwrap_or(0) as u64,
                }
            })
            .collect();
        let empty = std::collections::VecDeque::new();
        let outputs = self.ops.outputs_json();
        let src = Sources {
            sensor: &self.ops.sensor,
            input: &self.input,
            live: self.expected.is_none(),
            started_ns: self.ops.started_ns,
            packet_time_ns: now_ns,
            workers,
            port: PortView {
                ipackets: port.ipackets,
                ibytes: port.ibytes,
                imissed: port.imissed,
                ierrors: port.ierrors,
                rx_nombuf: port.rx_nombuf,
                dispatch_dropped: self.dispatch.dropped.load(Ordering::Relaxed),
            },
            flows,
            eve_records: &self.records.by_type,
            alerts_by_model: &self.records.detect.counts,
            learn: &self.records.learn,
            respond: &self.records.respond.state,
            incident_window_s: self.ops.incident_window_s,
            ai_policy: &self.records.detect.ai.watch.policy,
            recent_alerts: self
                .eve
                .as_ref()
                .and_then(|e| e.recent_alerts())
                .unwrap_or(&empty),
            outputs,
        };
        view::build(src, &mut self.ops.cache, 0)
    }
}
