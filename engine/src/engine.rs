//! The engine: turns a profile and an input into a running data path and back.
//!
//! EAL from the profile; a mempool; the capture port (a `net_pcap` vdev over a capture in
//! software mode, a NIC in hardware mode) with symmetric RSS where the device has it;
//! software RSS dispatch on the main lcore where it does not; one worker per queue or
//! ring on its own lcore; the control-plane thread; then a clean stop at the end of a
//! finite capture or on SIGINT/SIGTERM, with a final report.

use crate::capture::dpdk::{self, Burst, Eal, Mempool, Port, PortConf, Ring, RxSource};
use crate::capture::file::CaptureInfo;
use crate::capture::rss::{self, Dispatcher, Fields, LinkType};
use crate::config::{hugepages_free, Idle, Mode, Profile, RssFields, MAX_WORKERS};
use crate::control::epoch::EpochGate;
use crate::control::{ControlPlane, DispatchShared, Finish, Report};
use crate::learn::snapshot::SnapshotReader;
use crate::learn::{Learned, Learner, Settings as LearnSettings};
use crate::worker::pipeline::{Pipeline, PipelineConf};
use crate::worker::records::RecordQueue;
use crate::worker::{self, End, Worker, WorkerShared};
use crossbeam_queue::ArrayQueue;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Why a run failed: the operator's input (exit 2) or the engine (exit 1).
#[derive(Debug)]
pub enum EngineError {
    /// Bad input: profile, capture, arguments, missing hugepages. One line.
    User(String),
    /// Something failed while running.
    Runtime(String),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::User(m) | EngineError::Runtime(m) => f.write_str(m),
        }
    }
}

impl From<dpdk::DpdkError> for EngineError {
    fn from(e: dpdk::DpdkError) -> Self {
        EngineError::Runtime(e.to_string())
    }
}

/// What the engine reads.
pub enum Input {
    /// A capture file replayed through `net_pcap` (once, or forever from memory).
    Capture {
        path: PathBuf,
        info: CaptureInfo,
        infinite: bool,
    },
    /// The profile's hardware port.
    Hardware,
    /// A live virtual device (`net_af_packet0,iface=eth1`, software mode): runs until
    /// stopped.
    Live { vdev: String },
}

/// One engine run.
pub struct RunOptions {
    pub profile: Profile,
    pub workers: Option<u16>,
    pub eve: Option<String>,
    pub input: Input,
    /// Learned state directory (loaded at start, saved periodically and at the end).
    pub state_dir: Option<PathBuf>,
    /// Inline mode in software: what passes is written to this capture.
    pub forward: Option<PathBuf>,
    /// Passive mode in software: the TCP resets sent are written to this capture.
    pub inject: Option<PathBuf>,
    /// `vigil bench`: stop after a while, measure, maybe run the bare loop first.
    pub bench: Option<crate::bench::BenchOpts>,
}

fn user<T>(msg: impl Into<String>) -> Result<T, EngineError> {
    Err(EngineError::User(msg.into()))
}

/// Runs the engine until the input ends or a stop signal; returns the final report.
pub fn run(opts: RunOptions) -> Result<Report, EngineError> {
    let p = &opts.profile;
    let workers = opts.workers.unwrap_or(p.cpu.workers);
    if workers == 0 || workers > MAX_WORKERS {
        return user(format!(
            "--workers must be between 1 and {MAX_WORKERS}, not {workers}"
        ));
    }
    if p.mode == Mode::Hardware && !p.no_huge() {
        let (free, size_kb) = hugepages_free();
        if free == 0 {
            return user(format!(
                "no free hugepages ({} kB pages): reserve them first with `sudo hugepages/setup.sh --size {} --pages {}` (see docs/hugepages.md)",
                size_kb, p.hugepages.size, p.hugepages.pages
            ));
        }
    }
    if p.cpu.pin {
        if p.cpu.worker_cores.len() < workers as usize {
            return user(format!(
                "{workers} workers but the profile pins only {} worker cores",
                p.cpu.worker_cores.len()
            ));
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        let mut used: Vec<u32> = p
            .cpu
            .worker_cores
            .iter()
            .take(workers as usize)
            .copied()
            .collect();
        used.push(p.cpu.main_core);
        used.extend(p.cpu.control_core);
        if let Some(c) = used.iter().find(|c| **c >= cpus) {
            return user(format!(
                "the profile uses core {c} but this machine has {cpus} cores"
            ));
        }
    }
    if (opts.forward.is_some() || opts.inject.is_some()) && workers > 1 {
        return user("--forward and --inject write one ordered capture: run them with --workers 1");
    }
    if opts.forward.is_some() && opts.inject.is_some() {
        return user("--forward (inline) and --inject (passive) are two modes: give one");
    }
    for out in opts.forward.iter().chain(opts.inject.iter()) {
        let s = out.to_string_lossy();
        if s.contains(',') {
            return user(format!(
                "{s}: DPDK device arguments cannot carry a path with a comma"
            ));
        }
        if let Err(e) = std::fs::File::create(out) {
            return user(format!("{s}: cannot write here: {e}"));
        }
    }
    if let Input::Capture { path, .. } = &opts.input {
        let s = path.to_string_lossy();
        if s.contains(',') {
            return user(format!("{s}: DPDK device arguments cannot carry a path with a comma; rename or link the capture"));
        }
    }
    let eve_path = opts.eve.clone().or_else(|| p.output.eve.clone());
    // The EVE file (rotated, reopened on SIGHUP), syslog, the webhook and the API.
    let crate::control::ops::Started { eve, ops, outputs } =
        crate::control::ops::start(p, eve_path.as_deref()).map_err(EngineError::User)?;

    // The learned state, before anything starts: a refused file stops the run here.
    let learned = match &opts.state_dir {
        Some(dir) => crate::learn::persist::load::<Learned>(dir)
            .map_err(|e| EngineError::User(e.message))?
            .unwrap_or_default(),
        None => Learned::default(),
    };
    let capture_id = match &opts.input {
        Input::Capture { path, info, .. } => Some(format!(
            "{}:{}:{}",
            path.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
            info.packets,
            info.bytes
        )),
        Input::Hardware | Input::Live { .. } => None,
    };
    let responses = match &opts.state_dir {
        Some(dir) => crate::learn::persist::load_as(dir, crate::respond::STATE_FILE)
            .map_err(|e| EngineError::User(e.message))?
            .unwrap_or_default(),
        None => crate::respond::ResponseState::default(),
    };
    let learner = Learner::for_input(LearnSettings::from_conf(&p.learn), learned, capture_id);
    let snapshots = learner.cell();
    let mut detector = crate::detect::Detector::new(&p.models);
    detector.ai = crate::detect::ai::AiModels::new(&p.ai).map_err(EngineError::User)?;
    let (iocs, errors) = detector.iocs();
    if let Some(e) = errors.first() {
        return user(format!("indicator file {e}"));
    }
    if iocs > 0 {
        eprintln!("vigil: {iocs} indicators loaded");
    }

    // The control socket `vigil actions` talks to: the profile's, or one next to the
    // learned state.
    let socket_path = p.response.socket.clone().or_else(|| {
        opts.state_dir
            .as_ref()
            .map(|d| d.join(crate::control::socket::DEFAULT_NAME))
    });
    let control_socket = match &socket_path {
        Some(path) => {
            Some(crate::control::socket::ControlSocket::bind(path).map_err(EngineError::User)?)
        }
        None => None,
    };

    // A replay from memory preloads the whole capture (twice with a bench baseline), each
    // frame in one mbuf: give the EAL the memory that takes, in software mode.
    let mut eal_profile;
    let p = match &opts.input {
        Input::Capture {
            info,
            infinite: true,
            ..
        } if p.mode == Mode::Software => {
            let copies = if opts.bench.as_ref().is_some_and(|b| b.baseline) {
                2
            } else {
                1
            };
            let room = (info.max_len as u64 + 128).max(p.mempool.data_room as u64) + 192;
            let mbufs = info.packets * copies + p.mbufs_needed(workers) + p.mempool.mbufs as u64;
            let mb = ((mbufs * room) >> 20) * 5 / 4 + 256;
            eal_profile = p.clone();
            eal_profile.eal.memory_mb = eal_profile.eal.memory_mb.max(mb as u32);
            &eal_profile
        }
        _ => p,
    };
    let eal = Eal::init(&p.eal_args(workers))?;
    if p.mode == Mode::Software {
        eal.probe_driver("net_null")?;
        eal.probe_driver("net_ring")?;
    }
    let lcores = eal.worker_lcores();
    if lcores.len() < workers as usize {
        return Err(EngineError::Runtime(format!(
            "EAL gave {} worker lcores for {workers} workers",
            lcores.len()
        )));
    }

    // Mempool: enough for every descriptor, ring and cache; for a replay from memory,
    // every packet of the capture as well.
    let mut mbufs = (p.mempool.mbufs as u64).max(p.mbufs_needed(workers));
    if let Input::Capture {
        info,
        infinite: true,
        ..
    } = &opts.input
    {
        mbufs = mbufs.max(info.packets + p.mbufs_needed(workers));
        if opts.bench.as_ref().is_some_and(|b| b.baseline) {
            // The bare loop's port preloads the capture too.
            mbufs += info.packets;
        }
    }
    let mbufs = u32::try_from(mbufs)
        .map_err(|_| EngineError::User("the mempool would exceed 2^32 mbufs".into()))?;
    // Frames longer than one buffer arrive as chained segments (net_pcap chains them).
    let mut data_room = p.mempool.data_room;
    if let Input::Capture {
        info,
        infinite: true,
        ..
    } = &opts.input
    {
        // net_pcap's infinite_rx cannot chain segments: every frame must fit one mbuf.
        let need = (info.max_len as u64 + 128).min(u16::MAX as u64) as u16;
        data_room = data_room.max(need);
    }
    let pool =
        Mempool::new(&eal, "vigil_pool", mbufs, p.mempool.cache, data_room).map_err(|e| {
            EngineError::Runtime(format!(
            "{e} ({} MiB of {data_room}-byte buffers; raise eal.memory_mb or lower mempool.mbufs)",
            (mbufs as u64 * (data_room as u64 + 192)) >> 20
        ))
        })?;

    // `vigil bench --baseline`: the bare receive loop on the same capture, same PMD, same
    // lcore the first worker will use, before the engine runs.
    let baseline = match (&opts.bench, &opts.input) {
        (Some(b), Input::Capture { path, .. }) if b.baseline => {
            let args = format!("rx_pcap={},infinite_rx=1", path.display());
            let id = eal.vdev_create("net_pcap_vigil_base", &args).map_err(|e| {
                EngineError::Runtime(format!("{}: baseline port: {e}", path.display()))
            })?;
            let mut base = Port::start(
                &eal,
                id,
                &PortConf {
                    rx_queues: 1,
                    tx_queues: 1,
                    rx_descriptors: p.capture.rx_descriptors,
                    tx_descriptors: p.capture.tx_descriptors,
                    rss_key: Vec::new(),
                    rss_l3_only: true,
                },
                &pool,
            )?;
            let out = Arc::new(std::sync::Mutex::new(None));
            let slot = Arc::clone(&out);
            let (secs, hz) = (b.seconds, eal.tsc_hz());
            eal.launch(
                lcores[0],
                Box::new(move || {
                    let r = crate::bench::bare_loop(id, secs, hz);
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(r);
                    }
                    0
                }),
            )?;
            eal.wait(lcores[0]);
            base.stop();
            drop(base);
            let _ = eal.vdev_remove("net_pcap_vigil_base");
            let r = out.lock().ok().and_then(|mut s| s.take());
            r
        }
        _ => None,
    };

    // The capture port.
    let (port_id, expected, input_name) = match &opts.input {
        Input::Capture {
            path,
            info,
            infinite,
        } => {
            let mut args = format!("rx_pcap={}", path.display());
            if *infinite {
                args.push_str(",infinite_rx=1");
            }
            // Inline or passive mode in software: the port's TX stream is a capture.
            if let Some(out) = opts.forward.as_ref().or(opts.inject.as_ref()) {
                args.push_str(&format!(",tx_pcap={}", out.display()));
            }
            let id = eal.vdev_create("net_pcap_vigil0", &args).map_err(|e| {
                EngineError::Runtime(format!(
                    "{}: net_pcap could not open the capture ({e})",
                    path.display()
                ))
            })?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            (id, if *infinite { None } else { Some(info.packets) }, name)
        }
        Input::Hardware => {
            let pci = &p.capture.ports[0];
            let id = eal.port_by_name(pci).map_err(|e| {
                EngineError::User(format!(
                    "capture port {pci} was not found by DPDK ({e}); is it bound to vfio-pci?"
                ))
            })?;
            (id, None, pci.clone())
        }
        Input::Live { vdev } => {
            let (name, args) = vdev.split_once(',').unwrap_or((vdev.as_str(), ""));
            let id = eal.vdev_create(name, args).map_err(|e| {
                EngineError::User(format!("capture device {vdev} could not start ({e})"))
            })?;
            (id, None, vdev.clone())
        }
    };
    let info = dpdk::port_info(&eal, port_id)?;
    let hw_queues = if p.mode == Mode::Hardware && info.rss_offloads != 0 {
        workers
    } else {
        1
    };
    let fields = match p.rss.fields {
        RssFields::L3 => Fields::L3,
        RssFields::L3l4 => Fields::L3L4,
    };
    // Inline bridge: the second port (a NIC, or a live virtual device in software mode).
    let peer_name = match &opts.input {
        Input::Hardware if p.capture.ports.len() == 2 => Some(p.capture.ports[1].clone()),
        Input::Live { .. } => p.capture.peer_vdev.clone(),
        _ => None,
    };
    let port_conf = PortConf {
        rx_queues: hw_queues,
        tx_queues: if peer_name.is_some() { hw_queues } else { 1 },
        rx_descriptors: p.capture.rx_descriptors,
        tx_descriptors: p.capture.tx_descriptors,
        rss_key: rss::symmetric_key(rss::KEY_LEN),
        rss_l3_only: fields == Fields::L3,
    };
    let mut port = Port::start(&eal, port_id, &port_conf, &pool)?;
    let software_dispatch = workers > 1 && hw_queues == 1;
    let mut peer_port = match &peer_name {
        Some(name) => {
            if software_dispatch {
                return user(
                    "an inline bridge needs a worker per hardware queue: run it with one worker on ports without RSS",
                );
            }
            let id = if p.mode == Mode::Hardware {
                eal.port_by_name(name).map_err(|e| {
                    EngineError::User(format!(
                        "bridge port {name} was not found by DPDK ({e}); is it bound to vfio-pci?"
                    ))
                })?
            } else {
                let (n, args) = name.split_once(',').unwrap_or((name.as_str(), ""));
                eal.vdev_create(n, args).map_err(|e| {
                    EngineError::User(format!("bridge device {name} could not start ({e})"))
                })?
            };
            Some(Port::start(&eal, id, &port_conf, &pool)?)
        }
        None => None,
    };
    let peer_id = peer_port.as_ref().map(|p| p.id);
    let link = match &opts.input {
        Input::Capture { info, .. } => info.link,
        Input::Hardware | Input::Live { .. } => LinkType::Ethernet,
    };

    // A finite replay advances in packet-time epochs (deterministic whatever the speed);
    // the clock is the dispatcher, or the one worker reading the port.
    let gate = match expected {
        Some(_) if p.control.epoch_ms > 0 && (software_dispatch || workers == 1) => {
            Some(Arc::new(EpochGate::new(p.control.epoch_ms * 1_000_000)))
        }
        _ => None,
    };

    // Per-worker queues, counters and sources.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| EngineError::Runtime(format!("cannot install signal handler: {e}")))?;
    }
    let dispatch_done = Arc::new(AtomicBool::new(false));
    let dispatch_shared = Arc::new(DispatchShared::default());
    let mut rings: Vec<Arc<Ring>> = Vec::new();
    let mut queues = Vec::new();
    let mut record_queues = Vec::new();
    let mut shared = Vec::new();
    let mut pending = Vec::new();
    let clock = Arc::new(AtomicU64::new(0));
    for w in 0..workers {
        let q = Arc::new(ArrayQueue::new(p.control.summary_queue));
        let rq = Arc::new(RecordQueue::new(p.flow.record_queue));
        let s = Arc::new(WorkerShared::default());
        let (source, end) = if software_dispatch {
            let ring = Arc::new(Ring::new(
                &eal,
                &format!("vigil_rx{w}"),
                p.rss.dispatch_ring,
            )?);
            rings.push(Arc::clone(&ring));
            (
                RxSource::Ring(ring),
                End::Upstream(Arc::clone(&dispatch_done)),
            )
        } else {
            let end = match expected {
                Some(n) => End::PortTotal {
                    port: port_id,
                    expected: n,
                },
                None => End::Never,
            };
            (
                RxSource::Queue {
                    port: port_id,
                    queue: w,
                },
                end,
            )
        };
        let mut pipeline = Pipeline::new(
            &PipelineConf {
                worker: w,
                link,
                flows: p.flow.capacity,
                timeouts: p.flow.timeouts(),
                stream_buffers: p.flow.stream_buffers,
                frag_slots: p.flow.frag_slots,
                frag_max: p.flow.frag_max_bytes,
                frag_timeout_ns: p.flow.frag_timeout as u64 * 1_000_000_000,
                lossless: expected.is_some(),
            },
            Arc::clone(&q),
            Arc::clone(&rq),
            Arc::clone(&stop),
        );
        pipeline.set_snapshot(SnapshotReader::new(Arc::clone(&snapshots)));
        let inject = opts.inject.is_some() || (p.capture.inject && !software_dispatch);
        if inject {
            pipeline.set_resets(p.response.max_resets_per_flow.min(255) as u8);
        }
        pending.push(Worker {
            source,
            pipeline,
            shared: Arc::clone(&s),
            stop: Arc::clone(&stop),
            end,
            idle: p.cpu.idle,
            gate: if software_dispatch {
                None
            } else {
                gate.clone()
            },
            clock: Arc::clone(&clock),
            forward: match peer_id {
                // Inline bridge: what comes in on one port leaves by the other.
                Some(peer) => Some((peer, w)),
                None => opts.forward.as_ref().map(|_| (port_id, 0)),
            },
            peer: peer_id.map(|peer| {
                (
                    RxSource::Queue {
                        port: peer,
                        queue: w,
                    },
                    (port_id, w),
                )
            }),
            live_clock: match &opts.input {
                Input::Capture { .. } => None,
                _ => Some(crate::worker::LiveClock::now(eal.tsc_hz())),
            },
            // With more workers each sees part of a pass: passes only make sense whole.
            passes: match &opts.input {
                Input::Capture {
                    info,
                    infinite: true,
                    ..
                } if opts.bench.is_some() && workers == 1 && !software_dispatch => {
                    let t = p.flow.timeouts();
                    let idle_max = [
                        t.tcp_new,
                        t.tcp_established,
                        t.tcp_closed,
                        t.udp_new,
                        t.udp_established,
                        t.other_new,
                        t.other_established,
                    ]
                    .into_iter()
                    .max()
                    .unwrap_or(0);
                    Some(crate::worker::Passes::new(info.packets, idle_max as u64))
                }
                _ => None,
            },
            inject: inject.then(|| pool.sender(port_id, 0)),
            lossless: expected.is_some(),
        });
        queues.push(q);
        record_queues.push(rq);
        shared.push(s);
    }

    // Control plane.
    let (finish_tx, finish_rx) = std::sync::mpsc::channel::<Finish>();
    let cp = ControlPlane {
        queues,
        workers: shared.clone(),
        dispatch: Arc::clone(&dispatch_shared),
        eve,
        gate: gate.clone(),
        records: {
            let mut r = crate::control::records::Records::new(record_queues);
            r.seed = p.output.community_id_seed;
            r.learn = learner;
            r.detect = detector;
            r.respond = crate::respond::Responder::new(&p.response, responses);
            // Actions still active from before a restart are enforced from the start.
            let blocks = r.respond.block_set();
            r.learn.set_blocks(blocks);
            r.learn.maybe_publish(0);
            r
        },
        state_dir: opts.state_dir.clone(),
        socket: control_socket,
        ops,
        snapshot_every: std::time::Duration::from_secs(p.learn.snapshot_interval),
        stats_interval: p.control.stats_interval,
        port: port_id,
        expected,
        input: input_name,
        dispatch_mode: if software_dispatch {
            "software-rss"
        } else if hw_queues > 1 {
            "hardware-rss"
        } else {
            "single-queue"
        },
    };
    let control_core = p.cpu.control_core;
    let control = std::thread::Builder::new()
        .name("vigil-control".into())
        .spawn(move || {
            if let Some(core) = control_core {
                core_affinity::set_for_current(core_affinity::CoreId { id: core as usize });
            }
            cp.run(finish_rx)
        })
        .map_err(|e| EngineError::Runtime(format!("cannot start the control-plane thread: {e}")))?;

    // Workers on their lcores.
    let mut launched = Vec::new();
    let mut launch_error = None;
    for (w, lcore) in pending.into_iter().zip(lcores.iter()) {
        match eal.launch(*lcore, Box::new(move || w.run())) {
            Ok(()) => launched.push(*lcore),
            Err(e) => {
                launch_error = Some(e);
                stop.store(true, Ordering::SeqCst);
                break;
            }
        }
    }

    // A benchmark runs for its seconds, then stops like SIGINT would.
    if let Some(b) = &opts.bench {
        let stop = Arc::clone(&stop);
        let secs = b.seconds;
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            stop.store(true, Ordering::SeqCst);
        });
    }

    // The main lcore dispatches in software RSS mode.
    if software_dispatch && launch_error.is_none() {
        let ring_refs: Vec<&Ring> = rings.iter().map(|r| r.as_ref()).collect();
        Dispatch {
            port: port_id,
            rings: &ring_refs,
            dispatcher: &Dispatcher::for_link(
                workers as usize,
                p.rss.reta_size as usize,
                fields,
                link,
            ),
            stop: &stop,
            expected,
            shared: &dispatch_shared,
            workers: &shared,
            gate: gate.as_deref(),
            clock: &clock,
            idle: p.cpu.idle,
        }
        .run();
    }
    dispatch_done.store(true, Ordering::Release);
    // rte_eal_wait_lcore busy-waits: sleep until the workers say they are done first, so
    // the main lcore leaves the CPU to them and the control plane.
    while !shared
        .iter()
        .take(launched.len())
        .all(|s| s.done.load(Ordering::Acquire))
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    if p.capture.stay && expected.is_some() && !stop.load(Ordering::Relaxed) {
        eprintln!("vigil: the capture has ended; still serving until SIGINT or SIGTERM");
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let mut failed = Vec::new();
    for lcore in &launched {
        let rc = eal.wait(*lcore);
        if rc != 0 {
            failed.push(*lcore);
        }
    }
    let port_stats = port.stats();
    let xstats = port.xstats();
    let _ = finish_tx.send(Finish {
        port: port_stats,
        xstats,
    });
    let report = control
        .join()
        .map_err(|_| EngineError::Runtime("the control-plane thread panicked".into()))?
        .map_err(EngineError::Runtime)?;
    // What syslog and the webhook still hold gets a few seconds to go out.
    outputs.finish(std::time::Duration::from_secs(5));
    if let Some(mut pp) = peer_port.take() {
        pp.stop();
    }
    port.stop();
    drop(port);
    drop(rings);
    if let Some(e) = launch_error {
        return Err(e.into());
    }
    if !failed.is_empty() {
        return Err(EngineError::Runtime(format!(
            "workers on lcores {failed:?} failed"
        )));
    }
    let mut report = report;
    if opts.bench.is_some() {
        let hz = eal.tsc_hz().max(1);
        report.tsc_hz = hz;
        report.baseline = baseline;
        report.bench_workers = shared
            .iter()
            .map(|s| {
                let c = s.read();
                let mut burst_ns = [0.0; 4];
                if let Some(h) = s.burst_cycles.lock().ok().and_then(|mut h| h.take()) {
                    for (i, q) in [0.5, 0.99, 0.999].iter().enumerate() {
                        burst_ns[i] = h.value_at_quantile(*q) as f64 * 1e9 / hz as f64;
                    }
                    burst_ns[3] = h.max() as f64 * 1e9 / hz as f64;
                }
                crate::bench::WorkerBench {
                    packets: c.packets,
                    bytes: c.bytes,
                    busy_cycles: c.busy_cycles,
                    burst_ns,
                    bursts: c.bursts,
                }
            })
            .collect();
    }
    drop(eal);
    Ok(report)
}

/// Software RSS on the main lcore: read the capture port, hash each packet's tuple as the
/// NIC would, and hand it to that worker's ring (retrying a full ring when replaying a
/// capture, so nothing is lost; dropping and counting otherwise). In a deterministic
/// replay the dispatcher is the packet clock: at each epoch boundary it waits until every
/// worker has handled what it was given, then for the control plane (`control::epoch`).
struct Dispatch<'a> {
    port: u16,
    rings: &'a [&'a Ring],
    dispatcher: &'a Dispatcher,
    stop: &'a AtomicBool,
    expected: Option<u64>,
    shared: &'a DispatchShared,
    workers: &'a [Arc<WorkerShared>],
    gate: Option<&'a EpochGate>,
    /// Packet time reached, for idle workers' timeouts.
    clock: &'a AtomicU64,
    idle: Idle,
}

impl Dispatch<'_> {
    fn run(&self) {
        let mut src = RxSource::Queue {
            port: self.port,
            queue: 0,
        };
        let mut burst = Burst::default();
        let lossless = self.expected.is_some();
        let mut empties = 0u32;
        let (mut packets, mut retries, mut dropped) = (0u64, 0u64, 0u64);
        let mut sent = [0u64; dpdk::MAX_DISPATCH];
        let mut epoch = 0u64;
        loop {
            // Checked every burst, not only when the port is idle: a port that never goes
            // quiet (an endless replay, a busy link) must still stop on SIGINT or SIGTERM.
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let n = src.rx_burst(&mut burst);
            if n == 0 {
                if let Some(total) = self.expected {
                    if worker::port_reached(self.port, total) {
                        break;
                    }
                }
                empties = empties.saturating_add(1);
                match self.idle {
                    Idle::Yield if empties >= 256 => std::thread::yield_now(),
                    _ => dpdk::pause(),
                }
                continue;
            }
            empties = 0;
            packets += n as u64;
            let burst_last_ts = burst.timestamp_ns(n - 1);
            while !burst.is_empty() {
                // Dispatch up to the first packet of a later epoch.
                let mut upto = burst.len();
                let mut next = None;
                if let Some(g) = self.gate {
                    for i in 0..burst.len() {
                        let ts = burst.timestamp_ns(i);
                        let e = g.epoch_of(ts);
                        if ts != 0 && e > epoch {
                            upto = i;
                            next = Some(e);
                            break;
                        }
                    }
                }
                let (r, d) = burst.dispatch(
                    upto,
                    self.rings,
                    lossless,
                    |pkt| self.dispatcher.worker(pkt.data()),
                    self.stop,
                    &mut sent,
                );
                retries += r;
                dropped += d;
                if let (Some(g), Some(e)) = (self.gate, next) {
                    // Idle workers' flows time out up to the boundary too.
                    self.clock.store(e * g.epoch_ns(), Ordering::Relaxed);
                    self.drain_workers(&sent);
                    g.cross(e, self.stop);
                    epoch = e;
                }
                if self.stop.load(Ordering::Relaxed) {
                    burst.clear();
                }
            }
            let last = burst_last_ts;
            if last > self.clock.load(Ordering::Relaxed) {
                self.clock.store(last, Ordering::Relaxed);
            }
            // Single writer: plain stores, no read-modify-write.
            self.shared.packets.store(packets, Ordering::Relaxed);
            self.shared
                .ring_full_retries
                .store(retries, Ordering::Relaxed);
            self.shared.dropped.store(dropped, Ordering::Relaxed);
        }
    }

    /// Waits until every worker has handled every packet it was given.
    fn drain_workers(&self, sent: &[u64]) {
        for (w, shared) in self.workers.iter().enumerate() {
            let mut spins = 0u32;
            while shared.packets.load(Ordering::Acquire) < sent[w] {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                spins = spins.wrapping_add(1);
                if spins.is_multiple_of(64) {
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
}
