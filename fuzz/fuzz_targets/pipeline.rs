//! A sequence of frames (length-prefixed in the input) through the whole per-packet
//! pipeline: decode, flows, TCP state, stream reassembly, protocol detection and every
//! application parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use vigil::worker::pipeline::{Pipeline, PipelineConf};
use vigil::worker::records::RecordQueue;

fuzz_target!(|data: &[u8]| {
    static Q: OnceLock<(Arc<crossbeam_queue::ArrayQueue<vigil::control::Summary>>, Arc<RecordQueue>)> = OnceLock::new();
    let (q, rq) = Q.get_or_init(|| (Arc::new(crossbeam_queue::ArrayQueue::new(4096)), Arc::new(RecordQueue::new(4096))));
    let conf = PipelineConf {
        flows: 64,
        stream_buffers: 4,
        frag_slots: 4,
        ..Default::default()
    };
    let mut p = Pipeline::new(&conf, Arc::clone(q), Arc::clone(rq), Arc::new(AtomicBool::new(false)));
    let mut rest = data;
    let mut ts = 1_000_000_000u64;
    while rest.len() >= 2 {
        let n = (u16::from_le_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        let frame = &rest[2..2 + n];
        p.packet(frame, frame.len() as u32, ts);
        ts += 300_000_000;
        rest = &rest[2 + n..];
        while q.pop().is_some() {}
        while rq.pop().is_some() {}
    }
    p.shutdown(ts);
    while q.pop().is_some() {}
    while rq.pop().is_some() {}
});
