//! The control-plane thread: drains every worker's bounded summary queue, keeps the
//! global view (packet time, which worker owns which flow), writes EVE `stats` records
//! (periodic in packet time, and a final one), and shows progress on long replays.
//!
//! It may allocate and block; workers never wait on it (a full queue is counted), except
//! for the packet clock of a deterministic replay at an epoch boundary (`epoch`).

pub mod epoch;
pub mod ops;
pub mod records;
pub mod socket;

use crate::capture::dpdk::{self, PortStats};
use crate::flow::key::FlowKey;
use crate::output::eve::{self, EveWriter};
use crate::worker::{Counters, WorkerShared};
use crossbeam_queue::ArrayQueue;
use epoch::EpochGate;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a worker tells the control plane. Small and `Copy`: it crosses a lock-free queue.
#[derive(Debug, Clone, Copy)]
pub enum Summary {
    /// The worker's packet time entered a new second.
    Clock { worker: u16, ts_ns: u64 },
    /// The worker saw this flow for the first time.
    NewFlow {
        worker: u16,
        key: FlowKey,
        ts_ns: u64,
    },
}

/// Most `stats` records written for one silence in packet time (a day of minutes).
const MAX_STATS_GAP: u64 = 1440;

/// Counters of the software-RSS dispatcher (zero when the NIC spreads the packets).
#[derive(Default)]
pub struct DispatchShared {
    pub packets: AtomicU64,
    pub ring_full_retries: AtomicU64,
    pub dropped: AtomicU64,
}

/// Sent by the main thread when every worker has stopped.
pub struct Finish {
    pub port: PortStats,
    pub xstats: Vec<(String, u64)>,
}

/// What the control plane needs to run.
pub struct ControlPlane {
    pub queues: Vec<Arc<ArrayQueue<Summary>>>,
    pub workers: Vec<Arc<WorkerShared>>,
    pub dispatch: Arc<DispatchShared>,
    pub eve: Option<EveWriter>,
    /// The epoch handshake of a deterministic replay (None when live).
    pub gate: Option<Arc<EpochGate>>,
    /// The workers' record queues and what turns them into EVE records.
    pub records: records::Records,
    /// Packet-time seconds between stats records (0: final only).
    pub stats_interval: u64,
    /// Capture port, for periodic counters.
    pub port: u16,
    /// Packets the capture holds, for progress (None when live).
    pub expected: Option<u64>,
    /// The capture's name, for the stats record and progress line.
    pub input: String,
    pub dispatch_mode: &'static str,
    /// Where the learned state is saved (None: learn in memory only).
    pub state_dir: Option<std::path::PathBuf>,
    /// Wall-clock time between state snapshots.
    pub snapshot_every: Duration,
    /// The control socket `vigil actions` talks to.
    pub socket: Option<socket::ControlSocket>,
    /// The API's view and commands, the outputs' counters (`ops`).
    pub ops: ops::Ops,
}

/// The run's final figures, returned to the main thread.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub packets: u64,
    pub bytes: u64,
    pub workers: Vec<Counters>,
    pub port: PortStats,
    pub flows: u64,
    pub flows_split: u64,
    pub summaries: u64,
    pub queue_full: u64,
    pub dispatch_dropped: u64,
    pub hot_allocations: u64,
    pub elapsed: Duration,
    pub eve_records: u64,
    /// EVE records written, by event type.
    pub by_type: std::collections::BTreeMap<String, u64>,
    pub records_dropped: u64,
    pub first_ts_ns: u64,
    pub last_ts_ns: u64,
    /// Breaches (for the end-of-run table; EVE has them all).
    pub alerts: Vec<records::AlertSummary>,
    /// Devices and endpoints known at the end.
    pub devices: u64,
    pub endpoints: u64,
    /// Records skipped because the loaded state had learned them already.
    pub already_learned: u64,
    /// `vigil bench` only: per-worker figures, the bare loop's, the TSC frequency.
    pub bench_workers: Vec<crate::bench::WorkerBench>,
    pub baseline: Option<crate::bench::Baseline>,
    pub tsc_hz: u64,
}

struct State {
    flow_owner: HashMap<FlowKey, u16>,
    flows_split: u64,
    summaries: u64,
    first_ts_ns: u64,
    now_ns: u64,
    next_stats_ns: u64,
}

impl ControlPlane {
    /// Runs until the main thread sends [`Finish`]; returns the final report.
    pub fn run(mut self, finish: Receiver<Finish>) -> Result<Report, String> {
        let start = Instant::now();
        let mut st = State {
            flow_owner: HashMap::new(),
            flows_split: 0,
            summaries: 0,
            first_ts_ns: 0,
            now_ns: 0,
            next_stats_ns: 0,
        };
        let tty = std::io::stderr().is_terminal();
        let mut last_progress = Instant::now();
        let mut last_work = Instant::now();
        let mut last_save = Instant::now();
        let mut shown = false;
        loop {
            let mut got = self.drain(&mut st)?;
            match self.gate.clone() {
                Some(g) => {
                    if let Some(e) = g.pending() {
                        // The clock waits at epoch e: everything before it is queued.
                        got += self.drain(&mut st)? + 1;
                        let boundary = e * g.epoch_ns();
                        self.stats_until(&mut st, boundary, start)?;
                        crate::ai::records::write_due(&mut self.records, boundary, &mut self.eve)?;
                        // What was learned before the boundary applies from it on; a
                        // snapshot saved here holds exactly the packets before it.
                        let expired = self.records.respond.tick(boundary);
                        self.records.write_out(expired, &mut self.eve)?;
                        if self.records.learn.maybe_publish(boundary) {
                            let live = self.records.respond.published(boundary);
                            self.records.write_out(live, &mut self.eve)?;
                        }
                        if last_save.elapsed() >= self.snapshot_every {
                            self.save_state(boundary);
                            last_save = Instant::now();
                        }
                        g.release(e);
                    }
                }
                None => {
                    let now = st.now_ns;
                    self.stats_until(&mut st, now, start)?;
                    crate::ai::records::write_due(&mut self.records, now, &mut self.eve)?;
                    let expired = self.records.respond.tick(now);
                    self.records.write_out(expired, &mut self.eve)?;
                    if self.records.learn.maybe_publish(now) {
                        let live = self.records.respond.published(now);
                        self.records.write_out(live, &mut self.eve)?;
                    }
                    if last_save.elapsed() >= self.snapshot_every {
                        self.save_state(now);
                        last_save = Instant::now();
                    }
                }
            }
            self.records.detect.refresh_iocs();
            self.serve(st.now_ns)?;
            self.tick_ops(st.now_ns, st.flow_owner.len() as u64)?;
            let msg = match finish.try_recv() {
                Ok(m) => Some(m),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some(Finish {
                    port: dpdk::port_stats(self.port),
                    xstats: Vec::new(),
                }),
            };
            if let Some(fin) = msg {
                self.drain(&mut st)?;
                if shown && tty {
                    eprintln!();
                }
                return self.finish(st, fin, start);
            }
            if last_progress.elapsed() >= Duration::from_secs(if tty { 1 } else { 5 })
                && start.elapsed() >= Duration::from_secs(1)
            {
                last_progress = Instant::now();
                shown = true;
                self.progress(start, tty);
            }
            if got > 0 {
                last_work = Instant::now();
            } else if self.gate.is_some() && last_work.elapsed() < Duration::from_millis(5) {
                // A replay's clock may be about to wait at the next epoch: stay close.
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Answers `vigil actions` requests waiting on the control socket, and the API's.
    fn serve(&mut self, now_ns: u64) -> Result<(), String> {
        let mut reqs = match &mut self.socket {
            Some(s) => s.poll(),
            None => Vec::new(),
        };
        reqs.extend(self.ops.commands());
        for req in reqs {
            let cmd = req.body["cmd"].as_str().unwrap_or("").to_string();
            let who = req.body["by"].as_str().unwrap_or("an operator").to_string();
            match cmd.as_str() {
                "list" => {
                    let list: Vec<Value> = self
                        .records
                        .respond
                        .list()
                        .iter()
                        .map(|a| a.eve()["response"].clone())
                        .collect();
                    req.answer(json!({"ok": true, "actions": list}));
                }
                "approve" | "release" => {
                    let Some(id) = req.body["id"].as_u64() else {
                        req.answer(socket::error("an action id is needed"));
                        continue;
                    };
                    let r = if cmd == "approve" {
                        self.records.respond.approve(id, now_ns, &who)
                    } else {
                        self.records.respond.release(id, now_ns, &who)
                    };
                    match r {
                        Ok(out) => {
                            let action = out.1["response"].clone();
                            self.records.write_out(vec![out], &mut self.eve)?;
                            // Live, what changed reaches the workers now; a replay
                            // publishes at its next epoch boundary.
                            if self.gate.is_none() && self.records.learn.maybe_publish(now_ns) {
                                let live = self.records.respond.published(now_ns);
                                self.records.write_out(live, &mut self.eve)?;
                            }
                            if let Some(eve) = &mut self.eve {
                                let _ = eve.flush();
                            }
                            req.answer(json!({"ok": true, "action": action}));
                        }
                        Err(e) => req.answer(socket::error(e)),
                    }
                }
                other => req.answer(socket::error(format!(
                    "unknown command {other:?} (list, approve, release)"
                ))),
            }
        }
        Ok(())
    }

    /// Saves the learned state (everything from packets before `boundary_ns`); a
    /// failure is reported and the run goes on (the next snapshot may succeed).
    fn save_state(&mut self, boundary_ns: u64) {
        let Some(dir) = self.state_dir.clone() else {
            return;
        };
        let state = self.records.learn.to_save(boundary_ns);
        if let Err(e) = crate::learn::persist::save(&dir, state) {
            eprintln!("vigil: {e}");
        }
        let resp = &self.records.respond.state;
        if let Err(e) = crate::learn::persist::save_as(&dir, crate::respond::STATE_FILE, resp) {
            eprintln!("vigil: {e}");
        }
    }

    fn drain(&mut self, st: &mut State) -> Result<usize, String> {
        let mut n = self.records.drain(&mut self.eve)?;
        for q in &self.queues {
            while let Some(s) = q.pop() {
                n += 1;
                match s {
                    Summary::Clock { ts_ns, .. } => st.advance(ts_ns),
                    Summary::NewFlow { worker, key, ts_ns } => {
                        st.advance(ts_ns);
                        match st.flow_owner.get(&key) {
                            Some(w) if *w != worker => st.flows_split += 1,
                            Some(_) => {}
                            None => {
                                st.flow_owner.insert(key, worker);
                            }
                        }
                    }
                }
            }
        }
        st.summaries += n as u64;
        Ok(n)
    }

    /// Writes the `stats` records due at packet-time boundaries up to `upto_ns`. In a
    /// replay every worker is stopped at `upto_ns`, so the counters are exact.
    fn stats_until(&mut self, st: &mut State, upto_ns: u64, start: Instant) -> Result<(), String> {
        if self.stats_interval == 0 || upto_ns == 0 {
            return Ok(());
        }
        let step = self.stats_interval * 1_000_000_000;
        if st.next_stats_ns == 0 {
            // The first boundary after the first packet time.
            st.next_stats_ns = upto_ns - upto_ns % step + step;
            return Ok(());
        }
        if upto_ns < st.next_stats_ns {
            return Ok(());
        }
        // A long silence in the capture: at most a day of records, then the latest one.
        let due = (upto_ns - st.next_stats_ns) / step + 1;
        if due > MAX_STATS_GAP {
            st.next_stats_ns += (due - MAX_STATS_GAP) * step;
        }
        let port = dpdk::port_stats(self.port);
        let counters: Vec<Counters> = self.workers.iter().map(|w| w.read()).collect();
        while st.next_stats_ns <= upto_ns {
            let rec = self.stats_record(st.next_stats_ns, start, &port, &counters, st, false);
            if let Some(eve) = &mut self.eve {
                eve.write(&rec)
                    .map_err(|e| format!("cannot write EVE output: {e}"))?;
            }
            st.next_stats_ns += step;
        }
        Ok(())
    }

    fn progress(&self, start: Instant, tty: bool) {
        let packets: u64 = self.workers.iter().map(|w| w.read().packets).sum();
        let secs = start.elapsed().as_secs_f64();
        let rate = packets as f64 / secs / 1e6;
        let line = match self.expected {
            Some(total) if total > 0 => format!(
                "vigil: {} {packets}/{total} packets ({:.0}%), {rate:.2} Mpps",
                self.input,
                packets as f64 * 100.0 / total as f64
            ),
            _ => format!("vigil: {} {packets} packets, {rate:.2} Mpps", self.input),
        };
        if tty {
            eprint!("\r{line}   ");
        } else {
            eprintln!("{line}");
        }
    }

    fn stats_record(
        &self,
        ts_ns: u64,
        start: Instant,
        port: &PortStats,
        workers: &[Counters],
        st: &State,
        last: bool,
    ) -> Value {
        let packets: u64 = workers.iter().map(|c| c.packets).sum();
        let bytes: u64 = workers.iter().map(|c| c.bytes).sum();
        // Detail counters, summed over the workers that have reported them.
        let mut detail: std::collections::BTreeMap<&str, u64> = Default::default();
        for d in self.records.details.iter().flatten() {
            for (k, v) in d {
                *detail.entry(k).or_insert(0) += v;
            }
        }
        let max_pkt = workers.iter().map(|c| c.max_pkt_len).max().unwrap_or(0);
        let dispatch_dropped = self.dispatch.dropped.load(Ordering::Relaxed);
        let per_worker: Vec<Value> = workers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "id": i,
                    "lcore": self.workers[i].lcore.load(Ordering::Relaxed),
                    "packets": c.packets,
                    "bytes": c.bytes,
                    "bursts": c.bursts,
                    "empty_polls": c.empty_polls,
                    "flows": c.flows,
                    "flows_active": c.flows_active,
                    "records": c.records,
                    "records_dropped": c.records_dropped,
                    "queue_full": c.queue_full,
                })
            })
            .collect();
        let mut decoder = serde_json::Map::new();
        decoder.insert("pkts".into(), json!(packets));
        decoder.insert("bytes".into(), json!(bytes));
        decoder.insert(
            "avg_pkt_size".into(),
            json!(bytes.checked_div(packets).unwrap_or(0)),
        );
        decoder.insert("max_pkt_size".into(), json!(max_pkt));
        let mut other = serde_json::Map::new();
        for (k, v) in &detail {
            match k.strip_prefix("decoder.") {
                Some(name) => {
                    decoder.insert(name.to_string(), json!(v));
                }
                None => {
                    other.insert(k.to_string(), json!(v));
                }
            }
        }
        let mut rec = json!({
            "timestamp": eve::timestamp(ts_ns),
            "event_type": "stats",
            "stats": {
                "uptime": start.elapsed().as_secs(),
                "capture": {
                    "kernel_packets": port.ipackets,
                    "kernel_drops": port.imissed + port.rx_nombuf + dispatch_dropped,
                    "errors": port.ierrors,
                },
                "decoder": decoder,
            },
            "vigil": {
                "final": last,
                "input": self.input,
                "expected_packets": self.expected,
                "dispatch": self.dispatch_mode,
                "workers": per_worker,
                "port": {
                    "ipackets": port.ipackets,
                    "ibytes": port.ibytes,
                    "imissed": port.imissed,
                    "ierrors": port.ierrors,
                    "rx_nombuf": port.rx_nombuf,
                },
                "dispatch_ring_full_retries": self.dispatch.ring_full_retries.load(Ordering::Relaxed),
                "dispatch_dropped": dispatch_dropped,
                "epoch_waits": self.gate.as_ref().map(|g| g.waits()),
                "flows": st.flow_owner.len(),
                "flows_split": st.flows_split,
                "summaries": st.summaries,
                "summary_queue_full": workers.iter().map(|c| c.queue_full).sum::<u64>(),
                "records_dropped": workers.iter().map(|c| c.records_dropped).sum::<u64>(),
                "records_malformed": self.records.malformed,
                "hot_path_allocations": crate::alloc::hot_allocations(),
                "learned": {
                    "devices": self.records.learn.state.devices.len(),
                    "endpoints": self.records.learn.state.endpoints.len(),
                    "domains": self.records.learn.state.domains.len(),
                    "names": self.records.learn.state.names.len(),
                    "snapshots_published": self.records.learn.publications,
                    "records_already_learned": self.records.learn.skipped,
                },
            }
        });
        rec["vigil"]["counters"] = Value::Object(other);
        rec["vigil"]["outputs"] = self.ops.outputs_json();
        rec
    }

    fn finish(mut self, st: State, fin: Finish, start: Instant) -> Result<Report, String> {
        let counters: Vec<Counters> = self.workers.iter().map(|w| w.read()).collect();
        let last_ts = counters
            .iter()
            .map(|c| c.last_ts_ns)
            .max()
            .unwrap_or(0)
            .max(st.now_ns);
        let ts = if last_ts == 0 {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        } else {
            last_ts
        };
        // Everything of this run is learned: save it (a failure here loses learning, so
        // the run fails).
        self.records.learn.publish(ts);
        let live = self.records.respond.published(ts);
        self.records.write_out(live, &mut self.eve)?;
        let expired = self.records.respond.tick(ts);
        self.records.write_out(expired, &mut self.eve)?;
        if let Some(dir) = self.state_dir.clone() {
            let state = self.records.learn.to_save(ts + 1);
            crate::learn::persist::save(&dir, state)?;
            let resp = &self.records.respond.state;
            crate::learn::persist::save_as(&dir, crate::respond::STATE_FILE, resp)?;
        }
        crate::ai::records::write_rest(&mut self.records, ts, &mut self.eve)?;
        let mut rec = self.stats_record(ts, start, &fin.port, &counters, &st, true);
        if !fin.xstats.is_empty() {
            let x: serde_json::Map<String, Value> = fin
                .xstats
                .iter()
                .filter(|(_, v)| *v != 0)
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            rec["vigil"]["xstats"] = Value::Object(x);
        }
        let mut eve_records = 0;
        if let Some(eve) = &mut self.eve {
            eve.write(&rec)
                .map_err(|e| format!("cannot write EVE output: {e}"))?;
            eve.flush()
                .map_err(|e| format!("cannot write EVE output: {e}"))?;
            eve_records = eve.records;
        }
        Ok(Report {
            packets: counters.iter().map(|c| c.packets).sum(),
            bytes: counters.iter().map(|c| c.bytes).sum(),
            port: fin.port,
            flows: st.flow_owner.len() as u64,
            flows_split: st.flows_split,
            summaries: st.summaries,
            queue_full: counters.iter().map(|c| c.queue_full).sum(),
            dispatch_dropped: self.dispatch.dropped.load(Ordering::Relaxed),
            hot_allocations: crate::alloc::hot_allocations(),
            elapsed: start.elapsed(),
            eve_records,
            by_type: self.records.by_type.clone(),
            records_dropped: counters.iter().map(|c| c.records_dropped).sum(),
            first_ts_ns: st.first_ts_ns,
            last_ts_ns: last_ts,
            alerts: std::mem::take(&mut self.records.alerts),
            devices: self.records.learn.state.devices.len() as u64,
            endpoints: self.records.learn.state.endpoints.len() as u64,
            already_learned: self.records.learn.skipped,
            bench_workers: Vec::new(),
            baseline: None,
            tsc_hz: 0,
            workers: counters,
        })
    }
}

impl State {
    fn advance(&mut self, ts_ns: u64) {
        if ts_ns == 0 {
            return;
        }
        if self.first_ts_ns == 0 || ts_ns < self.first_ts_ns {
            self.first_ts_ns = ts_ns;
        }
        if ts_ns > self.now_ns {
            self.now_ns = ts_ns;
        }
    }
}
