//! The local control socket `vigil actions` talks to: a Unix socket, mode 0600 (root
//! only, or whoever runs the engine), one JSON request a line and one JSON answer.
//!
//! Requests: `{"cmd": "list"}`, `{"cmd": "approve", "id": 3, "by": "alice"}`,
//! `{"cmd": "release", "id": 3, "by": "alice"}`. Answers: `{"ok": true, ...}` or
//! `{"ok": false, "error": "..."}`. The control-plane thread polls it without blocking.
//! The API's approve and release come to the same handling as in-process requests
//! ([`Request::in_process`]), answered through a callback instead of the socket.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The socket file's name in the state directory when the profile names none.
pub const DEFAULT_NAME: &str = "control.sock";

/// The engine's side.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

/// One request and where to answer it.
pub struct Request {
    pub body: Value,
    reply: Reply,
}

/// Where an answer goes.
enum Reply {
    Stream(UnixStream),
    Callback(Box<dyn FnOnce(Value) + Send>),
}

impl Request {
    /// A request from inside the process (the API); `reply` gets the answer.
    pub fn in_process(body: Value, reply: impl FnOnce(Value) + Send + 'static) -> Request {
        Request {
            body,
            reply: Reply::Callback(Box::new(reply)),
        }
    }

    /// Sends the answer (a client that went away is not an error).
    pub fn answer(self, v: Value) {
        match self.reply {
            Reply::Stream(mut stream) => {
                let mut line = v.to_string();
                line.push('\n');
                let _ = stream.write_all(line.as_bytes());
            }
            Reply::Callback(f) => f(v),
        }
    }
}

impl ControlSocket {
    /// Listens on `path` (a stale socket left by a crash is replaced; a live one is not).
    pub fn bind(path: &Path) -> Result<ControlSocket, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        }
        if path.exists() {
            if UnixStream::connect(path).is_ok() {
                return Err(format!(
                    "{}: another vigil engine is listening on this control socket",
                    path.display()
                ));
            }
            let _ = std::fs::remove_file(path);
        }
        let listener = UnixListener::bind(path)
            .map_err(|e| format!("{}: cannot listen: {e}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: cannot restrict to its owner: {e}", path.display()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    /// Requests waiting now (never blocks for long: each client has 200 ms to send its
    /// line).
    pub fn poll(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        while let Ok((stream, _)) = self.listener.accept() {
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.set_write_timeout(Some(Duration::from_millis(500)));
            let mut line = String::new();
            let Ok(reader) = stream.try_clone() else {
                continue;
            };
            // A connection that says nothing (another engine checking whether this
            // socket is alive) is not a request.
            match BufReader::new(reader).read_line(&mut line) {
                Ok(0) | Err(_) => continue,
                Ok(_) => {}
            }
            let body = serde_json::from_str(line.trim()).unwrap_or(Value::Null);
            out.push(Request {
                body,
                reply: Reply::Stream(stream),
            });
        }
        out
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The client's side: sends one request, returns the answer.
pub fn call(path: &Path, req: &Value) -> Result<Value, String> {
    let mut s = UnixStream::connect(path)
        .map_err(|e| format!("{}: no running engine answers here ({e})", path.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut line = req.to_string();
    line.push('\n');
    s.write_all(line.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut answer = String::new();
    BufReader::new(s)
        .read_line(&mut answer)
        .map_err(|e| format!("{}: no answer: {e}", path.display()))?;
    serde_json::from_str(answer.trim()).map_err(|e| format!("{}: bad answer: {e}", path.display()))
}

/// An error answer.
pub fn error(msg: impl Into<String>) -> Value {
    json!({"ok": false, "error": msg.into()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers() {
        let path = std::env::temp_dir().join(format!("vigil-sock-{}.sock", std::process::id()));
        let mut s = ControlSocket::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A second engine may not take the same socket.
        assert!(ControlSocket::bind(&path).is_err());
        let p2 = path.clone();
        let client = std::thread::spawn(move || call(&p2, &json!({"cmd": "list"})));
        let mut got = Vec::new();
        for _ in 0..200 {
            got = s.poll();
            if !got.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body["cmd"], "list");
        got.pop()
            .unwrap()
            .answer(json!({"ok": true, "actions": []}));
        let answer = client.join().unwrap().unwrap();
        assert_eq!(answer["ok"], true);
        drop(s);
        assert!(!path.exists());
        assert!(call(&path, &json!({"cmd": "list"})).is_err());
    }
}
