//! EVE JSON lines: one object per line, Suricata's field names, packet-time timestamps
//! written as Suricata writes them (`2026-03-13T09:12:21.164132+0000`). The file rotates
//! by size or age (`eve.json.1` newest, a set number kept) and is reopened on SIGHUP
//! (logrotate's convention); records of the event types an output selects also go to
//! that output's bounded queue (`sinks`), which never makes the writer wait.

use super::sinks::Sinks;
use serde_json::Value;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Formats packet time (ns since the Unix epoch) as Suricata's EVE `timestamp`.
pub fn timestamp(ns: u64) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let micros = (ns % 1_000_000_000) / 1000;
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0000",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        micros
    )
}

/// Reads an EVE `timestamp` (`2026-03-13T09:12:21.164132+0000`, UTC) back as ns since
/// the Unix epoch.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 26 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'.' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let month = time::Month::try_from(num(5..7)? as u8).ok()?;
    let date = time::Date::from_calendar_date(num(0..4)? as i32, month, num(8..10)? as u8).ok()?;
    let t =
        time::Time::from_hms(num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8).ok()?;
    let secs = time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp();
    let micros = num(20..26)? as u64;
    u64::try_from(secs)
        .ok()
        .map(|s| s * 1_000_000_000 + micros * 1000)
}

/// Size and age limits of the EVE file (`[output] eve_max_bytes`, `eve_max_age`,
/// `eve_keep`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rotation {
    /// Rotate once the file holds this many bytes (0: never).
    pub max_bytes: u64,
    /// Rotate after this long (wall clock) in one file (None: never).
    pub max_age: Option<Duration>,
    /// Rotated files kept: `eve.json.1` (newest) to `eve.json.N`.
    pub keep: u32,
}

/// The EVE file's rotation and reopen counters.
#[derive(Debug, Default)]
pub struct FileStats {
    pub rotations: AtomicU64,
    pub reopens: AtomicU64,
    pub bytes: AtomicU64,
}

/// The file being written, when EVE goes to a file.
struct FileOut {
    path: PathBuf,
    /// Bytes in the file (what it held when opened, plus what was written since).
    bytes: u64,
    opened: Instant,
    rotation: Rotation,
    /// Set by SIGHUP: reopen the path (logrotate has moved the file away).
    reopen: Option<Arc<AtomicBool>>,
}

/// Where EVE records go: the file (or stdout), and the outputs that take some event types
/// through their bounded queues (`sinks`).
pub struct EveWriter {
    out: Option<BufWriter<Box<dyn Write + Send>>>,
    file: Option<FileOut>,
    sinks: Option<Sinks>,
    last_flush: Instant,
    /// The latest alert records, for the API (when it runs).
    recent: Option<(VecDeque<Arc<Value>>, usize)>,
    pub stats: Arc<FileStats>,
    pub records: u64,
}

fn open_append(path: &Path) -> std::io::Result<(File, u64)> {
    let f = File::options().create(true).append(true).open(path)?;
    let len = f.metadata().map_or(0, |m| m.len());
    Ok((f, len))
}

/// Counts the bytes written through it.
struct Counted<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl EveWriter {
    /// Opens `path` (`-` is stdout), appending to an existing file as Suricata does.
    pub fn open(path: &str) -> Result<EveWriter, String> {
        EveWriter::open_rotating(path, Rotation::default(), None)
    }

    /// Opens `path` with rotation limits; `reopen` (set by SIGHUP) makes the next write
    /// reopen the path.
    pub fn open_rotating(
        path: &str,
        rotation: Rotation,
        reopen: Option<Arc<AtomicBool>>,
    ) -> Result<EveWriter, String> {
        let stats = Arc::new(FileStats::default());
        let (sink, file): (Box<dyn Write + Send>, _) = if path == "-" {
            (Box::new(std::io::stdout()), None)
        } else {
            let p = Path::new(path);
            let (f, len) =
                open_append(p).map_err(|e| format!("{path}: cannot open EVE output: {e}"))?;
            stats.bytes.store(len, Ordering::Relaxed);
            (
                Box::new(f),
                Some(FileOut {
                    path: p.to_path_buf(),
                    bytes: len,
                    opened: Instant::now(),
                    rotation,
                    reopen,
                }),
            )
        };
        Ok(EveWriter {
            out: Some(BufWriter::with_capacity(1 << 16, sink)),
            file,
            sinks: None,
            last_flush: Instant::now(),
            recent: None,
            stats,
            records: 0,
        })
    }

    /// A writer with no file: records only reach the sinks.
    pub fn sinks_only(sinks: Sinks) -> EveWriter {
        EveWriter {
            out: None,
            file: None,
            sinks: Some(sinks),
            last_flush: Instant::now(),
            recent: None,
            stats: Arc::new(FileStats::default()),
            records: 0,
        }
    }

    /// Hands the records the sinks select to them as well.
    pub fn set_sinks(&mut self, sinks: Sinks) {
        self.sinks = Some(sinks);
    }

    /// Keeps the latest `n` alert records for [`EveWriter::recent_alerts`].
    pub fn keep_recent_alerts(&mut self, n: usize) {
        self.recent = Some((VecDeque::with_capacity(n.min(4096)), n));
    }

    /// The latest alert records written, oldest first.
    pub fn recent_alerts(&self) -> Option<&VecDeque<Arc<Value>>> {
        self.recent.as_ref().map(|(q, _)| q)
    }

    /// Writes one record as a line (and offers it to the sinks, which never wait).
    pub fn write(&mut self, record: &Value) -> std::io::Result<()> {
        if let Some(s) = &self.sinks {
            s.offer(record);
        }
        if let Some((q, n)) = &mut self.recent {
            if record.get("event_type").and_then(Value::as_str) == Some("alert") {
                if q.len() >= *n {
                    q.pop_front();
                }
                q.push_back(Arc::new(record.clone()));
            }
        }
        self.records += 1;
        if self.file.is_some() {
            self.check_file()?;
        }
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let mut c = Counted { inner: out, n: 0 };
        serde_json::to_writer(&mut c, record)?;
        c.write_all(b"\n")?;
        let n = c.n;
        if let Some(f) = &mut self.file {
            f.bytes += n;
            self.stats.bytes.store(f.bytes, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Flushes buffered records.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.last_flush = Instant::now();
        match &mut self.out {
            Some(o) => o.flush(),
            None => Ok(()),
        }
    }

    /// Called by the control loop: flushes at least every second of wall time (so a
    /// SIEM agent tailing the file sees records as they come), and rotates or reopens
    /// the file when due even while nothing is written.
    pub fn tick(&mut self) -> std::io::Result<()> {
        if self.file.is_some() {
            self.check_file()?;
        }
        if self.last_flush.elapsed() >= Duration::from_secs(1) {
            self.flush()?;
        }
        Ok(())
    }

    /// Rotates or reopens the file if its size, its age or a SIGHUP says so.
    fn check_file(&mut self) -> std::io::Result<()> {
        let Some(f) = &self.file else {
            return Ok(());
        };
        let hup = f
            .reopen
            .as_ref()
            .is_some_and(|r| r.swap(false, Ordering::AcqRel));
        let r = f.rotation;
        let full = r.max_bytes > 0 && f.bytes >= r.max_bytes;
        let old = r.max_age.is_some_and(|a| f.opened.elapsed() >= a) && f.bytes > 0;
        if !(hup || full || old) {
            return Ok(());
        }
        if let Some(o) = &mut self.out {
            o.flush()?;
        }
        let path = f.path.clone();
        if full || old {
            rotate_files(&path, r.keep)?;
            self.stats.rotations.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.reopens.fetch_add(1, Ordering::Relaxed);
        }
        let (file, len) = open_append(&path)?;
        self.out = Some(BufWriter::with_capacity(1 << 16, Box::new(file)));
        if let Some(f) = &mut self.file {
            f.bytes = len;
            f.opened = Instant::now();
        }
        self.stats.bytes.store(len, Ordering::Relaxed);
        Ok(())
    }
}

/// Shifts `path.1` … `path.(keep-1)` up by one (the oldest beyond `keep` removed) and
/// renames `path` to `path.1`.
fn rotate_files(path: &Path, keep: u32) -> std::io::Result<()> {
    let numbered = |n: u32| {
        let mut s = path.as_os_str().to_owned();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    };
    let keep = keep.max(1);
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    match std::fs::rename(path, numbered(1)) {
        // Moved away meanwhile (by logrotate): nothing to rotate.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suricata_timestamp_format() {
        // 2026-03-13T09:12:21.164132 UTC
        let ns = 1_773_393_141_164_132_999u64;
        assert_eq!(timestamp(ns), "2026-03-13T09:12:21.164132+0000");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000000+0000");
        assert_eq!(
            parse_timestamp("2026-03-13T09:12:21.164132+0000"),
            Some(1_773_393_141_164_132_000)
        );
        assert_eq!(parse_timestamp("2026-13-13T09:12:21.164132+0000"), None);
        assert_eq!(parse_timestamp("garbage"), None);
    }

    #[test]
    fn rotates_by_size_and_reopens_on_hup() {
        let dir = std::env::temp_dir().join(format!("vigil-eve-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("eve.json");
        let hup = Arc::new(AtomicBool::new(false));
        let rot = Rotation {
            max_bytes: 4096,
            max_age: None,
            keep: 2,
        };
        let mut w =
            EveWriter::open_rotating(path.to_str().unwrap(), rot, Some(Arc::clone(&hup))).unwrap();
        let rec = serde_json::json!({"event_type": "stats", "pad": "x".repeat(1000)});
        for _ in 0..20 {
            w.write(&rec).unwrap();
        }
        w.flush().unwrap();
        // 20 records of ~1 KB, four to a file (the fifth finds it full): eve.json.1 and .2
        // kept, older ones gone.
        assert_eq!(w.stats.rotations.load(Ordering::Relaxed), 4);
        let n1 = std::fs::read_to_string(dir.join("eve.json.1")).unwrap();
        assert_eq!(n1.lines().count(), 4);
        assert!(dir.join("eve.json.2").exists());
        assert!(!dir.join("eve.json.3").exists());
        for l in n1.lines() {
            serde_json::from_str::<Value>(l).unwrap();
        }
        drop(w);
        // logrotate moves the file away, then SIGHUP: the next write goes to a new file.
        let _ = std::fs::remove_file(&path);
        let mut w = EveWriter::open_rotating(
            path.to_str().unwrap(),
            Rotation::default(),
            Some(Arc::clone(&hup)),
        )
        .unwrap();
        std::fs::rename(&path, dir.join("moved.json")).unwrap();
        w.write(&rec).unwrap();
        hup.store(true, Ordering::Relaxed);
        w.write(&rec).unwrap();
        w.flush().unwrap();
        assert_eq!(w.stats.reopens.load(Ordering::Relaxed), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
        let moved = std::fs::read_to_string(dir.join("moved.json")).unwrap();
        assert_eq!(moved.lines().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
