//! `vigil replay` over every capture in ../shared/pcaps reports exactly the packet and byte
//! counts capinfos reports, ends at the last packet's time, allocates nothing on the hot
//! path, and several vigil processes run at once without EAL conflicts.

mod common;
use common::*;

#[test]
fn every_shared_capture_matches_capinfos() {
    let Some(dir) = shared_pcaps() else { return };
    let files = captures(&dir);
    assert!(
        files.len() >= 50,
        "expected the shared captures, found {}",
        files.len()
    );
    // Four vigil processes at a time: each has its own EAL (--no-shconf, own file prefix).
    let failures: Vec<String> = parallel(&files, 4, |f| {
        let (packets, bytes, last) = capinfos(f);
        let run = replay(f, &[]);
        if !run.output.status.success() {
            return Some(format!(
                "{}: exit {:?}: {}",
                f.display(),
                run.output.status.code(),
                run.stderr()
            ));
        }
        let s = run.final_stats();
        let got = (
            s["stats"]["decoder"]["pkts"].as_u64(),
            s["stats"]["decoder"]["bytes"].as_u64(),
        );
        if got != (Some(packets), Some(bytes)) {
            return Some(format!(
                "{}: capinfos {packets} packets {bytes} bytes, vigil {got:?}",
                f.display()
            ));
        }
        if s["vigil"]["hot_path_allocations"] != 0 {
            return Some(format!(
                "{}: hot-path allocations {}",
                f.display(),
                s["vigil"]["hot_path_allocations"]
            ));
        }
        // Packet time: the final record carries the last packet's time (µs precision).
        let secs: f64 = last.parse().unwrap();
        let want = vigil_ts(secs);
        if s["timestamp"] != want.as_str() {
            return Some(format!(
                "{}: final timestamp {} but last packet at {want}",
                f.display(),
                s["timestamp"]
            ));
        }
        None
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        failures.is_empty(),
        "{} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// EVE's timestamp for epoch seconds, via the engine's own formatter.
fn vigil_ts(secs: f64) -> String {
    let micros = (secs * 1e6).round() as u64;
    vigil::output::eve::timestamp(micros * 1000)
}

#[test]
fn bundled_capture_replays_and_prints_a_summary() {
    let run = replay(&bundled(), &[]);
    assert!(run.output.status.success(), "{}", run.stderr());
    let (packets, bytes, _) = capinfos(&bundled());
    let s = run.final_stats();
    assert_eq!(s["stats"]["decoder"]["pkts"], packets);
    assert_eq!(s["stats"]["decoder"]["bytes"], bytes);
    assert_eq!(s["stats"]["capture"]["kernel_drops"], 0);
    assert!(
        run.stderr()
            .contains(&format!("{packets} packets, {bytes} bytes")),
        "{}",
        run.stderr()
    );
}
