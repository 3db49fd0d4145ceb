//! EVE JSON lines: one object per line, Suricata's field names, packet-time timestamps
//! written as Suricata writes them (`2026-03-13T09:12:21.164132+0000`).

use serde_json::Value;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

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

/// Where EVE records go.
pub struct EveWriter {
    out: BufWriter<Box<dyn Write + Send>>,
    pub records: u64,
}

impl EveWriter {
    /// Opens `path` (`-` is stdout), appending to an existing file as Suricata does.
    pub fn open(path: &str) -> Result<EveWriter, String> {
        let sink: Box<dyn Write + Send> = if path == "-" {
            Box::new(std::io::stdout())
        } else {
            let p = Path::new(path);
            let f = File::options()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| format!("{path}: cannot open EVE output: {e}"))?;
            Box::new(f)
        };
        Ok(EveWriter {
            out: BufWriter::with_capacity(1 << 16, sink),
            records: 0,
        })
    }

    /// Writes one record as a line.
    pub fn write(&mut self, record: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        self.records += 1;
        Ok(())
    }

    /// Flushes buffered records.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
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
}
