//! Passive-mode response against real kernels: a client and a server in their own
//! network namespaces talk TCP across a hub (a bridge that floods, as a mirror port
//! would show every frame); Vigil reads the hub live through DPDK's `net_af_packet`,
//! matches an indicator, decides to block the connection, and the TCP resets it sends
//! back into the hub tear the connection down at both ends.
//!
//! Needs root and `ip netns` (CI runs as root); skipped with a note otherwise.

mod netns;
use netns::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = r#"
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("203.0.113.2", 8080)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
try:
    while True:
        if not c.recv(4096):
            print("server: eof"); break
except ConnectionResetError:
    print("server: reset")
except socket.timeout:
    print("server: alive")
"#;

const CLIENT: &str = r#"
import socket, time
c = socket.create_connection(("203.0.113.2", 8080), timeout=10)
c.sendall(b"GET /update HTTP/1.1\r\nHost: 203.0.113.2:8080\r\nUser-Agent: curl/8.7.1\r\n\r\n")
c.recv(4096)
c.settimeout(0.2)
end = time.time() + 20
try:
    while time.time() < end:
        c.sendall(b"x")
        try:
            if c.recv(4096) == b"":
                print("client: eof"); break
        except socket.timeout:
            pass
    else:
        print("client: alive")
except (ConnectionResetError, BrokenPipeError):
    print("client: reset")
"#;

#[test]
fn injected_resets_tear_down_a_real_tcp_connection() {
    if !available() {
        eprintln!("SKIPPED: needs root, ip netns and python3");
        return;
    }
    let tag = format!("vg{}", std::process::id() % 100_000);
    let (c, s, v) = (format!("{tag}c"), format!("{tag}s"), format!("{tag}v"));
    let _guard = Netns::new(&[&c, &s, &v]);
    // Three veth pairs: client, server and Vigil's port, all on a hub in V.
    veth(&format!("{tag}c0"), &c, &format!("{tag}c1"), &v);
    veth(&format!("{tag}s0"), &s, &format!("{tag}s1"), &v);
    veth(&format!("{tag}m0"), &v, &format!("{tag}m1"), &v);
    ex(
        &v,
        &[
            "ip",
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "ageing_time",
            "0",
        ],
    );
    for port in [format!("{tag}c1"), format!("{tag}s1"), format!("{tag}m0")] {
        ex(&v, &["ip", "link", "set", &port, "master", "br0"]);
        ex(&v, &["ip", "link", "set", &port, "up"]);
    }
    ex(&v, &["ip", "link", "set", "br0", "up"]);
    ex(&v, &["ip", "link", "set", &format!("{tag}m1"), "up"]);
    host(&c, &format!("{tag}c0"), "198.51.100.1", "203.0.113.2");
    host(&s, &format!("{tag}s0"), "203.0.113.2", "198.51.100.1");

    // Vigil: live on m1, the client's network internal, an indicator for the server,
    // autonomous blocking with resets.
    let dir: PathBuf = std::env::temp_dir().join(format!("vigil-netns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let profile = live_profile(
        &dir,
        &format!("vdev = \"net_af_packet0,iface={tag}m1\"\ninject = true"),
    );
    let eve = dir.join("eve.jsonl");
    let bin = env!("CARGO_BIN_EXE_vigil");
    let mut engine = Command::new("ip")
        .args(["netns", "exec", &v, bin, "run", "--profile"])
        .arg(&profile)
        .arg("--eve")
        .arg(&eve)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        engine.try_wait().unwrap().is_none(),
        "the engine stopped early"
    );

    let server = Command::new("ip")
        .args(["netns", "exec", &s, "python3", "-c", SERVER])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    let client = Command::new("ip")
        .args(["netns", "exec", &c, "python3", "-c", CLIENT])
        .output()
        .unwrap();
    let took = t0.elapsed();
    let server = server.wait_with_output().unwrap();
    let _ = Command::new("kill")
        .args(["-INT", &engine.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = engine.kill();
    let out = engine.wait_with_output().unwrap();
    let client_said = String::from_utf8_lossy(&client.stdout).to_string();
    let server_said = String::from_utf8_lossy(&server.stdout).to_string();
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&eve)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let summary = format!(
        "client: {client_said:?} {}; server: {server_said:?}; vigil: {}; records: {:?}",
        String::from_utf8_lossy(&client.stderr),
        String::from_utf8_lossy(&out.stderr),
        records
            .iter()
            .filter(|r| r["event_type"] != "stats")
            .map(|r| r["event_type"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    );
    assert!(client_said.contains("client: reset"), "{summary}");
    assert!(server_said.contains("server: reset"), "{summary}");
    assert!(records
        .iter()
        .any(|r| r["event_type"] == "alert" && r["vigil"]["model"] == "threat-intel/ioc-match"));
    assert!(records.iter().any(|r| r["event_type"] == "response"
        && r["response"]["state"] == "active"
        && r["response"]["action"] == "block-connection"));
    let stats = records
        .iter()
        .rev()
        .find(|r| r["event_type"] == "stats")
        .expect("final stats");
    assert!(
        stats["vigil"]["counters"]["response.resets_sent"]
            .as_u64()
            .unwrap_or(0)
            >= 2,
        "{summary}"
    );
    eprintln!("the connection was reset {took:?} after it opened");
    let _ = std::fs::remove_dir_all(&dir);
}
