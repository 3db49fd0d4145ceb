//! ArcSight Common Event Format (CEF 0) lines for SIEMs that parse it rather than JSON:
//! `CEF:0|Vigil|Vigil NDR|VERSION|CLASS|NAME|SEVERITY|EXTENSION`. Alerts carry their
//! signature id as the class, incidents `vigil-incident`, responses
//! `vigil-response-<action>`; severity is the score on CEF's 0–10 scale. Hand-written:
//! the format is one line with two escaping rules (header: `\` and `|`; extension: `\`,
//! `=` and line breaks).

use serde_json::Value;

/// Escapes a header field.
fn header(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|")
}

/// Escapes an extension value.
fn ext(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string).or_else(|| text(x)))
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// Milliseconds since the epoch of an EVE timestamp.
fn millis(rec: &Value) -> Option<u64> {
    rec["timestamp"]
        .as_str()
        .and_then(crate::output::eve::parse_timestamp)
        .map(|ns| ns / 1_000_000)
}

/// The CEF line of an EVE record.
pub fn line(rec: &Value) -> String {
    let et = rec["event_type"].as_str().unwrap_or("event");
    let mut e: Vec<(&str, String)> = Vec::new();
    let mut put = |k: &'static str, v: &Value| {
        if let Some(s) = text(v) {
            if !s.is_empty() {
                e.push((k, s));
            }
        }
    };
    if let Some(ms) = millis(rec) {
        put("rt", &Value::from(ms));
    }
    put("src", &rec["src_ip"]);
    put("spt", &rec["src_port"]);
    put("dst", &rec["dest_ip"]);
    put("dpt", &rec["dest_port"]);
    put("proto", &rec["proto"]);
    put("externalId", &rec["flow_id"]);
    let (class, name, score) = match et {
        "alert" => {
            let v = &rec["vigil"];
            put("cs1Label", &Value::from("model"));
            put("cs1", &v["model"]);
            put("cs2Label", &Value::from("incidentId"));
            put("cs2", &v["incident_id"]);
            put("cs3Label", &Value::from("mitre"));
            put("cs3", &v["mitre"]);
            put("cs4Label", &Value::from("endpoint"));
            put("cs4", &v["endpoint"]);
            put("cn1Label", &Value::from("score"));
            put("cn1", &v["score"]);
            put("cat", &rec["alert"]["category"]);
            put("msg", &v["reason"]);
            (
                text(&rec["alert"]["signature_id"]).unwrap_or_else(|| "vigil-alert".into()),
                text(&v["model"]).unwrap_or_else(|| "alert".into()),
                v["score"].as_u64().unwrap_or(0),
            )
        }
        "incident" => {
            let i = &rec["incident"];
            put("cs2Label", &Value::from("incidentId"));
            put("cs2", &i["id"]);
            put("cs3Label", &Value::from("tactics"));
            put("cs3", &i["tactics"]);
            put("cs5Label", &Value::from("devices"));
            put("cs5", &i["devices"]);
            put("cn1Label", &Value::from("score"));
            put("cn1", &i["score"]);
            put("msg", &i["narrative"]);
            (
                "vigil-incident".to_string(),
                format!("Incident {}", text(&i["id"]).unwrap_or_default()),
                i["score"].as_u64().unwrap_or(0),
            )
        }
        "response" => {
            let r = &rec["response"];
            put("act", &r["state"]);
            put("cs2Label", &Value::from("incidentId"));
            put("cs2", &r["incident_id"]);
            put("cs4Label", &Value::from("endpoint"));
            put("cs4", &r["endpoint"]);
            put("cs6Label", &Value::from("actionId"));
            put("cs6", &r["id"]);
            put("msg", &r["reason"]);
            let action = r["action"].as_str().unwrap_or("action");
            (
                format!("vigil-response-{action}"),
                format!("{action} {}", r["state"].as_str().unwrap_or("")),
                if r["state"] == "active" { 60 } else { 40 },
            )
        }
        other => (format!("vigil-{other}"), other.to_string(), 10),
    };
    let ext_text: Vec<String> = e.iter().map(|(k, v)| format!("{k}={}", ext(v))).collect();
    format!(
        "CEF:0|Vigil|Vigil NDR|{}|{}|{}|{}|{}",
        header(env!("CARGO_PKG_VERSION")),
        header(&class),
        header(&name),
        (score.min(100) + 5) / 10,
        ext_text.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Splits a CEF line back into its 7 header fields and extension pairs, undoing
    /// the escapes (what a SIEM's CEF parser does).
    fn parse(l: &str) -> (Vec<String>, Vec<(String, String)>) {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            if fields.len() == 7 {
                cur.push(c);
                continue;
            }
            match c {
                '\\' => cur.push(chars.next().unwrap()),
                '|' => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        // Extension: key=value pairs; a key starts after a space and ends at an
        // unescaped '='.
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut key = String::new();
        let mut val = String::new();
        let mut in_key = true;
        let mut it = cur.chars().peekable();
        while let Some(c) = it.next() {
            if in_key {
                if c == '=' {
                    in_key = false;
                } else {
                    key.push(c);
                }
                continue;
            }
            match c {
                '\\' => match it.next().unwrap() {
                    'n' => val.push('\n'),
                    'r' => val.push('\r'),
                    x => val.push(x),
                },
                ' ' if {
                    let rest: String = it.clone().collect();
                    rest.split(' ')
                        .next()
                        .and_then(|w| w.split_once('='))
                        .is_some_and(|(k, _)| {
                            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric())
                        })
                } =>
                {
                    pairs.push((std::mem::take(&mut key), std::mem::take(&mut val)));
                    in_key = true;
                }
                _ => val.push(c),
            }
        }
        pairs.push((key, val));
        (fields, pairs)
    }

    #[test]
    fn alerts_round_trip_through_a_cef_parser() {
        let rec = json!({"timestamp": "2026-03-13T09:12:21.164132+0000", "event_type": "alert",
            "src_ip": "10.20.1.17", "src_port": 50000, "dest_ip": "83.136.208.246", "dest_port": 6783,
            "proto": "TCP", "alert": {"signature_id": 9000002, "category": "Anomalous Connection"},
            "vigil": {"model": "anomalous-connection/posting-http-to-ip-without-hostname", "score": 55,
                      "reason": "POSTed /a=b|c\\d\nnext", "mitre": ["T1071.001", "T1571"], "incident_id": 3,
                      "endpoint": "83.136.208.246:6783"}});
        let l = line(&rec);
        let (h, e) = parse(&l);
        assert_eq!(h[0], "CEF:0");
        assert_eq!(h[1], "Vigil");
        assert_eq!(h[4], "9000002");
        assert_eq!(
            h[5],
            "anomalous-connection/posting-http-to-ip-without-hostname"
        );
        assert_eq!(h[6], "6");
        let get = |k: &str| e.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        assert_eq!(get("msg").unwrap(), "POSTed /a=b|c\\d\nnext");
        assert_eq!(get("rt").unwrap(), "1773393141164");
        assert_eq!(get("dst").unwrap(), "83.136.208.246");
        assert_eq!(get("cs3").unwrap(), "T1071.001,T1571");
        assert_eq!(get("cn1").unwrap(), "55");
        assert!(!l.contains('\n'));
    }

    #[test]
    fn header_pipes_are_escaped() {
        assert_eq!(header("a|b\\c"), "a\\|b\\\\c");
        let rec = json!({"event_type": "response", "response": {"id": 4, "action": "quarantine",
            "state": "active", "reason": "x"}});
        let l = line(&rec);
        assert!(
            l.contains("|vigil-response-quarantine|quarantine active|6|"),
            "{l}"
        );
    }
}
