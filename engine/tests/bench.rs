//! `vigil bench` through the real binary on real DPDK (`net_pcap`, endless replay from
//! memory): the JSON it prints is complete and consistent, the bare receive loop runs
//! beside it, nothing is allocated or dropped on one worker, a software-dispatch run
//! with two workers stops when its time is up (the dispatcher never sees an idle port on
//! an endless replay), and bad arguments exit 2 with one line.

mod common;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

fn bench(args: &[&str]) -> Value {
    let out = vigil()
        .arg("bench")
        .arg("--pcap")
        .arg(bundled())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn bench_measures_the_engine_beside_the_bare_receive_loop() {
    let x = bench(&["--seconds", "1", "--baseline"]);
    let packets = x["packets"].as_u64().unwrap();
    // Replayed from memory, the bundled capture goes round many times in a second.
    assert!(packets > 10 * capinfos(&bundled()).0, "{x}");
    assert!(f(&x["mpps"]) > 0.0 && f(&x["gbps"]) > 0.0);
    assert!(f(&x["cycles_per_packet"]) > 0.0);
    assert_eq!(x["hot_path_allocations"], 0, "{x}");
    assert_eq!(x["drops"], 0, "{x}");
    // One worker: every pass of the replay is new traffic, not the same flows continued.
    assert_eq!(x["each_pass"], "new flows", "{x}");
    for k in [
        "imissed",
        "rx_nombuf",
        "dispatch_dropped",
        "summary_queue_full",
        "records_dropped",
    ] {
        assert!(x["drops_detail"][k].is_u64(), "{k} missing: {x}");
    }
    let b = &x["baseline"];
    assert!(
        b["packets"].as_u64().unwrap() > 0 && f(&b["mpps"]) > 0.0,
        "{x}"
    );
    let ratio = f(&x["mpps"]) / f(&b["mpps"]);
    assert!((f(&x["ratio"]) - ratio).abs() < 0.01, "{x}");
    let w = x["workers"].as_array().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["packets"].as_u64().unwrap(), packets);
    let lat = &x["latency_ns"];
    assert!(f(&lat["p50"]) > 0.0);
    assert!(f(&lat["p50"]) <= f(&lat["p99"]) && f(&lat["p99"]) <= f(&lat["p999"]));
}

#[test]
fn bench_with_software_dispatch_stops_when_its_time_is_up() {
    // A simulated office: many devices, so the software RSS hash has flows to spread
    // (the bundled capture is all 127.0.0.1, one hash).
    let pcap = std::env::temp_dir().join(format!("vigil-bench-{}.pcap", std::process::id()));
    let sim = vigil()
        .args(["simulate", "office", "--days", "1", "--out"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let mut child = vigil()
        .arg("bench")
        .arg("--pcap")
        .arg(&pcap)
        .args(["--seconds", "1", "--workers", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("vigil bench --workers 2 --seconds 1 still running after 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&pcap);
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let x: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let w = x["workers"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(x["each_pass"], "same flows continued", "{x}");
    // Both workers got packets, and what they handled is what the engine counts.
    let sum: u64 = w.iter().map(|w| w["packets"].as_u64().unwrap()).sum();
    assert!(w.iter().all(|w| w["packets"].as_u64().unwrap() > 0), "{x}");
    assert_eq!(sum, x["packets"].as_u64().unwrap(), "{x}");
}

#[test]
fn bench_refuses_bad_arguments_with_one_line() {
    let cases: [&[&str]; 3] = [
        &["--pcap", "/nonexistent.pcap"],
        &["--pcap", "README.md"],
        &["--seconds", "0"],
    ];
    for args in cases {
        let mut cmd = vigil();
        cmd.current_dir(root()).arg("bench");
        if !args.contains(&"--pcap") {
            cmd.arg("--pcap").arg(bundled());
        }
        let out = cmd.args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("vigil: "), "{args:?}: {err}");
    }
}
