//! The `vigil` command line (clap): `run`, `replay`, `check-config`, and what was
//! learned: `devices`, `endpoints`.
//!
//! Exit codes: 0 success, 2 bad input (arguments, profile, capture) with one line on
//! stderr saying what and where, 1 a failure while running.

use crate::capture::file;
use crate::config::{Profile, BUILTIN_SOFTWARE};
use crate::control::Report;
use crate::engine::{self, EngineError, Input, RunOptions};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "vigil",
    version,
    about = "Self-learning network detection and response on DPDK"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the appliance from a profile until SIGINT/SIGTERM.
    Run {
        /// Profile (configs/10g.toml, configs/40g.toml, configs/software.toml).
        #[arg(long)]
        profile: PathBuf,
        /// EVE JSON lines output (`-` for stdout); overrides the profile's.
        #[arg(long)]
        eve: Option<String>,
    },
    /// Replay a pcap or pcapng capture through the engine in software mode.
    Replay {
        /// The capture.
        capture: PathBuf,
        /// Profile (default: the built-in configs/software.toml).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// EVE JSON lines output (`-` for stdout).
        #[arg(long)]
        eve: Option<String>,
        /// Worker lcores (software RSS spreads flows over them).
        #[arg(long)]
        workers: Option<u16>,
        /// Learned-state directory: loaded at start, saved during and after the replay,
        /// so a learning capture and a test capture can run one after the other.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Inline mode: write every packet that may pass (blocked flows' are held back)
        /// to this capture, through a net_pcap TX port.
        #[arg(long)]
        forward: Option<PathBuf>,
        /// Passive mode: answer blocked TCP flows with resets, written to this capture.
        #[arg(long)]
        inject: Option<PathBuf>,
    },
    /// The devices learned: addresses, MACs, names, OS, activity.
    Devices {
        /// Learned-state directory (default: the profile's learn.state_dir).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Profile for the learning settings (default: the built-in software profile).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The external endpoints devices reached, rarest first.
    Endpoints {
        /// Only the rare ones (new, or reached by at most learn.rare_devices devices).
        #[arg(long)]
        rare: bool,
        /// Learned-state directory (default: the profile's learn.state_dir).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Profile for the learning settings (default: the built-in software profile).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Response actions: list them, approve a pending one, release one by hand.
    Actions {
        #[command(subcommand)]
        what: ActionsCmd,
        /// The engine's control socket (default: the profile's response.socket, else
        /// control.sock in the state directory).
        #[arg(long, global = true)]
        socket: Option<PathBuf>,
        /// Learned-state directory (where the socket and saved actions are).
        #[arg(long, global = true)]
        state: Option<PathBuf>,
        /// Profile naming the socket or state directory.
        #[arg(long, global = true)]
        profile: Option<PathBuf>,
        /// JSON instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Reports from the saved state: `ai` (shadow AI: AI services by device, AI SDKs
    /// and agents, MCP servers, local LLM servers), `security` (the HTML report for
    /// management: incidents, rare endpoints, AI usage, actions).
    Report {
        #[command(subcommand)]
        what: ReportCmd,
    },
    /// Line-rate measurement: the capture replayed from memory through the full engine
    /// for a while, each pass new traffic on one worker; prints one JSON object (Mpps, Gbps, cycles per packet, drops,
    /// per-worker figures, per-burst latency; with --baseline the bare receive loop's
    /// rate on the same capture and the ratio).
    Bench {
        /// The capture to replay endlessly.
        #[arg(long)]
        pcap: PathBuf,
        /// Worker lcores.
        #[arg(long)]
        workers: Option<u16>,
        /// Seconds to measure.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// First measure a bare receive loop (rx_burst and free) on the same capture.
        #[arg(long)]
        baseline: bool,
        /// Profile (default: the built-in configs/software.toml).
        #[arg(long)]
        profile: Option<PathBuf>,
    },
    /// Validate a profile.
    CheckConfig {
        /// The profile.
        file: PathBuf,
    },
    /// Write synthetic traffic for a scenario (office, clickfix-macos, dga-bot, beacon,
    /// shadow-ai) to a pcap; the same seed gives the same bytes.
    Simulate {
        /// office, clickfix-macos, dga-bot, beacon or shadow-ai.
        scenario: String,
        /// The pcap to write.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the random choices.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Start time, RFC 3339 (default: the scenario's, e.g. 2026-03-09T00:00:00Z).
        #[arg(long)]
        start: Option<String>,
        /// Days of traffic (office: 4, beacon: 1; fixed for the others).
        #[arg(long)]
        days: Option<u32>,
    },
}

/// What `vigil actions` does.
#[derive(Subcommand, Debug)]
pub enum ActionsCmd {
    /// Every action, newest first (from the running engine, else the saved state).
    List,
    /// Approve a pending action: it is enforced from now on.
    Approve { id: u64 },
    /// Release an action by hand: it stops at once.
    Release { id: u64 },
}

/// What `vigil report` reports.
#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Shadow AI: which devices use which AI services (bytes up and down, per day), AI
    /// SDKs and agents, MCP servers and the tools called, local LLM servers.
    Ai {
        /// Learned-state directory (default: the profile's learn.state_dir).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Profile for the AI policy (default: the built-in software profile).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// JSON on stdout instead of tables.
        #[arg(long)]
        json: bool,
        /// Also write the JSON to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The security report: incidents by day and severity with their story, top rare
    /// endpoints, AI usage, actions taken and released; one self-contained HTML file.
    Security {
        /// The period: a duration back from the state's latest packet time (7d, 36h,
        /// 2w) or a date or time (2026-03-01, 2026-03-01T08:00:00Z).
        #[arg(long, default_value = "7d")]
        since: String,
        /// The HTML file to write.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Learned-state directory (default: the profile's learn.state_dir).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Profile for the learning settings and AI policy (default: the built-in
        /// software profile).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// The figures as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// A command's failure and its exit code.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

fn usage(message: String) -> Failure {
    Failure { code: 2, message }
}

fn load_profile(path: Option<&Path>) -> Result<Profile, Failure> {
    match path {
        Some(p) => Profile::load(p).map_err(|e| usage(e.to_string())),
        None => {
            let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
            Profile::parse(BUILTIN_SOFTWARE, "configs/software.toml (built in)", &base)
                .map_err(|e| usage(e.to_string()))
        }
    }
}

fn engine_failure(e: EngineError) -> Failure {
    match e {
        EngineError::User(m) => Failure {
            code: 2,
            message: m,
        },
        EngineError::Runtime(m) => Failure {
            code: 1,
            message: m,
        },
    }
}

/// Runs a parsed command.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Report {
            what:
                ReportCmd::Ai {
                    state,
                    profile,
                    json,
                    out,
                },
        } => report_ai(state, profile.as_deref(), json, out.as_deref()),
        Command::Report {
            what:
                ReportCmd::Security {
                    since,
                    out,
                    state,
                    profile,
                    json,
                },
        } => report_security(&since, out.as_deref(), state, profile.as_deref(), json),
        Command::Bench {
            pcap,
            workers,
            seconds,
            baseline,
            profile,
        } => {
            let profile = load_profile(profile.as_deref())?;
            if profile.mode != crate::config::Mode::Software {
                return Err(usage(
                    "bench runs in software mode: give it a software profile".into(),
                ));
            }
            if !(seconds > 0.0 && seconds <= 3600.0) {
                return Err(usage(format!(
                    "--seconds must be more than 0 and at most 3600, not {seconds}"
                )));
            }
            let info = file::inspect(&pcap).map_err(usage)?;
            let path = std::fs::canonicalize(&pcap).unwrap_or(pcap.clone());
            let report = engine::run(RunOptions {
                profile,
                workers,
                eve: None,
                state_dir: None,
                forward: None,
                inject: None,
                bench: Some(crate::bench::BenchOpts { seconds, baseline }),
                input: Input::Capture {
                    path,
                    info,
                    infinite: true,
                },
            })
            .map_err(engine_failure)?;
            let v = crate::bench::report_json(
                &pcap.display().to_string(),
                &report,
                &report.bench_workers,
                report.baseline.as_ref(),
                report.tsc_hz,
            );
            println!("{v}");
            Ok(())
        }
        Command::CheckConfig { file } => {
            let p = Profile::load(&file).map_err(|e| usage(e.to_string()))?;
            println!(
                "{}: ok ({} mode, {} worker{})",
                file.display(),
                match p.mode {
                    crate::config::Mode::Software => "software",
                    crate::config::Mode::Hardware => "hardware",
                },
                p.cpu.workers,
                if p.cpu.workers == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::Actions {
            what,
            socket,
            state,
            profile,
            json,
        } => actions(what, socket, state, profile.as_deref(), json),
        Command::Devices {
            state,
            profile,
            json,
        } => {
            let (learned, settings) = load_learned(state, profile.as_deref())?;
            if json {
                println!(
                    "{}",
                    crate::learn::report::devices_json(&learned, &settings)
                );
            } else {
                print!(
                    "{}",
                    crate::learn::report::devices_table(&learned, &settings)
                );
            }
            Ok(())
        }
        Command::Endpoints {
            rare,
            state,
            profile,
            json,
        } => {
            let (learned, settings) = load_learned(state, profile.as_deref())?;
            if json {
                println!(
                    "{}",
                    crate::learn::report::endpoints_json(&learned, &settings, rare)
                );
            } else {
                print!(
                    "{}",
                    crate::learn::report::endpoints_table(&learned, &settings, rare)
                );
            }
            Ok(())
        }
        Command::Replay {
            capture,
            profile,
            eve,
            workers,
            state,
            forward,
            inject,
        } => {
            let profile = load_profile(profile.as_deref())?;
            if profile.mode != crate::config::Mode::Software {
                return Err(usage(
                    "replay runs in software mode: give it a software profile".into(),
                ));
            }
            let info = file::inspect(&capture).map_err(usage)?;
            let path = std::fs::canonicalize(&capture).unwrap_or(capture.clone());
            let state_dir = state.or_else(|| profile.learn.state_dir.clone());
            let report = engine::run(RunOptions {
                profile,
                workers,
                eve,
                state_dir,
                forward,
                inject,
                bench: None,
                input: Input::Capture {
                    path,
                    info: info.clone(),
                    infinite: false,
                },
            })
            .map_err(engine_failure)?;
            summarise(&capture.display().to_string(), &report, Some(&info));
            if report.packets
                + report.port.ierrors
                + report.port.rx_nombuf
                + report.dispatch_dropped
                < info.packets
            {
                return Err(Failure {
                    code: 1,
                    message: format!(
                        "replay stopped early: {} of {} packets processed",
                        report.packets, info.packets
                    ),
                });
            }
            Ok(())
        }
        Command::Simulate {
            scenario,
            out,
            seed,
            start,
            days,
        } => {
            let began = std::time::Instant::now();
            let opts = crate::simulate::Options {
                scenario: crate::simulate::Scenario::parse(&scenario).map_err(usage)?,
                seed,
                start: start
                    .as_deref()
                    .map(crate::simulate::parse_time)
                    .transpose()
                    .map_err(usage)?,
                days,
            };
            let s = crate::simulate::write(&opts, &out).map_err(usage)?;
            eprintln!(
                "vigil: {}: {} (seed {seed}), {} packets, {} bytes, {} to {}, in {:.1} s",
                out.display(),
                scenario,
                s.packets,
                s.file_bytes,
                crate::output::eve::timestamp(s.start * 1000),
                crate::output::eve::timestamp(s.end * 1000),
                began.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Run { profile, eve } => {
            let p = Profile::load(&profile).map_err(|e| usage(e.to_string()))?;
            let input = match p.mode {
                crate::config::Mode::Software if p.capture.vdev.is_some() => Input::Live {
                    vdev: p.capture.vdev.clone().unwrap_or_default(),
                },
                crate::config::Mode::Software => {
                    let pcap = p.capture.pcap.clone().ok_or_else(|| {
                        usage(format!(
                            "{}: a software profile needs capture.pcap or capture.vdev to run (or use `vigil replay CAPTURE`)",
                            profile.display()
                        ))
                    })?;
                    let info = file::inspect(&pcap).map_err(usage)?;
                    Input::Capture {
                        path: pcap,
                        info,
                        infinite: p.capture.infinite,
                    }
                }
                crate::config::Mode::Hardware => Input::Hardware,
            };
            let state_dir = p.learn.state_dir.clone();
            let report = engine::run(RunOptions {
                profile: p,
                workers: None,
                eve,
                state_dir,
                input,
                forward: None,
                inject: None,
                bench: None,
            })
            .map_err(engine_failure)?;
            summarise(&profile.display().to_string(), &report, None);
            Ok(())
        }
    }
}

/// The breaches of a run as a table: time, score, model, device, endpoint, then the
/// reason on its own line.
pub fn alert_table(alerts: &[crate::control::records::AlertSummary]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for a in alerts {
        let t = crate::output::eve::timestamp(a.ts_ns);
        rows.push(vec![
            format!("{} {}", &t[..10], &t[11..19]),
            a.score.to_string(),
            a.model.to_string(),
            a.device.clone(),
            a.endpoint.clone(),
        ]);
        rows.push(vec![format!("    {}", a.reason)]);
    }
    // Align the main rows only; reasons run on under them.
    let mains: Vec<Vec<String>> = rows.iter().filter(|r| r.len() > 1).cloned().collect();
    let table = crate::learn::report::table(
        &["TIME (UTC)", "SCORE", "MODEL", "DEVICE", "ENDPOINT"],
        &mains,
    );
    let mut lines = table.lines();
    let mut out = format!("\n{} alerts\n", alerts.len());
    out.push_str(lines.next().unwrap_or(""));
    out.push('\n');
    for r in &rows {
        if r.len() > 1 {
            out.push_str(lines.next().unwrap_or(""));
        } else {
            out.push_str(&r[0]);
        }
        out.push('\n');
    }
    out
}

/// `vigil actions`.
fn actions(
    what: ActionsCmd,
    socket: Option<PathBuf>,
    state: Option<PathBuf>,
    profile: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    use crate::control::socket;
    let p = load_profile(profile)?;
    let state = state.or(p.learn.state_dir.clone());
    let path = socket
        .or(p.response.socket.clone())
        .or_else(|| state.as_ref().map(|d| d.join(socket::DEFAULT_NAME)))
        .ok_or_else(|| {
            usage(
                "no control socket: give --socket PATH or --state DIR (or a --profile naming one)"
                    .into(),
            )
        })?;
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "an operator".into());
    let req = match &what {
        ActionsCmd::List => serde_json::json!({"cmd": "list"}),
        ActionsCmd::Approve { id } => serde_json::json!({"cmd": "approve", "id": id, "by": who}),
        ActionsCmd::Release { id } => serde_json::json!({"cmd": "release", "id": id, "by": who}),
    };
    let answer = match socket::call(&path, &req) {
        Ok(a) => a,
        Err(e) => {
            // No engine running: the list can still come from the saved state.
            let saved = state.as_ref().and_then(|d| {
                crate::learn::persist::load_as::<crate::respond::ResponseState>(
                    d,
                    crate::respond::STATE_FILE,
                )
                .ok()
                .flatten()
            });
            match (&what, saved) {
                (ActionsCmd::List, Some(s)) => {
                    let list: Vec<serde_json::Value> = s
                        .actions
                        .values()
                        .rev()
                        .map(|a| a.eve()["response"].clone())
                        .collect();
                    eprintln!("vigil: no engine is running; these are the saved actions");
                    serde_json::json!({"ok": true, "actions": list})
                }
                _ => return Err(usage(e)),
            }
        }
    };
    if answer["ok"] != true {
        return Err(usage(
            answer["error"]
                .as_str()
                .unwrap_or("the engine refused")
                .to_string(),
        ));
    }
    if json {
        println!("{answer}");
        return Ok(());
    }
    let list: Vec<serde_json::Value> = match what {
        ActionsCmd::List => answer["actions"].as_array().cloned().unwrap_or_default(),
        _ => vec![answer["action"].clone()],
    };
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(x) => x.clone(),
        serde_json::Value::Null => "-".into(),
        x => x.to_string(),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let target = match (a["endpoint"].as_str(), a["dest_port"].as_u64()) {
                (Some(e), Some(p)) => format!("{} → {e}:{p}", s(&a["device"])),
                (Some(e), None) => format!("{e} (every device)"),
                _ => s(&a["device"]),
            };
            vec![
                s(&a["id"]),
                s(&a["action"]),
                s(&a["state"]),
                s(&a["mode"]),
                target,
                s(&a["start"])
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                s(&a["expires"])
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                s(&a["incident_id"]),
            ]
        })
        .collect();
    print!(
        "{}",
        crate::learn::report::table(
            &["ID", "ACTION", "STATE", "MODE", "TARGET", "START", "EXPIRES", "INCIDENT"],
            &rows
        )
    );
    Ok(())
}

/// `vigil report ai`: the AI inventory as tables (or JSON), and as JSON to `out`.
fn report_ai(
    state: Option<PathBuf>,
    profile: Option<&Path>,
    json: bool,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let p = load_profile(profile)?;
    let (learned, _) = load_learned(state, profile)?;
    let policy = crate::ai::policy::Policy::from_conf(&p.ai);
    let doc = crate::ai::report::json(&learned, &policy);
    if let Some(path) = out {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        std::fs::write(path, format!("{text}\n"))
            .map_err(|e| usage(format!("{}: cannot write: {e}", path.display())))?;
    }
    if json {
        println!("{doc}");
    } else {
        print!("{}", crate::ai::report::tables(&learned, &policy));
    }
    Ok(())
}

/// `vigil report security`: the HTML report (and its figures as JSON).
fn report_security(
    since: &str,
    out: Option<&Path>,
    state: Option<PathBuf>,
    profile: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    use crate::report::security;
    if out.is_none() && !json {
        return Err(usage(
            "give --out FILE.html (or --json for the figures)".into(),
        ));
    }
    let p = load_profile(profile)?;
    let dir = state.clone().or(p.learn.state_dir.clone());
    let (learned, settings) = load_learned(state, profile)?;
    let response = dir
        .as_ref()
        .map(|d| {
            crate::learn::persist::load_as::<crate::respond::ResponseState>(
                d,
                crate::respond::STATE_FILE,
            )
        })
        .transpose()
        .map_err(|e| usage(e.message))?
        .flatten()
        .unwrap_or_default();
    let policy = crate::ai::policy::Policy::from_conf(&p.ai);
    let learn = crate::learn::Learner::new(settings, learned);
    let until = security::until_ns(&learn, &response);
    let from = security::parse_since(since, until).map_err(usage)?;
    let sensor = crate::output::syslog::local_hostname();
    let figures = security::figures(
        &security::Inputs {
            learn: &learn,
            response: &response,
            policy: &policy,
            sensor: &sensor,
        },
        from,
        until,
    );
    if let Some(path) = out {
        let page = security::html(&figures);
        std::fs::write(path, &page)
            .map_err(|e| usage(format!("{}: cannot write: {e}", path.display())))?;
        eprintln!(
            "vigil: {}: security report, {} to {}, {} incidents, {} bytes",
            path.display(),
            figures["from"].as_str().unwrap_or(""),
            figures["until"].as_str().unwrap_or(""),
            figures["summary"]["incidents"],
            page.len()
        );
    }
    if json {
        println!("{figures}");
    }
    Ok(())
}

/// Reads the learned state for `devices` and `endpoints`.
fn load_learned(
    state: Option<PathBuf>,
    profile: Option<&Path>,
) -> Result<(crate::learn::Learned, crate::learn::Settings), Failure> {
    let p = load_profile(profile)?;
    let settings = crate::learn::Settings::from_conf(&p.learn);
    let dir = state.or(p.learn.state_dir).ok_or_else(|| {
        usage("no learned state to read: give --state DIR (or learn.state_dir in --profile)".into())
    })?;
    match crate::learn::persist::load::<crate::learn::Learned>(&dir) {
        Ok(Some(l)) => Ok((l, settings)),
        Ok(None) => Err(usage(format!(
            "{}: no learned state here yet (run `vigil replay CAPTURE --state {}` first)",
            crate::learn::persist::path_in(&dir).display(),
            dir.display()
        ))),
        Err(e) => Err(usage(e.message)),
    }
}

/// The summary printed to stderr when a run ends.
fn summarise(name: &str, r: &Report, info: Option<&file::CaptureInfo>) {
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let per_worker: Vec<String> = r.workers.iter().map(|w| w.packets.to_string()).collect();
    let drops = r.port.imissed + r.port.rx_nombuf + r.dispatch_dropped;
    eprintln!(
        "vigil: {name}: {} packets, {} bytes in {:.3} s ({:.3} Mpps, {:.3} Gbps); workers [{}]; flows {} ({} split across workers); drops {drops}; summary queue full {}; hot-path allocations {}; learned {} devices, {} endpoints",
        r.packets,
        r.bytes,
        secs,
        r.packets as f64 / secs / 1e6,
        r.bytes as f64 * 8.0 / secs / 1e9,
        per_worker.join(", "),
        r.flows,
        r.flows_split,
        r.queue_full,
        r.hot_allocations,
        r.devices,
        r.endpoints,
    );
    if !r.alerts.is_empty() {
        eprint!("{}", alert_table(&r.alerts));
    }
    if r.already_learned > 0 {
        eprintln!(
            "vigil: {} records came from packets the loaded state had already learned from (not learned twice)",
            r.already_learned
        );
    }
    if let Some(info) = info {
        if r.packets != info.packets || r.bytes != info.bytes {
            eprintln!(
                "vigil: warning: the capture holds {} packets, {} bytes; the engine saw {} packets, {} bytes",
                info.packets, info.bytes, r.packets, r.bytes
            );
        }
    }
}
