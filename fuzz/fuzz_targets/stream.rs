//! TCP stream reassembly with arbitrary segment orders, overlaps and sizes, fed to a
//! consumer that asks for more in varying amounts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil::app::Progress;
use vigil::flow::stream::{BufPool, Consumer, StreamDir, StreamStats};

struct C(u8);
impl Consumer for C {
    fn data(&mut self, d: &[u8]) -> Progress {
        self.0 = self.0.wrapping_add(1);
        match self.0 % 5 {
            0 => Progress::Consumed(0),
            1 => Progress::Consumed(d.len() / 2),
            2 => Progress::Consumed(d.len()),
            3 => Progress::Consumed(d.len().saturating_sub(3)),
            _ => Progress::Consumed(1.min(d.len())),
        }
    }
    fn gap(&mut self) {}
}

fuzz_target!(|data: &[u8]| {
    let mut pool = BufPool::new(2);
    let mut st = StreamStats::default();
    let mut d = StreamDir::default();
    let mut c = C(0);
    let mut rest = data;
    while rest.len() >= 6 {
        let seq = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) % 70000;
        let n = (u16::from_le_bytes([rest[4], rest[5]]) as usize).min(rest.len() - 6);
        d.segment(seq, &rest[6..6 + n], &mut pool, &mut st, &mut c);
        rest = &rest[6 + n..];
    }
    assert!(pool.available() <= 2);
});
