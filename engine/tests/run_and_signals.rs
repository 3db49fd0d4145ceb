//! `vigil run` with a software profile: a finite capture ends the run by itself; an
//! endless replay from memory stops cleanly on SIGINT/SIGTERM with a final summary.

mod common;
use common::*;
use std::time::Duration;

fn profile(name: &str, extra: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    let text = base.replace(
        "# pcap = \"../tests/data/office.pcap\"\ninfinite = false",
        &format!("pcap = \"{}\"\n{extra}", bundled().display()),
    );
    assert!(text.contains("pcap = \""), "software.toml changed shape");
    let p = std::env::temp_dir().join(format!("vigil-run-{}-{name}.toml", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_ends_at_the_end_of_a_finite_capture() {
    let eve = std::env::temp_dir().join(format!("vigil-run-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&eve);
    let out = vigil()
        .arg("run")
        .arg("--profile")
        .arg(profile("finite", "infinite = false"))
        .arg("--eve")
        .arg(&eve)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&eve).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["stats"]["decoder"]["pkts"], capinfos(&bundled()).0);
}

fn stops_on(signal: &str) {
    let eve = std::env::temp_dir().join(format!("vigil-sig-{}-{signal}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&eve);
    let child = vigil()
        .arg("run")
        .arg("--profile")
        .arg(profile(&format!("inf{signal}"), "infinite = true"))
        .arg("--eve")
        .arg(&eve)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&eve).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["vigil"]["final"], true);
    // Replayed from memory many times over, with nothing dropped by the engine.
    assert!(last["stats"]["decoder"]["pkts"].as_u64().unwrap() > 10 * capinfos(&bundled()).0);
    assert_eq!(last["vigil"]["hot_path_allocations"], 0);
}

#[test]
fn endless_replay_stops_on_sigint() {
    stops_on("INT");
}

#[test]
fn endless_replay_stops_on_sigterm() {
    stops_on("TERM");
}
