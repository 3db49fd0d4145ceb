//! Inline mode against real kernels: Vigil is the bump in the wire between a client and a
//! server in their own network namespaces, bridging two live ports (`net_af_packet`
//! on each veth, `capture.vdev` and `capture.peer_vdev`). Everything crosses it; once an
//! indicator has it block the connection, that connection's packets stop while another
//! connection to the same server still goes through.
//!
//! Needs root and `ip netns` (CI runs as root); skipped with a note otherwise.

mod netns;
use netns::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Echo servers on 8080 (the one the indicator gets blocked) and 8081; a request gets an
/// HTTP answer first.
const SERVER: &str = r#"
import socket, threading, sys
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("203.0.113.2", port)); s.listen(4)
    while True:
        c, _ = s.accept()
        def echo(c):
            try:
                first = True
                while True:
                    d = c.recv(4096)
                    if not d: break
                    if first and d.startswith(b"GET "):
                        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    else:
                        c.sendall(d)
                    first = False
            except OSError:
                pass
        threading.Thread(target=echo, args=(c,), daemon=True).start()
for p in (8080, 8081):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"#;

/// Opens 8080, sends an HTTP request (the indicator: its Host is the server), then pings
/// every 100 ms for 6 s; counts the echoes before and after the first silence of 1 s.
/// Then opens 8081 and checks an echo comes back.
const CLIENT: &str = r#"
import socket, time
c = socket.create_connection(("203.0.113.2", 8080), timeout=5)
c.sendall(b"GET / HTTP/1.1\r\nHost: 203.0.113.2:8080\r\n\r\n")
first = c.recv(4096)
c.settimeout(0.1)
echoes, sent, last = 0, 0, time.time()
end = time.time() + 6
while time.time() < end:
    try:
        c.sendall(b"p"); sent += 1
    except OSError:
        break
    try:
        d = c.recv(4096)
        if d:
            echoes += len(d); last = time.time()
    except socket.timeout:
        pass
    except OSError:
        break
silent = time.time() - last
d = socket.create_connection(("203.0.113.2", 8081), timeout=5)
d.sendall(b"hello"); d.settimeout(3)
other = d.recv(4096)
print(f"first={len(first)} sent={sent} echoes={echoes} silent={silent:.1f} other={other!r}")
"#;

#[test]
fn an_inline_bridge_drops_a_blocked_connection_and_passes_the_rest() {
    if !available() || !sh(&["ethtool", "--version"]) {
        eprintln!("SKIPPED: needs root, ip netns, ethtool and python3");
        return;
    }
    let tag = format!("vi{}", std::process::id() % 100_000);
    let (c, s, v) = (format!("{tag}c"), format!("{tag}s"), format!("{tag}v"));
    let _guard = Netns::new(&[&c, &s, &v]);
    // client c0 —— c1 [Vigil bridges c1 and s1] s1 —— s0 server
    veth(&format!("{tag}c0"), &c, &format!("{tag}c1"), &v);
    veth(&format!("{tag}s0"), &s, &format!("{tag}s1"), &v);
    for dev in [format!("{tag}c1"), format!("{tag}s1")] {
        ex(&v, &["ip", "link", "set", &dev, "up"]);
    }
    host(&c, &format!("{tag}c0"), "198.51.100.1", "203.0.113.2");
    host(&s, &format!("{tag}s0"), "203.0.113.2", "198.51.100.1");
    // veth leaves checksums to "hardware" (CHECKSUM_PARTIAL): frames read from a packet
    // socket and sent on by another would reach the peer with their checksums unfilled.
    // A real NIC on a wire carries complete checksums; so must these.
    ex(&c, &["ethtool", "-K", &format!("{tag}c0"), "tx", "off"]);
    ex(&s, &["ethtool", "-K", &format!("{tag}s0"), "tx", "off"]);

    let dir = std::env::temp_dir().join(format!("vigil-inline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let profile = live_profile(
        &dir,
        &format!(
            "vdev = \"net_af_packet0,iface={tag}c1\"\npeer_vdev = \"net_af_packet1,iface={tag}s1\""
        ),
    );
    let eve = dir.join("eve.jsonl");
    let mut engine = Command::new("ip")
        .args([
            "netns",
            "exec",
            &v,
            env!("CARGO_BIN_EXE_vigil"),
            "run",
            "--profile",
        ])
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

    let mut server = Command::new("ip")
        .args(["netns", "exec", &s, "python3", "-c", SERVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let client = Command::new("ip")
        .args(["netns", "exec", &c, "python3", "-c", CLIENT])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let _ = Command::new("kill")
        .args(["-INT", &engine.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = engine.kill();
    let out = engine.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&client.stdout).to_string();
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&eve)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let why = format!(
        "client: {said:?} {}; vigil: {}",
        String::from_utf8_lossy(&client.stderr),
        String::from_utf8_lossy(&out.stderr)
    );
    let num = |k: &str| -> f64 {
        said.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    // The bridge carried the handshake and the request's answer...
    assert!(num("first") > 0.0, "{why}");
    // ...then the block cut the connection: its pings went unanswered for seconds...
    assert!(num("silent") >= 3.0, "{why}");
    assert!(num("echoes") < num("sent"), "{why}");
    // ...while a connection to another port of the same server still went through.
    assert!(said.contains("other=b'hello'"), "{why}");
    assert!(records.iter().any(|r| r["event_type"] == "response"
        && r["response"]["state"] == "active"
        && r["response"]["dest_port"] == 8080));
    let stats = records
        .iter()
        .rev()
        .find(|r| r["event_type"] == "stats")
        .expect("final stats");
    let c = &stats["vigil"]["counters"];
    assert!(c["response.forwarded"].as_u64().unwrap_or(0) > 10, "{c}");
    assert!(
        c["response.blocked_packets"].as_u64().unwrap_or(0) > 0,
        "{c}"
    );
    // Live packet time comes from the clock, not 1970.
    let flow = records
        .iter()
        .find(|r| r["event_type"] == "flow")
        .expect("a flow record");
    assert!(flow["timestamp"].as_str().unwrap() > "2024", "{flow}");
    let _ = std::fs::remove_dir_all(&dir);
}
