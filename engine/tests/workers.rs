//! Software RSS with several workers: the workers' counts add up to the total, and both
//! directions of every flow were handled by the same worker (the control plane checks
//! which worker first reported each flow and counts any flow reported by two).

mod common;
use common::*;

fn check(run: &Run, name: &str, workers: usize) -> Result<(u64, Vec<u64>), String> {
    if !run.output.status.success() {
        return Err(format!("{name}: {}", run.stderr()));
    }
    let s = run.final_stats();
    let per: Vec<u64> = s["vigil"]["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["packets"].as_u64().unwrap())
        .collect();
    let total = s["stats"]["decoder"]["pkts"].as_u64().unwrap();
    if per.len() != workers {
        return Err(format!("{name}: {} workers reported", per.len()));
    }
    if per.iter().sum::<u64>() != total {
        return Err(format!("{name}: workers {per:?} do not add up to {total}"));
    }
    if s["vigil"]["flows_split"] != 0 {
        return Err(format!(
            "{name}: {} flows seen on two workers",
            s["vigil"]["flows_split"]
        ));
    }
    if s["vigil"]["dispatch"] != "software-rss" || s["vigil"]["dispatch_dropped"] != 0 {
        return Err(format!(
            "{name}: dispatch {} dropped {}",
            s["vigil"]["dispatch"], s["vigil"]["dispatch_dropped"]
        ));
    }
    Ok((total, per))
}

#[test]
fn two_workers_split_flows_symmetrically() {
    let run = replay(&bundled(), &["--workers", "2"]);
    check(&run, "bundled", 2).unwrap();
    let Some(dir) = shared_pcaps() else { return };
    let files = captures(&dir);
    let results = parallel(&files, 3, |f| {
        let run = replay(f, &["--workers", "2"]);
        check(&run, &f.display().to_string(), 2).map(|(t, per)| (f.clone(), t, per))
    });
    let mut both_busy = 0;
    let mut per_worker = [0u64; 2];
    for r in &results {
        match r {
            Ok((_, _, per)) => {
                if per.iter().all(|n| *n > 0) {
                    both_busy += 1;
                }
                per_worker[0] += per[0];
                per_worker[1] += per[1];
            }
            Err(e) => panic!("{e}"),
        }
    }
    // Many captures hold one or two flows; those with several spread over both workers,
    // and over the whole set the load is shared.
    assert!(
        both_busy >= 10,
        "only {both_busy} captures used both workers"
    );
    let share = per_worker[0] as f64 / (per_worker[0] + per_worker[1]) as f64;
    assert!(
        (0.2..=0.8).contains(&share),
        "worker 0 took {:.0}% of the packets",
        share * 100.0
    );
}

#[test]
fn four_workers_on_a_mixed_capture() {
    let Some(dir) = shared_pcaps() else { return };
    let f = dir.join("mixed/ndpi_1kxun.pcap");
    let run = replay(&f, &["--workers", "4"]);
    let (total, per) = check(&run, "ndpi_1kxun", 4).unwrap();
    assert_eq!(total, 1723);
    assert!(per.iter().all(|n| *n > 0), "{per:?}");
}
