//! Profiles: the TOML files in `configs/` that say how the engine runs (software or
//! hardware mode, EAL arguments, cores, ports, descriptors, mempool, RSS, queues, outputs,
//! hugepages), their validation with `file:line: what is wrong`, and the EAL arguments
//! they produce.

use serde::Deserialize;
use std::path::{Path, PathBuf};

mod ai;
mod outputs;
pub use ai::{AiAllowConf, AiConf};
pub use outputs::{loopback_url, ApiConf, SyslogConf, WebhookConf, FACILITIES};

/// The software profile built into the binary (`configs/software.toml`), used when
/// `vigil replay` is given no `--profile`.
pub const BUILTIN_SOFTWARE: &str = include_str!("../../../configs/software.toml");

/// Software mode runs DPDK on virtual devices without hugepages; hardware mode drives
/// real NICs from hugepage memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Software,
    Hardware,
}

/// What a worker does when a poll finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Idle {
    /// Busy-poll with a pause hint (appliance: the core is the worker's alone).
    #[default]
    Spin,
    /// Yield the CPU after a run of empty polls (software mode sharing cores).
    Yield,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub name: String,
    pub mode: Mode,
    #[serde(default)]
    pub eal: EalConf,
    #[serde(default)]
    pub cpu: CpuConf,
    #[serde(default)]
    pub capture: CaptureConf,
    #[serde(default)]
    pub mempool: MempoolConf,
    #[serde(default)]
    pub rss: RssConf,
    #[serde(default)]
    pub control: ControlConf,
    #[serde(default)]
    pub flow: FlowConf,
    #[serde(default)]
    pub output: OutputConf,
    #[serde(default)]
    pub hugepages: HugepagesConf,
    #[serde(default)]
    pub learn: LearnConf,
    #[serde(default)]
    pub models: ModelConf,
    #[serde(default)]
    pub response: ResponseConf,
    #[serde(default)]
    pub ai: AiConf,
    #[serde(default)]
    pub api: ApiConf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EalConf {
    /// Extra EAL arguments (`--no-huge`, `--no-shconf`, …). Cores come from `[cpu]`.
    pub args: Vec<String>,
    /// Memory in MiB for `--no-huge` runs (`-m`).
    pub memory_mb: u32,
    /// DPDK log level: error, warning, notice, info or debug.
    pub log_level: String,
}

impl Default for EalConf {
    fn default() -> Self {
        EalConf {
            args: Vec::new(),
            memory_mb: 512,
            log_level: "error".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpuConf {
    /// Worker lcores (one per RX queue).
    pub workers: u16,
    /// Pin each lcore to its own core (appliance). When false, every lcore may run on
    /// any CPU of the machine (software mode on a small machine).
    pub pin: bool,
    /// Core of the EAL main lcore (software dispatch runs there).
    pub main_core: u32,
    /// Core of the control-plane thread.
    pub control_core: Option<u32>,
    /// Cores of the workers, in order; at least `workers` of them when pinning.
    pub worker_cores: Vec<u32>,
    /// Empty-poll behaviour.
    pub idle: Idle,
}

impl Default for CpuConf {
    fn default() -> Self {
        CpuConf {
            workers: 1,
            pin: false,
            main_core: 0,
            control_core: None,
            worker_cores: Vec::new(),
            idle: Idle::Spin,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConf {
    /// Software mode: the capture `vigil run` replays (a `net_pcap` vdev).
    pub pcap: Option<PathBuf>,
    /// Software mode: replay the capture from memory forever (`infinite_rx=1`).
    pub infinite: bool,
    /// Hardware mode: the capture port's PCI address.
    pub ports: Vec<String>,
    /// Software mode, live: a DPDK virtual device to read (`net_af_packet0,iface=eth1`)
    /// instead of a capture file.
    pub vdev: Option<String>,
    /// Passive mode: send TCP resets for blocked flows out of the capture port.
    pub inject: bool,
    /// Software mode, live inline: a second virtual device bridged with `vdev` (every
    /// packet that may pass is forwarded to the other one).
    pub peer_vdev: Option<String>,
    /// `vigil run` of a finite capture: keep serving (control socket) after it ends,
    /// until SIGINT or SIGTERM.
    pub stay: bool,
    pub rx_descriptors: u16,
    pub tx_descriptors: u16,
}

impl Default for CaptureConf {
    fn default() -> Self {
        CaptureConf {
            pcap: None,
            infinite: false,
            ports: Vec::new(),
            vdev: None,
            peer_vdev: None,
            inject: false,
            stay: false,
            rx_descriptors: 1024,
            tx_descriptors: 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConf {
    pub mbufs: u32,
    pub cache: u32,
    /// Buffer size of each mbuf, headroom included.
    pub data_room: u16,
}

impl Default for MempoolConf {
    fn default() -> Self {
        MempoolConf {
            mbufs: 16383,
            cache: 256,
            data_room: 2176,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RssFields {
    L3,
    L3l4,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RssConf {
    pub fields: RssFields,
    /// Entries of the software redirection table (a NIC's own size when hardware).
    pub reta_size: u32,
    /// Slots of each software-dispatch ring (a power of two).
    pub dispatch_ring: u32,
}

impl Default for RssConf {
    fn default() -> Self {
        RssConf {
            fields: RssFields::L3,
            reta_size: 128,
            dispatch_ring: 4096,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConf {
    /// Slots of each worker's summary queue toward the control plane.
    pub summary_queue: usize,
    /// Seconds of packet time between EVE `stats` records (0: only the final one).
    pub stats_interval: u64,
    /// Packet-time epoch of a deterministic replay, in ms (0: no epochs): the packet
    /// clock waits at each boundary until the control plane has caught up.
    pub epoch_ms: u64,
}

impl Default for ControlConf {
    fn default() -> Self {
        ControlConf {
            summary_queue: 16384,
            stats_interval: 60,
            epoch_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConf {
    /// Flows each worker's table holds (preallocated).
    pub capacity: usize,
    /// Idle timeouts in seconds of packet time, by state.
    pub tcp_new_timeout: u32,
    pub tcp_established_timeout: u32,
    pub tcp_closed_timeout: u32,
    pub udp_new_timeout: u32,
    pub udp_established_timeout: u32,
    pub other_new_timeout: u32,
    pub other_established_timeout: u32,
    /// A flow older than this many seconds is ended and restarted (0: never).
    pub active_timeout: u32,
    /// 16 KiB buffers per worker for payload split over segments or reordered.
    pub stream_buffers: usize,
    /// Datagrams each worker reassembles at once, their largest size, and how long an
    /// unfinished one is kept (seconds).
    pub frag_slots: usize,
    pub frag_max_bytes: usize,
    pub frag_timeout: u32,
    /// Slots (250 bytes each) of each worker's record queue toward the control plane.
    pub record_queue: usize,
}

impl Default for FlowConf {
    fn default() -> Self {
        let t = crate::flow::table::Timeouts::default();
        FlowConf {
            capacity: 65536,
            tcp_new_timeout: t.tcp_new,
            tcp_established_timeout: t.tcp_established,
            tcp_closed_timeout: t.tcp_closed,
            udp_new_timeout: t.udp_new,
            udp_established_timeout: t.udp_established,
            other_new_timeout: t.other_new,
            other_established_timeout: t.other_established,
            active_timeout: t.active,
            stream_buffers: 1024,
            frag_slots: 256,
            frag_max_bytes: 16384,
            frag_timeout: 60,
            record_queue: 65536,
        }
    }
}

impl FlowConf {
    /// The timeouts as the flow table takes them.
    pub fn timeouts(&self) -> crate::flow::table::Timeouts {
        crate::flow::table::Timeouts {
            tcp_new: self.tcp_new_timeout,
            tcp_established: self.tcp_established_timeout,
            tcp_closed: self.tcp_closed_timeout,
            udp_new: self.udp_new_timeout,
            udp_established: self.udp_established_timeout,
            other_new: self.other_new_timeout,
            other_established: self.other_established_timeout,
            active: self.active_timeout,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConf {
    /// EVE JSON lines file (`-` for stdout); `--eve` overrides it.
    pub eve: Option<String>,
    /// Seed of the Community ID hash (0, the default, matches Zeek and Suricata's
    /// defaults; set it where a pipeline seeds its other sensors).
    pub community_id_seed: u16,
    /// Rotate the EVE file at this size in bytes (0: never), or after this many
    /// wall-clock seconds (0: never); `eve_keep` rotated files are kept (`eve.json.1`
    /// newest). SIGHUP reopens the file (logrotate's convention).
    pub eve_max_bytes: u64,
    pub eve_max_age: u64,
    pub eve_keep: u32,
    pub syslog: SyslogConf,
    pub webhook: WebhookConf,
}

impl Default for OutputConf {
    fn default() -> Self {
        OutputConf {
            eve: None,
            community_id_seed: 0,
            eve_max_bytes: 0,
            eve_max_age: 0,
            eve_keep: 5,
            syslog: SyslogConf::default(),
            webhook: WebhookConf::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearnConf {
    /// Address ranges whose hosts are devices (`10.0.0.0/8`, `fc00::/7`, a bare address).
    pub internal: Vec<String>,
    /// Rare: new to the network, or reached by at most this many devices.
    pub rare_devices: u32,
    /// Days of packet time a device's contact with an endpoint counts toward rarity.
    pub rarity_window_days: u32,
    /// Hours of packet time from a device's first packet before its deviations may breach.
    pub learning_hours: u32,
    /// Seconds a DNS answer names its address beyond its TTL ("reached without a
    /// hostname" means no answer within TTL + this, and no SNI or Host on the flow).
    pub dns_hold: u32,
    /// Addresses the IP-to-hostname map holds (oldest forgotten first).
    pub names_capacity: usize,
    /// Endpoints, user agents and fingerprints remembered per device baseline.
    pub device_items: usize,
    /// Seconds between republishing the workers' rarity snapshot (packet time in a
    /// replay, at epoch boundaries; wall time live).
    pub publish_interval: u64,
    /// Directory of the learned state (`vigil run`; `vigil replay --state` overrides).
    pub state_dir: Option<PathBuf>,
    /// Wall-clock seconds between state snapshots while running (and one at the end).
    pub snapshot_interval: u64,
}

impl Default for LearnConf {
    fn default() -> Self {
        LearnConf {
            internal: crate::learn::net::DEFAULT_INTERNAL
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rare_devices: 2,
            rarity_window_days: 30,
            learning_hours: 72,
            dns_hold: 3600,
            names_capacity: 1_000_000,
            device_items: 2048,
            publish_interval: 10,
            state_dir: None,
            snapshot_interval: 300,
        }
    }
}

/// Thresholds of the detection models (`docs/models.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConf {
    /// Models not to run (ids, e.g. `"device/new-powershell-user-agent"`).
    pub disabled: Vec<String>,
    /// Seconds before the same model may breach again for the same device and endpoint.
    pub repeat_after: u64,
    /// multiple-http-posts-to-rare-hostname: POSTs within `post_window` seconds.
    pub posts_to_rare_hostname: u32,
    pub post_window: u64,
    /// large-number-of-suspicious-failed-connections: failures within `failed_window` s.
    pub failed_connections: u32,
    pub failed_window: u64,
    /// Beaconing: connections at least, score (0–1) at least, and the longest period
    /// (s) that counts as fast for fast-beaconing-to-dga.
    pub beacon_min_connections: u32,
    pub beacon_score: f64,
    pub beacon_fast_period: f64,
    /// Shortest period (s) and shortest span of connections (s) that can be a beacon (a
    /// burst of lookups or page loads is not).
    pub beacon_min_period: f64,
    pub beacon_min_span: f64,
    /// (device, endpoint) pairs whose connection times are kept.
    pub beacon_pairs: usize,
    /// dga-dns-activity: NXDOMAIN answers for generated-looking names within `dga_window` s.
    pub dga_nxdomains: u32,
    pub dga_window: u64,
    /// Mean log2 bigram likelihood per letter below which a name looks generated.
    pub dga_bits: f64,
    /// anomalous-github-download: bytes received from GitHub at least.
    pub github_download_bytes: u64,
    /// unusual-external-data-to-new-endpoint: bytes sent at least, and at least this many
    /// spreads (standard deviations) above the device's usual bytes out per hour.
    pub exfil_min_bytes: u64,
    pub exfil_sigmas: f64,
    /// Indicator files (plain lists or STIX 2.1 bundles), relative to the profile.
    pub ioc_files: Vec<PathBuf>,
    /// Seconds between checks for changed indicator files.
    pub ioc_reload: u64,
}

impl Default for ModelConf {
    fn default() -> Self {
        ModelConf {
            disabled: Vec::new(),
            repeat_after: 3600,
            posts_to_rare_hostname: 5,
            post_window: 3600,
            failed_connections: 10,
            failed_window: 600,
            beacon_min_connections: 12,
            beacon_score: 0.8,
            beacon_fast_period: 60.0,
            beacon_min_period: 1.0,
            beacon_min_span: 30.0,
            beacon_pairs: 50_000,
            dga_nxdomains: 10,
            dga_window: 300,
            dga_bits: -5.5,
            github_download_bytes: 5_000_000,
            exfil_min_bytes: 10_000_000,
            exfil_sigmas: 5.0,
            ioc_files: Vec::new(),
            ioc_reload: 10,
        }
    }
}

/// How Vigil answers breaches: incidents, and actions decided by triggers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseConf {
    /// `observe` (decide and record only), `confirm` (pending until a person approves),
    /// `autonomous` (enforce at once).
    pub mode: String,
    /// Seconds of packet time a device's breaches keep gathering into its open incident.
    pub incident_window: u64,
    /// Seconds an action lasts when its trigger names no duration.
    pub default_duration: u64,
    /// The control socket `vigil actions` talks to (created mode 0600); unset: next to
    /// the learned state (`<state dir>/control.sock`), or none without a state dir.
    pub socket: Option<PathBuf>,
    /// TCP resets sent per blocked flow at most (passive mode).
    pub max_resets_per_flow: u32,
    /// When to act.
    pub trigger: Vec<TriggerConf>,
    /// Maintenance windows and exemptions: no action, the alerts still appear.
    pub exempt: Vec<ExemptConf>,
}

impl Default for ResponseConf {
    fn default() -> Self {
        ResponseConf {
            mode: "observe".into(),
            incident_window: 6 * 3600,
            default_duration: 3600,
            socket: None,
            max_resets_per_flow: 4,
            trigger: Vec::new(),
            exempt: Vec::new(),
        }
    }
}

/// A trigger: every condition given must hold; the first trigger that matches acts.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TriggerConf {
    /// A model id (`compromise/beaconing-activity-to-external-rare`) or a family
    /// (`compromise/*`).
    pub model: Option<String>,
    /// The breach's score at least.
    pub min_score: Option<u8>,
    /// "Breaches over time": the device breached at least this often within `within` s.
    pub breaches: Option<u32>,
    pub within: Option<u64>,
    /// "Significant anomaly": the incident's score at least.
    pub incident_score: Option<u8>,
    /// `block-connection`, `block-endpoint`, `enforce-pattern-of-life` or `quarantine`.
    pub action: String,
    /// Seconds of packet time the action lasts.
    pub duration: Option<u64>,
}

/// An exemption or maintenance window: every field given must match.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExemptConf {
    /// A device address or range (`10.20.1.40`, `10.20.1.0/24`).
    pub device: Option<String>,
    /// An endpoint: an address or range, or a hostname (its subdomains match too).
    pub endpoint: Option<String>,
    /// The window, RFC 3339 (`2026-03-13T08:00:00Z`); open-ended when unset.
    pub from: Option<String>,
    pub until: Option<String>,
    /// Why (shown in the `response` record).
    pub reason: String,
}

/// Action kinds, as EVE `response.action` names them.
pub const ACTIONS: [&str; 4] = [
    "block-connection",
    "block-endpoint",
    "enforce-pattern-of-life",
    "quarantine",
];

/// Parses an RFC 3339 time (UTC offset allowed) to ns since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos()).ok()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HugepagesConf {
    /// `2M` or `1G`.
    pub size: String,
    pub pages: u32,
    pub mount: PathBuf,
}

impl Default for HugepagesConf {
    fn default() -> Self {
        HugepagesConf {
            size: "2M".into(),
            pages: 1024,
            mount: PathBuf::from("/dev/hugepages"),
        }
    }
}

/// A profile problem: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Largest number of workers one engine runs.
pub const MAX_WORKERS: u16 = 64;

/// Packets per burst (kept in step with the wrapper's burst size).
const BURST: u32 = crate::capture::dpdk::BURST as u32;

/// The 1-based line of `key` inside `[section]` (or of the section header, or 1).
fn line_of(text: &str, section: &str, key: &str) -> usize {
    let mut in_section = section.is_empty();
    let mut section_line = 1;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            in_section = line.trim_matches(|c| c == '[' || c == ']').trim() == section;
            if in_section {
                section_line = i + 1;
            }
            continue;
        }
        if in_section {
            if let Some((k, _)) = line.split_once('=') {
                if k.trim() == key {
                    return i + 1;
                }
            }
        }
    }
    section_line
}

fn line_of_byte(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

impl Profile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<Profile, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 1,
            message: match e.kind() {
                std::io::ErrorKind::NotFound => "profile not found".into(),
                std::io::ErrorKind::PermissionDenied => {
                    "profile not readable (permission denied)".into()
                }
                _ => format!("cannot read profile: {e}"),
            },
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Profile::parse(&text, &file, base)
    }

    /// Parses and validates profile text; relative paths resolve against `base`.
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Profile, ConfigError> {
        let mut p: Profile = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            line: e.span().map_or(1, |s| line_of_byte(text, s.start)),
            message: e.message().trim().replace('\n', " "),
        })?;
        if let Some(pcap) = &p.capture.pcap {
            if pcap.is_relative() {
                p.capture.pcap = Some(base.join(pcap));
            }
        }
        for f in p.models.ioc_files.iter_mut() {
            if f.is_relative() {
                *f = base.join(&*f);
            }
        }
        if let Some(sock) = &p.response.socket {
            if sock.is_relative() {
                p.response.socket = Some(base.join(sock));
            }
        }
        if let Some(dir) = &p.learn.state_dir {
            if dir.is_relative() {
                p.learn.state_dir = Some(base.join(dir));
            }
        }
        p.ai.resolve(base);
        outputs::resolve_paths(&mut p.output.webhook, &mut p.api, base);
        p.validate()
            .map_err(|(section, key, message)| ConfigError {
                file: file.to_string(),
                line: line_of(text, section, key),
                message,
            })?;
        ai::validate(&p.ai, text, file)?;
        Ok(p)
    }

    /// Mbufs the engine needs for `workers` workers: every RX and TX descriptor filled,
    /// every dispatch ring full, every lcore's cache and burst in flight.
    pub fn mbufs_needed(&self, workers: u16) -> u64 {
        let w = workers as u64;
        let software = self.mode == Mode::Software;
        let rx_queues = if software { 1 } else { w };
        let rings = if software && workers > 1 {
            w * self.rss.dispatch_ring as u64
        } else {
            0
        };
        rx_queues * self.capture.rx_descriptors as u64
            + self.capture.tx_descriptors as u64
            + rings
            + (w + 1) * (self.mempool.cache as u64 + BURST as u64)
    }

    /// Checks values that parse but cannot work: (section, key, message).
    pub fn validate(&self) -> Result<(), (&'static str, &'static str, String)> {
        let c = &self.cpu;
        if c.workers == 0 || c.workers > MAX_WORKERS {
            return Err((
                "cpu",
                "workers",
                format!(
                    "workers must be between 1 and {MAX_WORKERS}, not {}",
                    c.workers
                ),
            ));
        }
        if c.pin {
            if (c.worker_cores.len() as u16) < c.workers {
                return Err((
                    "cpu",
                    "workers",
                    format!(
                        "{} workers but only {} worker cores (lcores) in worker_cores",
                        c.workers,
                        c.worker_cores.len()
                    ),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for core in &c.worker_cores {
                if !seen.insert(*core) {
                    return Err((
                        "cpu",
                        "worker_cores",
                        format!("core {core} is listed twice"),
                    ));
                }
                if *core == c.main_core {
                    return Err((
                        "cpu",
                        "worker_cores",
                        format!("core {core} is also the main core"),
                    ));
                }
            }
        }
        if !["error", "warning", "notice", "info", "debug"].contains(&self.eal.log_level.as_str()) {
            return Err((
                "eal",
                "log_level",
                format!(
                    "log_level must be error, warning, notice, info or debug, not {:?}",
                    self.eal.log_level
                ),
            ));
        }
        for a in &self.eal.args {
            let flag = a.split('=').next().unwrap_or("");
            if matches!(
                flag,
                "-l" | "-c" | "--lcores" | "--main-lcore" | "--master-lcore"
            ) {
                return Err((
                    "eal",
                    "args",
                    format!("{flag} is set from [cpu]; remove it from eal.args"),
                ));
            }
            if flag == "--in-memory" && self.eal.args.iter().any(|x| x == "--no-huge") {
                return Err((
                    "eal",
                    "args",
                    "--in-memory cannot be combined with --no-huge; use --no-shconf".into(),
                ));
            }
        }
        let l = &self.learn;
        if let Err(e) = crate::learn::net::Networks::parse(&l.internal) {
            return Err(("learn", "internal", e));
        }
        if l.rarity_window_days == 0 {
            return Err((
                "learn",
                "rarity_window_days",
                "rarity_window_days must be at least 1".into(),
            ));
        }
        if l.names_capacity == 0 || l.device_items == 0 {
            return Err((
                "learn",
                "names_capacity",
                "names_capacity and device_items must be at least 1".into(),
            ));
        }
        if l.snapshot_interval == 0 {
            return Err((
                "learn",
                "snapshot_interval",
                "snapshot_interval must be at least 1 second".into(),
            ));
        }
        let m = &self.models;
        for id in &m.disabled {
            if crate::detect::catalog::by_id(id).is_none() {
                return Err((
                    "models",
                    "disabled",
                    format!("no model {id:?} (see docs/models.md for the ids)"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&m.beacon_score) {
            return Err((
                "models",
                "beacon_score",
                "beacon_score must be between 0 and 1".into(),
            ));
        }
        for f in &m.ioc_files {
            if !f.is_file() {
                return Err((
                    "models",
                    "ioc_files",
                    format!("indicator file {} does not exist", f.display()),
                ));
            }
        }
        let r = &self.response;
        if !["observe", "confirm", "autonomous"].contains(&r.mode.as_str()) {
            return Err((
                "response",
                "mode",
                format!(
                    "mode must be observe, confirm or autonomous, not {:?}",
                    r.mode
                ),
            ));
        }
        for t in &r.trigger {
            if !ACTIONS.contains(&t.action.as_str()) {
                return Err((
                    "response.trigger",
                    "action",
                    format!(
                        "action must be one of {}, not {:?}",
                        ACTIONS.join(", "),
                        t.action
                    ),
                ));
            }
            if let Some(m) = &t.model {
                let family = m.strip_suffix("/*");
                let known = match family {
                    Some(f) => crate::detect::catalog::ALL
                        .iter()
                        .any(|x| x.id.starts_with(&format!("{f}/"))),
                    None => crate::detect::catalog::by_id(m).is_some(),
                };
                if !known {
                    return Err((
                        "response.trigger",
                        "model",
                        format!("no model {m:?} (see docs/models.md for the ids)"),
                    ));
                }
            }
            if t.breaches.is_some() != t.within.is_some() {
                return Err((
                    "response.trigger",
                    "breaches",
                    "breaches and within go together".into(),
                ));
            }
        }
        for e in &r.exempt {
            if let Some(d) = &e.device {
                if let Err(m) = crate::learn::net::Cidr::parse(d) {
                    return Err(("response.exempt", "device", m));
                }
            }
            for (k, v) in [("from", &e.from), ("until", &e.until)] {
                if let Some(t) = v {
                    if parse_rfc3339(t).is_none() {
                        return Err((
                            "response.exempt",
                            k,
                            format!("{t:?} is not an RFC 3339 time (like 2026-03-13T08:00:00Z)"),
                        ));
                    }
                }
            }
        }
        let cap = &self.capture;
        if cap.rx_descriptors < 32 || cap.tx_descriptors < 32 {
            return Err((
                "capture",
                "rx_descriptors",
                "descriptor counts must be at least 32".into(),
            ));
        }
        match self.mode {
            Mode::Software => {
                if !cap.ports.is_empty() {
                    return Err((
                        "capture",
                        "ports",
                        "software mode reads captures; ports are for hardware mode".into(),
                    ));
                }
                if cap.vdev.is_some() && cap.pcap.is_some() {
                    return Err((
                        "capture",
                        "vdev",
                        "give capture.pcap (a file to replay) or capture.vdev (a live device), not both".into(),
                    ));
                }
                if cap.peer_vdev.is_some() && cap.vdev.is_none() {
                    return Err((
                        "capture",
                        "peer_vdev",
                        "peer_vdev bridges with vdev: give both".into(),
                    ));
                }
                if cap.peer_vdev.is_some() && cap.inject {
                    return Err((
                        "capture",
                        "inject",
                        "an inline bridge drops blocked flows; resets are for passive mode".into(),
                    ));
                }
                if let Some(v) = &cap.vdev {
                    if !v.starts_with("net_") {
                        return Err((
                            "capture",
                            "vdev",
                            format!("{v:?} is not a DPDK virtual device (like net_af_packet0,iface=eth1)"),
                        ));
                    }
                }
                if let Some(pcap) = &cap.pcap {
                    if !pcap.is_file() {
                        return Err((
                            "capture",
                            "pcap",
                            format!("capture {} does not exist", pcap.display()),
                        ));
                    }
                }
            }
            Mode::Hardware => {
                if cap.ports.is_empty() || cap.ports.len() > 2 {
                    return Err((
                        "capture",
                        "ports",
                        format!(
                            "hardware mode needs one capture port (passive), or two bridged (inline), not {}",
                            cap.ports.len()
                        ),
                    ));
                }
                if cap.ports.len() == 2 && cap.inject {
                    return Err((
                        "capture",
                        "inject",
                        "an inline bridge drops blocked flows; resets are for passive mode".into(),
                    ));
                }
                if cap.pcap.is_some() {
                    return Err(("capture", "pcap", "pcap is for software mode".into()));
                }
                for port in &cap.ports {
                    if !is_pci_address(port) {
                        return Err((
                            "capture",
                            "ports",
                            format!("{port:?} is not a PCI address like 0000:03:00.0"),
                        ));
                    }
                }
            }
        }
        let m = &self.mempool;
        if (m.data_room as u32) < 128 + 256 {
            return Err((
                "mempool",
                "data_room",
                format!(
                    "data_room {} leaves no room after the 128-byte headroom",
                    m.data_room
                ),
            ));
        }
        if m.cache > 512 {
            return Err((
                "mempool",
                "cache",
                format!("cache {} is above DPDK's limit of 512", m.cache),
            ));
        }
        let need = self.mbufs_needed(c.workers);
        if (m.mbufs as u64) < need {
            return Err((
                "mempool",
                "mbufs",
                format!(
                    "mempool of {} mbufs is smaller than queues × descriptors, rings and caches need ({need})",
                    m.mbufs
                ),
            ));
        }
        let r = &self.rss;
        if !r.reta_size.is_power_of_two() || !(64..=512).contains(&r.reta_size) {
            return Err((
                "rss",
                "reta_size",
                format!(
                    "reta_size must be a power of two from 64 to 512, not {}",
                    r.reta_size
                ),
            ));
        }
        if !r.dispatch_ring.is_power_of_two() || r.dispatch_ring < 2 * BURST {
            return Err((
                "rss",
                "dispatch_ring",
                format!(
                    "dispatch_ring must be a power of two of at least 64, not {}",
                    r.dispatch_ring
                ),
            ));
        }
        if self.control.summary_queue == 0 {
            return Err((
                "control",
                "summary_queue",
                "summary_queue must be at least 1".into(),
            ));
        }
        let fl = &self.flow;
        if fl.capacity < 16 {
            return Err((
                "flow",
                "capacity",
                "capacity must be at least 16 flows".into(),
            ));
        }
        if fl.record_queue < 64 {
            return Err((
                "flow",
                "record_queue",
                "record_queue must be at least 64 slots".into(),
            ));
        }
        if fl.frag_max_bytes < 1500 || fl.frag_max_bytes > 65535 + 128 {
            return Err((
                "flow",
                "frag_max_bytes",
                format!(
                    "frag_max_bytes must be from 1500 to 65663, not {}",
                    fl.frag_max_bytes
                ),
            ));
        }
        for (key, v) in [
            ("tcp_new_timeout", fl.tcp_new_timeout),
            ("tcp_established_timeout", fl.tcp_established_timeout),
            ("tcp_closed_timeout", fl.tcp_closed_timeout),
            ("udp_new_timeout", fl.udp_new_timeout),
            ("udp_established_timeout", fl.udp_established_timeout),
            ("other_new_timeout", fl.other_new_timeout),
            ("other_established_timeout", fl.other_established_timeout),
        ] {
            if v == 0 {
                return Err(("flow", key, format!("{key} must be at least 1 second")));
            }
        }
        let ctl = &self.control;
        if ctl.epoch_ms > 0 && !(ctl.stats_interval * 1000).is_multiple_of(ctl.epoch_ms) {
            return Err((
                "control",
                "epoch_ms",
                format!(
                    "stats_interval ({} s) must be a whole number of epochs ({} ms)",
                    ctl.stats_interval, ctl.epoch_ms
                ),
            ));
        }
        if !matches!(self.hugepages.size.as_str(), "2M" | "1G") {
            return Err((
                "hugepages",
                "size",
                format!("size must be 2M or 1G, not {:?}", self.hugepages.size),
            ));
        }
        let o = &self.output;
        outputs::check_rotation(o.eve_max_bytes, o.eve_keep)?;
        if o.syslog.enabled {
            outputs::check_syslog(&o.syslog)?;
        }
        outputs::check_webhook(&o.webhook)?;
        outputs::check_api(&self.api)?;
        Ok(())
    }

    /// The EAL arguments for a run with `workers` workers.
    pub fn eal_args(&self, workers: u16) -> Vec<String> {
        let mut a = vec!["vigil".to_string()];
        let n = workers as u32;
        if self.cpu.pin {
            let mut map = format!("0@{}", self.cpu.main_core);
            for (i, core) in self
                .cpu
                .worker_cores
                .iter()
                .take(workers as usize)
                .enumerate()
            {
                map.push_str(&format!(",{}@{}", i + 1, core));
            }
            a.push(format!("--lcores={map}"));
        } else {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            a.push(format!("--lcores=(0-{n})@(0-{})", cpus - 1));
        }
        a.push("--main-lcore=0".into());
        let level = match self.eal.log_level.as_str() {
            "error" => 4,
            "warning" => 5,
            "notice" => 6,
            "info" => 7,
            _ => 8,
        };
        a.push(format!("--log-level={level}"));
        if self.mode == Mode::Software
            && self.eal.args.iter().any(|x| x == "--no-huge")
            && !self.eal.args.iter().any(|x| x == "-m")
        {
            a.push("-m".into());
            a.push(self.eal.memory_mb.to_string());
        }
        if !self.eal.args.iter().any(|x| x.starts_with("--file-prefix")) {
            a.push(format!("--file-prefix=vigil-{}", std::process::id()));
        }
        a.extend(self.eal.args.iter().cloned());
        if self.mode == Mode::Hardware {
            for p in &self.capture.ports {
                a.push("-a".into());
                a.push(p.clone());
            }
        }
        a
    }

    /// Whether the EAL runs without hugepages.
    pub fn no_huge(&self) -> bool {
        self.eal.args.iter().any(|x| x == "--no-huge")
    }
}

fn is_pci_address(s: &str) -> bool {
    // dddd:bb:dd.f
    let b = s.as_bytes();
    b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && s.chars()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10) || c.is_ascii_hexdigit())
}

/// Hugepages the kernel has free, from `/proc/meminfo`: (free pages, page size in kB).
pub fn hugepages_free() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("HugePages_Free:"), field("Hugepagesize:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, ConfigError> {
        Profile::parse(text, "p.toml", Path::new("."))
    }

    #[test]
    fn builtin_software_profile_is_valid() {
        let p = parse(BUILTIN_SOFTWARE).unwrap();
        assert_eq!(p.mode, Mode::Software);
        assert!(p.no_huge());
        let args = p.eal_args(2);
        assert!(args.iter().any(|a| a.starts_with("--lcores=(0-2)@")));
        assert!(args.iter().any(|a| a == "--no-shconf"));
    }

    #[test]
    fn unknown_key_names_its_line() {
        let e = parse("mode = \"software\"\n[cpu]\nworkers = 1\nwrokers = 2\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn more_workers_than_lcores() {
        let e = parse("mode = \"hardware\"\n[cpu]\npin = true\nworkers = 4\nworker_cores = [2, 3]\n[capture]\nports = [\"0000:03:00.0\"]\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("4 workers but only 2"), "{e}");
    }

    #[test]
    fn mempool_smaller_than_descriptors() {
        let e = parse("mode = \"software\"\n[mempool]\nmbufs = 512\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("smaller than queues"), "{e}");
    }

    #[test]
    fn missing_capture() {
        let e = parse("mode = \"software\"\n\n[capture]\npcap = \"/nonexistent/x.pcap\"\n")
            .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("does not exist"), "{e}");
    }

    #[test]
    fn bad_toml_and_bad_values() {
        let e = parse("mode = \"software\"\n[cpu\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("mode = \"sideways\"\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e = parse("mode = \"software\"\n[eal]\nargs = [\"-l\", \"0-3\"]\n").unwrap_err();
        assert!(e.message.contains("[cpu]"), "{e}");
        let e = parse("mode = \"hardware\"\n[capture]\nports = [\"eth0\"]\n").unwrap_err();
        assert!(e.message.contains("PCI address"), "{e}");
        let e = parse(
            "mode = \"hardware\"\n[capture]\nports = [\"0000:03:00.0\", \"0000:03:00.1\", \"0000:04:00.0\"]\n",
        )
        .unwrap_err();
        assert!(e.message.contains("two bridged"), "{e}");
        let e = parse(
            "mode = \"hardware\"\n[capture]\nports = [\"0000:03:00.0\", \"0000:03:00.1\"]\ninject = true\n",
        )
        .unwrap_err();
        assert!(e.message.contains("passive"), "{e}");
        let e = parse("mode = \"software\"\n[capture]\npeer_vdev = \"net_null0\"\n").unwrap_err();
        assert!(e.message.contains("give both"), "{e}");
    }

    #[test]
    fn shipped_profiles_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
        for name in [
            "software.toml",
            "10g.toml",
            "40g.toml",
            "inline-bridge.toml",
        ] {
            Profile::load(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
