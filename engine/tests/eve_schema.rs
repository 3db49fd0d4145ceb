//! Every `stats` record validates against Suricata's own EVE schema once the `vigil`
//! object is set aside.

mod common;
use common::*;

#[test]
fn stats_records_validate_against_suricata_schema() {
    let schema_path = root().join("../shared/eve-schema.json");
    let Ok(text) = std::fs::read_to_string(&schema_path) else {
        eprintln!("SKIPPED: {} not found", schema_path.display());
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    // A profile with stats every second of packet time, so periodic records appear too.
    let profile = std::env::temp_dir().join(format!("vigil-schema-{}.toml", std::process::id()));
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    std::fs::write(
        &profile,
        base.replace("stats_interval = 60", "stats_interval = 1"),
    )
    .unwrap();
    // An 11-minute capture when the shared ones are here (periodic records), else ours.
    let capture = shared_pcaps()
        .map(|d| d.join("malware/slips_test-cc-capture-1_periodic2s.pcap"))
        .filter(|p| p.is_file())
        .unwrap_or_else(bundled);
    let run = replay(
        &capture,
        &["--profile", profile.to_str().unwrap(), "--workers", "2"],
    );
    assert!(run.output.status.success(), "{}", run.stderr());
    if capture != bundled() {
        assert!(
            run.records.len() > 600,
            "want a stats record per second of packet time, got {}",
            run.records.len()
        );
    }
    for rec in &run.records {
        let mut r = rec.clone();
        r.as_object_mut().unwrap().remove("vigil");
        let errors: Vec<String> = validator.iter_errors(&r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{r}: {errors:?}");
    }
}
