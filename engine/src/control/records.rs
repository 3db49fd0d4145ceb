//! The control plane's side of the workers' record queues: glue slots back into
//! records, read their headers, hand application records to the protocol trackers,
//! turn flow ends into EVE `flow` records, and write every EVE record with its
//! envelope.

use crate::app::{self, Dir, EveBody, RecordCtx, RecordKind, Tracker};
use crate::detect::Detector;
use crate::learn::{Learner, Settings};
use crate::output::envelope;
use crate::output::eve::{self, EveWriter};
use crate::respond::{Out, Responder};
use crate::wire::Reader;
use crate::worker::pipeline::Details;
use crate::worker::records::{read_header, Assembler, Header, ReadHeader, RecordQueue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Turns records into EVE output.
pub struct Records {
    queues: Vec<Arc<RecordQueue>>,
    assemblers: Vec<Assembler>,
    dns: app::dns::DnsTracker,
    http: app::http::HttpTracker,
    tls: app::tls::TlsTracker,
    quic: app::quic::QuicTracker,
    ssh: app::ssh::SshTracker,
    dhcp: app::dhcp::DhcpTracker,
    /// Per worker, its detail counters once it has ended.
    pub details: Vec<Option<Vec<(&'static str, u64)>>>,
    /// EVE records written, by event type.
    pub by_type: BTreeMap<String, u64>,
    /// Records that could not be read (a bug if ever non-zero).
    pub malformed: u64,
    bodies: Vec<EveBody>,
    /// Community ID seed (profile `output.community_id_seed`).
    pub seed: u16,
    /// What the network has learned; every record written teaches it.
    pub learn: Learner,
    /// The detection models; every record is shown to them before the learner.
    pub detect: Detector,
    /// Breaches written (EVE `alert` records).
    pub alerts: Vec<AlertSummary>,
    /// Incidents and actions.
    pub respond: Responder,
}

/// What the end-of-run table shows of one breach.
#[derive(Debug, Clone)]
pub struct AlertSummary {
    pub ts_ns: u64,
    pub model: &'static str,
    pub score: u8,
    pub device: String,
    pub endpoint: String,
    pub reason: String,
}

/// Most breaches kept for the end-of-run table.
const ALERTS_KEPT: usize = 10_000;

impl Records {
    /// Reads the record queues of every worker.
    pub fn new(queues: Vec<Arc<RecordQueue>>) -> Records {
        let n = queues.len();
        Records {
            queues,
            assemblers: (0..n).map(|_| Assembler::default()).collect(),
            dns: Default::default(),
            http: Default::default(),
            tls: Default::default(),
            quic: Default::default(),
            ssh: Default::default(),
            dhcp: Default::default(),
            details: vec![None; n],
            by_type: BTreeMap::new(),
            malformed: 0,
            bodies: Vec::new(),
            seed: 0,
            learn: Learner::new(Settings::default(), Default::default()),
            detect: Detector::new(&crate::config::ModelConf::default()),
            alerts: Vec::new(),
            respond: Responder::new(&Default::default(), Default::default()),
        }
    }

    /// Slots waiting in each worker's record queue.
    pub fn queue_depths(&self) -> Vec<usize> {
        self.queues.iter().map(|q| q.len()).collect()
    }

    /// Drains every queue; returns how many slots were read.
    pub fn drain(&mut self, eve: &mut Option<EveWriter>) -> Result<usize, String> {
        let mut n = 0;
        for w in 0..self.queues.len() {
            while let Some(slot) = self.queues[w].pop() {
                n += 1;
                let rec = match self.assemblers[w].push(&slot) {
                    Some(r) => r.to_vec(),
                    None => continue,
                };
                self.assemblers[w].clear();
                self.record(w, &rec, eve)?;
            }
        }
        Ok(n)
    }

    fn record(&mut self, w: usize, rec: &[u8], eve: &mut Option<EveWriter>) -> Result<(), String> {
        let mut r = Reader::new(rec);
        let Some(hdr) = read_header(&mut r) else {
            self.malformed += 1;
            return Ok(());
        };
        let ctx = RecordCtx {
            flow_id: hdr.h.flow_id,
            ts_ns: hdr.ts_ns,
            dir: hdr.dir,
        };
        self.bodies.clear();
        let mut icmp = None;
        // Packet time at which the worker produced the record (a flow's end comes when
        // the worker ended it, which may be long after its last packet).
        let mut emitted_ns = hdr.ts_ns;
        match hdr.kind {
            RecordKind::WorkerStats => {
                self.details[w] = Details::read(&mut r);
                return Ok(());
            }
            RecordKind::Contact => {
                self.learn.first_contact(&hdr.h, hdr.ts_ns);
                return Ok(());
            }
            RecordKind::Flow => {
                match flow_body(&hdr, &mut r) {
                    Some((body, ic, ended)) => {
                        icmp = ic;
                        emitted_ns = ended;
                        self.bodies.push(body);
                    }
                    None => self.malformed += 1,
                }
                // Whatever waited on this flow goes out before its flow record.
                let mut pending = Vec::new();
                self.dns.flow_end(&ctx, &mut pending);
                self.http.flow_end(&ctx, &mut pending);
                self.tls.flow_end(&ctx, &mut pending);
                self.quic.flow_end(&ctx, &mut pending);
                self.ssh.flow_end(&ctx, &mut pending);
                pending.append(&mut self.bodies);
                self.bodies = pending;
            }
            RecordKind::Dns => self.dns.record(hdr.kind, &ctx, &mut r, &mut self.bodies),
            RecordKind::HttpRequest | RecordKind::HttpResponse => {
                self.http.record(hdr.kind, &ctx, &mut r, &mut self.bodies)
            }
            RecordKind::TlsClientHello
            | RecordKind::TlsServerHello
            | RecordKind::TlsCertificate => {
                self.tls.record(hdr.kind, &ctx, &mut r, &mut self.bodies)
            }
            RecordKind::QuicInitial | RecordKind::QuicServerInitial => {
                self.quic.record(hdr.kind, &ctx, &mut r, &mut self.bodies)
            }
            RecordKind::SshBanner => self.ssh.record(hdr.kind, &ctx, &mut r, &mut self.bodies),
            RecordKind::Dhcp => self.dhcp.record(hdr.kind, &ctx, &mut r, &mut self.bodies),
        }
        let bodies = std::mem::take(&mut self.bodies);
        for b in &bodies {
            let rec = wrap(&hdr.h, b, icmp, self.seed);
            let et = rec
                .get("event_type")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_string();
            *self.by_type.entry(et).or_insert(0) += 1;
            // The models judge the record against what was learned before it.
            let mut alerts = self.detect.observe(&self.learn, &hdr.h, emitted_ns, &rec);
            if self.learn.covers(emitted_ns) {
                // A resumed replay: these breaches were reported before the restart.
                alerts.clear();
            }
            self.learn.observe(&hdr.h, emitted_ns, &rec);
            self.detect.ai.learn(&mut self.learn, emitted_ns);
            if let Some(eve) = eve.as_mut() {
                eve.write(&Value::Object(rec))
                    .map_err(|e| format!("cannot write EVE output: {e}"))?;
            }
            for a in alerts {
                let (incident, follow) = self.respond.on_alert(&a, &self.learn);
                let mut body = a.eve();
                if let Some(Value::Object(v)) = body.fields.get_mut("vigil") {
                    v.insert("incident_id".into(), Value::from(incident));
                }
                let rec = wrap(&a.header, &body, None, self.seed);
                *self.by_type.entry("alert".into()).or_insert(0) += 1;
                if self.alerts.len() < ALERTS_KEPT {
                    self.alerts.push(AlertSummary {
                        ts_ns: a.ts_ns,
                        model: a.model.id,
                        score: a.score,
                        device: a.device.clone(),
                        endpoint: a.endpoint.clone(),
                        reason: a.reason.clone(),
                    });
                }
                if let Some(eve) = eve.as_mut() {
                    eve.write(&Value::Object(rec))
                        .map_err(|e| format!("cannot write EVE output: {e}"))?;
                }
                self.write_out(follow, eve)?;
            }
        }
        self.bodies = bodies;
        Ok(())
    }
}

impl Records {
    /// Writes response and incident records (with their flow's envelope when they have
    /// one), and hands a changed block table to the learner for publication.
    pub fn write_out(&mut self, recs: Vec<Out>, eve: &mut Option<EveWriter>) -> Result<(), String> {
        for (h, body) in recs {
            let et = body
                .get("event_type")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_string();
            *self.by_type.entry(et).or_insert(0) += 1;
            let rec = match h {
                Some(h) => {
                    let ts = body
                        .get("timestamp")
                        .and_then(Value::as_str)
                        .and_then(eve::parse_timestamp)
                        .unwrap_or(0);
                    let b = EveBody {
                        dir: Dir::ToServer,
                        ts_ns: ts,
                        fields: body,
                    };
                    wrap(&h, &b, None, self.seed)
                }
                None => body,
            };
            if let Some(eve) = eve.as_mut() {
                eve.write(&Value::Object(rec))
                    .map_err(|e| format!("cannot write EVE output: {e}"))?;
            }
        }
        if self.respond.take_blocks_changed() {
            self.learn.set_blocks(self.respond.block_set());
        }
        Ok(())
    }
}

/// One EVE record: the envelope of flow `h`, then the body's fields.
fn wrap(h: &Header, b: &EveBody, icmp: Option<(u8, u8)>, seed: u16) -> Map<String, Value> {
    let et = b
        .fields
        .get("event_type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let mut m = envelope::envelope(h, b.ts_ns, b.dir, et, icmp, seed);
    for (k, v) in &b.fields {
        if k == "event_type" {
            continue;
        }
        if k == "vigil" {
            // Merge with any `vigil` object already there.
            match (m.get_mut("vigil"), v) {
                (Some(Value::Object(a)), Value::Object(add)) => {
                    for (k2, v2) in add {
                        a.insert(k2.clone(), v2.clone());
                    }
                }
                _ => {
                    m.insert(k.clone(), v.clone());
                }
            }
            continue;
        }
        m.insert(k.clone(), v.clone());
    }
    m
}

/// A flow's EVE body, its ICMP identity, and when the worker ended it (packet time).
type FlowBody = (EveBody, Option<(u8, u8)>, u64);

/// Reads a flow-end record body and builds its EVE `flow` body; also returns the ICMP
/// identity and the packet time at which the worker ended the flow.
fn flow_body(hdr: &ReadHeader, r: &mut Reader<'_>) -> Option<FlowBody> {
    let first = r.u64()?;
    let last = r.u64()?;
    let mut pkts = [0u32; 2];
    let mut bytes = [0u64; 2];
    let mut ip_bytes = [0u64; 2];
    let mut payload = [0u64; 2];
    for e in 0..2 {
        pkts[e] = r.u32()?;
        bytes[e] = r.u64()?;
        ip_bytes[e] = r.u64()?;
        payload[e] = r.u64()?;
    }
    let reason = crate::flow::table::EndReason::from_u8(r.u8()?);
    let flags = [r.u8()?, r.u8()?];
    let flow_state = r.string()?;
    let stream_state = r.string()?;
    let conn_state = r.string()?;
    let history = r.string()?;
    let mut icmp = [(false, 0u8, 0u8); 2];
    for ic in icmp.iter_mut() {
        *ic = (r.bool()?, r.u8()?, r.u8()?);
    }
    let endpoint_devices = r.u16()?;
    let first_contact = r.bool()?;
    let ended_ns = r.u64()?;
    let blocked = r.bool()?;
    let mut f = Map::new();
    f.insert("pkts_toserver".into(), Value::from(pkts[0]));
    f.insert("pkts_toclient".into(), Value::from(pkts[1]));
    f.insert("bytes_toserver".into(), Value::from(bytes[0]));
    f.insert("bytes_toclient".into(), Value::from(bytes[1]));
    f.insert("start".into(), Value::String(eve::timestamp(first)));
    f.insert("end".into(), Value::String(eve::timestamp(last)));
    f.insert(
        "age".into(),
        Value::from(last / 1_000_000_000 - first / 1_000_000_000),
    );
    f.insert("state".into(), Value::String(flow_state));
    f.insert("reason".into(), Value::String(reason.name().into()));
    f.insert("alerted".into(), Value::Bool(false));
    let mut fields = Map::new();
    fields.insert("event_type".into(), Value::String("flow".into()));
    if hdr.h.app != app::AppProto::Unknown {
        fields.insert(
            "app_proto".into(),
            Value::String(hdr.h.app.eve_name().into()),
        );
    }
    fields.insert("flow".into(), Value::Object(f));
    if hdr.h.proto == 6 {
        let all = flags[0] | flags[1];
        let mut t = Map::new();
        t.insert("tcp_flags".into(), Value::String(format!("{all:02x}")));
        t.insert(
            "tcp_flags_ts".into(),
            Value::String(format!("{:02x}", flags[0])),
        );
        t.insert(
            "tcp_flags_tc".into(),
            Value::String(format!("{:02x}", flags[1])),
        );
        for (bit, name) in [
            (0x02, "syn"),
            (0x01, "fin"),
            (0x04, "rst"),
            (0x08, "psh"),
            (0x10, "ack"),
            (0x20, "urg"),
            (0x40, "ecn"),
            (0x80, "cwr"),
        ] {
            if all & bit != 0 {
                t.insert(name.into(), Value::Bool(true));
            }
        }
        t.insert("state".into(), Value::String(stream_state));
        fields.insert("tcp".into(), Value::Object(t));
    }
    let (ts_icmp, tc_icmp) = (icmp[0], icmp[1]);
    if ts_icmp.0 {
        fields.insert("icmp_type".into(), Value::from(ts_icmp.1));
        fields.insert("icmp_code".into(), Value::from(ts_icmp.2));
    }
    if tc_icmp.0 {
        fields.insert("response_icmp_type".into(), Value::from(tc_icmp.1));
        fields.insert("response_icmp_code".into(), Value::from(tc_icmp.2));
    }
    let mut v = Map::new();
    v.insert("conn_state".into(), Value::String(conn_state));
    if !history.is_empty() {
        v.insert("history".into(), Value::String(history));
    }
    v.insert("orig_bytes".into(), Value::from(payload[0]));
    v.insert("resp_bytes".into(), Value::from(payload[1]));
    v.insert("orig_ip_bytes".into(), Value::from(ip_bytes[0]));
    v.insert("resp_ip_bytes".into(), Value::from(ip_bytes[1]));
    if blocked {
        v.insert("blocked".into(), Value::Bool(true));
    }
    if endpoint_devices != crate::flow::table::NOT_LOOKED_UP {
        // A device reached an external address: how many devices had reached it before.
        v.insert("endpoint_devices".into(), Value::from(endpoint_devices));
        v.insert("first_contact".into(), Value::Bool(first_contact));
    }
    fields.insert("vigil".into(), Value::Object(v));
    let icmp_id = if ts_icmp.0 {
        Some((ts_icmp.1, ts_icmp.2))
    } else if tc_icmp.0 {
        Some((tc_icmp.1, tc_icmp.2))
    } else {
        None
    };
    Some((
        EveBody {
            dir: Dir::ToServer,
            ts_ns: first,
            fields,
        },
        icmp_id,
        ended_ns,
    ))
}
