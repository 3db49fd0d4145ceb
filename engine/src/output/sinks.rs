//! Outputs that leave the sensor (syslog, webhook): each has a bounded queue and its
//! own background thread, so a slow or absent receiver never slows the control plane.
//! The EVE writer offers every record; a sink takes the event types and scores it
//! selects with a non-blocking send, and a full queue drops the record and counts it.
//! The counters show in the EVE `stats` record (`vigil.outputs`) and in `/metrics`.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One output's counters.
#[derive(Debug, Default)]
pub struct Counters {
    /// Delivered (sent on the socket; a webhook answered 2xx).
    pub sent: AtomicU64,
    /// Dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Given up on after every attempt (or unsendable).
    pub failed: AtomicU64,
    /// Webhook attempts after the first; TCP syslog reconnections.
    pub retries: AtomicU64,
    /// Cut to the output's largest message.
    pub truncated: AtomicU64,
    /// Waiting in the queue now.
    pub queued: AtomicU64,
}

impl Counters {
    /// The counters as JSON (for the `stats` record).
    pub fn json(&self) -> Value {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "sent": r(&self.sent),
            "dropped": r(&self.dropped),
            "failed": r(&self.failed),
            "retries": r(&self.retries),
            "truncated": r(&self.truncated),
            "queued": r(&self.queued),
        })
    }
}

/// Which records a sink takes.
#[derive(Debug, Clone)]
pub struct Filter {
    pub events: Vec<String>,
    /// Alerts (`vigil.score`) and incidents (`incident.score`) below it are skipped.
    pub min_score: u8,
}

impl Filter {
    /// Whether the record is for this sink.
    pub fn wants(&self, rec: &Value) -> bool {
        let Some(et) = rec.get("event_type").and_then(Value::as_str) else {
            return false;
        };
        if !self.events.iter().any(|e| e == et) {
            return false;
        }
        if self.min_score == 0 {
            return true;
        }
        let score = match et {
            "alert" => rec["vigil"]["score"].as_u64(),
            "incident" => rec["incident"]["score"].as_u64(),
            _ => None,
        };
        score.is_none_or(|s| s >= self.min_score as u64)
    }
}

/// The sending half of one output.
pub struct Sink {
    pub name: &'static str,
    filter: Filter,
    tx: SyncSender<Value>,
    pub counters: Arc<Counters>,
}

impl Sink {
    /// Offers a record: taken if selected and there is room, else dropped and counted.
    /// Never blocks.
    pub fn offer(&self, rec: &Value) {
        if !self.filter.wants(rec) {
            return;
        }
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(rec.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The receiving half: what the output's thread reads.
pub struct Inbox {
    rx: Receiver<Value>,
    counters: Arc<Counters>,
}

impl Inbox {
    /// The next record, or None once the sink is gone and the queue is empty.
    pub fn next(&self) -> Option<Value> {
        let v = self.rx.recv().ok()?;
        self.counters.queued.fetch_sub(1, Ordering::Relaxed);
        Some(v)
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

/// A bounded queue between the EVE writer and an output's thread.
pub fn channel(name: &'static str, filter: Filter, capacity: usize) -> (Sink, Inbox) {
    let (tx, rx) = sync_channel(capacity.max(1));
    let counters = Arc::new(Counters::default());
    (
        Sink {
            name,
            filter,
            tx,
            counters: Arc::clone(&counters),
        },
        Inbox { rx, counters },
    )
}

/// Every sink of a run.
#[derive(Default)]
pub struct Sinks {
    pub list: Vec<Sink>,
}

impl Sinks {
    /// Offers a record to every sink.
    pub fn offer(&self, rec: &Value) {
        for s in &self.list {
            s.offer(rec);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The outputs' threads, and their counters for the stats record and `/metrics`.
#[derive(Default)]
pub struct Outputs {
    threads: Vec<(&'static str, JoinHandle<()>)>,
    pub counters: Vec<(&'static str, Arc<Counters>)>,
}

impl Outputs {
    /// Starts the profile's syslog and webhook outputs; returns what the EVE writer
    /// offers records to. A receiver that cannot be named (bad host, unreadable secret)
    /// is the operator's mistake: Err with one line.
    pub fn start(conf: &crate::config::OutputConf) -> Result<(Sinks, Outputs), String> {
        let mut sinks = Sinks::default();
        let mut outs = Outputs::default();
        if conf.syslog.enabled {
            let c = &conf.syslog;
            let (sink, inbox) = channel(
                "syslog",
                Filter {
                    events: c.events.clone(),
                    min_score: c.min_score,
                },
                c.queue,
            );
            let sender = super::syslog::Sender::new(c)?;
            outs.counters.push(("syslog", Arc::clone(&sink.counters)));
            sinks.list.push(sink);
            let t = std::thread::Builder::new()
                .name("vigil-syslog".into())
                .spawn(move || sender.run(inbox))
                .map_err(|e| format!("cannot start the syslog output: {e}"))?;
            outs.threads.push(("syslog", t));
        }
        if conf.webhook.enabled {
            let c = &conf.webhook;
            let (sink, inbox) = channel(
                "webhook",
                Filter {
                    events: c.events.clone(),
                    min_score: c.min_score,
                },
                c.queue,
            );
            let hook = super::webhook::Webhook::new(c)?;
            outs.counters.push(("webhook", Arc::clone(&sink.counters)));
            sinks.list.push(sink);
            let t = std::thread::Builder::new()
                .name("vigil-webhook".into())
                .spawn(move || hook.run(inbox))
                .map_err(|e| format!("cannot start the webhook output: {e}"))?;
            outs.threads.push(("webhook", t));
        }
        Ok((sinks, outs))
    }

    /// The counters as JSON, by output.
    pub fn json(&self) -> Value {
        let m: serde_json::Map<String, Value> = self
            .counters
            .iter()
            .map(|(n, c)| (n.to_string(), c.json()))
            .collect();
        Value::Object(m)
    }

    /// Waits (at most `within`) for the outputs to deliver what is queued, once the
    /// EVE writer, and so every sink, is gone. Returns the records still queued.
    pub fn finish(self, within: Duration) -> u64 {
        let until = Instant::now() + within;
        for (_, t) in &self.threads {
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let mut left = 0;
        for (name, t) in self.threads {
            if t.is_finished() {
                let _ = t.join();
            } else {
                let c = self.counters.iter().find(|(n, _)| *n == name);
                let q = c.map_or(0, |(_, c)| c.queued.load(Ordering::Relaxed));
                eprintln!("vigil: the {name} output still had {q} records to deliver at exit");
                left += q;
            }
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_and_counts_without_waiting() {
        let (sink, inbox) = channel(
            "t",
            Filter {
                events: vec!["alert".into()],
                min_score: 50,
            },
            2,
        );
        let alert = |score: u64| json!({"event_type": "alert", "vigil": {"score": score}});
        sink.offer(&json!({"event_type": "flow"}));
        sink.offer(&alert(40));
        let t = Instant::now();
        for _ in 0..5 {
            sink.offer(&alert(60));
        }
        assert!(t.elapsed() < Duration::from_millis(100));
        assert_eq!(sink.counters.queued.load(Ordering::Relaxed), 2);
        assert_eq!(sink.counters.dropped.load(Ordering::Relaxed), 3);
        assert_eq!(inbox.next().unwrap()["vigil"]["score"], 60);
        assert_eq!(sink.counters.queued.load(Ordering::Relaxed), 1);
        drop(sink);
        assert!(inbox.next().is_some());
        assert!(inbox.next().is_none());
    }
}
