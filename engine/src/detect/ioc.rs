//! Indicators of compromise from files: plain lists and STIX 2.1 bundles, reloaded when
//! a file changes.
//!
//! Plain lists hold one indicator a line, `#` starts a comment; a line may say its kind
//! (`ip 1.2.3.4`, `domain evil.example`, `url /api/daemon`, `user-agent curl/8.7.1`,
//! `ja3 <md5>`, `ja4 <fingerprint>`) or leave it to be guessed (an address, a URI path
//! starting with `/`, 32 hex digits for JA3, a JA4 shape, else a hostname). STIX 2.1
//! bundles give `indicator` objects whose `pattern` compares `ipv4-addr:value`,
//! `ipv6-addr:value`, `domain-name:value`, `url:value`, or an HTTP request's
//! `User-Agent` header with `=`; a domain also matches its subdomains.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What an indicator names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Ip,
    Domain,
    Url,
    UserAgent,
    Ja3,
    Ja4,
}

impl Kind {
    /// The kind's name in reasons and EVE.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::UserAgent => "user-agent",
            Kind::Ja3 => "ja3",
            Kind::Ja4 => "ja4",
        }
    }
}

/// Where an indicator came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    /// The STIX indicator's name, or the list line's comment.
    pub label: String,
}

/// The loaded indicators.
#[derive(Debug, Default)]
pub struct Iocs {
    set: HashMap<(Kind, String), Source>,
    files: Vec<PathBuf>,
    stamps: BTreeMap<PathBuf, Option<SystemTime>>,
    last_check: Option<Instant>,
    /// Problems met while loading (file: what), reported once per load.
    pub errors: Vec<String>,
}

fn guess(v: &str) -> Kind {
    let hex = v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit());
    let ja4 = v.len() >= 36
        && v.split('_').count() == 3
        && (v.starts_with('t') || v.starts_with('q') || v.starts_with('d'));
    if v.parse::<std::net::IpAddr>().is_ok() {
        Kind::Ip
    } else if v.starts_with('/') {
        Kind::Url
    } else if hex {
        Kind::Ja3
    } else if ja4 {
        Kind::Ja4
    } else if v.contains('/') || v.contains(' ') {
        Kind::UserAgent
    } else {
        Kind::Domain
    }
}

fn kind_word(w: &str) -> Option<Kind> {
    Some(match w.to_ascii_lowercase().as_str() {
        "ip" | "ipv4" | "ipv6" | "address" => Kind::Ip,
        "domain" | "host" | "hostname" | "fqdn" => Kind::Domain,
        "url" | "uri" => Kind::Url,
        "user-agent" | "ua" | "useragent" => Kind::UserAgent,
        "ja3" => Kind::Ja3,
        "ja4" => Kind::Ja4,
        _ => return None,
    })
}

fn normal(kind: Kind, v: &str) -> String {
    match kind {
        Kind::Domain => v.trim_end_matches('.').to_ascii_lowercase(),
        Kind::Ja3 => v.to_ascii_lowercase(),
        _ => v.to_string(),
    }
}

/// Reads a STIX pattern's `[object:path = 'value']` comparisons.
fn stix_terms(pattern: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(eq) = rest.find('=') {
        let lhs = rest[..eq]
            .rsplit(['[', '(', ' '])
            .find(|s| !s.is_empty())
            .unwrap_or("");
        let lhs_full = &rest[..eq];
        let after = rest[eq + 1..].trim_start();
        let Some(body) = after.strip_prefix('\'') else {
            rest = &rest[eq + 1..];
            continue;
        };
        // Values end at the next unescaped quote.
        let mut val = String::new();
        let mut chars = body.char_indices();
        let mut end = body.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        val.push(n);
                    }
                }
                '\'' => {
                    end = i;
                    break;
                }
                _ => val.push(c),
            }
        }
        let l = lhs_full.to_ascii_lowercase();
        let kind = if l.contains("user-agent") {
            Some(Kind::UserAgent)
        } else if lhs.starts_with("ipv4-addr:") || lhs.starts_with("ipv6-addr:") {
            Some(Kind::Ip)
        } else if lhs.starts_with("domain-name:") {
            Some(Kind::Domain)
        } else if lhs.starts_with("url:") {
            Some(Kind::Url)
        } else {
            None
        };
        if let Some(k) = kind {
            let v = if k == Kind::Ip {
                // A CIDR /32 or /128 is an address.
                val.split('/').next().unwrap_or("").to_string()
            } else {
                val
            };
            out.push((k, v));
        }
        rest = &body[(end + 1).min(body.len())..];
    }
    out
}

impl Iocs {
    /// Indicators from `files` (relative paths resolved already).
    pub fn load(files: &[PathBuf]) -> Iocs {
        let mut i = Iocs {
            files: files.to_vec(),
            ..Default::default()
        };
        i.reload();
        i
    }

    /// Indicators held.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    fn reload(&mut self) {
        self.set.clear();
        self.errors.clear();
        self.stamps.clear();
        for f in self.files.clone() {
            let stamp = std::fs::metadata(&f).and_then(|m| m.modified()).ok();
            self.stamps.insert(f.clone(), stamp);
            match std::fs::read_to_string(&f) {
                Ok(text) => self.parse(&f, &text),
                Err(e) => self.errors.push(format!("{}: {e}", f.display())),
            }
        }
    }

    /// Reloads when a file changed (checked at most every `every`); returns whether it did.
    pub fn refresh(&mut self, every: Duration) -> bool {
        if self.files.is_empty() || self.last_check.is_some_and(|t| t.elapsed() < every) {
            return false;
        }
        self.last_check = Some(Instant::now());
        let changed = self.files.iter().any(|f| {
            let now = std::fs::metadata(f).and_then(|m| m.modified()).ok();
            self.stamps.get(f) != Some(&now)
        });
        if changed {
            self.reload();
        }
        changed
    }

    fn parse(&mut self, file: &Path, text: &str) {
        let name = file.display().to_string();
        if text.trim_start().starts_with('{') {
            let v: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    self.errors.push(format!("{name}: not a STIX bundle: {e}"));
                    return;
                }
            };
            let objs = v["objects"].as_array().cloned().unwrap_or_default();
            for o in objs {
                if o["type"] != "indicator" {
                    continue;
                }
                let label = o["name"].as_str().unwrap_or("STIX indicator").to_string();
                for (k, val) in stix_terms(o["pattern"].as_str().unwrap_or("")) {
                    self.set.insert(
                        (k, normal(k, &val)),
                        Source {
                            file: name.clone(),
                            label: label.clone(),
                        },
                    );
                }
            }
            return;
        }
        for line in text.lines() {
            let (body, comment) = match line.split_once('#') {
                Some((b, c)) => (b.trim(), c.trim()),
                None => (line.trim(), ""),
            };
            if body.is_empty() {
                continue;
            }
            let (kind, val) = match body.split_once(char::is_whitespace) {
                Some((w, rest)) if kind_word(w).is_some() => (kind_word(w).unwrap(), rest.trim()),
                _ => (guess(body), body),
            };
            self.set.insert(
                (kind, normal(kind, val)),
                Source {
                    file: name.clone(),
                    label: if comment.is_empty() {
                        "listed indicator".into()
                    } else {
                        comment.to_string()
                    },
                },
            );
        }
    }

    /// The indicator `value` of `kind` matches, if any (a domain matches its parents).
    pub fn find(&self, kind: Kind, value: &str) -> Option<(String, &Source)> {
        if value.is_empty() || self.set.is_empty() {
            return None;
        }
        let v = normal(kind, value);
        if let Some(s) = self.set.get(&(kind, v.clone())) {
            return Some((v, s));
        }
        if kind == Kind::Domain {
            let mut rest = v.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if let Some(s) = self.set.get(&(kind, parent.to_string())) {
                    return Some((parent.to_string(), s));
                }
                rest = parent;
            }
        }
        if kind == Kind::Url {
            // A listed path matches with any query string.
            let path = v.split('?').next().unwrap_or("");
            if let Some(s) = self.set.get(&(kind, path.to_string())) {
                return Some((path.to_string(), s));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_and_stix() {
        let d = std::env::temp_dir().join(format!("vigil-ioc-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let list = d.join("list.txt");
        std::fs::write(
            &list,
            "# the write-up\n83.136.208.246 # C2\ndomain check02id.com\n/api/daemon\nuser-agent curl/8.7.1\n",
        )
        .unwrap();
        let stix = d.join("bundle.json");
        std::fs::write(
            &stix,
            r#"{"type":"bundle","objects":[{"type":"indicator","name":"Exfil host","pattern":"[ipv4-addr:value = '104.145.210.107/32'] OR [domain-name:value = 'uswebob.us']"},{"type":"malware","name":"x"}]}"#,
        )
        .unwrap();
        let i = Iocs::load(&[list.clone(), stix]);
        assert!(i.errors.is_empty(), "{:?}", i.errors);
        assert_eq!(i.len(), 6);
        assert_eq!(i.find(Kind::Ip, "83.136.208.246").unwrap().1.label, "C2");
        assert!(i.find(Kind::Domain, "CHECK02ID.com.").is_some());
        assert!(i.find(Kind::Domain, "zoom.uswebob.us").is_some());
        assert!(i.find(Kind::Url, "/api/daemon?x=1").is_some());
        assert!(i.find(Kind::UserAgent, "curl/8.7.1").is_some());
        assert!(i.find(Kind::Ip, "104.145.210.107").is_some());
        assert!(i.find(Kind::Ip, "1.1.1.1").is_none());
        assert!(i.find(Kind::Domain, "example.com").is_none());
        // Reloaded when the file changes.
        let mut i = i;
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&list, "198.51.100.9\n").unwrap();
        // Make sure the modification time moves even on coarse clocks.
        let later = SystemTime::now() + Duration::from_secs(2);
        let f = std::fs::File::options().write(true).open(&list).unwrap();
        f.set_modified(later).unwrap();
        assert!(i.refresh(Duration::ZERO));
        assert!(i.find(Kind::Ip, "198.51.100.9").is_some());
        assert!(i.find(Kind::Ip, "83.136.208.246").is_none());
        let _ = std::fs::remove_dir_all(&d);
    }
}
