//! The IP → hostname map built from DNS answers (A/AAAA at the end of CNAME chains),
//! TTL-aware and bounded, and the registrable domain of a hostname (public suffix list).
//!
//! It answers "was this address reached without a hostname?": no DNS answer naming it
//! within its TTL plus a hold time, and no SNI or Host name on the flow itself.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// What the map knows of one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameEntry {
    /// The name the client asked for (the head of the CNAME chain).
    pub name: String,
    /// When the latest answer was seen, packet-time seconds.
    pub seen_s: u64,
    /// Until when it names the address (seen + TTL + hold).
    pub until_s: u64,
}

/// The bounded map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NameMap {
    by_ip: BTreeMap<String, NameEntry>,
    /// Insertion order, for forgetting the oldest when full (lazy: stale pairs skipped).
    order: VecDeque<(String, u64)>,
    /// Addresses forgotten to stay within the capacity.
    pub evicted: u64,
}

impl NameMap {
    /// Notes that `name` resolved to `ip` at `now_s` with `ttl`, held `hold` s more.
    pub fn answer(&mut self, ip: &str, name: &str, now_s: u64, ttl: u64, hold: u64, cap: usize) {
        let until_s = now_s + ttl + hold;
        // An address answered again in the same second already has its (ip, second) pair
        // in the order queue: pushing another would let the queue fill with live
        // duplicates the compaction below must keep, and every answer would then pay
        // for a pass over the whole queue (many clients resolving one name in the same
        // second, or a replay without packet time, made the control plane crawl).
        let queued = match self.by_ip.get_mut(ip) {
            Some(e) => {
                let queued = e.seen_s == now_s;
                if e.name != name {
                    e.name = name.to_string();
                }
                e.seen_s = now_s;
                e.until_s = e.until_s.max(until_s);
                queued
            }
            None => {
                self.by_ip.insert(
                    ip.to_string(),
                    NameEntry {
                        name: name.to_string(),
                        seen_s: now_s,
                        until_s,
                    },
                );
                false
            }
        };
        if !queued {
            self.order.push_back((ip.to_string(), now_s));
        }
        while self.by_ip.len() > cap {
            self.evict_one();
        }
        // Keep the order queue from growing without bound on repeated answers.
        if self.order.len() > 2 * cap.max(16) {
            let by_ip = &self.by_ip;
            self.order
                .retain(|(ip, at)| by_ip.get(ip).is_some_and(|e| e.seen_s == *at));
        }
    }

    fn evict_one(&mut self) {
        while let Some((ip, at)) = self.order.pop_front() {
            if self.by_ip.get(&ip).is_some_and(|e| e.seen_s == at) {
                self.by_ip.remove(&ip);
                self.evicted += 1;
                return;
            }
        }
        // Order lost track (never expected): drop any entry.
        if let Some(k) = self.by_ip.keys().next().cloned() {
            self.by_ip.remove(&k);
            self.evicted += 1;
        }
    }

    /// The name of `ip` valid at `now_s`.
    pub fn name_of(&self, ip: &str, now_s: u64) -> Option<&str> {
        self.by_ip
            .get(ip)
            .filter(|e| e.seen_s <= now_s && now_s <= e.until_s)
            .map(|e| e.name.as_str())
    }

    /// The entry of `ip`, whatever its age.
    pub fn entry(&self, ip: &str) -> Option<&NameEntry> {
        self.by_ip.get(ip)
    }

    /// Addresses held.
    pub fn len(&self) -> usize {
        self.by_ip.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }

    /// Forgets entries that expired before `now_s`.
    pub fn expire(&mut self, now_s: u64) {
        self.by_ip.retain(|_, e| e.until_s >= now_s);
        let by_ip = &self.by_ip;
        self.order
            .retain(|(ip, at)| by_ip.get(ip).is_some_and(|e| e.seen_s == *at));
    }
}

/// Follows a response's CNAME chain: for each address answered, the name the client
/// asked for. `answers` are (rrname, rrtype, rdata, ttl).
pub fn resolve_chain<'a>(
    query: &'a str,
    answers: &'a [(String, String, String, u64)],
) -> Vec<(&'a str, &'a str, u64)> {
    let mut out = Vec::new();
    // Names that lead to the query through CNAMEs (the query itself first).
    let mut chain: Vec<&str> = vec![query];
    for _ in 0..16 {
        let before = chain.len();
        for (name, ty, data, _) in answers {
            if ty == "CNAME"
                && chain.iter().any(|c| c.eq_ignore_ascii_case(name))
                && !chain.iter().any(|c| c.eq_ignore_ascii_case(data))
            {
                chain.push(data);
            }
        }
        if chain.len() == before {
            break;
        }
    }
    for (name, ty, data, ttl) in answers {
        if (ty == "A" || ty == "AAAA") && chain.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            out.push((query, data.as_str(), *ttl));
        }
    }
    out
}

/// A hostname as endpoints are keyed: lower case, no trailing dot.
pub fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The registrable domain of a hostname (`www.bbc.co.uk` → `bbc.co.uk`), by the public
/// suffix list; the name itself when it has none (a single label, `.local`).
pub fn registrable_domain(host: &str) -> String {
    let h = normalise(host);
    match psl::domain(h.as_bytes()) {
        Some(d) => String::from_utf8_lossy(d.as_bytes()).into_owned(),
        None => h,
    }
}

/// Whether a name is a literal address (a Host header or SNI may be one).
pub fn is_ip_literal(name: &str) -> bool {
    let n = name.trim_start_matches('[').trim_end_matches(']');
    n.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_and_hold() {
        let mut m = NameMap::default();
        m.answer("140.82.121.4", "github.com", 1000, 60, 100, 10);
        assert_eq!(m.name_of("140.82.121.4", 1000), Some("github.com"));
        assert_eq!(m.name_of("140.82.121.4", 1160), Some("github.com"));
        assert_eq!(m.name_of("140.82.121.4", 1161), None);
        assert_eq!(m.name_of("140.82.121.5", 1000), None);
        // Before the answer the address had no name.
        assert_eq!(m.name_of("140.82.121.4", 999), None);
    }

    #[test]
    fn bounded_oldest_first() {
        let mut m = NameMap::default();
        for i in 0..10u64 {
            m.answer(&format!("10.0.0.{i}"), "a.example", i, 300, 0, 4);
        }
        assert_eq!(m.len(), 4);
        assert!(m.entry("10.0.0.9").is_some());
        assert!(m.entry("10.0.0.0").is_none());
        assert_eq!(m.evicted, 6);
        // A refreshed address is not the oldest any more.
        m.answer("10.0.0.6", "b.example", 20, 300, 0, 4);
        m.answer("10.0.0.99", "c.example", 21, 300, 0, 4);
        assert!(m.entry("10.0.0.6").is_some());
        assert!(m.entry("10.0.0.7").is_none());
    }

    #[test]
    fn answers_in_the_same_second_keep_the_order_queue_small() {
        let mut m = NameMap::default();
        // Many clients resolving the same few names within one second.
        for i in 0..200_000u64 {
            m.answer(&format!("10.0.0.{}", i % 50), "a.example", 7, 300, 0, 1000);
        }
        assert_eq!(m.len(), 50);
        assert_eq!(m.order.len(), 50);
        // The next second queues each address once more, and the oldest still go first.
        for i in 0..50u64 {
            m.answer(&format!("10.0.0.{i}"), "a.example", 8, 300, 0, 1000);
        }
        assert_eq!(m.order.len(), 100);
        for i in 0..1000u64 {
            m.answer(
                &format!("10.1.{}.{}", i / 256, i % 256),
                "b.example",
                9,
                300,
                0,
                1000,
            );
        }
        assert_eq!(m.len(), 1000);
        assert_eq!(m.evicted, 50);
        assert!(m.entry("10.1.3.231").is_some());
    }

    #[test]
    fn cname_chains() {
        let a = |n: &str, t: &str, d: &str| (n.to_string(), t.to_string(), d.to_string(), 60);
        let answers = vec![
            a("www.github.com", "CNAME", "github.com"),
            a("github.com", "A", "140.82.121.4"),
            a("unrelated.example", "A", "192.0.2.1"),
        ];
        let r = resolve_chain("www.github.com", &answers);
        assert_eq!(r, vec![("www.github.com", "140.82.121.4", 60)]);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(registrable_domain("zoom.uswebob.us"), "uswebob.us");
        // githubusercontent.com is a private suffix: each subdomain is its own domain.
        assert_eq!(
            registrable_domain("objects.githubusercontent.com."),
            "objects.githubusercontent.com"
        );
        assert_eq!(registrable_domain("api.github.com"), "github.com");
        assert_eq!(registrable_domain("printer"), "printer");
        assert!(is_ip_literal("83.136.208.246"));
        assert!(is_ip_literal("[2001:db8::1]"));
        assert!(!is_ip_literal("check02id.com"));
    }
}
