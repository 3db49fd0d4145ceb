//! Conformance with Suricata, Zeek and nDPI on the shared captures: for every capture in
//! ../shared/pcaps with expectations beside it (suricata-verify `test.yaml`, Zeek btest
//! baselines, nDPI `.out`), replay it through `vigil` and compare the fields both report.
//!
//! The test prints the agreement per file and fails on any difference not explained in
//! `tests/conformance/explained.toml` (each entry names the file, the field, and why:
//! a field only newer Suricata writes, a Suricata rule alert Vigil does not have, ...).

mod common;
#[path = "conformance/compare.rs"]
mod compare;
#[path = "conformance/ndpi.rs"]
mod ndpi;
#[path = "conformance/suricata.rs"]
mod suricata;
#[path = "conformance/zeek.rs"]
mod zeek;

use common::*;
use compare::{Explained, Tally};
use std::path::{Path, PathBuf};

/// One capture with its expectations.
enum Case {
    Suricata { dir: PathBuf, pcap: PathBuf },
    Zeek { dir: PathBuf, pcap: PathBuf },
    Ndpi { out: PathBuf, pcap: PathBuf },
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let sv = root.join("suricata-verify");
    if let Ok(rd) = std::fs::read_dir(&sv) {
        let mut dirs: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            if let Some(pcap) = suricata::pcap_of(&d) {
                out.push(Case::Suricata { dir: d, pcap });
            }
        }
    }
    // suricata-verify tests copied among the malware and mixed captures (sv_*.test.yaml).
    for sub in ["malware", "mixed"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            if let Some(stem) = name.strip_suffix(".test.yaml") {
                if let Some(pcap) = files.iter().find(|p| {
                    let n = p.file_name().unwrap().to_string_lossy();
                    n.starts_with(stem) && (n.ends_with(".pcap") || n.ends_with(".pcapng"))
                }) {
                    out.push(Case::Suricata {
                        dir: f.clone(),
                        pcap: pcap.clone(),
                    });
                }
            }
            if let Some(pcap) = name.strip_suffix(".out") {
                let p = f.with_file_name(pcap);
                if p.is_file() {
                    out.push(Case::Ndpi {
                        out: f.clone(),
                        pcap: p,
                    });
                }
            }
        }
    }
    let zt = root.join("zeek-traces");
    if let Ok(rd) = std::fs::read_dir(&zt) {
        let mut dirs: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            let pcap = std::fs::read_dir(&d)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"));
            if let Some(pcap) = pcap {
                out.push(Case::Zeek { dir: d, pcap });
            }
        }
    }
    out
}

#[test]
fn agrees_with_suricata_zeek_and_ndpi() {
    let Some(root) = shared_pcaps() else { return };
    let explained = Explained::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/explained.toml"),
    );
    let all = cases(&root);
    assert!(all.len() >= 40, "found only {} cases", all.len());
    // suricata-verify runs Suricata with `community-id-seed: 7` in its own suricata.yaml;
    // its captures are replayed with the same seed (Zeek and nDPI use the default, 0).
    let seeded = std::env::temp_dir().join(format!(
        "vigil-conformance-seed7-{}.toml",
        std::process::id()
    ));
    let base = std::fs::read_to_string(common::root().join("configs/software.toml")).unwrap();
    let text = base.replace("[output]", "[output]\ncommunity_id_seed = 7");
    assert!(
        text.contains("community_id_seed = 7"),
        "software.toml has no [output] section"
    );
    std::fs::write(&seeded, text).unwrap();
    let seeded = seeded.to_str().unwrap().to_string();
    let schema = std::fs::read_to_string(root.join("../eve-schema.json"))
        .ok()
        .map(|text| {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            jsonschema::validator_for(&v).unwrap()
        });
    let results = parallel(&all, 3, |case| {
        let (pcap, name) = match case {
            Case::Suricata { dir, pcap } | Case::Zeek { dir, pcap } => (pcap, rel(&root, dir)),
            Case::Ndpi { out, pcap } => (pcap, rel(&root, out)),
        };
        let run = match case {
            Case::Suricata { .. } => replay(pcap, &["--profile", &seeded]),
            _ => replay(pcap, &[]),
        };
        let mut t = Tally::new(&name);
        if !run.output.status.success() {
            t.differ(
                "replay",
                format!("exit {:?}: {}", run.output.status.code(), run.stderr()),
            );
            return t;
        }
        // Every record Vigil wrote validates against Suricata's EVE schema once the
        // `vigil` object is set aside.
        if let Some(v) = &schema {
            // Vigil's own event types (incident, response, ai) are not Suricata's.
            for rec in run.records.iter().filter(|r| {
                !matches!(
                    r["event_type"].as_str(),
                    Some("incident" | "response" | "ai")
                )
            }) {
                let mut r = rec.clone();
                r.as_object_mut().unwrap().remove("vigil");
                let errors: Vec<String> = v.iter_errors(&r).map(|e| e.to_string()).collect();
                if errors.is_empty() {
                    t.agree(1);
                } else {
                    t.differ(
                        format!("schema {}", r["event_type"]),
                        format!("{r}: {errors:?}"),
                    );
                }
            }
        }
        match case {
            Case::Suricata { dir, .. } => suricata::check(dir, &run.records, &mut t),
            Case::Zeek { dir, .. } => zeek::check(dir, &run.records, &mut t),
            Case::Ndpi { out, .. } => ndpi::check(out, &run.records, &mut t),
        }
        t
    });
    let mut unexplained = Vec::new();
    let (mut agree, mut differ, mut expl, mut skipped) = (0, 0, 0, 0);
    eprintln!(
        "{:<72} {:>6} {:>6} {:>9} {:>7}",
        "file", "agree", "differ", "explained", "skipped"
    );
    for mut t in results {
        t.apply(&explained);
        eprintln!(
            "{:<72} {:>6} {:>6} {:>9} {:>7}",
            t.name,
            t.agree,
            t.unexplained.len(),
            t.explained.len(),
            t.skipped.len()
        );
        for (what, detail) in &t.unexplained {
            eprintln!("    DIFFERS {what}: {detail}");
        }
        agree += t.agree;
        differ += t.unexplained.len();
        expl += t.explained.len();
        skipped += t.skipped.len();
        unexplained.extend(
            t.unexplained
                .iter()
                .map(|(w, d)| format!("{}: {w}: {d}", t.name)),
        );
    }
    eprintln!("total: {agree} fields agree, {differ} differ unexplained, {expl} explained, {skipped} skipped");
    for e in explained.unused() {
        eprintln!("note: explanation not needed any more: {e}");
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}
