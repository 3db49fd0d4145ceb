//! Shared pieces of the conformance test: reading a dotted path out of an EVE record,
//! comparing an expected value with ours, the per-file tally, and the explanations file.

use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashSet;
use std::path::Path;

/// The value at a dotted path like `dns.answers[0].rrname` or `vlan[1]`.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (name, idx) = match part.find('[') {
            Some(i) => (&part[..i], Some(&part[i..])),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(mut rest) = idx {
            while let Some(s) = rest.strip_prefix('[') {
                let end = s.find(']')?;
                let n: usize = s[..end].parse().ok()?;
                cur = cur.get(n)?;
                rest = &s[end + 1..];
            }
        }
    }
    Some(cur)
}

/// Whether our value equals the expected one (numbers and strings compare by text, as
/// YAML leaves `'12'` and `12` to the writer's taste).
pub fn same(expected: &Value, ours: &Value) -> bool {
    match (expected, ours) {
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            a == &b.to_string()
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => expected == ours,
    }
}

/// What one file gave.
pub struct Tally {
    pub name: String,
    pub agree: usize,
    /// (what, detail) of each difference.
    pub diffs: Vec<(String, String)>,
    pub unexplained: Vec<(String, String)>,
    pub explained: Vec<(String, String)>,
    /// (what, why not compared).
    pub skipped: Vec<(String, String)>,
}

impl Tally {
    pub fn new(name: &str) -> Tally {
        Tally {
            name: name.to_string(),
            agree: 0,
            diffs: Vec::new(),
            unexplained: Vec::new(),
            explained: Vec::new(),
            skipped: Vec::new(),
        }
    }

    pub fn agree(&mut self, n: usize) {
        self.agree += n;
    }

    pub fn differ(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.diffs.push((what.into(), detail.into()));
    }

    pub fn skip(&mut self, what: impl Into<String>, why: impl Into<String>) {
        self.skipped.push((what.into(), why.into()));
    }

    /// Sorts the differences into explained and unexplained.
    pub fn apply(&mut self, e: &Explained) {
        for (what, detail) in std::mem::take(&mut self.diffs) {
            if e.explains(&self.name, &what) {
                self.explained.push((what, detail));
            } else {
                self.unexplained.push((what, detail));
            }
        }
    }
}

/// `tests/conformance/explained.toml`: differences with their reasons.
pub struct Explained {
    entries: Vec<(String, String, String)>,
    used: RefCell<HashSet<usize>>,
}

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    explain: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    /// The capture or expectation file (as the test prints it), or "*".
    file: String,
    /// The difference (as the test prints it, a prefix is enough).
    what: String,
    /// Why Vigil differs.
    why: String,
}

impl Explained {
    pub fn load(path: &Path) -> Explained {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let f: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for e in &f.explain {
            assert!(
                !e.why.trim().is_empty(),
                "{}: every explanation needs a reason",
                path.display()
            );
        }
        Explained {
            entries: f
                .explain
                .into_iter()
                .map(|e| (e.file, e.what, e.why))
                .collect(),
            used: RefCell::new(HashSet::new()),
        }
    }

    pub fn explains(&self, file: &str, what: &str) -> bool {
        for (i, (f, w, _)) in self.entries.iter().enumerate() {
            if (f == "*" || f == file) && what.starts_with(w.as_str()) {
                self.used.borrow_mut().insert(i);
                return true;
            }
        }
        false
    }

    pub fn unused(&self) -> Vec<String> {
        let used = self.used.borrow();
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, (f, w, _))| format!("{f}: {w}"))
            .collect()
    }
}

/// Normalises an address for comparison (Zeek compresses IPv6, Suricata does not).
pub fn norm_ip(s: &str) -> String {
    s.parse::<std::net::IpAddr>()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| s.to_string())
}
