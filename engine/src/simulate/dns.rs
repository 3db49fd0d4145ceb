//! DNS over UDP: the resolver's zone (names the scenario knows, with CNAME chains and
//! TTLs; anything else is NXDOMAIN with the TLD's SOA), query and answer messages with
//! name compression, and the lookup a device makes before it connects.

use super::packet::{self, Host, Ip, Ipv4};
use super::pcap::Capture;
use super::rng::Rng;
use std::collections::BTreeMap;

/// Query type A.
pub const TYPE_A: u16 = 1;
/// Query type CNAME.
const TYPE_CNAME: u16 = 5;
/// Query type SOA.
const TYPE_SOA: u16 = 6;
/// Query type OPT (EDNS).
const TYPE_OPT: u16 = 41;

/// What the resolver answers for one name.
#[derive(Debug, Clone)]
pub struct Entry {
    /// CNAME chain, in order, from the queried name.
    pub cnames: Vec<String>,
    /// A records of the last name of the chain.
    pub ips: Vec<Ip>,
    /// TTL of the A records (the CNAMEs get longer ones).
    pub ttl: u32,
}

/// The names the office resolver can answer.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    names: BTreeMap<String, Entry>,
}

impl Zone {
    /// Adds or replaces a name.
    pub fn add(&mut self, name: &str, cnames: &[&str], ips: &[Ip], ttl: u32) {
        self.names.insert(
            name.to_string(),
            Entry {
                cnames: cnames.iter().map(|s| s.to_string()).collect(),
                ips: ips.to_vec(),
                ttl,
            },
        );
    }

    /// The entry of `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.names.get(name)
    }
}

/// A resource record of an answer section.
enum Rdata<'a> {
    A(Ip),
    Cname(&'a str),
}

/// A DNS message writer with name compression.
struct Msg {
    b: Vec<u8>,
    names: Vec<(String, u16)>,
}

impl Msg {
    fn new(id: u16, flags: u16, counts: [u16; 4]) -> Msg {
        let mut b = Vec::with_capacity(256);
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&flags.to_be_bytes());
        for c in counts {
            b.extend_from_slice(&c.to_be_bytes());
        }
        Msg {
            b,
            names: Vec::new(),
        }
    }

    fn u16(&mut self, v: u16) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes `name`, pointing at an earlier copy of its longest known suffix.
    fn name(&mut self, name: &str) {
        let name = name.trim_end_matches('.');
        let mut rest = name;
        loop {
            if rest.is_empty() {
                self.b.push(0);
                return;
            }
            if let Some((_, off)) = self.names.iter().find(|(n, _)| n == rest) {
                let p = 0xc000 | *off;
                self.u16(p);
                return;
            }
            if self.b.len() < 0x3fff {
                self.names.push((rest.to_string(), self.b.len() as u16));
            }
            let (label, tail) = rest.split_once('.').unwrap_or((rest, ""));
            self.b.push(label.len() as u8);
            self.b.extend_from_slice(label.as_bytes());
            rest = tail;
        }
    }

    fn question(&mut self, name: &str, qtype: u16) {
        self.name(name);
        self.u16(qtype);
        self.u16(1);
    }

    fn rr(&mut self, name: &str, ttl: u32, data: &Rdata<'_>) {
        self.name(name);
        match data {
            Rdata::A(ip) => {
                self.u16(TYPE_A);
                self.u16(1);
                self.u32(ttl);
                self.u16(4);
                self.b.extend_from_slice(ip);
            }
            Rdata::Cname(target) => {
                self.u16(TYPE_CNAME);
                self.u16(1);
                self.u32(ttl);
                let at = self.b.len();
                self.u16(0);
                self.name(target);
                let len = (self.b.len() - at - 2) as u16;
                self.b[at..at + 2].copy_from_slice(&len.to_be_bytes());
            }
        }
    }

    /// The SOA of `zone` in the authority section (NXDOMAIN answers).
    fn soa(&mut self, zone: &str) {
        let (mname, rname) = match zone {
            "com" | "net" => ("a.gtld-servers.net", "nstld.verisign-grs.com"),
            "info" => ("a0.info.afilias-nst.info", "hostmaster.donuts.email"),
            "biz" => ("a.gtld.biz", "hostmaster.donuts.email"),
            "example" => ("ns1.office.example", "hostmaster.office.example"),
            _ => ("a.nic.fr", "hostmaster.nic.fr"),
        };
        self.name(zone);
        self.u16(TYPE_SOA);
        self.u16(1);
        self.u32(900);
        let at = self.b.len();
        self.u16(0);
        self.name(mname);
        self.name(rname);
        for v in [1_773_312_000u32, 1800, 900, 604_800, 86400] {
            self.u32(v);
        }
        let len = (self.b.len() - at - 2) as u16;
        self.b[at..at + 2].copy_from_slice(&len.to_be_bytes());
    }

    fn opt(&mut self, udp: u16) {
        self.b.push(0);
        self.u16(TYPE_OPT);
        self.u16(udp);
        self.u32(0);
        self.u16(0);
    }
}

/// A query for `name` (recursion desired), with an EDNS OPT record when `edns`.
pub fn query(id: u16, name: &str, qtype: u16, edns: bool) -> Vec<u8> {
    let mut m = Msg::new(id, 0x0100, [1, 0, 0, u16::from(edns)]);
    m.question(name, qtype);
    if edns {
        m.opt(1232);
    }
    m.b
}

/// The resolver's answer to a query for `name`: the entry's chain and addresses, or
/// NXDOMAIN with the SOA of the name's TLD.
pub fn answer(id: u16, name: &str, qtype: u16, entry: Option<&Entry>, edns: bool) -> Vec<u8> {
    let ar = u16::from(edns);
    let mut m = match entry {
        Some(e) => {
            let an = (e.cnames.len() + e.ips.len()) as u16;
            let mut m = Msg::new(id, 0x8180, [1, an, 0, ar]);
            m.question(name, qtype);
            let mut owner = name.to_string();
            for (i, c) in e.cnames.iter().enumerate() {
                let ttl = if i == 0 { 3600 } else { e.ttl.max(60) * 2 };
                m.rr(&owner, ttl, &Rdata::Cname(c));
                owner = c.clone();
            }
            for ip in &e.ips {
                m.rr(&owner, e.ttl, &Rdata::A(*ip));
            }
            m
        }
        None => {
            let mut m = Msg::new(id, 0x8183, [1, 0, 1, ar]);
            m.question(name, qtype);
            let tld = name.rsplit('.').next().unwrap_or("");
            m.soa(tld);
            m
        }
    };
    if edns {
        m.opt(1232);
    }
    m.b
}

/// The office resolver as the devices reach it.
pub struct Resolver {
    /// The resolver's address (10.20.0.53), reached through the gateway's MAC.
    pub host: Host,
    pub zone: Zone,
    /// The resolver's own cache: name → expiry (µs), for its answer latency.
    cache: BTreeMap<String, u64>,
}

impl Resolver {
    /// A resolver at `host` answering from `zone`.
    pub fn new(host: Host, zone: Zone) -> Resolver {
        Resolver {
            host,
            zone,
            cache: BTreeMap::new(),
        }
    }

    /// A query from `client` at `t` and its answer. Returns the addresses (empty for
    /// NXDOMAIN) and the time of the answer.
    #[allow(clippy::too_many_arguments)]
    pub fn exchange(
        &mut self,
        cap: &mut Capture,
        rng: &mut Rng,
        client: &Host,
        sport: u16,
        edns: bool,
        name: &str,
        t: u64,
    ) -> (Vec<Ip>, u64) {
        let id = rng.u16();
        let q = query(id, name, TYPE_A, edns);
        packet::udp(
            cap,
            t,
            &Ipv4 {
                src: client,
                dst_mac: self.host.mac,
                dst: self.host.ip,
                id: rng.u16(),
                dont_fragment: false,
            },
            sport,
            53,
            &q,
        );
        let entry = self.zone.get(name).cloned();
        let hot = self.cache.get(name).is_some_and(|&exp| exp > t);
        let lat = if hot {
            300 + rng.below(1500)
        } else {
            8_000 + rng.below(45_000)
        };
        let ttl = entry.as_ref().map_or(900, |e| e.ttl);
        self.cache
            .insert(name.to_string(), t + u64::from(ttl) * 1_000_000);
        let a = answer(id, name, TYPE_A, entry.as_ref(), edns);
        let ta = t + lat;
        packet::udp(
            cap,
            ta,
            &Ipv4 {
                src: &self.host,
                dst_mac: client.mac,
                dst: client.ip,
                id: rng.u16(),
                dont_fragment: false,
            },
            53,
            sport,
            &a,
        );
        (entry.map(|e| e.ips).unwrap_or_default(), ta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::dns as parser;

    #[test]
    fn answers_parse_with_chains_and_nxdomain() {
        let mut z = Zone::default();
        z.add(
            "www.microsoft.com",
            &[
                "www.microsoft.com-c-3.edgekey.net",
                "e13678.dscb.akamaiedge.net",
            ],
            &[[23, 50, 118, 15]],
            20,
        );
        let a = answer(
            7,
            "www.microsoft.com",
            TYPE_A,
            z.get("www.microsoft.com"),
            true,
        );
        // Header: id 7, QR RD RA, 1 question, 3 answers, 1 additional.
        assert_eq!(&a[..12], &[0, 7, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 1]);
        // The first answer's owner points back at the question name.
        let q_end = 12 + "www.microsoft.com".len() + 2 + 4;
        assert_eq!(&a[q_end..q_end + 2], &[0xc0, 12]);
        let n = answer(9, "qwkzjhfbrtyx.com", TYPE_A, None, false);
        assert_eq!(&n[2..4], &[0x81, 0x83]);
        assert_eq!(&n[6..12], &[0, 0, 0, 1, 0, 0]);
        assert!(parser::looks_like_dns(&a) && parser::looks_like_dns(&n));
        assert!(parser::looks_like_dns(&query(
            1,
            "github.com",
            TYPE_A,
            false
        )));
    }
}
