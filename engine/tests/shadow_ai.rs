//! Shadow AI discovery end to end through the real binary: learn four days of
//! `vigil simulate office` (which raises nothing, shadow AI included), then replay
//! `vigil simulate shadow-ai` on top of it. Each shadow-ai model fires on the right
//! device and only there, the MCP and LLM requests are read from the wire, the periodic
//! EVE `ai` records validate and are the same whatever the number of workers, and
//! `vigil report ai` lists each device with its services and bytes, the MCP server with
//! the tools called on it, and the internal LLM servers.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vigil-sai-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

fn simulate(scenario: &str, out: &Path) {
    let o = vigil()
        .args(["simulate", scenario, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn of<'a>(run: &'a Run, t: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    run.records.iter().filter(move |r| r["event_type"] == t)
}

/// The office learned once, the shadow-ai capture, and its replay on that state.
struct World {
    learned: PathBuf,
    capture: PathBuf,
    office_alerts: Vec<Value>,
    office_ai_records: usize,
    run: Run,
    state: PathBuf,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let learned = tmp("learned");
        let office = tmp("office.pcap");
        simulate("office", &office);
        let learn = replay(&office, &["--state", learned.to_str().unwrap()]);
        assert!(learn.output.status.success(), "{}", learn.stderr());
        let _ = std::fs::remove_file(&office);
        let capture = tmp("shadow-ai.pcap");
        simulate("shadow-ai", &capture);
        let state = tmp("state");
        copy_dir(&learned, &state);
        let run = replay(&capture, &["--state", state.to_str().unwrap()]);
        assert!(run.output.status.success(), "{}", run.stderr());
        World {
            office_alerts: of(&learn, "alert").cloned().collect(),
            office_ai_records: of(&learn, "ai").count(),
            learned,
            capture,
            run,
            state,
        }
    })
}

const ACC: &str = "10.20.1.11";
const SALES: &str = "10.20.1.12";
const MARIE: &str = "10.20.1.17";
const PIERRE: &str = "10.20.1.18";
const JULIE: &str = "10.20.1.19";
const HR: &str = "10.20.1.31";
const DEV: &str = "10.20.1.40";
const OLLAMA: &str = "10.20.0.120";
const VLLM: &str = "10.20.0.121";

#[test]
fn office_raises_nothing_and_uses_no_ai() {
    let w = world();
    assert!(
        w.office_alerts.is_empty(),
        "benign office traffic raised {:?}",
        w.office_alerts
            .iter()
            .map(|a| (&a["vigil"]["model"], &a["vigil"]["device"]))
            .collect::<Vec<_>>()
    );
    assert_eq!(w.office_ai_records, 0);
}

#[test]
fn each_model_fires_on_the_right_device_and_nowhere_else() {
    let w = world();
    let run = &w.run;
    let s = run.final_stats();
    assert_eq!(s["vigil"]["records_malformed"], 0);
    assert_eq!(s["vigil"]["records_dropped"], 0);
    assert_eq!(s["stats"]["capture"]["kernel_drops"], 0);
    let alerts: Vec<&Value> = of(run, "alert").collect();
    let shadow: BTreeSet<(String, String)> = alerts
        .iter()
        .filter(|a| {
            a["vigil"]["model"]
                .as_str()
                .unwrap()
                .starts_with("shadow-ai/")
        })
        .map(|a| {
            (
                a["vigil"]["model"].as_str().unwrap().to_string(),
                a["vigil"]["device"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = BTreeSet::new();
    for d in [ACC, SALES, MARIE, PIERRE, JULIE, HR, DEV] {
        want.insert(("shadow-ai/new-ai-service", d));
    }
    // Microsoft Copilot (DESKTOP-ACC11) is sanctioned by the default profile.
    for d in [SALES, MARIE, PIERRE, JULIE, HR, DEV] {
        want.insert(("shadow-ai/unsanctioned-ai-service", d));
    }
    want.insert(("shadow-ai/large-upload-to-ai-service", SALES));
    want.insert(("shadow-ai/mcp-activity", DEV));
    want.insert(("shadow-ai/local-llm-server", OLLAMA));
    want.insert(("shadow-ai/local-llm-server", VLLM));
    want.insert(("shadow-ai/ai-agent-user-agent", DEV));
    let want: BTreeSet<(String, String)> = want
        .into_iter()
        .map(|(m, d)| (m.to_string(), d.to_string()))
        .collect();
    assert_eq!(shadow, want);
    // Devices that use no AI raise nothing at all.
    for a in &alerts {
        let dev = a["vigil"]["device"].as_str().unwrap();
        assert!(
            !["10.20.1.23", "10.20.1.50", "10.20.1.60"].contains(&dev),
            "{a}"
        );
        let reason = a["vigil"]["reason"].as_str().unwrap();
        assert!(
            reason.chars().any(|c| c.is_ascii_digit()) && reason.len() > 40,
            "{reason}"
        );
        assert!(a["alert"]["signature_id"].as_u64().unwrap() >= 9_000_001);
    }
    let find = |model: &str, device: &str| -> Vec<&Value> {
        alerts
            .iter()
            .copied()
            .filter(|a| a["vigil"]["model"] == model && a["vigil"]["device"] == device)
            .collect()
    };
    // The upload is measured and named by the host it went to.
    let up = find("shadow-ai/large-upload-to-ai-service", SALES);
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["vigil"]["endpoint"], "files.oaiusercontent.com");
    assert!(
        up[0]["vigil"]["details"]["largest_connection_up"]
            .as_u64()
            .unwrap()
            > 24 << 20
    );
    assert_eq!(up[0]["alert"]["severity"], 1);
    assert_eq!(up[0]["vigil"]["mitre"][0], "T1567");
    // DESKTOP-ACC11's Copilot is new but sanctioned.
    let new = find("shadow-ai/new-ai-service", ACC);
    assert!(new[0]["vigil"]["reason"]
        .as_str()
        .unwrap()
        .ends_with("; sanctioned"));
    // dev-ws40: GitHub Copilot (sanctioned) and three unsanctioned services are new.
    let endpoints: BTreeSet<&str> = find("shadow-ai/new-ai-service", DEV)
        .iter()
        .map(|a| a["vigil"]["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        BTreeSet::from([
            "api.individual.githubcopilot.com",
            "api.openai.com",
            "api.anthropic.com",
            "huggingface.co"
        ])
    );
    let mcp = find("shadow-ai/mcp-activity", DEV);
    assert_eq!(mcp[0]["vigil"]["endpoint"], "10.20.0.90:8000");
    assert!(mcp[0]["vigil"]["reason"]
        .as_str()
        .unwrap()
        .contains("initialize on /mcp"));
    let agents: BTreeSet<&str> = find("shadow-ai/ai-agent-user-agent", DEV)
        .iter()
        .map(|a| a["vigil"]["details"]["agent"].as_str().unwrap())
        .collect();
    assert_eq!(agents, BTreeSet::from(["ollama-client", "openai-sdk"]));
    let llm = find("shadow-ai/local-llm-server", OLLAMA);
    assert!(llm[0]["vigil"]["reason"]
        .as_str()
        .unwrap()
        .contains("Ollama API on port 11434"));
}

#[test]
fn mcp_and_llm_requests_are_read_from_the_wire() {
    let run = &world().run;
    let http: Vec<&Value> = of(run, "http").collect();
    let mcp: Vec<&Value> = http
        .iter()
        .copied()
        .filter(|r| r["dest_ip"] == "10.20.0.90")
        .collect();
    let methods: Vec<&str> = mcp
        .iter()
        .map(|r| r["vigil"]["json"]["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods.iter().filter(|m| **m == "initialize").count(),
        2,
        "{methods:?}"
    );
    let tools: BTreeSet<&str> = mcp
        .iter()
        .filter(|r| r["vigil"]["json"]["method"] == "tools/call")
        .map(|r| r["vigil"]["json"]["params_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        BTreeSet::from(["query_database", "read_file", "create_ticket"])
    );
    // After initialize the session and protocol headers ride on every request.
    let calls: Vec<&&Value> = mcp
        .iter()
        .filter(|r| r["vigil"]["json"]["method"] == "tools/call")
        .collect();
    for r in calls {
        assert_eq!(r["vigil"]["mcp"]["protocol_version"], "2025-06-18");
        assert_eq!(r["vigil"]["mcp"]["session_id"].as_str().unwrap().len(), 32);
        assert_eq!(r["vigil"]["json"]["jsonrpc"], "2.0");
    }
    let models: BTreeSet<&str> = http
        .iter()
        .filter_map(|r| r["vigil"]["json"]["model"].as_str())
        .collect();
    assert_eq!(
        models,
        BTreeSet::from(["llama3.1:8b", "Qwen/Qwen2.5-7B-Instruct"])
    );
}

#[test]
fn ai_records_validate_and_cover_services_mcp_llm_and_agents() {
    let run = &world().run;
    let ai: Vec<&Value> = of(run, "ai").collect();
    assert!(!ai.is_empty());
    let kinds: BTreeSet<&str> = ai
        .iter()
        .map(|r| r["vigil"]["ai"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["agent", "llm-server", "mcp", "service"])
    );
    // Hourly in packet time (09:00 and 10:00), then the rest at the end of the run.
    let times: BTreeSet<&str> = ai
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap())
        .collect();
    assert!(
        times.contains("2026-03-13T09:00:00.000000+0000"),
        "{times:?}"
    );
    assert!(
        times.contains("2026-03-13T10:00:00.000000+0000"),
        "{times:?}"
    );
    assert_eq!(times.len(), 3, "{times:?}");
    // Bytes to ChatGPT over the run add up to the inventory's total.
    let chatgpt: Vec<&&Value> = ai
        .iter()
        .filter(|r| r["src_ip"] == SALES && r["vigil"]["ai"]["service"] == "openai-chatgpt")
        .collect();
    let up: u64 = chatgpt
        .iter()
        .map(|r| r["vigil"]["ai"]["bytes_toserver"].as_u64().unwrap())
        .sum();
    let last = chatgpt.last().unwrap();
    assert_eq!(
        up,
        last["vigil"]["ai"]["total"]["bytes_toserver"]
            .as_u64()
            .unwrap()
    );
    assert!(up > 24 << 20);
    assert_eq!(last["vigil"]["ai"]["sanctioned"], false);
    // Like every record, they validate against Suricata's schema once `vigil` is set
    // aside.
    let schema_path = root().join("../shared/eve-schema.json");
    let Ok(text) = std::fs::read_to_string(&schema_path) else {
        eprintln!("SKIPPED schema check: {} not found", schema_path.display());
        return;
    };
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    for rec in run.records.iter().filter(|r| {
        r["event_type"] == "ai"
            || (r["event_type"] == "http" && r["vigil"].get("json").is_some())
            || (r["event_type"] == "alert"
                && r["vigil"]["model"]
                    .as_str()
                    .unwrap()
                    .starts_with("shadow-ai/"))
    }) {
        let mut r = rec.clone();
        r.as_object_mut().unwrap().remove("vigil");
        let errors: Vec<String> = v.iter_errors(&r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{r}: {errors:?}");
    }
}

/// (model, device) of the shadow-ai alerts, and the `ai` records. (Which of two
/// connections a device opened within the same epoch on two workers breaches first
/// depends on the order the control plane reads the workers' queues; what breaches and
/// the `ai` records, which only add up, do not.)
fn shadow_view(run: &Run) -> (BTreeSet<String>, BTreeSet<String>) {
    let alerts = of(run, "alert")
        .filter(|a| {
            a["vigil"]["model"]
                .as_str()
                .unwrap()
                .starts_with("shadow-ai/")
        })
        .map(|a| format!("{} {}", a["vigil"]["model"], a["vigil"]["device"]))
        .collect();
    let ai = of(run, "ai").map(|r| r.to_string()).collect();
    (alerts, ai)
}

#[test]
fn two_workers_give_the_same_breaches_and_ai_records() {
    let w = world();
    let state = tmp("state-2w");
    copy_dir(&w.learned, &state);
    let two = replay(
        &w.capture,
        &["--state", state.to_str().unwrap(), "--workers", "2"],
    );
    assert!(two.output.status.success(), "{}", two.stderr());
    let (a1, r1) = shadow_view(&w.run);
    let (a2, r2) = shadow_view(&two);
    assert_eq!(a1, a2);
    assert_eq!(r1, r2);
    let _ = std::fs::remove_dir_all(&state);
}

fn report(args: &[&str]) -> (String, String, bool) {
    let o = vigil().args(["report", "ai"]).args(args).output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.success(),
    )
}

#[test]
fn report_lists_devices_services_bytes_mcp_and_llm_servers() {
    let w = world();
    let st = w.state.to_str().unwrap();
    let (table, err, ok) = report(&["--state", st]);
    assert!(ok, "{err}");
    for want in [
        "AI services by device",
        "LAPTOP-SALES12",
        "ChatGPT",
        "not sanctioned",
        "Microsoft Copilot",
        "dev-ws40",
        "GitHub Copilot",
        "Hugging Face Hub",
        "MCP servers",
        "10.20.0.90:8000",
        "mcp.office.example",
        "query_database (1)",
        "Local LLM servers",
        "llama3.1:8b",
        "Qwen/Qwen2.5-7B-Instruct",
        "ollama-python/0.4.7",
        "7 devices use 10 AI services",
    ] {
        assert!(table.contains(want), "no {want:?} in\n{table}");
    }
    let out = tmp("report.json");
    let (json, err, ok) = report(&["--state", st, "--json", "--out", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc, written);
    let devices = doc["devices"].as_array().unwrap();
    let ips: Vec<&str> = devices
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(ips, [ACC, SALES, MARIE, PIERRE, JULIE, HR, DEV]);
    for d in devices {
        assert!(d["bytes_up"].as_u64().unwrap() > 0 && d["bytes_down"].as_u64().unwrap() > 0);
        for s in d["services"].as_array().unwrap() {
            assert!(
                s["days"]["2026-03-13"]["bytes_up"].as_u64().unwrap() > 0,
                "{s}"
            );
        }
    }
    let sales = &devices[1]["services"][0];
    assert_eq!(sales["service"], "openai-chatgpt");
    assert!(sales["bytes_up"].as_u64().unwrap() > 24 << 20);
    let mcp = &doc["mcp_servers"][0];
    let tools: BTreeSet<&str> = mcp["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        BTreeSet::from(["create_ticket", "query_database", "read_file"])
    );
    assert_eq!(mcp["sessions"], 2);
    assert_eq!(mcp["clients"][0]["client"], DEV);
    assert_eq!(doc["llm_servers"].as_array().unwrap().len(), 2);
    let _ = std::fs::remove_file(&out);
    // Without a state there is nothing to report: one line, exit 2.
    let o = vigil()
        .args(["report", "ai", "--state"])
        .arg(tmp("none"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim().lines().count(), 1);
}

#[test]
fn a_bad_ai_section_exits_2_naming_its_line() {
    let dir = tmp("bad-profile");
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string(root().join("configs/software.toml")).unwrap();
    for (from, to, want) in [
        (
            "sanctioned = [\"microsoft-copilot\", \"github-copilot\"]",
            "sanctioned = [\"chatgpt\"]",
            "is no service id or category",
        ),
        (
            "record_interval = 3600",
            "records = 3600",
            "unknown field `records`",
        ),
    ] {
        let text = base.replace(from, to);
        assert_ne!(text, base);
        let p = dir.join("p.toml");
        std::fs::write(&p, &text).unwrap();
        let o = vigil().arg("check-config").arg(&p).output().unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        let line = text
            .lines()
            .position(|l| l.starts_with(to.split(' ').next().unwrap()))
            .unwrap()
            + 1;
        assert!(
            err.contains(&format!("p.toml:{line}: ")) && err.contains(want),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_capture_is_deterministic_and_well_formed() {
    let w = world();
    let again = tmp("again.pcap");
    simulate("shadow-ai", &again);
    assert!(
        std::fs::read(&again).unwrap() == std::fs::read(&w.capture).unwrap(),
        "same seed, same bytes"
    );
    let _ = std::fs::remove_file(&again);
    let run = &w.run;
    let c = &run.final_stats()["vigil"]["counters"];
    for k in [
        "stream.gaps",
        "stream.reordered",
        "stream.overflows",
        "records.truncated",
    ] {
        assert_eq!(c[k], 0, "{k}");
    }
    for f in of(run, "flow").filter(|r| r["proto"] == "TCP") {
        assert_eq!(f["vigil"]["conn_state"], "SF", "{f}");
        assert_eq!(f["flow"]["state"], "closed", "{f}");
    }
    // Every SNI and every HTTP host name follows a DNS answer that gave the client that
    // address.
    let answers: Vec<(String, String, String)> = of(run, "dns")
        .filter(|r| r["dns"]["type"] == "response")
        .flat_map(|r| {
            let client = r["dest_ip"].as_str().unwrap().to_string();
            let name = r["dns"]["queries"][0]["rrname"]
                .as_str()
                .unwrap()
                .to_string();
            r["dns"]["answers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a["rrtype"] == "A")
                .map(move |a| {
                    (
                        client.clone(),
                        name.clone(),
                        a["rdata"].as_str().unwrap().to_string(),
                    )
                })
        })
        .collect();
    let mut named = 0;
    for r in of(run, "tls").chain(of(run, "http")) {
        let name = r["tls"]["sni"].as_str().or(r["http"]["hostname"].as_str());
        let Some(name) = name.filter(|n| !n.chars().all(|c| c.is_ascii_digit() || c == '.')) else {
            continue;
        };
        let (src, dst) = (
            r["src_ip"].as_str().unwrap(),
            r["dest_ip"].as_str().unwrap(),
        );
        assert!(
            answers
                .iter()
                .any(|(c, n, a)| c == src && n == name && a == dst),
            "{src} reached {name} ({dst}) without a lookup"
        );
        named += 1;
    }
    assert!(named > 100, "{named}");
}
