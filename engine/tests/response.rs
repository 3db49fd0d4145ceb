//! Incidents and response, end to end through the real binary: inline blocking on a
//! `net_pcap` TX port compared packet by packet with the capture, incidents per device
//! linked by their shared endpoint, a maintenance window that suppresses the block but
//! keeps the alerts, `vigil actions` over the control socket with actions surviving a
//! restart, and passive-mode resets tearing down a real Linux TCP connection between
//! two network namespaces.

mod common;
use common::*;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-resp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

fn simulate(scenario: &str, out: &Path) {
    let o = vigil()
        .args(["simulate", scenario, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A state directory that has learned four days of the office.
fn learned_office(name: &str) -> PathBuf {
    let state = tmp(name);
    let office = tmp(&format!("{name}-office.pcap"));
    simulate("office", &office);
    let run = replay(&office, &["--state", state.to_str().unwrap()]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let _ = std::fs::remove_file(office);
    state
}

/// The software profile with `extra` appended.
fn profile(name: &str, extra: &str) -> PathBuf {
    let p = tmp(name);
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    std::fs::write(&p, format!("{base}\n{extra}\n")).unwrap();
    p
}

const BLOCKING: &str = r#"
[response]
mode = "autonomous"

[[response.trigger]]
model = "compromise/beaconing-activity-to-external-rare"
action = "block-connection"
duration = 86400

[[response.trigger]]
model = "unusual-activity/unusual-external-data-to-new-endpoint"
action = "block-endpoint"
duration = 86400
"#;

/// Frames of a pcap or pcapng file, with their times.
fn frames(path: &Path) -> Vec<(Vec<u8>, u64)> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    if let Ok(mut r) = PcapReader::new(&bytes[..]) {
        while let Some(Ok(p)) = r.next_packet() {
            out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
        }
    } else {
        let mut r = PcapNgReader::new(&bytes[..]).unwrap();
        while let Some(Ok(b)) = r.next_block() {
            if let Block::EnhancedPacket(p) = b {
                out.push((p.data.into_owned(), p.timestamp.as_nanos() as u64));
            }
        }
    }
    out
}

fn tuple(frame: &[u8]) -> Option<(IpAddr, u16, IpAddr, u16)> {
    let s = etherparse::SlicedPacket::from_ethernet(frame).ok()?;
    let (a, b): (IpAddr, IpAddr) = match &s.net {
        Some(etherparse::NetSlice::Ipv4(v)) => (
            v.header().source_addr().into(),
            v.header().destination_addr().into(),
        ),
        _ => return None,
    };
    let (p, q) = match &s.transport {
        Some(etherparse::TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
        Some(etherparse::TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
        _ => (0, 0),
    };
    Some((a, p, b, q))
}

/// A block as the EVE `response` record states it.
struct Block_ {
    kind: String,
    device: IpAddr,
    endpoint: IpAddr,
    port: Option<u16>,
    start_ns: u64,
}

fn blocks(records: &[Value]) -> Vec<Block_> {
    records
        .iter()
        .filter(|r| r["event_type"] == "response" && r["response"]["state"] == "active")
        .map(|r| {
            let a = &r["response"];
            Block_ {
                kind: a["action"].as_str().unwrap().to_string(),
                device: a["device"].as_str().unwrap().parse().unwrap(),
                endpoint: a["endpoint"].as_str().unwrap().parse().unwrap(),
                port: a["dest_port"].as_u64().map(|p| p as u16),
                start_ns: vigil::output::eve::parse_timestamp(a["start"].as_str().unwrap())
                    .unwrap(),
            }
        })
        .collect()
}

fn is_blocked(b: &[Block_], frame: &[u8], ts: u64) -> bool {
    let Some((s, sp, d, dp)) = tuple(frame) else {
        return false;
    };
    b.iter().any(|x| {
        ts >= x.start_ns
            && match x.kind.as_str() {
                "block-endpoint" => s == x.endpoint || d == x.endpoint,
                "block-connection" => {
                    (s == x.device && d == x.endpoint && Some(dp) == x.port)
                        || (d == x.device && s == x.endpoint && Some(sp) == x.port)
                }
                _ => false,
            }
    })
}

fn last_incidents(records: &[Value]) -> BTreeMap<u64, Value> {
    let mut out = BTreeMap::new();
    for r in records.iter().filter(|r| r["event_type"] == "incident") {
        out.insert(r["incident"]["id"].as_u64().unwrap(), r["incident"].clone());
    }
    out
}

#[test]
fn inline_blocking_and_linked_incidents() {
    let state = learned_office("inline");
    let prof = profile("inline.toml", BLOCKING);
    let clickfix = tmp("clickfix.pcap");
    simulate("clickfix-macos", &clickfix);
    let fwd = tmp("forwarded.pcap");
    let run = replay(
        &clickfix,
        &[
            "--profile",
            prof.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--forward",
            fwd.to_str().unwrap(),
        ],
    );
    assert!(run.output.status.success(), "{}", run.stderr());

    // The forwarded capture is the original without the blocked flows' packets from
    // their block on: every other packet unchanged and in order.
    let b = blocks(&run.records);
    assert!(
        b.iter().any(|x| x.kind == "block-connection")
            && b.iter().any(|x| x.kind == "block-endpoint"),
        "no block decided"
    );
    let original = frames(&clickfix);
    let forwarded = frames(&fwd);
    let expected: Vec<&Vec<u8>> = original
        .iter()
        .filter(|(f, ts)| !is_blocked(&b, f, *ts))
        .map(|(f, _)| f)
        .collect();
    let held = original.len() - expected.len();
    assert!(held > 100, "only {held} packets held back");
    if forwarded.len() != expected.len() {
        // Say where they part, for the diagnosis.
        let i = forwarded
            .iter()
            .zip(&expected)
            .position(|(g, w)| &g.0 != *w)
            .unwrap_or(0);
        let orig_i = original.iter().position(|(f, _)| f == expected[i]).unwrap();
        panic!(
            "forwarded {} packets, expected {}; first difference at {i}: expected {:?} at {} (original #{orig_i}), got {:?}; blocks: {:?}",
            forwarded.len(),
            expected.len(),
            tuple(expected[i]),
            original[orig_i].1,
            tuple(&forwarded[i].0),
            b.iter().map(|x| (x.kind.clone(), x.device, x.endpoint, x.port, x.start_ns)).collect::<Vec<_>>()
        );
    }
    for (i, (got, want)) in forwarded.iter().zip(&expected).enumerate() {
        assert!(&got.0 == *want, "forwarded packet {i} differs");
    }
    let stats = run.final_stats();
    assert_eq!(
        stats["vigil"]["counters"]["response.blocked_packets"].as_u64(),
        Some(held as u64)
    );
    eprintln!(
        "inline: {} packets in, {} forwarded, {held} held back by {} blocks",
        original.len(),
        forwarded.len(),
        b.len()
    );

    // One incident per attacked device, linked by the endpoint they share.
    let inc = last_incidents(&run.records);
    let of = |dev: &str| {
        inc.values()
            .find(|i| i["devices"].as_array().unwrap().iter().any(|d| d == dev))
            .unwrap_or_else(|| panic!("no incident for {dev}"))
            .clone()
    };
    let (mac, win) = (of("10.20.1.17"), of("10.20.1.23"));
    assert_eq!(inc.len(), 2, "{inc:#?}");
    assert!(mac["linked"].as_array().unwrap().contains(&win["id"]));
    assert!(win["linked"].as_array().unwrap().contains(&mac["id"]));
    for i in [&mac, &win] {
        assert!(i["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "83.136.208.246"));
        assert!(i["score"].as_u64().unwrap() >= 90);
        assert!(!i["tactics"].as_array().unwrap().is_empty());
    }
    let story = mac["narrative"].as_str().unwrap();
    assert!(
        story.contains("zoom.uswebob.us") && story.contains("104.145.210.107"),
        "{story}"
    );
    // Every alert names its incident.
    for a in run.records.iter().filter(|r| r["event_type"] == "alert") {
        assert!(a["vigil"]["incident_id"].as_u64().is_some());
    }
    let _ = std::fs::remove_dir_all(state);
    for f in [prof, clickfix, fwd] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_maintenance_window_suppresses_the_block_and_keeps_the_alerts() {
    let state = learned_office("maint");
    let prof = profile(
        "maint.toml",
        &format!(
            "{BLOCKING}\n[[response.exempt]]\ndevice = \"10.20.1.0/24\"\nfrom = \"2026-03-13T07:00:00Z\"\nuntil = \"2026-03-13T12:00:00Z\"\nreason = \"planned upgrade\"\n"
        ),
    );
    let clickfix = tmp("clickfix-maint.pcap");
    simulate("clickfix-macos", &clickfix);
    let fwd = tmp("forwarded-maint.pcap");
    let run = replay(
        &clickfix,
        &[
            "--profile",
            prof.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--forward",
            fwd.to_str().unwrap(),
        ],
    );
    assert!(run.output.status.success(), "{}", run.stderr());
    let responses: Vec<&Value> = run
        .records
        .iter()
        .filter(|r| r["event_type"] == "response")
        .collect();
    assert!(!responses.is_empty());
    for r in &responses {
        assert_eq!(r["response"]["state"], "suppressed");
        assert!(r["response"]["reason"]
            .as_str()
            .unwrap()
            .contains("planned upgrade"));
    }
    let alerts = run
        .records
        .iter()
        .filter(|r| r["event_type"] == "alert")
        .count();
    assert!(alerts > 10, "{alerts} alerts");
    // Nothing held back: the forwarded capture is the capture.
    let (a, b) = (frames(&clickfix), frames(&fwd));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.0 == y.0));
    let _ = std::fs::remove_dir_all(state);
    for f in [prof, clickfix, fwd] {
        let _ = std::fs::remove_file(f);
    }
}

fn actions(args: &[&str]) -> Value {
    let o = vigil()
        .arg("actions")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "vigil actions {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

struct Engine(Child);

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stop(mut e: Engine) {
    let pid = e.0.id() as i32;
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if e.0.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the engine did not stop on SIGINT");
}

#[test]
fn actions_are_approved_and_released_by_hand_and_survive_a_restart() {
    let state = learned_office("actions");
    let clickfix = tmp("clickfix-actions.pcap");
    simulate("clickfix-macos", &clickfix);
    // Confirm mode; the engine replays the attack, then keeps serving until SIGINT.
    let prof = profile(
        "actions.toml",
        &format!(
            "{}\n",
            BLOCKING.replace("mode = \"autonomous\"", "mode = \"confirm\"")
        ),
    )
    .to_str()
    .unwrap()
    .to_string();
    let text = std::fs::read_to_string(&prof)
        .unwrap()
        .replace(
            "# pcap = \"../tests/data/office.pcap\"",
            &format!("pcap = {:?}", clickfix.to_str().unwrap()),
        )
        .replace("infinite = false", "infinite = false\nstay = true")
        .replace(
            "# state_dir = \"/var/lib/vigil\"",
            &format!("state_dir = {:?}", state.to_str().unwrap()),
        );
    std::fs::write(&prof, text).unwrap();
    let st = state.to_str().unwrap();
    let start = |log: &str| {
        Engine(
            vigil()
                .args(["run", "--profile", &prof, "--eve"])
                .arg(tmp(log))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let engine = start("actions-1.jsonl");
    // Wait for two pending decisions.
    let t0 = Instant::now();
    let pending = loop {
        if let Ok(o) = vigil()
            .args(["actions", "list", "--json", "--state", st])
            .output()
        {
            if o.status.success() {
                let v: Value = serde_json::from_slice(&o.stdout).unwrap();
                let p: Vec<u64> = v["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["state"] == "pending")
                    .map(|a| a["id"].as_u64().unwrap())
                    .collect();
                if p.len() >= 2 {
                    break p;
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no pending actions appeared"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (keep, drop_) = (pending[0], pending[1]);
    let a = actions(&["approve", &keep.to_string(), "--state", st]);
    assert_eq!(a["action"]["state"], "active");
    let a = actions(&["approve", &drop_.to_string(), "--state", st]);
    assert_eq!(a["action"]["state"], "active");
    let r = actions(&["release", &drop_.to_string(), "--state", st]);
    assert_eq!(r["action"]["state"], "released");
    // Approving twice is refused with one line, exit 2.
    let o = vigil()
        .args(["actions", "approve", &keep.to_string(), "--state", st])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    stop(engine);

    // Saved: readable without an engine, and still active after a restart.
    let saved = actions(&["list", "--state", st]);
    let state_of = |v: &Value, id: u64| {
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state_of(&saved, keep), "active");
    assert_eq!(state_of(&saved, drop_), "released");
    let engine = start("actions-2.jsonl");
    let t0 = Instant::now();
    let live = loop {
        if let Ok(o) = vigil()
            .args(["actions", "list", "--json", "--state", st])
            .output()
        {
            if o.status.success() && o.stderr.is_empty() {
                break serde_json::from_slice::<Value>(&o.stdout).unwrap();
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "engine did not come back"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(state_of(&live, keep), "active");
    stop(engine);
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_file(clickfix);
}
