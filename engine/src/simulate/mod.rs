//! `vigil simulate`: realistic, well-formed synthetic traffic for a named scenario,
//! written as a classic pcap (microsecond timestamps, Ethernet), byte-for-byte the same
//! for the same seed. For demos, proofs of value and the detection models' tests.
//!
//! The network is an office, 10.20.1.0/24 behind the gateway 10.20.1.1, with a resolver
//! at 10.20.0.53 and a DHCP server at 10.20.0.2; the sensor sees the office segment.
//! Ten devices (`world::DEVICES`: Windows, macOS and Linux machines, a server, a
//! printer) keep their own habits, user agents and ClientHellos; each connection to a
//! named host follows a DNS lookup (through the device's cache, honouring TTLs); each
//! device does DHCP when it first shows up in a day. Scenarios:
//!
//! - `office`: the benign office for `--days` days (default 4 from Monday 2026-03-09).
//! - `clickfix-macos`: three hours of office around a ClickFix infection of a Mac
//!   (look-alike host, 30 MiB exfiltration, C2 polling, self-signed TLS, Go client) and
//!   a Windows PowerShell stage (refused and unanswered connections, POSTs, a GitHub
//!   download).
//! - `dga-bot`: one hour of office and a Windows bot's DGA lookups, then HTTPS beacons.
//! - `beacon`: a day of office and a server beaconing every 300 s ± 10 %.
//! - `shadow-ai`: three hours of office with its staff using AI: hosted assistants and
//!   model APIs over TLS, a large upload to ChatGPT, an MCP client and server over
//!   plaintext HTTP, Ollama and an OpenAI-compatible server inside the network.
//!
//! Layout: `rng` (SplitMix64, the only randomness), `pcap` (the capture and its writer),
//! `packet` (Ethernet/IPv4/TCP/UDP with checksums), `tcp` (connections: handshakes,
//! segments, ACKs, teardown, failures), `dns`, `dhcp`, `http`, `tls`, `content` (protocol
//! messages and bodies),
//! `world` (devices, hosts, habits), `run` (what an activity puts on the wire),
//! `office` (the benign days), `attacks` (the attack steps), `shadow_ai` (AI use),
//! `certs/` (DER fixtures made
//! once with openssl). See `docs/simulate.md`.

#![forbid(unsafe_code)]

pub mod attacks;
pub mod content;
pub mod dhcp;
pub mod dns;
pub mod http;
pub mod office;
pub mod packet;
pub mod pcap;
pub mod rng;
pub mod run;
pub mod shadow_ai;
pub mod tcp;
pub mod tls;
pub mod world;

use run::{World, MIN, SEC};
use std::io::Write;
use std::path::Path;

/// A named scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Office,
    ClickfixMacos,
    DgaBot,
    Beacon,
    ShadowAi,
}

/// Every scenario name, for messages.
pub const SCENARIOS: &str = "office, clickfix-macos, dga-bot, beacon, shadow-ai";

/// Most days one capture may span (the whole capture is built in memory).
pub const MAX_DAYS: u32 = 14;

impl Scenario {
    /// The scenario called `name`.
    pub fn parse(name: &str) -> Result<Scenario, String> {
        match name {
            "office" => Ok(Scenario::Office),
            "clickfix-macos" => Ok(Scenario::ClickfixMacos),
            "dga-bot" => Ok(Scenario::DgaBot),
            "beacon" => Ok(Scenario::Beacon),
            "shadow-ai" => Ok(Scenario::ShadowAi),
            _ => Err(format!(
                "unknown scenario `{name}` (expected one of: {SCENARIOS})"
            )),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Office => "office",
            Scenario::ClickfixMacos => "clickfix-macos",
            Scenario::DgaBot => "dga-bot",
            Scenario::Beacon => "beacon",
            Scenario::ShadowAi => "shadow-ai",
        }
    }

    /// Default start (µs since the epoch).
    pub fn default_start(self) -> u64 {
        match self {
            // 2026-03-09T00:00:00Z, a Monday.
            Scenario::Office => 1_773_014_400 * SEC,
            // 2026-03-13T08:00:00Z, the Friday after.
            Scenario::ClickfixMacos | Scenario::DgaBot | Scenario::ShadowAi => {
                (1_773_360_000 + 8 * 3600) * SEC
            }
            // 2026-03-13T00:00:00Z.
            Scenario::Beacon => 1_773_360_000 * SEC,
        }
    }

    /// Whether `--days` applies.
    pub fn takes_days(self) -> bool {
        matches!(self, Scenario::Office | Scenario::Beacon)
    }

    /// Length in µs for `days` (ignored where fixed).
    pub fn duration(self, days: u32) -> u64 {
        match self {
            Scenario::Office | Scenario::Beacon => u64::from(days) * office::DAY,
            Scenario::ClickfixMacos | Scenario::ShadowAi => 180 * MIN,
            Scenario::DgaBot => 60 * MIN,
        }
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    pub scenario: Scenario,
    pub seed: u64,
    /// Start in µs since the epoch (`None`: the scenario's default).
    pub start: Option<u64>,
    /// Days (`None`: 4 for `office`, 1 for `beacon`).
    pub days: Option<u32>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Summary {
    pub packets: u64,
    /// Frame bytes (without pcap headers).
    pub bytes: u64,
    /// Size of the file.
    pub file_bytes: u64,
    /// First and last packet-time bounds of the scenario (µs).
    pub start: u64,
    pub end: u64,
}

/// Checks the options: the window in µs.
pub fn window(o: &Options) -> Result<(u64, u64), String> {
    let days = match (o.days, o.scenario.takes_days()) {
        (Some(_), false) => {
            return Err(format!(
            "--days does not apply to {} (it has a fixed length); it applies to office and beacon",
            o.scenario.name()
        ))
        }
        (Some(d), true) if d == 0 || d > MAX_DAYS => {
            return Err(format!("--days must be between 1 and {MAX_DAYS}, not {d}"))
        }
        (Some(d), true) => d,
        (None, _) => match o.scenario {
            Scenario::Office => 4,
            _ => 1,
        },
    };
    let start = o.start.unwrap_or(o.scenario.default_start());
    Ok((start, start + o.scenario.duration(days)))
}

/// Builds the scenario's capture in memory.
pub fn generate(o: &Options) -> Result<World, String> {
    let (from, to) = window(o)?;
    let mut w = World::new(o.seed);
    attacks::setup(&mut w, o.scenario);
    let mut tasks = office::plan(o.seed, from, to);
    match o.scenario {
        Scenario::Office => {}
        Scenario::ClickfixMacos => tasks.extend(attacks::plan_clickfix(o.seed, from, to)),
        Scenario::DgaBot => tasks.extend(attacks::plan_dga(o.seed, from, to)),
        Scenario::Beacon => tasks.extend(attacks::plan_beacon(o.seed, from, to)),
        Scenario::ShadowAi => tasks.extend(shadow_ai::plan(o.seed, from, to)),
    }
    w.execute(tasks);
    Ok(w)
}

/// Generates the scenario and writes it to `out`.
pub fn write(o: &Options, out: &Path) -> Result<Summary, String> {
    let (start, end) = window(o)?;
    // Fail on an unwritable path before the work.
    let file =
        std::fs::File::create(out).map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
    let mut w = generate(o)?;
    let mut bw = std::io::BufWriter::with_capacity(1 << 20, file);
    let (packets, bytes) = w
        .cap
        .write(&mut bw)
        .and_then(|r| bw.flush().map(|_| r))
        .map_err(|e| format!("{}: write failed: {e}", out.display()))?;
    Ok(Summary {
        packets,
        bytes,
        file_bytes: 24 + packets * 16 + bytes,
        start,
        end,
    })
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses an RFC 3339 time (`2026-03-13T08:00:00Z`, `2026-03-13T09:00:00.5+01:00`) or a
/// date (`2026-03-13`, midnight UTC) into µs since the epoch.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let bad = || format!("--start: `{s}` is not an RFC 3339 time such as 2026-03-13T08:00:00Z");
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let t = s.get(r).ok_or_else(bad)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse::<i64>().map_err(|_| bad())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > mdays[(mo - 1) as usize] {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, mo as u32, d as u32) * 86400;
    let mut micros = 0i64;
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
            return Err(bad());
        }
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || mi > 59 || se > 60 {
            return Err(bad());
        }
        secs += h * 3600 + mi * 60 + se;
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            let st = i + 1;
            i = st;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == st {
                return Err(bad());
            }
            let frac = &s[st..i.min(st + 6)];
            micros = frac.parse::<i64>().map_err(|_| bad())? * 10i64.pow(6 - frac.len() as u32);
        }
        match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => {}
            Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
                let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
                secs -= if sign == b'+' { off } else { -off };
            }
            _ => return Err(bad()),
        }
    }
    if !(0..=4_000_000_000).contains(&secs) {
        return Err(format!("--start: `{s}` is outside what a pcap can hold"));
    }
    Ok(secs as u64 * SEC + micros as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(
            parse_time("2026-03-09T00:00:00Z").unwrap(),
            1_773_014_400 * SEC
        );
        assert_eq!(parse_time("2026-03-09").unwrap(), 1_773_014_400 * SEC);
        assert_eq!(
            parse_time("2026-03-13T09:00:00.25+01:00").unwrap(),
            (1_773_360_000 + 8 * 3600) * SEC + 250_000
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30T00:00:00Z",
            "2026-03-09T00:00:00",
            "yesterday",
            "2026-03-09T25:00:00Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(20_525), (2026, 3, 13));
    }

    #[test]
    fn options_are_checked() {
        let o = |s, days| Options {
            scenario: s,
            seed: 1,
            start: None,
            days,
        };
        assert!(window(&o(Scenario::ClickfixMacos, Some(2))).is_err());
        assert!(window(&o(Scenario::Office, Some(0))).is_err());
        let (a, b) = window(&o(Scenario::Office, None)).unwrap();
        assert_eq!(b - a, 4 * office::DAY);
        assert!(Scenario::parse("nope").is_err());
    }
}
