//! Helpers for tests between network namespaces the test makes itself (root only):
//! running commands, and removing the namespaces however the test ends.

use std::process::{Command, Stdio};

/// Runs a command quietly; whether it succeeded.
pub fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command that must succeed.
pub fn must(args: &[&str]) {
    let o = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs a command inside namespace `ns`.
pub fn ex(ns: &str, args: &[&str]) {
    let mut a = vec!["ip", "netns", "exec", ns];
    a.extend_from_slice(args);
    must(&a);
}

/// Whether this test can make namespaces (root, iproute2, python3).
pub fn available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    root && sh(&["ip", "netns", "list"]) && sh(&["python3", "-c", "pass"])
}

/// Namespaces removed (with their links) when dropped.
pub struct Netns(pub Vec<String>);

impl Netns {
    /// Makes the namespaces.
    pub fn new(names: &[&str]) -> Netns {
        let n = Netns(names.iter().map(|s| s.to_string()).collect());
        for name in names {
            must(&["ip", "netns", "add", name]);
        }
        n
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for n in &self.0 {
            sh(&["ip", "netns", "del", n]);
        }
    }
}

/// A veth pair `a` (moved into `ns_a`) and `b` (moved into `ns_b`).
pub fn veth(a: &str, ns_a: &str, b: &str, ns_b: &str) {
    must(&["ip", "link", "add", a, "type", "veth", "peer", "name", b]);
    must(&["ip", "link", "set", a, "netns", ns_a]);
    must(&["ip", "link", "set", b, "netns", ns_b]);
}

/// Gives `dev` in `ns` the address `me`, up, with a host route to `peer` through it.
pub fn host(ns: &str, dev: &str, me: &str, peer: &str) {
    ex(ns, &["ip", "link", "set", "lo", "up"]);
    ex(ns, &["ip", "addr", "add", &format!("{me}/32"), "dev", dev]);
    ex(ns, &["ip", "link", "set", dev, "up"]);
    ex(
        ns,
        &["ip", "route", "add", &format!("{peer}/32"), "dev", dev],
    );
}

/// The software profile for a live run on `capture` (extra `[capture]` lines) with the
/// client network 198.51.100.0/24 internal, an indicator for the server 203.0.113.2 and
/// autonomous blocking of its connections.
pub fn live_profile(dir: &std::path::Path, capture: &str) -> std::path::PathBuf {
    let ioc = dir.join("ioc.txt");
    std::fs::write(&ioc, "203.0.113.2 # test C2\n").unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let base = std::fs::read_to_string(root.join("configs/software.toml")).unwrap();
    let text = base
        .replace("# pcap = \"../tests/data/office.pcap\"", capture)
        .replace(
            "internal = [\"10.0.0.0/8\"",
            "internal = [\"198.51.100.0/24\", \"10.0.0.0/8\"",
        );
    let profile = dir.join("live.toml");
    std::fs::write(
        &profile,
        format!(
            "{text}\n[models]\nioc_files = [{:?}]\n\n[response]\nmode = \"autonomous\"\n\n[[response.trigger]]\nmodel = \"threat-intel/ioc-match\"\naction = \"block-connection\"\nduration = 600\n",
            ioc.to_str().unwrap()
        ),
    )
    .unwrap();
    profile
}
