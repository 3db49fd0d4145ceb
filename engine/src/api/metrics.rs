//! `/metrics`: the current view in Prometheus' text exposition format (version 0.0.4),
//! named by Prometheus' conventions (`vigil_` prefix, base units, `_total` on counters,
//! one `# HELP` and `# TYPE` per family). Written by hand: the figures are already in
//! the view, and a client library's registry would only hold a second copy of them.

use super::routes::Routing;
use super::view::View;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// Escapes a label value (`\`, `"`, newline).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A per-worker family: name, type, help, and the figure.
type PerWorker = (
    &'static str,
    &'static str,
    &'static str,
    fn(&super::view::WorkerView) -> u64,
);

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn value(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", label(val));
            }
            self.0.push('}');
        }
        if v.fract() == 0.0 && v.abs() < 1e15 {
            let _ = writeln!(self.0, " {}", v as i64);
        } else {
            let _ = writeln!(self.0, " {v}");
        }
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, v: f64) {
        self.family(name, kind, help);
        self.value(name, &[], v);
    }
}

/// The exposition text.
pub fn render(v: &View, r: &Routing<'_>) -> String {
    let mut o = Out(String::with_capacity(8192));
    o.family("vigil_build_info", "gauge", "Vigil's version.");
    o.value(
        "vigil_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    o.one(
        "vigil_start_time_seconds",
        "gauge",
        "When the engine started (Unix time).",
        v.started_ns as f64 / 1e9,
    );
    o.one(
        "vigil_packet_time_seconds",
        "gauge",
        "The latest packet time seen (Unix time).",
        v.packet_time_ns as f64 / 1e9,
    );

    let per_worker: [PerWorker; 8] = [
        (
            "vigil_worker_packets_total",
            "counter",
            "Packets a worker handled.",
            |w| w.packets,
        ),
        (
            "vigil_worker_bytes_total",
            "counter",
            "Bytes (frames) a worker handled.",
            |w| w.bytes,
        ),
        (
            "vigil_worker_flows_total",
            "counter",
            "Flows a worker created.",
            |w| w.flows,
        ),
        (
            "vigil_worker_flows_active",
            "gauge",
            "Flows in a worker's table now.",
            |w| w.flows_active,
        ),
        (
            "vigil_worker_records_dropped_total",
            "counter",
            "Records a worker dropped because its record queue was full.",
            |w| w.records_dropped,
        ),
        (
            "vigil_worker_summary_queue_full_total",
            "counter",
            "Summaries a worker dropped because its summary queue was full.",
            |w| w.summary_queue_full,
        ),
        (
            "vigil_worker_summary_queue_depth",
            "gauge",
            "Summaries waiting in a worker's queue to the control plane.",
            |w| w.summary_depth,
        ),
        (
            "vigil_worker_record_queue_depth",
            "gauge",
            "Record slots waiting in a worker's queue to the control plane.",
            |w| w.record_depth,
        ),
    ];
    for (name, kind, help, f) in per_worker {
        o.family(name, kind, help);
        for (i, w) in v.workers.iter().enumerate() {
            let id = i.to_string();
            o.value(name, &[("worker", &id)], f(w) as f64);
        }
    }

    o.family(
        "vigil_port_dropped_packets_total",
        "counter",
        "Packets lost before a worker saw them, by where.",
    );
    for (why, n) in [
        ("imissed", v.port.imissed),
        ("rx_nombuf", v.port.rx_nombuf),
        ("dispatch", v.port.dispatch_dropped),
    ] {
        o.value(
            "vigil_port_dropped_packets_total",
            &[("reason", why)],
            n as f64,
        );
    }
    o.one(
        "vigil_port_received_packets_total",
        "counter",
        "Packets the capture port received.",
        v.port.ipackets as f64,
    );
    o.one(
        "vigil_port_errors_total",
        "counter",
        "Erroneous packets the capture port received.",
        v.port.ierrors as f64,
    );
    o.one(
        "vigil_flows",
        "gauge",
        "Flows the control plane has seen.",
        v.flows as f64,
    );

    o.family(
        "vigil_eve_records_total",
        "counter",
        "EVE records written, by event type.",
    );
    for (t, n) in &v.eve_records {
        o.value("vigil_eve_records_total", &[("event_type", t)], *n as f64);
    }
    o.family(
        "vigil_alerts_total",
        "counter",
        "Breaches raised, by detection model.",
    );
    for (m, n) in &v.alerts_by_model {
        o.value("vigil_alerts_total", &[("model", m)], *n as f64);
    }

    o.family(
        "vigil_response_actions",
        "gauge",
        "Response actions known (recent ones and every live one), by kind and state.",
    );
    let mut by: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for kind in crate::config::ACTIONS {
        for state in ["pending", "active", "suppressed", "released", "expired"] {
            by.insert((kind.to_string(), state.to_string()), 0);
        }
    }
    for a in &v.actions {
        let k = (
            a["action"].as_str().unwrap_or("").to_string(),
            a["state"].as_str().unwrap_or("").to_string(),
        );
        *by.entry(k).or_insert(0) += 1;
    }
    for ((kind, state), n) in &by {
        o.value(
            "vigil_response_actions",
            &[("action", kind), ("state", state)],
            *n as f64,
        );
    }
    let open = v.incidents.iter().filter(|i| i["open"] == true).count();
    o.one(
        "vigil_incidents_open",
        "gauge",
        "Incidents still open (a breach of their devices would join them).",
        open as f64,
    );
    o.one(
        "vigil_incidents",
        "gauge",
        "Incidents recorded.",
        v.incidents_total as f64,
    );
    o.one(
        "vigil_devices",
        "gauge",
        "Devices learned.",
        v.devices_learned as f64,
    );
    o.one(
        "vigil_endpoints",
        "gauge",
        "External endpoints learned.",
        v.endpoints_learned as f64,
    );
    o.one(
        "vigil_endpoints_rare",
        "gauge",
        "External endpoints that are rare now.",
        v.rare_endpoints as f64,
    );
    o.one(
        "vigil_snapshots_published_total",
        "counter",
        "Snapshots published to the workers.",
        v.snapshots_published as f64,
    );
    o.one(
        "vigil_hot_path_allocations_total",
        "counter",
        "Heap allocations made on the workers' hot path (should stay 0).",
        v.hot_path_allocations as f64,
    );

    // Outputs: the counters of each output's queue.
    let outs = &v.outputs;
    let fams = [
        (
            "sent",
            "vigil_output_sent_total",
            "Records an output delivered.",
        ),
        (
            "dropped",
            "vigil_output_dropped_total",
            "Records an output dropped because its queue was full.",
        ),
        (
            "failed",
            "vigil_output_failed_total",
            "Records an output gave up on.",
        ),
        (
            "retries",
            "vigil_output_retries_total",
            "Retries and reconnections of an output.",
        ),
        (
            "truncated",
            "vigil_output_truncated_total",
            "Records cut to an output's largest message.",
        ),
    ];
    for (key, name, help) in fams {
        o.family(name, "counter", help);
        if let Some(m) = outs.as_object() {
            for (out, c) in m {
                if let Some(n) = c.get(key).and_then(|x| x.as_u64()) {
                    o.value(name, &[("output", out)], n as f64);
                }
            }
        }
    }
    o.family(
        "vigil_output_queue_depth",
        "gauge",
        "Records waiting in an output's queue.",
    );
    if let Some(m) = outs.as_object() {
        for (out, c) in m {
            if let Some(n) = c.get("queued").and_then(|x| x.as_u64()) {
                o.value("vigil_output_queue_depth", &[("output", out)], n as f64);
            }
        }
    }

    o.one(
        "vigil_api_requests_total",
        "counter",
        "Requests the API answered.",
        r.counters.requests.load(Ordering::Relaxed) as f64,
    );
    o.one(
        "vigil_api_unauthorized_total",
        "counter",
        "Requests refused for a missing or wrong token (401).",
        r.counters.unauthorized.load(Ordering::Relaxed) as f64,
    );
    o.one(
        "vigil_view_build_seconds",
        "gauge",
        "How long the control plane took to build the last view.",
        v.build_ns as f64 / 1e9,
    );
    o.one(
        "vigil_view_age_seconds",
        "gauge",
        "Age of the view these figures come from.",
        super::view::wall_ns().saturating_sub(v.built_ns) as f64 / 1e9,
    );
    o.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::Token;
    use crate::api::routes::Counters;
    use crate::api::view::WorkerView;
    use serde_json::json;

    #[test]
    fn families_are_well_formed() {
        let t = Token::new(b"0123456789abcdef");
        let c = Counters::default();
        let r = Routing {
            token: &t,
            console: true,
            counters: &c,
            view_interval_s: 1,
        };
        let mut v = View {
            outputs: json!({"syslog": {"sent": 3, "dropped": 1, "failed": 0, "retries": 0, "truncated": 0, "queued": 2}}),
            workers: vec![WorkerView {
                packets: 10,
                ..Default::default()
            }],
            ..Default::default()
        };
        v.alerts_by_model.insert("a/b\"c".into(), 2);
        let text = render(&v, &r);
        assert!(text.contains("vigil_worker_packets_total{worker=\"0\"} 10\n"));
        assert!(text.contains("vigil_alerts_total{model=\"a/b\\\"c\"} 2\n"));
        assert!(text.contains("vigil_output_dropped_total{output=\"syslog\"} 1\n"));
        assert!(text.contains("vigil_response_actions{action=\"quarantine\",state=\"active\"} 0\n"));
        // Every sample belongs to the family declared before it.
        let mut family = String::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap().to_string();
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                assert_eq!(name, family, "{l}");
            }
        }
    }
}
