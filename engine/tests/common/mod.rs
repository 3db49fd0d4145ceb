//! Helpers for the integration tests: run the real `vigil` binary (each run is its own
//! process with its own EAL), find the shared captures, ask capinfos about them.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `vigil` binary cargo built for these tests.
pub fn vigil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// The bundled capture (real loopback traffic, see tests/data/make-capture.sh).
pub fn bundled() -> PathBuf {
    root().join("tests/data/loopback-office.pcap")
}

/// `../shared/pcaps` (or `$VIGIL_PCAPS`), when present.
pub fn shared_pcaps() -> Option<PathBuf> {
    let dir = std::env::var_os("VIGIL_PCAPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/pcaps"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} not found (set VIGIL_PCAPS)", dir.display());
        None
    }
}

/// Every pcap or pcapng file under `dir`, found by magic number, sorted.
pub fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.len() >= 4 {
                    let m = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    if matches!(
                        m,
                        0xa1b2c3d4 | 0xd4c3b2a1 | 0xa1b23c4d | 0x4d3cb2a1 | 0x0a0d0d0a
                    ) {
                        out.push(p);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// capinfos' packet count, data size and last packet time (epoch seconds, as printed).
pub fn capinfos(file: &Path) -> (u64, u64, String) {
    let out = Command::new("capinfos")
        .args(["-T", "-M", "-r", "-c", "-d", "-e", "-S"])
        .arg(file)
        .output()
        .expect("capinfos is installed (apt-get install tshark)");
    assert!(
        out.status.success(),
        "capinfos failed on {}",
        file.display()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.trim_end().split('\t').collect();
    (
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].to_string(),
    )
}

/// A finished replay: its exit, stderr and EVE records.
pub struct Run {
    pub output: Output,
    pub records: Vec<Value>,
}

impl Run {
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The final stats record.
    pub fn final_stats(&self) -> &Value {
        self.records
            .iter()
            .rev()
            .find(|r| r["event_type"] == "stats" && r["vigil"]["final"] == true)
            .unwrap_or_else(|| panic!("no final stats record; stderr: {}", self.stderr()))
    }
}

/// Runs `vigil replay CAPTURE --eve FILE` with extra arguments.
pub fn replay(capture: &Path, extra: &[&str]) -> Run {
    let eve = std::env::temp_dir().join(format!(
        "vigil-test-{}-{}.jsonl",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&eve);
    let output = vigil()
        .arg("replay")
        .arg(capture)
        .arg("--eve")
        .arg(&eve)
        .args(extra)
        .output()
        .unwrap();
    let records = std::fs::read_to_string(&eve)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every EVE line is JSON"))
        .collect();
    let _ = std::fs::remove_file(&eve);
    Run { output, records }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs `f` over `items` on `threads` threads (several vigil processes at once).
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, r)| r).collect()
}
