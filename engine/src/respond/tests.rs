//! The responder's decisions: modes, triggers, exemptions, expiry, approval and release,
//! and the block table they produce.

use super::*;
use crate::config::{ExemptConf, ResponseConf, TriggerConf};
use crate::detect::catalog;
use crate::learn::{net, Learned, Settings};
use serde_json::json;

const S: u64 = 1_000_000_000;
/// 2026-03-13T09:00:00Z.
const T: u64 = 1_773_392_400;

fn alert(
    model: &'static crate::detect::catalog::ModelInfo,
    score: u8,
    dev: &str,
    server: &str,
    port: u16,
    t: u64,
) -> Alert {
    let (c, v6) = net::to_key(dev.parse().unwrap());
    let (s, _) = net::to_key(server.parse().unwrap());
    Alert {
        model,
        score,
        device: dev.into(),
        endpoint: format!("{server}:{port}"),
        reason: format!("{dev} did something to {server}"),
        ts_ns: t * S,
        header: Header {
            flow_id: t,
            v6,
            client: c,
            server: s,
            cport: 50000,
            sport: port,
            proto: 6,
            ..Default::default()
        },
        details: json!({}),
    }
}

fn conf(mode: &str) -> ResponseConf {
    ResponseConf {
        mode: mode.into(),
        trigger: vec![
            TriggerConf {
                model: Some("compromise/*".into()),
                min_score: Some(60),
                action: "block-connection".into(),
                duration: Some(600),
                ..Default::default()
            },
            TriggerConf {
                breaches: Some(3),
                within: Some(3600),
                action: "enforce-pattern-of-life".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

fn learner() -> Learner {
    Learner::new(Settings::default(), Learned::default())
}

#[test]
fn autonomous_blocks_at_once_and_expires() {
    let l = learner();
    let mut r = Responder::new(&conf("autonomous"), Default::default());
    let (inc, _) = r.on_alert(
        &alert(
            &catalog::BEACONING,
            80,
            "10.20.1.17",
            "83.136.208.246",
            6783,
            T,
        ),
        &l,
    );
    assert_eq!(inc, 1);
    let out = r.published(T * S);
    let resp: Vec<&Map<String, Value>> = out
        .iter()
        .map(|o| &o.1)
        .filter(|m| m["event_type"] == "response")
        .collect();
    assert_eq!(resp.len(), 1);
    let a = &resp[0]["response"];
    assert_eq!(a["action"], "block-connection");
    assert_eq!(a["state"], "active");
    assert_eq!(a["dest_port"], 6783);
    assert!(a["reason"].as_str().unwrap().contains("scored 80 (≥ 60)"));
    assert!(r.take_blocks_changed());
    // The block table holds the connection, not the device's other traffic.
    let b = r.block_set();
    let k = |s: &str| net::to_key(s.parse().unwrap()).0;
    let pairs = crate::learn::table::KeyTable::with_capacity(1);
    let nets = net::Networks::default();
    assert!(b
        .verdict(
            &k("10.20.1.17"),
            &k("83.136.208.246"),
            false,
            6783,
            &pairs,
            &nets
        )
        .is_some());
    assert!(b
        .verdict(
            &k("10.20.1.17"),
            &k("83.136.208.246"),
            false,
            443,
            &pairs,
            &nets
        )
        .is_none());
    // The same breach again does not decide twice.
    let (_, out) = r.on_alert(
        &alert(
            &catalog::BEACONING,
            80,
            "10.20.1.17",
            "83.136.208.246",
            6783,
            T + 60,
        ),
        &l,
    );
    assert!(out.iter().all(|o| o.1["event_type"] != "response"));
    // Ten minutes later it expires.
    assert!(r.tick((T + 599) * S).is_empty());
    let e = r.tick((T + 600) * S);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].1["response"]["state"], "expired");
    assert!(r.take_blocks_changed());
    assert!(r.block_set().is_empty());
}

#[test]
fn observe_and_confirm_wait_for_a_person() {
    let l = learner();
    for mode in ["observe", "confirm"] {
        let mut r = Responder::new(&conf(mode), Default::default());
        let (_, out) = r.on_alert(
            &alert(
                &catalog::BEACONING,
                80,
                "10.20.1.17",
                "83.136.208.246",
                6783,
                T,
            ),
            &l,
        );
        let resp = out
            .iter()
            .find(|o| o.1["event_type"] == "response")
            .unwrap();
        assert_eq!(resp.1["response"]["state"], "pending");
        assert_eq!(resp.1["response"]["mode"], mode);
        assert!(r.block_set().is_empty());
        let id = resp.1["response"]["id"].as_u64().unwrap();
        let a = r.approve(id, (T + 30) * S, "alice").unwrap();
        assert_eq!(a.1["response"]["state"], "active");
        assert!(a.1["response"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("approved by alice"));
        assert!(!r.block_set().is_empty());
        assert!(r.approve(id, (T + 31) * S, "alice").is_err());
        let rel = r.release(id, (T + 40) * S, "bob").unwrap();
        assert_eq!(rel.1["response"]["state"], "released");
        assert!(r.block_set().is_empty());
        assert!(r.release(id, (T + 41) * S, "bob").is_err());
        assert!(r.approve(99, T * S, "x").is_err());
    }
}

#[test]
fn breaches_over_time_enforce_the_pattern_of_life() {
    let l = learner();
    let mut r = Responder::new(&conf("autonomous"), Default::default());
    // Low-scoring breaches: the first trigger does not match; the third within the hour
    // matches the second.
    let mut decided = Vec::new();
    for i in 0..3 {
        r.on_alert(
            &alert(
                &catalog::PROTOCOL_ON_UNCOMMON_PORT,
                40,
                "10.20.1.23",
                "198.51.100.7",
                7000 + i,
                T + i as u64 * 600,
            ),
            &l,
        );
        decided.extend(r.published((T + i as u64 * 600) * S));
    }
    assert_eq!(decided.len(), 1);
    assert_eq!(
        decided[0].1["response"]["action"],
        "enforce-pattern-of-life"
    );
    assert!(decided[0].1["response"]["reason"]
        .as_str()
        .unwrap()
        .contains("3 breaches within 3600 s"));
}

#[test]
fn exemptions_suppress_but_record() {
    let l = learner();
    let mut c = conf("autonomous");
    c.exempt = vec![ExemptConf {
        device: Some("10.20.1.0/24".into()),
        endpoint: None,
        from: Some("2026-03-13T08:00:00Z".into()),
        until: Some("2026-03-13T10:00:00Z".into()),
        reason: "planned upgrade".into(),
    }];
    let mut r = Responder::new(&c, Default::default());
    let (_, out) = r.on_alert(
        &alert(
            &catalog::BEACONING,
            80,
            "10.20.1.17",
            "83.136.208.246",
            6783,
            T,
        ),
        &l,
    );
    let resp = out
        .iter()
        .find(|o| o.1["event_type"] == "response")
        .unwrap();
    assert_eq!(resp.1["response"]["state"], "suppressed");
    assert!(resp.1["response"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("suppressed by planned upgrade"));
    assert!(r.block_set().is_empty());
    // After the window, the same kind of breach is acted on.
    let mut r = Responder::new(&c, Default::default());
    r.on_alert(
        &alert(
            &catalog::BEACONING,
            80,
            "10.20.1.17",
            "83.136.208.246",
            6783,
            T + 7200,
        ),
        &l,
    );
    assert_eq!(
        r.published((T + 7200) * S)[0].1["response"]["state"],
        "active"
    );
}

#[test]
fn an_active_action_starts_when_the_workers_get_it() {
    let l = learner();
    let mut r = Responder::new(&conf("autonomous"), Default::default());
    let mut a = alert(
        &catalog::BEACONING,
        80,
        "10.20.1.17",
        "83.136.208.246",
        6783,
        T,
    );
    a.ts_ns += 250_000_000;
    let (_, out) = r.on_alert(&a, &l);
    // Not recorded yet: the block table has not gone out.
    assert!(out.iter().all(|o| o.1["event_type"] != "response"));
    let out = r.published((T + 1) * S);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1["response"]["state"], "active");
    assert_eq!(
        out[0].1["response"]["start"],
        crate::output::eve::timestamp((T + 1) * S)
    );
    assert_eq!(
        out[0].1["response"]["expires"],
        crate::output::eve::timestamp((T + 601) * S)
    );
    assert!(r.published((T + 2) * S).is_empty());
}

#[test]
fn no_endpoint_block_on_an_internal_server() {
    // A DGA breach's flow is the DNS lookup to the internal resolver: never blocked.
    let l = learner();
    let mut c = conf("autonomous");
    c.trigger = vec![TriggerConf {
        action: "block-endpoint".into(),
        ..Default::default()
    }];
    let mut r = Responder::new(&c, Default::default());
    let (_, out) = r.on_alert(
        &alert(&catalog::DGA_DNS, 75, "10.20.1.31", "10.20.0.53", 53, T),
        &l,
    );
    assert!(out.iter().all(|o| o.1["event_type"] != "response"));
}

#[test]
fn incidents_are_bounded_oldest_forgotten() {
    use super::incident::{Incidents, MAX_INCIDENTS};
    let l = learner();
    let model = &catalog::BEACONING;
    let mut inc = Incidents::default();
    // A breach a day from a new device each time: each one a new incident, all sharing
    // one endpoint (so they link), far more than are kept.
    let n = MAX_INCIDENTS as u64 + 50;
    for i in 0..n {
        let dev = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        let a = alert(model, 70, &dev, "83.136.208.246", 6783, T + i * 86_400);
        inc.add(&a, &l, 3600);
    }
    assert_eq!(inc.list.len(), MAX_INCIDENTS);
    assert_eq!(inc.next_id, n);
    // The oldest went, with every reference to them.
    assert_eq!(
        *inc.list.keys().next().unwrap(),
        n - MAX_INCIDENTS as u64 + 1
    );
    for i in inc.list.values() {
        assert!(i.linked.iter().all(|id| inc.list.contains_key(id)));
    }
    // The newest is whole.
    assert_eq!(inc.list[&n].alerts.len(), 1);
}
