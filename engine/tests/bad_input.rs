//! Bad input never panics: a bad profile, a missing, unreadable or non-pcap capture, bad
//! arguments exit with code 2 and one line that says what is wrong and where.

mod common;
use common::*;
use std::process::Output;

fn one_line_exit_2(out: &Output, must_contain: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "want one line, got: {err}");
    assert!(
        lines[0].contains(must_contain),
        "{:?} lacks {must_contain:?}",
        lines[0]
    );
}

fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-bad-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn missing_capture() {
    let out = vigil()
        .args(["replay", "/nonexistent/dir/x.pcap"])
        .output()
        .unwrap();
    one_line_exit_2(&out, "/nonexistent/dir/x.pcap: capture file not found");
}

#[test]
fn non_pcap_capture() {
    let p = tmp("notes.pcap", b"these are meeting notes, not packets\n");
    let out = vigil().arg("replay").arg(&p).output().unwrap();
    one_line_exit_2(&out, "not a pcap or pcapng capture");
    let p = tmp("empty.pcap", b"");
    let out = vigil().arg("replay").arg(&p).output().unwrap();
    one_line_exit_2(&out, "not a pcap or pcapng capture");
    let out = vigil().args(["replay", "/tmp"]).output().unwrap();
    one_line_exit_2(&out, "is a directory");
}

#[test]
fn unreadable_capture() {
    // root reads any file, so make the file unreadable the way root also cannot read it:
    // a name in a directory it may not search only binds a normal user; use a dangling
    // path inside a file instead when running as root.
    let p = tmp("locked.pcap", &std::fs::read(bundled()).unwrap());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not bind; a path through a file cannot be read.
        let through = p.join("x.pcap");
        let out = vigil().arg("replay").arg(&through).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    } else {
        let out = vigil().arg("replay").arg(&p).output().unwrap();
        one_line_exit_2(&out, "not readable");
    }
}

#[test]
fn bad_profiles() {
    let p = tmp(
        "typo.toml",
        b"mode = \"software\"\n[cpu]\nworkers = 1\nwrokers = 2\n",
    );
    let out = vigil().arg("check-config").arg(&p).output().unwrap();
    one_line_exit_2(&out, &format!("{}:4: unknown field `wrokers`", p.display()));
    // The same profile given to replay is refused before DPDK starts.
    let out = vigil()
        .arg("replay")
        .arg(bundled())
        .arg("--profile")
        .arg(&p)
        .output()
        .unwrap();
    one_line_exit_2(&out, ":4:");
    let p = tmp(
        "mempool.toml",
        b"mode = \"software\"\n\n[mempool]\nmbufs = 100\n",
    );
    let out = vigil().arg("check-config").arg(&p).output().unwrap();
    one_line_exit_2(&out, ":4: mempool of 100 mbufs is smaller than queues");
    let p = tmp("cores.toml", b"mode = \"hardware\"\n[capture]\nports = [\"0000:03:00.0\"]\n[cpu]\npin = true\nworkers = 3\nworker_cores = [1]\n");
    let out = vigil().arg("check-config").arg(&p).output().unwrap();
    one_line_exit_2(&out, ":6: 3 workers but only 1 worker cores");
    let p = tmp(
        "nocap.toml",
        b"mode = \"software\"\n[capture]\npcap = \"missing.pcap\"\n",
    );
    let out = vigil().arg("check-config").arg(&p).output().unwrap();
    one_line_exit_2(&out, ":3: capture");
    let out = vigil()
        .args(["check-config", "/nonexistent.toml"])
        .output()
        .unwrap();
    one_line_exit_2(&out, "/nonexistent.toml:1: profile not found");
}

#[test]
fn shipped_profiles_check_out() {
    for name in [
        "software.toml",
        "10g.toml",
        "40g.toml",
        "inline-bridge.toml",
    ] {
        let out = vigil()
            .arg("check-config")
            .arg(root().join("configs").join(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("));
    }
}

#[test]
fn bad_arguments() {
    let out = vigil()
        .arg("replay")
        .arg(bundled())
        .args(["--workers", "0"])
        .output()
        .unwrap();
    one_line_exit_2(&out, "--workers must be between 1 and 64");
    let out = vigil().args(["replay"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = vigil()
        .arg("replay")
        .arg(bundled())
        .args(["--eve", "/nonexistent/dir/eve.json"])
        .output()
        .unwrap();
    one_line_exit_2(&out, "cannot open EVE output");
}

#[test]
fn hardware_profile_without_hugepages_stops_clearly() {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let free = meminfo
        .lines()
        .find(|l| l.starts_with("HugePages_Free:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("0");
    if free != "0" {
        eprintln!("SKIPPED: this machine has free hugepages");
        return;
    }
    let out = vigil()
        .arg("run")
        .arg("--profile")
        .arg(root().join("configs/10g.toml"))
        .output()
        .unwrap();
    one_line_exit_2(&out, "no free hugepages");
}
