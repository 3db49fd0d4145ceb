//! End to end through the real binary: learn an office from `vigil simulate office`, then
//! replay the attacks on top of what was learned (`--state` shared between runs). Every
//! model fires on the right device, benign devices raise nothing; on real captures the
//! beaconing model finds the real `curl` beacons and stays quiet on real browsing.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-scn-{}-{name}", std::process::id()));
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

fn alerts(run: &Run) -> Vec<&Value> {
    run.records
        .iter()
        .filter(|r| r["event_type"] == "alert")
        .collect()
}

/// (model, device) pairs of a run's alerts.
fn fired(run: &Run) -> BTreeSet<(String, String)> {
    alerts(run)
        .iter()
        .map(|a| {
            (
                a["vigil"]["model"].as_str().unwrap().to_string(),
                a["vigil"]["device"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn office_then_attacks_fire_every_model_on_the_right_device() {
    let state = tmp("state");
    let office = tmp("office.pcap");
    simulate("office", &office);
    let st = state.to_str().unwrap();
    let learn = replay(&office, &["--state", st]);
    assert!(learn.output.status.success(), "{}", learn.stderr());
    assert!(
        alerts(&learn).is_empty(),
        "benign office traffic raised {:?}",
        fired(&learn)
    );

    let clickfix = tmp("clickfix.pcap");
    simulate("clickfix-macos", &clickfix);
    let run = replay(&clickfix, &["--state", st]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let got = fired(&run);
    let (mac, win) = ("10.20.1.17", "10.20.1.23");
    let want = [
        ("compromise/possible-doppelganger-attack", mac),
        (
            "unusual-activity/unusual-external-data-to-new-endpoint",
            mac,
        ),
        (
            "anomalous-connection/posting-http-to-ip-without-hostname",
            mac,
        ),
        (
            "anomalous-connection/new-user-agent-to-ip-without-hostname",
            mac,
        ),
        ("anomalous-connection/rare-external-ssl-self-signed", mac),
        (
            "anomalous-connection/multiple-http-posts-to-rare-hostname",
            mac,
        ),
        (
            "anomalous-connection/application-protocol-on-uncommon-port",
            mac,
        ),
        ("compromise/beaconing-activity-to-external-rare", mac),
        (
            "compromise/large-number-of-suspicious-failed-connections",
            win,
        ),
        ("anomalous-connection/powershell-to-rare-external", win),
        ("device/new-powershell-user-agent", win),
        ("device/anomalous-github-download", win),
    ];
    for (model, device) in want {
        assert!(
            got.contains(&(model.to_string(), device.to_string())),
            "{model} did not fire on {device}; fired: {got:#?}"
        );
    }
    for (model, device) in &got {
        assert!(
            device == mac || device == win,
            "benign device {device} raised {model}"
        );
    }
    // Each reason says why with the numbers.
    for a in alerts(&run) {
        let reason = a["vigil"]["reason"].as_str().unwrap();
        assert!(
            reason.chars().any(|c| c.is_ascii_digit()) && reason.len() > 40,
            "{reason}"
        );
        assert!(a["vigil"]["mitre"].is_array());
    }
    // The look-alike is named, the exfiltration measured, the beacon's period found.
    let find = |model: &str| {
        alerts(&run)
            .into_iter()
            .find(|a| a["vigil"]["model"] == model)
            .unwrap()
    };
    assert_eq!(
        find("compromise/possible-doppelganger-attack")["vigil"]["endpoint"],
        "zoom.uswebob.us"
    );
    let exfil = find("unusual-activity/unusual-external-data-to-new-endpoint");
    assert!(exfil["vigil"]["details"]["bytes_out"].as_u64().unwrap() > 25 << 20);
    let beacon = alerts(&run)
        .into_iter()
        .find(|a| {
            a["vigil"]["model"] == "compromise/beaconing-activity-to-external-rare"
                && a["vigil"]["device"] == mac
        })
        .unwrap();
    let period = beacon["vigil"]["details"]["period_s"].as_f64().unwrap();
    assert!((55.0..=65.0).contains(&period), "period {period}");

    let dga = tmp("dga.pcap");
    simulate("dga-bot", &dga);
    let run = replay(&dga, &["--state", st]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let got = fired(&run);
    for model in [
        "compromise/dga-dns-activity",
        "compromise/fast-beaconing-to-dga",
    ] {
        assert!(
            got.iter().any(|(m, _)| m == model),
            "{model} did not fire; fired: {got:#?}"
        );
    }
    let bots: BTreeSet<&String> = got.iter().map(|(_, d)| d).collect();
    assert_eq!(bots.len(), 1, "alerts on several devices: {got:#?}");

    let _ = std::fs::remove_dir_all(&state);
    for f in [office, clickfix, dga] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn indicators_match_when_given() {
    let ioc = tmp("iocs.txt");
    std::fs::write(
        &ioc,
        std::fs::read_to_string(root().join("configs/iocs/clickfix-example.txt")).unwrap(),
    )
    .unwrap();
    let profile = tmp("ioc.toml");
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    std::fs::write(
        &profile,
        format!(
            "{base}\n[models]\nioc_files = [{:?}]\n",
            ioc.to_str().unwrap()
        ),
    )
    .unwrap();
    let clickfix = tmp("clickfix-ioc.pcap");
    simulate("clickfix-macos", &clickfix);
    // No learned state at all: indicators need no baseline.
    let run = replay(&clickfix, &["--profile", profile.to_str().unwrap()]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let matched: BTreeSet<String> = alerts(&run)
        .iter()
        .filter(|a| a["vigil"]["model"] == "threat-intel/ioc-match")
        .map(|a| a["vigil"]["endpoint"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "83.136.208.246",
        "104.145.210.107",
        "check02id.com",
        "uswebob.us",
    ] {
        assert!(matched.contains(want), "{want} not matched: {matched:?}");
    }
    for f in [ioc, profile, clickfix] {
        let _ = std::fs::remove_file(f);
    }
}

/// A profile for a capture replayed on its own: its network's addresses are internal and
/// nothing waits for a learning period.
fn standalone_profile(name: &str, internal: &[&str]) -> PathBuf {
    let p = tmp(name);
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    let nets: Vec<String> = internal.iter().map(|n| format!("{n:?}")).collect();
    let mut text = base.replace("learning_hours = 72", "learning_hours = 0");
    if !nets.is_empty() {
        text = text.replace(
            "internal = [",
            &format!("internal = [{}, ", nets.join(", ")),
        );
    }
    assert!(text.contains("learning_hours = 0"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn real_curl_beacons_are_found_with_their_period() {
    let Some(dir) = shared_pcaps() else { return };
    let profile = standalone_profile("ctu.toml", &["147.32.0.0/16"]);
    for (file, lo, hi) in [
        ("slips_test-cc-capture-1_periodic2s.pcap", 1.8, 2.3),
        // curl every 2–3 s: each connection takes its own time, so ~3 s apart.
        ("slips_test-cc-capture-2_jitter2-3s.pcap", 2.0, 3.6),
    ] {
        let run = replay(
            &dir.join("malware").join(file),
            &["--profile", profile.to_str().unwrap()],
        );
        assert!(run.output.status.success(), "{}", run.stderr());
        let b: Vec<&Value> = alerts(&run)
            .into_iter()
            .filter(|a| a["vigil"]["model"] == "compromise/beaconing-activity-to-external-rare")
            .collect();
        assert!(!b.is_empty(), "{file}: no beacon found");
        let p = b[0]["vigil"]["details"]["period_s"].as_f64().unwrap();
        assert!((lo..=hi).contains(&p), "{file}: period {p}");
        assert_eq!(b[0]["vigil"]["endpoint"], "testing.com");
        eprintln!("{file}: {}", b[0]["vigil"]["reason"]);
    }
    let _ = std::fs::remove_file(profile);
}

#[test]
fn real_browsing_raises_no_beacon() {
    let Some(dir) = shared_pcaps() else { return };
    let profile = standalone_profile("mixed.toml", &[]);
    for f in captures(&dir.join("mixed")) {
        let run = replay(&f, &["--profile", profile.to_str().unwrap()]);
        assert!(
            run.output.status.success(),
            "{}: {}",
            f.display(),
            run.stderr()
        );
        let beacons: Vec<&str> = alerts(&run)
            .iter()
            .filter(|a| {
                a["vigil"]["model"]
                    .as_str()
                    .is_some_and(|m| m.contains("beaconing"))
            })
            .map(|a| a["vigil"]["reason"].as_str().unwrap())
            .collect();
        assert!(beacons.is_empty(), "{}: {beacons:?}", f.display());
    }
    let _ = std::fs::remove_file(profile);
}
