//! Helpers for the operator-surface tests (outputs, API, console): a state directory
//! that has learned four days of the simulated office, the ClickFix capture, profiles
//! with outputs and the API switched on, a running engine stopped by SIGINT, token and
//! certificate files, and a small HTTP client.
#![allow(dead_code)]

pub mod cdp;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

/// A fresh temporary path for this test process.
pub fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-ops-{}-{name}", std::process::id()));
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

/// `vigil simulate clickfix-macos` (made once per test binary).
pub fn clickfix() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let p = tmp("clickfix.pcap");
        simulate("clickfix-macos", &p);
        p
    })
    .clone()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A new state directory that has learned four days of the office (learned once per
/// test binary, copied for each caller).
pub fn learned_office(name: &str) -> PathBuf {
    static T: OnceLock<PathBuf> = OnceLock::new();
    let template = T.get_or_init(|| {
        let state = tmp("office-state");
        let office = tmp("office.pcap");
        simulate("office", &office);
        let o = vigil()
            .arg("replay")
            .arg(&office)
            .arg("--state")
            .arg(&state)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let _ = std::fs::remove_file(office);
        state
    });
    let dir = tmp(name);
    copy_dir(template, &dir);
    dir
}

/// Writes a secret file of mode 0600; returns it and the secret.
pub fn secret_file(path: &Path, secret: &str) -> PathBuf {
    std::fs::write(path, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_path_buf()
}

/// Response settings that decide actions a person must approve.
pub const CONFIRM: &str = r#"
[response]
mode = "confirm"

[[response.trigger]]
model = "compromise/beaconing-activity-to-external-rare"
action = "block-connection"
duration = 86400

[[response.trigger]]
model = "unusual-activity/unusual-external-data-to-new-endpoint"
action = "block-endpoint"
duration = 86400
"#;

/// The software profile reading `capture` (kept serving after its end with `stay`),
/// learning into `state`, with `extra` appended.
pub fn profile(path: &Path, capture: &Path, state: &Path, stay: bool, extra: &str) -> PathBuf {
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    let text = base
        .replace(
            "# pcap = \"../tests/data/office.pcap\"",
            &format!("pcap = {:?}", capture.to_str().unwrap()),
        )
        .replace(
            "infinite = false",
            if stay {
                "infinite = false\nstay = true"
            } else {
                "infinite = false"
            },
        )
        .replace(
            "# state_dir = \"/var/lib/vigil\"",
            &format!("state_dir = {:?}", state.to_str().unwrap()),
        );
    std::fs::write(path, format!("{text}\n{extra}\n")).unwrap();
    path.to_path_buf()
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running engine; killed if the test ends without stopping it.
pub struct Engine(pub Child);

impl Engine {
    /// `vigil run --profile P --eve EVE`, its stderr to a file.
    pub fn start(profile: &Path, eve: &Path, log: &Path) -> Engine {
        let err = std::fs::File::create(log).unwrap();
        Engine(
            vigil()
                .arg("run")
                .arg("--profile")
                .arg(profile)
                .arg("--eve")
                .arg(eve)
                .stdout(Stdio::null())
                .stderr(err)
                .spawn()
                .unwrap(),
        )
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    /// Sends a signal by name (`INT`, `HUP`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// SIGINT, then waits for the exit; returns its status code.
    pub fn stop(mut self) -> Option<i32> {
        self.signal("INT");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the engine did not stop on SIGINT");
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `f` until it gives Some, at most `secs` seconds.
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An agent that reports every status (no error for 4xx and 5xx).
pub fn agent(ca: Option<&Path>) -> ureq::Agent {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        let cert = ureq::tls::Certificate::from_pem(&pem).unwrap();
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]));
    }
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .tls_config(tls.build())
        .build()
        .into()
}

/// One request; `token` as a bearer token when given.
pub fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<Answer, ureq::Error> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut resp = match method {
        "GET" => {
            let mut r = agent.get(url);
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.call()?
        }
        _ => {
            let mut r = agent.post(url).header("Content-Type", "application/json");
            if let Some(a) = &auth {
                r = r.header("Authorization", a);
            }
            r.send(body.unwrap_or(""))?
        }
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = resp.body_mut().read_to_vec()?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// EVE records of a file (every line must be JSON).
pub fn eve_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every EVE line is JSON"))
        .collect()
}

/// A self-signed certificate for 127.0.0.1 and localhost: (cert PEM path, key PEM path).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let c =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, c.cert.pem()).unwrap();
    std::fs::write(&key, c.signing_key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    (cert, key)
}
