//! The capture being built: frames with their packet time, kept in one byte arena, sorted
//! by time (stable, so packets of one flow keep their order) and written as a classic
//! pcap (magic `a1b2c3d4`, version 2.4, microsecond timestamps, linktype 1 Ethernet).

use std::io::{self, Write};

/// Largest frame the simulator writes; the pcap header's snaplen.
pub const SNAPLEN: u32 = 65535;

/// Frames in the order they were made; [`Capture::write`] sorts them by time.
#[derive(Default)]
pub struct Capture {
    data: Vec<u8>,
    /// (time in µs since the epoch, offset into `data`, length).
    index: Vec<(u64, u64, u32)>,
}

impl Capture {
    /// An empty capture.
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Frames so far.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no frame was added.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Adds a frame seen at `ts_us` (µs since the epoch) and returns its buffer to fill.
    pub fn frame(&mut self, ts_us: u64, len: usize) -> &mut [u8] {
        let off = self.data.len();
        self.index.push((ts_us, off as u64, len as u32));
        self.data.resize(off + len, 0);
        &mut self.data[off..]
    }

    /// Times and bytes of every frame, sorted by time.
    pub fn sorted(&mut self) -> impl Iterator<Item = (u64, &[u8])> {
        self.index.sort_by_key(|e| e.0);
        let data = &self.data;
        self.index
            .iter()
            .map(move |&(ts, off, len)| (ts, &data[off as usize..off as usize + len as usize]))
    }

    /// Writes the capture as a classic pcap; returns (frames, bytes of frames).
    pub fn write(&mut self, w: &mut impl Write) -> io::Result<(u64, u64)> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        w.write_all(&h)?;
        let (mut frames, mut bytes) = (0u64, 0u64);
        for (ts, frame) in self.sorted() {
            let mut r = [0u8; 16];
            r[0..4].copy_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
            r[4..8].copy_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
            r[8..12].copy_from_slice(&(frame.len() as u32).to_le_bytes());
            r[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
            w.write_all(&r)?;
            w.write_all(frame)?;
            frames += 1;
            bytes += frame.len() as u64;
        }
        Ok((frames, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_records_sorted_by_time() {
        let mut c = Capture::new();
        c.frame(2_000_001, 3).copy_from_slice(b"bbb");
        c.frame(1_000_000, 2).copy_from_slice(b"aa");
        c.frame(2_000_001, 1).copy_from_slice(b"c");
        let mut out = Vec::new();
        assert_eq!(c.write(&mut out).unwrap(), (3, 6));
        assert_eq!(&out[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(out[20..24].try_into().unwrap()), 1);
        // First record: 1 s, 0 µs, "aa".
        assert_eq!(u32::from_le_bytes(out[24..28].try_into().unwrap()), 1);
        assert_eq!(&out[40..42], b"aa");
        // Equal times keep insertion order: "bbb" then "c".
        assert_eq!(&out[58..61], b"bbb");
        assert_eq!(&out[77..78], b"c");
    }
}
