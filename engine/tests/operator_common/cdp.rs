//! A small Chrome DevTools Protocol client for the console test: starts Debian's
//! Chromium headless (loopback only, no sandbox as root, no background networking, a
//! fresh profile), connects to its page over the DevTools WebSocket (tungstenite), and
//! sends commands: navigate, evaluate, type, click with the mouse, screenshot.
//! Hand-written over the protocol rather than a browser-driver crate: the test needs a
//! dozen commands, and this keeps the generated protocol bindings out of the build.

use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A headless Chromium and its first page.
pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
    /// Exceptions thrown in the page and console errors, as they came.
    pub errors: Vec<String>,
    profile: PathBuf,
}

/// Where Debian puts Chromium.
pub fn chromium() -> PathBuf {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("Chromium is not installed: run `bash scripts/deps.sh` (Debian's chromium package)");
}

impl Browser {
    /// Starts Chromium with a fresh profile and a window of `width` × `height`.
    pub fn start(profile: &Path, width: u32, height: u32) -> Browser {
        let _ = std::fs::remove_dir_all(profile);
        std::fs::create_dir_all(profile).unwrap();
        let child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Chromium starts");
        // Chromium writes the port it chose to DevToolsActivePort in its profile.
        let started = Instant::now();
        let port: u16 = loop {
            if let Ok(t) = std::fs::read_to_string(profile.join("DevToolsActivePort")) {
                if let Some(p) = t.lines().next().and_then(|l| l.trim().parse().ok()) {
                    break p;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "Chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let ws_url = loop {
            let list: Option<Value> = agent
                .get(&format!("http://127.0.0.1:{port}/json/list"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str(&t).ok());
            let page = list.and_then(|l| {
                l.as_array()?.iter().find(|t| t["type"] == "page")?["webSocketDebuggerUrl"]
                    .as_str()
                    .map(str::to_string)
            });
            if let Some(u) = page {
                break u;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no page target"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(ws_url.as_str()).expect("DevTools WebSocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut b = Browser {
            child,
            ws,
            next: 0,
            errors: Vec::new(),
            profile: profile.to_path_buf(),
        };
        b.call("Runtime.enable", json!({}));
        b.call("Page.enable", json!({}));
        b.call("Log.enable", json!({}));
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    /// Sends a command and returns its result (events met on the way are noted).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).unwrap();
        loop {
            let m = self.ws.read().expect("a DevTools message");
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
            match v["method"].as_str() {
                Some("Runtime.exceptionThrown") => self
                    .errors
                    .push(v["params"]["exceptionDetails"].to_string()),
                Some("Log.entryAdded") if v["params"]["entry"]["level"] == "error" => {
                    self.errors.push(v["params"]["entry"]["text"].to_string())
                }
                Some("Runtime.consoleAPICalled") if v["params"]["type"] == "error" => {
                    self.errors.push(v["params"]["args"].to_string())
                }
                _ => {}
            }
        }
    }

    /// Evaluates an expression in the page (promises awaited); returns its value.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true in the page.
    pub fn wait(&mut self, expr: &str, what: &str) {
        let start = Instant::now();
        while self.eval(&format!("!!({expr})")) != true {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what} ({expr}); errors: {:?}",
                self.errors
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Goes to `url` and waits for the console to have drawn `page`.
    pub fn open(&mut self, url: &str, page: &str) {
        let before = self.eval("document.body ? (document.body.dataset.ready || '') : ''");
        self.call("Page.navigate", json!({"url": url}));
        self.wait(
            &format!(
                "document.body && document.body.dataset.page === {page:?} && document.body.dataset.ready !== {before}"
            ),
            page,
        );
    }

    /// Types text into the focused element, as a keyboard would.
    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Clicks the middle of the element `selector` with the mouse.
    pub fn click(&mut self, selector: &str) {
        let r = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector:?}); if (!e) return null; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (
            r[0].as_f64()
                .unwrap_or_else(|| panic!("no {selector} on the page")),
            r[1].as_f64().unwrap(),
        );
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// A PNG of the whole page (up to `max_height` pixels tall).
    pub fn screenshot(&mut self, width: u32, max_height: u32) -> Vec<u8> {
        let h = self
            .eval("Math.ceil(document.documentElement.scrollHeight)")
            .as_u64()
            .unwrap_or(900)
            .min(max_height as u64);
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": h, "deviceScaleFactor": 1, "mobile": false}),
        );
        self.eval("window.scrollTo(0, 0)");
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
