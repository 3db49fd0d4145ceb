//! `vigil simulate` through the real binary: the same seed gives the same bytes, bad
//! input exits 2, and `vigil replay` of each scenario processes every packet cleanly
//! (no malformed or dropped records, no stream gaps, handshakes and teardowns whole)
//! and finds in the EVE records exactly what the scenario promises.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A fresh path in the temporary directory.
fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// Runs `vigil simulate` with `args`; panics unless it succeeds.
fn simulate(out: &Path, args: &[&str]) {
    let o = vigil()
        .arg("simulate")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "vigil simulate {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Packets and frame bytes of a classic pcap, read directly.
fn pcap_counts(path: &Path) -> (u64, u64) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "classic pcap, µs");
    assert_eq!(
        u32::from_le_bytes(b[20..24].try_into().unwrap()),
        1,
        "Ethernet"
    );
    let (mut off, mut n, mut bytes, mut last) = (24usize, 0u64, 0u64, 0u64);
    while off < b.len() {
        let f = |i: usize| {
            u64::from(u32::from_le_bytes(
                b[off + i..off + i + 4].try_into().unwrap(),
            ))
        };
        let ts = f(0) * 1_000_000 + f(4);
        assert!(f(4) < 1_000_000 && ts >= last, "time order at record {n}");
        last = ts;
        let len = f(8);
        assert_eq!(len, f(12));
        off += 16 + len as usize;
        n += 1;
        bytes += len;
    }
    assert_eq!(off, b.len(), "no trailing bytes");
    (n, bytes)
}

/// EVE time in seconds.
fn secs(ts: &Value) -> f64 {
    let s = ts.as_str().unwrap().replace("+0000", "Z");
    vigil::simulate::parse_time(&s).unwrap() as f64 / 1e6
}

/// Simulates, replays and checks what every scenario must satisfy; returns the records.
fn replay_clean(name: &str, args: &[&str]) -> Vec<Value> {
    let pcap = tmp(&format!("{name}.pcap"));
    simulate(&pcap, args);
    let (packets, bytes) = pcap_counts(&pcap);
    let run = replay(&pcap, &[]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let s = run.final_stats();
    assert_eq!(
        s["stats"]["decoder"]["pkts"], packets,
        "{name}: every packet processed"
    );
    assert_eq!(s["stats"]["decoder"]["bytes"], bytes);
    assert_eq!(s["stats"]["decoder"]["invalid"], 0);
    assert_eq!(s["stats"]["capture"]["kernel_drops"], 0);
    assert_eq!(s["vigil"]["records_malformed"], 0);
    assert_eq!(s["vigil"]["records_dropped"], 0);
    let c = &s["vigil"]["counters"];
    for k in [
        "stream.gaps",
        "stream.reordered",
        "stream.overflows",
        "records.truncated",
    ] {
        assert_eq!(c[k], 0, "{name}: {k}");
    }
    // Well-formed TCP: everything that got a SYN-ACK ended in a full FIN teardown.
    for f in run
        .records
        .iter()
        .filter(|r| r["event_type"] == "flow" && r["proto"] == "TCP")
    {
        let st = f["vigil"]["conn_state"].as_str().unwrap();
        match st {
            "SF" => assert_eq!(f["flow"]["state"], "closed", "{f}"),
            "REJ" | "S0" => {}
            _ => panic!("{name}: unexpected TCP state {st}: {f}"),
        }
    }
    let _ = std::fs::remove_file(&pcap);
    run.records
}

fn of<'a>(recs: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    recs.iter().filter(move |r| r["event_type"] == t)
}

/// DNS answers: (client, name, first address or "", rcode, time).
fn answers(recs: &[Value]) -> Vec<(String, String, String, String, f64)> {
    of(recs, "dns")
        .filter(|r| r["dns"]["type"] == "response")
        .map(|r| {
            let d = &r["dns"];
            let addr = d["answers"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["rrtype"] == "A"))
                .map_or(String::new(), |x| x["rdata"].as_str().unwrap().to_string());
            (
                r["dest_ip"].as_str().unwrap().to_string(),
                d["queries"][0]["rrname"].as_str().unwrap().to_string(),
                addr,
                d["rcode"].as_str().unwrap().to_string(),
                secs(&r["timestamp"]),
            )
        })
        .collect()
}

/// Every TLS connection with SNI and every HTTP request with a name Host follows a DNS
/// answer that gave the client that name's address.
fn named_connections_follow_dns(recs: &[Value]) {
    let ans = answers(recs);
    let mut checked = 0;
    let named = of(recs, "tls")
        .filter_map(|r| r["tls"]["sni"].as_str().map(|n| (r, n.to_string())))
        .chain(of(recs, "http").filter_map(|r| {
            let h = r["http"]["hostname"].as_str()?;
            (!h.chars().all(|c| c.is_ascii_digit() || c == '.')).then(|| (r, h.to_string()))
        }));
    for (r, name) in named {
        let (src, dst, t) = (
            r["src_ip"].as_str().unwrap(),
            r["dest_ip"].as_str().unwrap(),
            secs(&r["timestamp"]),
        );
        assert!(
            ans.iter()
                .any(|(c, n, a, _, at)| c == src && *n == name && a == dst && *at <= t),
            "{src} reached {name} ({dst}) at {t} without a lookup"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

/// Consecutive gaps of sorted times.
fn gaps(mut t: Vec<f64>) -> Vec<f64> {
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t.windows(2).map(|w| w[1] - w[0]).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (tmp("a.pcap"), tmp("b.pcap"), tmp("c.pcap"));
    simulate(&a, &["dga-bot", "--seed", "7"]);
    simulate(&b, &["dga-bot", "--seed", "7"]);
    simulate(&c, &["dga-bot", "--seed", "8"]);
    let (x, y, z) = (
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        std::fs::read(&c).unwrap(),
    );
    assert!(x.len() > 1_000_000);
    assert!(x == y, "same seed, same bytes");
    assert!(x != z, "another seed, another capture");
    // --start moves the capture.
    simulate(
        &c,
        &["dga-bot", "--seed", "7", "--start", "2026-04-01T09:30:00Z"],
    );
    let z = std::fs::read(&c).unwrap();
    let first = u32::from_le_bytes(z[24..28].try_into().unwrap());
    assert!(
        (1_775_035_800..1_775_035_800 + 600).contains(&first),
        "{first}"
    );
    for p in [a, b, c] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let out = tmp("bad.pcap");
    let cases: Vec<Vec<String>> = vec![
        vec!["nope".into(), "--out".into(), out.display().to_string()],
        vec![
            "office".into(),
            "--out".into(),
            "/nonexistent-dir/x.pcap".into(),
        ],
        vec![
            "clickfix-macos".into(),
            "--days".into(),
            "2".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "office".into(),
            "--days".into(),
            "0".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "office".into(),
            "--start".into(),
            "yesterday".into(),
            "--out".into(),
            out.display().to_string(),
        ],
    ];
    for args in cases {
        let o = vigil().arg("simulate").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn office_day_is_benign_and_well_formed() {
    let recs = replay_clean("office", &["office", "--days", "1", "--seed", "3"]);
    named_connections_follow_dns(&recs);
    // DHCP names every device.
    let names: BTreeSet<&str> = of(&recs, "dhcp")
        .filter_map(|r| r["dhcp"]["hostname"].as_str())
        .collect();
    for n in [
        "DESKTOP-ACC11",
        "LAPTOP-SALES12",
        "marie-macbook",
        "pierre-mbp",
        "julie-air",
        "DESKTOP-FIN23",
        "DESKTOP-HR31",
        "dev-ws40",
        "files-srv",
        "NPI9012F3",
    ] {
        assert!(names.contains(n), "no DHCP record names {n}: {names:?}");
    }
    // Hundreds of flows per office device, a steady set of ClientHellos per device.
    let mut flows: BTreeMap<&str, usize> = BTreeMap::new();
    for f in of(&recs, "flow") {
        *flows.entry(f["src_ip"].as_str().unwrap()).or_default() += 1;
    }
    for ip in [
        "10.20.1.11",
        "10.20.1.12",
        "10.20.1.17",
        "10.20.1.23",
        "10.20.1.40",
    ] {
        assert!(
            flows.get(ip).copied().unwrap_or(0) >= 150,
            "{ip}: {:?}",
            flows.get(ip)
        );
    }
    let mut ja3: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in of(&recs, "tls") {
        ja3.entry(t["src_ip"].as_str().unwrap())
            .or_default()
            .insert(t["tls"]["ja3"]["hash"].as_str().unwrap());
    }
    for (ip, set) in &ja3 {
        assert!(set.len() <= 3, "{ip} has {} ClientHellos", set.len());
    }
    // The developer workstation uses GitHub every day.
    for host in [
        "github.com",
        "api.github.com",
        "objects.githubusercontent.com",
    ] {
        assert!(
            of(&recs, "tls").any(|t| t["src_ip"] == "10.20.1.40" && t["tls"]["sni"] == host),
            "dev-ws40 never reached {host}"
        );
    }
    // Mostly TLS 1.3; TLS 1.2 with a CA-signed leaf.
    let v = |want: &str| {
        of(&recs, "tls")
            .filter(|t| t["tls"]["version"] == want)
            .count()
    };
    assert!(v("TLS 1.3") > 10 * v("TLS 1.2") && v("TLS 1.2") > 0);
    for t in of(&recs, "tls").filter(|t| t["tls"]["version"] == "TLS 1.2") {
        assert_ne!(t["tls"]["subject"], t["tls"]["issuerdn"], "{t}");
    }
    // HTTP: user agents, 200s, a few POSTs.
    let http: Vec<&Value> = of(&recs, "http").collect();
    assert!(http
        .iter()
        .all(|h| h["http"]["status"] == 200 || h["http"]["status"] == 204));
    assert!(http.iter().any(|h| h["http"]["http_method"] == "POST"));
    assert!(
        http.iter()
            .filter(|h| h["http"]["http_user_agent"].is_string())
            .count()
            * 2
            > http.len()
    );
    // CNAME chains.
    assert!(of(&recs, "dns").any(|d| d["dns"]["answers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["rrtype"] == "CNAME"))));
    // Nothing of the attacks; the attack devices never use GitHub.
    let text: String = recs.iter().map(|r| r.to_string()).collect();
    for ioc in [
        "zoom.uswebob.us",
        "check02id.com",
        "104.145.210.107",
        "83.136.208",
        "83.136.210.180",
        "185.234.72.19",
        "cloudsync-update",
    ] {
        assert!(!text.contains(ioc), "{ioc} in office");
    }
    for t in of(&recs, "tls") {
        if ["10.20.1.17", "10.20.1.23"].contains(&t["src_ip"].as_str().unwrap()) {
            assert!(
                !t["tls"]["sni"].as_str().unwrap_or("").contains("github"),
                "{t}"
            );
        }
    }
    // Laptops keep office hours (Monday 2026-03-09).
    let day = 1_773_014_400.0;
    for f in of(&recs, "flow").filter(|f| {
        ["10.20.1.12", "10.20.1.17", "10.20.1.18", "10.20.1.19"]
            .contains(&f["src_ip"].as_str().unwrap())
    }) {
        let h = (secs(&f["flow"]["start"]) - day) / 3600.0;
        assert!((7.9..18.8).contains(&h), "laptop flow at {h:.2} h: {f}");
    }
}

#[test]
fn clickfix_macos_carries_every_step() {
    let recs = replay_clean("clickfix", &["clickfix-macos", "--seed", "5"]);
    named_connections_follow_dns(&recs);
    let ans = answers(&recs);
    let looked_up = |ip: &str| ans.iter().any(|a| a.2 == ip);
    // 1. The look-alike host, over TLS with its name.
    let lure: Vec<&Value> = of(&recs, "tls")
        .filter(|t| t["tls"]["sni"] == "zoom.uswebob.us")
        .collect();
    assert!(!lure.is_empty());
    assert!(lure.iter().all(|t| t["src_ip"] == "10.20.1.17"
        && t["dest_ip"] == "148.72.73.98"
        && t["dest_port"] == 443));
    let lure_t = lure
        .iter()
        .map(|t| secs(&t["timestamp"]))
        .fold(f64::MAX, f64::min);
    // 2. ~30 MiB out, ~250 KiB in, to a bare address, over a few minutes.
    let exfil: Vec<&Value> = of(&recs, "flow")
        .filter(|f| f["dest_ip"] == "104.145.210.107" && f["dest_port"] == 8443)
        .collect();
    assert_eq!(exfil.len(), 1);
    let f = &exfil[0]["flow"];
    let (up, down) = (
        f["bytes_toserver"].as_f64().unwrap() / 1048576.0,
        f["bytes_toclient"].as_f64().unwrap() / 1024.0,
    );
    assert!((29.0..33.0).contains(&up), "{up} MiB out");
    assert!((200.0..300.0).contains(&down), "{down} KiB in");
    let dur = secs(&f["end"]) - secs(&f["start"]);
    assert!((120.0..600.0).contains(&dur), "{dur} s");
    assert!(secs(&f["start"]) > lure_t);
    assert!(
        of(&recs, "tls").any(|t| t["dest_ip"] == "104.145.210.107" && t["tls"]["sni"].is_null())
    );
    for ip in ["104.145.210.107", "83.136.208.246", "83.136.208.48"] {
        assert!(!looked_up(ip), "{ip} came from DNS");
    }
    // 3. curl POSTs /api/daemon every 60 s (a few seconds of jitter).
    let polls: Vec<&Value> = of(&recs, "http")
        .filter(|h| {
            h["http"]["url"] == "/api/daemon" && h["http"]["http_user_agent"] == "curl/8.7.1"
        })
        .collect();
    assert!(polls.len() >= 100, "{} polls", polls.len());
    for p in &polls {
        assert_eq!(
            (
                p["src_ip"].as_str(),
                p["dest_ip"].as_str(),
                p["dest_port"].as_u64()
            ),
            (Some("10.20.1.17"), Some("83.136.208.246"), Some(6783))
        );
        assert_eq!(
            (
                p["http"]["http_method"].as_str(),
                p["http"]["status"].as_u64()
            ),
            (Some("POST"), Some(200))
        );
        assert_eq!(p["http"]["hostname"], "83.136.208.246");
    }
    let g = gaps(polls.iter().map(|p| secs(&p["timestamp"])).collect());
    assert!(g.iter().all(|d| (50.0..70.0).contains(d)), "{g:?}");
    assert!((58.0..62.0).contains(&median(g)));
    // 4. TLS 1.2, no SNI, self-signed certificate.
    let ss: Vec<&Value> = of(&recs, "tls")
        .filter(|t| t["dest_ip"] == "83.136.208.48")
        .collect();
    assert!(ss.len() >= 2);
    for t in &ss {
        assert_eq!(t["src_ip"], "10.20.1.17");
        assert_eq!(t["tls"]["version"], "TLS 1.2");
        assert!(t["tls"]["sni"].is_null());
        assert!(t["tls"]["subject"].is_string());
        assert_eq!(t["tls"]["subject"], t["tls"]["issuerdn"]);
    }
    // 5. Go-http-client POSTs to check02id.com:7365 after lookups.
    let go: Vec<&Value> = of(&recs, "http")
        .filter(|h| h["http"]["http_user_agent"] == "Go-http-client/1.1")
        .collect();
    assert!(go.len() >= 3);
    for h in &go {
        assert_eq!(
            (
                h["http"]["hostname"].as_str(),
                h["dest_port"].as_u64(),
                h["http"]["http_method"].as_str()
            ),
            (Some("check02id.com"), Some(7365), Some("POST"))
        );
    }
    assert!(
        ans.iter()
            .filter(|a| a.0 == "10.20.1.17" && a.1 == "check02id.com")
            .count()
            >= go.len()
    );
    // 6. The Windows stage: refused and unanswered, then PowerShell POSTs, then GitHub.
    let win_c2: Vec<&Value> = of(&recs, "flow")
        .filter(|f| f["src_ip"] == "10.20.1.23" && f["dest_ip"] == "83.136.208.246")
        .collect();
    let state = |s: &str| {
        win_c2
            .iter()
            .filter(|f| f["vigil"]["conn_state"] == s)
            .count()
    };
    assert!(
        state("REJ") >= 5 && state("S0") >= 3,
        "REJ {} S0 {}",
        state("REJ"),
        state("S0")
    );
    let ps: Vec<&Value> = of(&recs, "http")
        .filter(|h| h["http"]["http_user_agent"] == "Mozilla/5.0 (Windows NT; Windows NT 10.0; fr-FR) WindowsPowerShell/5.1.26100.7920")
        .collect();
    assert!(ps.len() >= 3);
    assert!(ps.iter().all(|h| h["src_ip"] == "10.20.1.23"
        && h["http"]["http_method"] == "POST"
        && h["http"]["status"] == 200
        && h["dest_port"] == 6783));
    let first_fail = win_c2
        .iter()
        .filter(|f| f["vigil"]["conn_state"] != "SF")
        .map(|f| secs(&f["flow"]["start"]))
        .fold(f64::MAX, f64::min);
    assert!(ps.iter().all(|h| secs(&h["timestamp"]) > first_fail));
    for host in ["github.com", "objects.githubusercontent.com"] {
        assert!(
            ans.iter().any(|a| a.0 == "10.20.1.23" && a.1 == host),
            "no lookup of {host}"
        );
        assert!(of(&recs, "tls").any(|t| t["src_ip"] == "10.20.1.23" && t["tls"]["sni"] == host));
    }
    let dl = of(&recs, "flow")
        .filter(|f| f["src_ip"] == "10.20.1.23" && f["dest_ip"] == "185.199.108.133")
        .map(|f| f["flow"]["bytes_toclient"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!((14_000_000..17_500_000).contains(&dl), "{dl}");
}

#[test]
fn dga_bot_walks_its_names_then_beacons() {
    let recs = replay_clean("dga", &["dga-bot", "--seed", "11"]);
    named_connections_follow_dns(&recs);
    let ans = answers(&recs);
    let bot: Vec<_> = ans.iter().filter(|a| a.0 == "10.20.1.31").collect();
    let looks_dga = |n: &str| {
        let (l, tld) = n.split_once('.').unwrap_or(("", ""));
        (12..=20).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_lowercase())
            && ["com", "net", "info", "biz"].contains(&tld)
    };
    let nx: Vec<_> = bot
        .iter()
        .filter(|a| a.3 == "NXDOMAIN" && looks_dga(&a.1))
        .collect();
    assert!(nx.len() >= 60, "{} NXDOMAIN", nx.len());
    // Dozens a minute in bursts.
    let mut per_min: BTreeMap<i64, usize> = BTreeMap::new();
    for a in &nx {
        *per_min.entry((a.4 / 60.0) as i64).or_default() += 1;
    }
    assert!(per_min.values().any(|&n| n >= 24), "{per_min:?}");
    // One name resolves; the bot beacons to it over HTTPS every ~10 s, small and regular.
    let ok: BTreeSet<&str> = bot
        .iter()
        .filter(|a| a.3 == "NOERROR" && looks_dga(&a.1))
        .map(|a| a.1.as_str())
        .collect();
    assert_eq!(ok.len(), 1, "{ok:?}");
    let name = *ok.iter().next().unwrap();
    assert!(bot.iter().any(|a| a.1 == name && a.2 == "185.234.72.19"));
    let beacons: Vec<&Value> = of(&recs, "tls")
        .filter(|t| t["tls"]["sni"] == name)
        .collect();
    assert!(beacons.len() >= 100, "{}", beacons.len());
    assert!(beacons
        .iter()
        .all(|t| t["src_ip"] == "10.20.1.31" && t["dest_ip"] == "185.234.72.19"));
    let m = median(gaps(
        beacons.iter().map(|t| secs(&t["timestamp"])).collect(),
    ));
    assert!((9.0..11.0).contains(&m), "{m}");
    let sizes: BTreeSet<u64> = of(&recs, "flow")
        .filter(|f| f["dest_ip"] == "185.234.72.19")
        .map(|f| f["flow"]["pkts_toserver"].as_u64().unwrap())
        .collect();
    assert!(sizes.len() <= 2, "{sizes:?}");
}

#[test]
fn beacon_every_five_minutes_for_a_day() {
    let recs = replay_clean("beacon", &["beacon", "--days", "1"]);
    let b: Vec<f64> = of(&recs, "tls")
        .filter(|t| t["tls"]["sni"] == "telemetry.cloudsync-update.net")
        .map(|t| {
            assert_eq!(t["src_ip"], "10.20.1.50");
            secs(&t["timestamp"])
        })
        .collect();
    assert!((260..320).contains(&b.len()), "{}", b.len());
    let g = gaps(b);
    assert!(g.iter().all(|d| (265.0..335.0).contains(d)), "{g:?}");
}
