//! In-order TCP payload for the application parsers, per direction, in bounded memory.
//!
//! A parser sees each direction's bytes in sequence order. Segments that arrive in order
//! are handed over straight from the packet, without a copy. Only what a parser leaves
//! unconsumed (a header split over segments) and segments that arrive ahead of a hole
//! (reordering) are kept, in one buffer of [`STREAM_BUF`] bytes borrowed from the
//! worker's preallocated [`BufPool`] and given back as soon as it is empty. A hole that
//! does not fill before the buffer does is a gap: the parser is told and the stream goes
//! on after it. Retransmitted bytes are dropped. Nothing allocates after start.

use crate::app::Progress;

/// Bytes one direction may hold (unconsumed plus out of order).
pub const STREAM_BUF: usize = 16384;
/// Out-of-order pieces remembered per direction.
const MAX_RANGES: usize = 4;
/// No buffer.
pub const NO_BUF: u32 = u32::MAX;

/// The worker's pool of stream buffers.
pub struct BufPool {
    data: Box<[u8]>,
    free: Vec<u32>,
    /// Times a stream wanted a buffer and none was free.
    pub exhausted: u64,
}

impl BufPool {
    /// A pool of `n` buffers of [`STREAM_BUF`] bytes.
    pub fn new(n: usize) -> BufPool {
        BufPool {
            data: vec![0u8; n * STREAM_BUF].into_boxed_slice(),
            free: {
                let mut v = Vec::with_capacity(n);
                v.extend((0..n as u32).rev());
                v
            },
            exhausted: 0,
        }
    }

    /// Buffers free.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    fn take(&mut self) -> u32 {
        match self.free.pop() {
            Some(i) => i,
            None => {
                self.exhausted += 1;
                NO_BUF
            }
        }
    }

    fn give(&mut self, i: u32) {
        if i != NO_BUF && self.free.len() < self.free.capacity() {
            self.free.push(i);
        }
    }

    fn buf(&mut self, i: u32) -> &mut [u8] {
        let at = i as usize * STREAM_BUF;
        &mut self.data[at..at + STREAM_BUF]
    }
}

/// Counters of the stream layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes dropped as retransmissions.
    pub retransmitted: u64,
    /// Segments kept out of order until the hole before them filled.
    pub reordered: u64,
    /// Holes given up on (the parser was told of a gap).
    pub gaps: u64,
    /// Directions abandoned because a parser needed more than [`STREAM_BUF`] bytes.
    pub overflows: u64,
    /// Directions abandoned for lack of a free buffer.
    pub no_buffer: u64,
}

/// One direction's reassembly state (24 bytes, lives in the flow entry).
#[derive(Debug, Clone, Copy)]
pub struct StreamDir {
    /// Sequence number of the next byte the parser has not seen.
    next_seq: u32,
    buf: u32,
    /// Bytes at the front of the buffer: unconsumed, contiguous, ending at next_seq.
    pending: u16,
    /// Out-of-order pieces: (offset from the buffer start, length).
    ranges: [(u16, u16); MAX_RANGES],
    started: bool,
    /// Bytes have been handed to the parser (the start can no longer move).
    delivered: bool,
    /// The parser asked for no more bytes.
    pub done: bool,
}

impl Default for StreamDir {
    fn default() -> Self {
        StreamDir {
            next_seq: 0,
            buf: NO_BUF,
            pending: 0,
            ranges: [(0, 0); MAX_RANGES],
            started: false,
            delivered: false,
            done: false,
        }
    }
}

/// What the stream layer feeds: the application parser of one direction.
pub trait Consumer {
    /// In-order bytes; see [`Progress`].
    fn data(&mut self, data: &[u8]) -> Progress;
    /// Bytes were lost before what comes next.
    fn gap(&mut self);
}

impl StreamDir {
    /// Sets where the byte stream starts: the ISN + 1 after a SYN.
    pub fn syn(&mut self, isn: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = isn.wrapping_add(1);
        }
    }

    /// Moves the start of the stream to `next_seq` while nothing has been delivered yet:
    /// a repeated SYN with a new ISN, or the peer's SYN-ACK acknowledging a later one.
    pub fn restart(&mut self, next_seq: u32, pool: &mut BufPool) {
        if self.delivered || self.done {
            return;
        }
        self.started = true;
        self.next_seq = next_seq;
        self.pending = 0;
        self.ranges = [(0, 0); MAX_RANGES];
        pool.give(self.buf);
        self.buf = NO_BUF;
    }

    /// Whether this direction still wants bytes.
    pub fn active(&self) -> bool {
        !self.done
    }

    /// Stops this direction and gives its buffer back.
    pub fn finish(&mut self, pool: &mut BufPool) {
        self.done = true;
        pool.give(self.buf);
        self.buf = NO_BUF;
        self.pending = 0;
        self.ranges = [(0, 0); MAX_RANGES];
    }

    /// Takes one segment's payload at sequence number `seq` and feeds what is now in
    /// order to `c`.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        pool: &mut BufPool,
        stats: &mut StreamStats,
        c: &mut impl Consumer,
    ) {
        if self.done || payload.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            self.next_seq = seq;
        }
        let mut seq = seq;
        let mut data = payload;
        let rel = seq.wrapping_sub(self.next_seq) as i32;
        if rel < 0 {
            // Retransmission, whole or in part.
            let skip = (-(rel as i64)) as usize;
            if skip >= data.len() {
                stats.retransmitted += data.len() as u64;
                return;
            }
            stats.retransmitted += skip as u64;
            data = &data[skip..];
            seq = self.next_seq;
        }
        let rel = seq.wrapping_sub(self.next_seq) as usize;
        if rel > 0 {
            self.out_of_order(rel, data, pool, stats, c);
            return;
        }
        // In order.
        self.delivered = true;
        self.next_seq = self.next_seq.wrapping_add(data.len() as u32);
        if self.buf == NO_BUF {
            self.feed_direct(data, pool, stats, c);
        } else {
            let at = self.pending as usize;
            if at + data.len() > STREAM_BUF {
                stats.overflows += 1;
                self.finish(pool);
                return;
            }
            pool.buf(self.buf)[at..at + data.len()].copy_from_slice(data);
            self.pending += data.len() as u16;
            self.absorb_ranges();
            self.feed_buffer(pool, stats, c);
        }
    }

    /// Feeds bytes straight from the packet; keeps what the parser left.
    fn feed_direct(
        &mut self,
        data: &[u8],
        pool: &mut BufPool,
        stats: &mut StreamStats,
        c: &mut impl Consumer,
    ) {
        match c.data(data) {
            Progress::Done => self.finish(pool),
            Progress::Consumed(n) if n >= data.len() => {}
            Progress::Consumed(n) => {
                let rest = &data[n..];
                if rest.len() > STREAM_BUF {
                    stats.overflows += 1;
                    self.finish(pool);
                    return;
                }
                let b = pool.take();
                if b == NO_BUF {
                    stats.no_buffer += 1;
                    self.finish(pool);
                    return;
                }
                self.buf = b;
                pool.buf(b)[..rest.len()].copy_from_slice(rest);
                self.pending = rest.len() as u16;
            }
        }
    }

    /// Feeds the buffered in-order bytes; compacts what is left.
    fn feed_buffer(&mut self, pool: &mut BufPool, stats: &mut StreamStats, c: &mut impl Consumer) {
        loop {
            let n = self.pending as usize;
            if n == 0 {
                break;
            }
            let progress = c.data(&pool.buf(self.buf)[..n]);
            match progress {
                Progress::Done => {
                    self.finish(pool);
                    return;
                }
                Progress::Consumed(0) => {
                    if n >= STREAM_BUF {
                        stats.overflows += 1;
                        self.finish(pool);
                    }
                    return;
                }
                Progress::Consumed(k) => {
                    let k = k.min(n);
                    let end = self.high_water();
                    pool.buf(self.buf).copy_within(k..end, 0);
                    self.pending -= k as u16;
                    for r in self.ranges.iter_mut().filter(|r| r.1 > 0) {
                        r.0 -= k as u16;
                    }
                }
            }
        }
        if self.pending == 0 && self.ranges.iter().all(|r| r.1 == 0) {
            pool.give(self.buf);
            self.buf = NO_BUF;
        }
    }

    /// One past the last byte held in the buffer.
    fn high_water(&self) -> usize {
        self.ranges
            .iter()
            .filter(|r| r.1 > 0)
            .map(|r| (r.0 + r.1) as usize)
            .max()
            .unwrap_or(0)
            .max(self.pending as usize)
    }

    /// Moves out-of-order pieces that now touch the in-order bytes into them.
    fn absorb_ranges(&mut self) {
        loop {
            let mut grew = false;
            for r in self.ranges.iter_mut() {
                if r.1 > 0 && r.0 <= self.pending {
                    let end = r.0 + r.1;
                    if end > self.pending {
                        let add = end - self.pending;
                        self.next_seq = self.next_seq.wrapping_add(add as u32);
                        self.pending = end;
                    }
                    *r = (0, 0);
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
    }

    fn out_of_order(
        &mut self,
        rel: usize,
        data: &[u8],
        pool: &mut BufPool,
        stats: &mut StreamStats,
        c: &mut impl Consumer,
    ) {
        let at = self.pending as usize + rel;
        let fits = at + data.len() <= STREAM_BUF;
        let slot = self.ranges.iter().position(|r| r.1 == 0);
        if fits && slot.is_some() {
            if self.buf == NO_BUF {
                let b = pool.take();
                if b == NO_BUF {
                    stats.no_buffer += 1;
                    self.finish(pool);
                    return;
                }
                self.buf = b;
            }
            pool.buf(self.buf)[at..at + data.len()].copy_from_slice(data);
            if let Some(i) = slot {
                self.ranges[i] = (at as u16, data.len() as u16);
            }
            stats.reordered += 1;
            return;
        }
        // The hole will not fill in time: give up on it and go on after it.
        stats.gaps += 1;
        self.pending = 0;
        self.ranges = [(0, 0); MAX_RANGES];
        pool.give(self.buf);
        self.buf = NO_BUF;
        c.gap();
        self.next_seq = self.next_seq.wrapping_add((rel + data.len()) as u32);
        self.feed_direct(data, pool, stats, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects bytes, asking for `want` at a time (a parser that needs whole units).
    struct Collect {
        got: Vec<u8>,
        want: usize,
        gaps: usize,
    }

    impl Consumer for Collect {
        fn data(&mut self, data: &[u8]) -> Progress {
            let n = data.len() / self.want * self.want;
            self.got.extend_from_slice(&data[..n]);
            Progress::Consumed(n)
        }
        fn gap(&mut self) {
            self.gaps += 1;
        }
    }

    #[test]
    fn in_order_split_and_reordered() {
        let mut pool = BufPool::new(2);
        let mut st = StreamStats::default();
        let mut d = StreamDir::default();
        d.syn(999);
        let mut c = Collect {
            got: Vec::new(),
            want: 4,
            gaps: 0,
        };
        let msg: Vec<u8> = (0..40u8).collect();
        // 0..6, then 10..20 (ahead of a hole), then 6..10, then a retransmit, then the rest.
        d.segment(1000, &msg[0..6], &mut pool, &mut st, &mut c);
        assert_eq!(c.got, &msg[0..4]);
        d.segment(1010, &msg[10..20], &mut pool, &mut st, &mut c);
        d.segment(1006, &msg[6..10], &mut pool, &mut st, &mut c);
        assert_eq!(c.got, &msg[0..20]);
        d.segment(1000, &msg[0..12], &mut pool, &mut st, &mut c);
        d.segment(1020, &msg[20..40], &mut pool, &mut st, &mut c);
        assert_eq!(c.got, msg);
        assert_eq!((st.reordered, st.retransmitted, c.gaps), (1, 12, 0));
        assert_eq!(pool.available(), 2, "buffers are given back");
    }

    #[test]
    fn a_hole_that_never_fills_is_a_gap() {
        let mut pool = BufPool::new(1);
        let mut st = StreamStats::default();
        let mut d = StreamDir::default();
        let mut c = Collect {
            got: Vec::new(),
            want: 1,
            gaps: 0,
        };
        d.segment(0, b"abc", &mut pool, &mut st, &mut c);
        d.segment(100_000, b"xyz", &mut pool, &mut st, &mut c);
        assert_eq!(c.got, b"abcxyz");
        assert_eq!((c.gaps, st.gaps), (1, 1));
    }

    #[test]
    fn a_parser_that_never_consumes_is_cut_off() {
        let mut pool = BufPool::new(1);
        let mut st = StreamStats::default();
        let mut d = StreamDir::default();
        let mut c = Collect {
            got: Vec::new(),
            want: usize::MAX / 2,
            gaps: 0,
        };
        let chunk = [7u8; 1000];
        for i in 0..20u32 {
            d.segment(i * 1000, &chunk, &mut pool, &mut st, &mut c);
        }
        assert!(d.done);
        assert_eq!(st.overflows, 1);
        assert_eq!(pool.available(), 1);
    }
}
