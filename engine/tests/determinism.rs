//! Deterministic replay: `stats` records land at packet-time boundaries with exactly the
//! packets that came before each boundary, whatever the number of workers and however
//! fast the machine replays (the epoch handshake of `control::epoch`).

mod common;
use common::*;
use pcap_file::pcap::PcapReader;

/// (boundary timestamp, packets before it, bytes before it) for each periodic record.
fn series(run: &Run) -> Vec<(String, u64, u64)> {
    run.records
        .iter()
        .filter(|r| r["event_type"] == "stats" && r["vigil"]["final"] == false)
        .map(|r| {
            (
                r["timestamp"].as_str().unwrap().to_string(),
                r["stats"]["decoder"]["pkts"].as_u64().unwrap(),
                r["stats"]["decoder"]["bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn stats_boundaries_are_exact_in_packet_time() {
    let Some(dir) = shared_pcaps() else { return };
    let capture = dir.join("malware/slips_test-cc-capture-2_jitter2-3s.pcap");
    let profile = std::env::temp_dir().join(format!("vigil-det-{}.toml", std::process::id()));
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    std::fs::write(
        &profile,
        base.replace("stats_interval = 60", "stats_interval = 1"),
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    let one = series(&replay(&capture, &["--profile", p, "--workers", "1"]));
    let two = series(&replay(&capture, &["--profile", p, "--workers", "2"]));
    assert!(one.len() > 60, "{} periodic records", one.len());
    assert_eq!(one, two, "1 and 2 workers disagree");

    // The truth, from the file: packets strictly before each boundary.
    let mut r = PcapReader::new(std::fs::File::open(&capture).unwrap()).unwrap();
    let mut pkts: Vec<(u64, u64)> = Vec::new();
    while let Some(Ok(p)) = r.next_packet() {
        pkts.push((p.timestamp.as_nanos() as u64, p.data.len() as u64));
    }
    for (ts, n, bytes) in &one {
        let want: Vec<&(u64, u64)> = pkts
            .iter()
            .filter(|(t, _)| vigil::output::eve::timestamp(*t).as_str() < ts.as_str())
            .collect();
        assert_eq!(*n, want.len() as u64, "packets before {ts}");
        assert_eq!(
            *bytes,
            want.iter().map(|(_, b)| b).sum::<u64>(),
            "bytes before {ts}"
        );
    }
}
