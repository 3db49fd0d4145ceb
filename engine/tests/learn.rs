//! What Vigil learns, checked end to end on a generated office capture: rarity counts
//! equal a straightforward recount from the packets, each device's baseline holds the
//! endpoints it used, and a replay killed with SIGKILL resumes from its last snapshot
//! (no torn file) and ends with the state of an uninterrupted run.

mod common;
use common::*;
use pcap_file::pcap::PcapReader;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-learn-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

fn simulate(scenario: &str, days: &str, out: &Path) {
    let o = vigil()
        .args(["simulate", scenario, "--days", days, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn json_of(args: &[&str]) -> Value {
    let o = vigil().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "vigil {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_private(),
        IpAddr::V6(v) => (v.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// External address → devices that opened a connection to it (a TCP SYN, or the first
/// UDP datagram of a conversation), read straight from the packets.
fn recount(pcap: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let data = std::fs::read(pcap).unwrap();
    let mut r = PcapReader::new(&data[..]).unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut udp_seen: BTreeSet<(IpAddr, u16, IpAddr, u16)> = BTreeSet::new();
    while let Some(Ok(p)) = r.next_packet() {
        let Ok(s) = etherparse::SlicedPacket::from_ethernet(&p.data) else {
            continue;
        };
        let (src, dst): (IpAddr, IpAddr) = match &s.net {
            Some(etherparse::NetSlice::Ipv4(v4)) => (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            ),
            Some(etherparse::NetSlice::Ipv6(v6)) => (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let opened = match &s.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => t.syn() && !t.ack(),
            Some(etherparse::TransportSlice::Udp(u)) => {
                let fwd = (src, u.source_port(), dst, u.destination_port());
                let back = (dst, u.destination_port(), src, u.source_port());
                let new = !udp_seen.contains(&fwd) && !udp_seen.contains(&back);
                udp_seen.insert(fwd);
                new
            }
            _ => false,
        };
        if opened && internal(src) && !internal(dst) {
            out.entry(dst.to_string())
                .or_default()
                .insert(src.to_string());
        }
    }
    out
}

#[test]
fn rarity_equals_a_recount_and_baselines_hold_what_devices_used() {
    let pcap = tmp("office.pcap");
    simulate("office", "2", &pcap);
    let state = tmp("state");
    let st = state.to_str().unwrap();
    let run = replay(&pcap, &["--state", st]);
    assert!(run.output.status.success(), "{}", run.stderr());

    // Address-level rarity equals the recount from the packets.
    let want = recount(&pcap);
    assert!(want.len() > 20, "only {} external addresses", want.len());
    let got = json_of(&["endpoints", "--state", st, "--json"]);
    let mut ours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in got["endpoints"].as_array().unwrap() {
        if e["kind"] == "address" {
            let devs = e["device_list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect();
            ours.insert(e["endpoint"].as_str().unwrap().to_string(), devs);
            assert_eq!(
                e["devices"].as_u64().unwrap() as usize,
                e["device_list"].as_array().unwrap().len()
            );
        }
    }
    assert_eq!(ours, want);

    // Each device's baseline holds every hostname it reached (SNI or Host on its flows),
    // and the devices are named by DHCP.
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &run.records {
        let name = match r["event_type"].as_str() {
            Some("tls") => r["tls"]["sni"].as_str(),
            Some("http") => r["http"]["hostname"].as_str(),
            _ => None,
        };
        let (Some(name), Some(src), Some(dst)) =
            (name, r["src_ip"].as_str(), r["dest_ip"].as_str())
        else {
            continue;
        };
        let (s, d): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        if internal(s) && !internal(d) && name.parse::<IpAddr>().is_err() {
            used.entry(src.to_string())
                .or_default()
                .insert(name.to_ascii_lowercase());
        }
    }
    let devices = json_of(&["devices", "--state", st, "--json"]);
    let by_ip: BTreeMap<&str, &Value> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["ip"].as_str().unwrap(), d))
        .collect();
    assert!(
        used.len() >= 8,
        "{} devices used named endpoints",
        used.len()
    );
    for (dev, names) in &used {
        let d = by_ip[dev.as_str()];
        for n in names {
            assert!(
                d["endpoints"].get(n).is_some(),
                "{dev}'s baseline lacks {n}"
            );
        }
        assert!(
            d["names"].as_object().is_some_and(|m| !m.is_empty()),
            "{dev} has no name"
        );
        assert!(d["mac"].is_string(), "{dev} has no MAC");
    }
    assert_eq!(by_ip["10.20.1.17"]["os"], "macOS");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_file(&pcap);
}

fn comparable(state: &str) -> Value {
    let d = json_of(&["devices", "--state", state, "--json"]);
    let e = json_of(&["endpoints", "--state", state, "--json"]);
    let devices: Vec<Value> = d["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            serde_json::json!({
                "ip": d["ip"], "mac": d["mac"], "names": d["names"],
                "connections": d["connections"], "failed": d["failed"],
                "endpoints": d["endpoints"], "ports": d["ports"], "user_agents": d["user_agents"],
            })
        })
        .collect();
    serde_json::json!({"devices": devices, "endpoints": e["endpoints"]})
}

#[test]
fn a_killed_replay_resumes_from_its_last_snapshot() {
    let pcap = tmp("resume.pcap");
    simulate("office", "4", &pcap);
    // Snapshots every second of wall time.
    let profile = tmp("resume.toml");
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    std::fs::write(
        &profile,
        base.replace("snapshot_interval = 300", "snapshot_interval = 1"),
    )
    .unwrap();
    let prof = profile.to_str().unwrap();

    // The reference: one uninterrupted run.
    let clean = tmp("clean");
    let run = replay(
        &pcap,
        &["--profile", prof, "--state", clean.to_str().unwrap()],
    );
    assert!(run.output.status.success(), "{}", run.stderr());

    // A run killed once its first snapshot is on disk.
    let state = tmp("killed");
    let file = state.join("learned.state");
    let mut child = vigil()
        .arg("replay")
        .arg(&pcap)
        .args(["--profile", prof, "--state", state.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut killed_mid_run = false;
    while start.elapsed() < Duration::from_secs(120) {
        if file.exists() {
            // SIGKILL: no chance to flush or save.
            killed_mid_run = child.try_wait().unwrap().is_none();
            child.kill().unwrap();
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    assert!(file.exists(), "no snapshot was written");
    if !killed_mid_run {
        eprintln!("note: the replay ended before it could be killed; resume checked anyway");
    }
    // The file on disk is whole: it loads.
    let snap = json_of(&["devices", "--state", state.to_str().unwrap(), "--json"]);
    assert!(!snap["devices"].as_array().unwrap().is_empty());
    let names: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(
                |n| ["learned.state", "response.state", "control.sock"].contains(&n.as_str())
                    || n.contains(".tmp-")
            ),
        "{names:?}"
    );

    // Restarted, it resumes: what the snapshot learned is not learned twice.
    let again = replay(
        &pcap,
        &["--profile", prof, "--state", state.to_str().unwrap()],
    );
    assert!(again.output.status.success(), "{}", again.stderr());
    if killed_mid_run {
        assert!(
            again.stderr().contains("already learned"),
            "{}",
            again.stderr()
        );
    }
    assert_eq!(
        comparable(state.to_str().unwrap()),
        comparable(clean.to_str().unwrap()),
        "the resumed state differs from an uninterrupted run"
    );
    for d in [clean, state] {
        let _ = std::fs::remove_dir_all(d);
    }
    let _ = std::fs::remove_file(profile);
    let _ = std::fs::remove_file(pcap);
}

#[test]
fn a_corrupt_state_is_refused_and_kept_aside() {
    let state = tmp("corrupt");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("learned.state"),
        "VIGIL-STATE\n{\"version\":1,\"bytes\":5,\"sha256\":\"00\"}\nhello",
    )
    .unwrap();
    let run = replay(&bundled(), &["--state", state.to_str().unwrap()]);
    assert_eq!(run.output.status.code(), Some(2), "{}", run.stderr());
    let err = run.stderr();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("checksum mismatch") && err.contains("moved aside"),
        "{err}"
    );
    let aside = std::fs::read_dir(&state)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("rejected")
        })
        .count();
    assert_eq!(aside, 1);
    // `vigil devices` on a directory without state says so, exit 2.
    let o = vigil()
        .args(["devices", "--state", state.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&state);
}
