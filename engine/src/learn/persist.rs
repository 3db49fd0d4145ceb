//! Crash-safe saving and loading of the learned state.
//!
//! The file `learned.state` in the state directory is a magic line, a JSON header line
//! (format version, body length, SHA-256 of the body) and the JSON body. It is written to
//! a temporary file in the same directory, fsynced, renamed over the old one, and the
//! directory fsynced: a crash at any moment leaves either the old file or the new one,
//! never a torn one. A file that fails its checks (corrupt, truncated, or written by a
//! newer Vigil) is refused with one clear line and moved aside, never overwritten.

use serde::{de::DeserializeOwned, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state file's name inside the state directory.
pub const FILE: &str = "learned.state";
const MAGIC: &str = "VIGIL-STATE";
/// The format this build writes (and the newest it reads).
pub const VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    version: u32,
    bytes: u64,
    sha256: String,
}

/// The path of the state file in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Writes `state` atomically into `dir` (created if missing). Returns the bytes written.
pub fn save<T: Serialize>(dir: &Path, state: &T) -> Result<u64, String> {
    save_as(dir, FILE, state)
}

/// Loads the learned state in `dir` (see [`load_as`]).
pub fn load<T: DeserializeOwned>(dir: &Path) -> Result<Option<T>, Refused> {
    load_as(dir, FILE)
}

/// Writes `state` atomically as `dir/file` (created if missing). Returns the bytes written.
pub fn save_as<T: Serialize>(dir: &Path, file: &str, state: &T) -> Result<u64, String> {
    fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create the state directory: {e}", dir.display()))?;
    let body = serde_json::to_vec(state).map_err(|e| format!("cannot encode state: {e}"))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let header = serde_json::to_string(&Header {
        version: VERSION,
        bytes: body.len() as u64,
        sha256: hex::encode(digest.as_ref()),
    })
    .map_err(|e| format!("cannot encode state header: {e}"))?;
    let target = dir.join(file);
    let tmp = dir.join(format!("{file}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(MAGIC.as_bytes())?;
        f.write_all(b"\n")?;
        f.write_all(header.as_bytes())?;
        f.write_all(b"\n")?;
        f.write_all(&body)?;
        f.sync_all()?;
        fs::rename(&tmp, &target)?;
        // The rename itself must reach the disk.
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: cannot save learned state: {e}", target.display())
    })?;
    Ok(body.len() as u64)
}

/// Why a state file was refused.
#[derive(Debug)]
pub struct Refused {
    /// One line: which file, what is wrong, where it was moved.
    pub message: String,
}

/// Loads `dir/file`: `Ok(None)` when there is none yet. A file that fails its checks is
/// moved aside (`<file>.rejected-<unix time>`) and refused.
pub fn load_as<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<Option<T>, Refused> {
    let path = dir.join(file);
    // A save cut short by a crash leaves only its temporary file: remove it.
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{file}.tmp-"))
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let data = match fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Refused {
                message: format!("{}: cannot read learned state: {e}", path.display()),
            })
        }
    };
    match check(&data) {
        Ok(v) => Ok(Some(v)),
        Err(why) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let aside = dir.join(format!("{file}.rejected-{stamp}"));
            let moved = match fs::rename(&path, &aside) {
                Ok(()) => format!("moved aside to {}", aside.display()),
                Err(e) => format!("could not move it aside ({e}); it was left as it is"),
            };
            Err(Refused {
                message: format!(
                    "{}: saved state refused: {why}; {moved}; start again to begin anew, or restore a good copy",
                    path.display()
                ),
            })
        }
    }
}

fn check<T: DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let magic = lines.next().unwrap_or_default();
    if magic != MAGIC.as_bytes() {
        return Err("not a Vigil state file (bad magic)".into());
    }
    let header = lines.next().ok_or("truncated before its header")?;
    let h: Header = serde_json::from_slice(header).map_err(|_| "its header is corrupt")?;
    if h.version > VERSION {
        return Err(format!(
            "written by a newer Vigil (format {}, this build reads up to {VERSION})",
            h.version
        ));
    }
    let body = lines.next().unwrap_or_default();
    if body.len() as u64 != h.bytes {
        return Err(format!(
            "truncated or padded ({} body bytes, header says {})",
            body.len(),
            h.bytes
        ));
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    if hex::encode(digest.as_ref()) != h.sha256 {
        return Err("checksum mismatch (corrupt)".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("its body does not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vigil-persist-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_and_refusals() {
        let d = dir("rt");
        let mut s = BTreeMap::new();
        s.insert("10.0.0.5".to_string(), 42u64);
        assert!(load::<BTreeMap<String, u64>>(&d).unwrap().is_none());
        save(&d, &s).unwrap();
        assert_eq!(load::<BTreeMap<String, u64>>(&d).unwrap().unwrap(), s);
        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![FILE.to_string()]);

        // A flipped byte in the body: refused and moved aside, not overwritten.
        let p = path_in(&d);
        let mut data = fs::read(&p).unwrap();
        let n = data.len();
        data[n - 3] ^= 1;
        fs::write(&p, &data).unwrap();
        let e = load::<BTreeMap<String, u64>>(&d).unwrap_err();
        assert!(e.message.contains("checksum mismatch"), "{}", e.message);
        assert!(!p.exists());
        let aside: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("rejected")
            })
            .collect();
        assert_eq!(aside.len(), 1);

        // Truncated.
        save(&d, &s).unwrap();
        let data = fs::read(&p).unwrap();
        fs::write(&p, &data[..data.len() - 2]).unwrap();
        assert!(load::<BTreeMap<String, u64>>(&d)
            .unwrap_err()
            .message
            .contains("truncated"));

        // Newer format.
        save(&d, &s).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        fs::write(&p, text.replace("\"version\":1", "\"version\":9")).unwrap();
        assert!(load::<BTreeMap<String, u64>>(&d)
            .unwrap_err()
            .message
            .contains("newer Vigil"));
        let _ = fs::remove_dir_all(&d);
    }
}
