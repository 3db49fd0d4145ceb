//! TCP resets for passive mode: from one packet of a blocked flow, the two RST segments
//! that tear the connection down at both ends, with the sequence numbers each end
//! expects (RFC 793 and RFC 5961: a reset is accepted at once only when its sequence
//! number is exactly the next one the receiver expects).
//!
//! - Toward the packet's receiver, as if from its sender: seq = the packet's seq plus
//!   its length (SYN and FIN count one), ack = the packet's ack.
//! - Toward the packet's sender, as if from its receiver: seq = the packet's ack (what
//!   the sender expects next), ack = the packet's end. A bare SYN gets RST|ACK with
//!   seq 0 and ack = ISN + 1, as a refused connection does.
//!
//! Frames are built in fixed buffers: the original link-layer header (with the MAC
//! addresses swapped for the reverse direction), a fresh IPv4 or IPv6 header and a
//! 20-byte TCP header, checksums computed. No allocation (hot path).

use crate::decode::l4::{Tcp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};

/// Largest reset frame: link header (up to 3 VLAN tags) + IPv6 + TCP.
pub const FRAME_MAX: usize = 128;

/// Up to two reset frames.
#[derive(Clone, Copy)]
pub struct Resets {
    pub frames: [[u8; FRAME_MAX]; 2],
    pub lens: [usize; 2],
    pub count: usize,
}

impl Default for Resets {
    fn default() -> Self {
        Resets {
            frames: [[0; FRAME_MAX]; 2],
            lens: [0; 2],
            count: 0,
        }
    }
}

impl Resets {
    /// The frames built.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.count).map(move |i| &self.frames[i][..self.lens[i]])
    }
}

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u32) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// One segment: `l2` (link header as it should go out), addresses, ports, numbers.
#[allow(clippy::too_many_arguments)]
fn segment(
    out: &mut [u8; FRAME_MAX],
    l2: &[u8],
    v6: bool,
    src: &[u8; 16],
    dst: &[u8; 16],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
) -> usize {
    let ip_len = if v6 { 40 } else { 20 };
    let total = l2.len() + ip_len + 20;
    if total > FRAME_MAX {
        return 0;
    }
    out[..l2.len()].copy_from_slice(l2);
    let ip = l2.len();
    let tcp = ip + ip_len;
    let n = if v6 { 16 } else { 4 };
    if v6 {
        let h = &mut out[ip..ip + 40];
        h.fill(0);
        h[0] = 0x60;
        h[4..6].copy_from_slice(&20u16.to_be_bytes());
        h[6] = 6;
        h[7] = 64;
        h[8..24].copy_from_slice(&src[..16]);
        h[24..40].copy_from_slice(&dst[..16]);
    } else {
        let h = &mut out[ip..ip + 20];
        h.fill(0);
        h[0] = 0x45;
        h[2..4].copy_from_slice(&40u16.to_be_bytes());
        h[6] = 0x40; // don't fragment
        h[8] = 64;
        h[9] = 6;
        h[12..16].copy_from_slice(&src[..4]);
        h[16..20].copy_from_slice(&dst[..4]);
        let c = fold(sum16(h, 0));
        h[10..12].copy_from_slice(&c.to_be_bytes());
    }
    {
        let t = &mut out[tcp..tcp + 20];
        t.fill(0);
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[4..8].copy_from_slice(&seq.to_be_bytes());
        t[8..12].copy_from_slice(&ack.to_be_bytes());
        t[12] = 5 << 4;
        t[13] = flags;
    }
    // Pseudo-header: addresses, protocol, TCP length.
    let mut acc = sum16(&src[..n], 0);
    acc = sum16(&dst[..n], acc);
    acc += 6 + 20;
    acc = sum16(&out[tcp..tcp + 20], acc);
    let c = fold(acc);
    out[tcp + 16..tcp + 18].copy_from_slice(&c.to_be_bytes());
    total
}

/// The resets answering `t` (a packet of `payload_len` bytes from `src` to `dst`);
/// `l2` is the packet's link-layer header (Ethernet, 14 bytes plus any VLAN tags).
pub fn build(
    l2: &[u8],
    v6: bool,
    src: &[u8; 16],
    dst: &[u8; 16],
    t: &Tcp,
    payload_len: usize,
    out: &mut Resets,
) {
    out.count = 0;
    if t.flags & TCP_RST != 0 || l2.len() < 14 || l2.len() + 60 > FRAME_MAX {
        return;
    }
    let mut seg_len = payload_len as u32;
    if t.flags & TCP_SYN != 0 {
        seg_len += 1;
    }
    if t.flags & TCP_FIN != 0 {
        seg_len += 1;
    }
    let end = t.seq.wrapping_add(seg_len);
    let has_ack = t.flags & TCP_ACK != 0;
    // Toward the receiver (not for a bare SYN: the server holds no connection yet).
    if has_ack {
        let n = segment(
            &mut out.frames[out.count],
            l2,
            v6,
            src,
            dst,
            t.sport,
            t.dport,
            end,
            t.ack,
            TCP_RST | TCP_ACK,
        );
        if n > 0 {
            out.lens[out.count] = n;
            out.count += 1;
        }
    }
    // Toward the sender: the link addresses swapped.
    let mut back = [0u8; FRAME_MAX];
    back[..l2.len()].copy_from_slice(l2);
    back[..6].copy_from_slice(&l2[6..12]);
    back[6..12].copy_from_slice(&l2[..6]);
    let seq = if has_ack { t.ack } else { 0 };
    let n = segment(
        &mut out.frames[out.count],
        &back[..l2.len()],
        v6,
        dst,
        src,
        t.dport,
        t.sport,
        seq,
        end,
        TCP_RST | TCP_ACK,
    );
    if n > 0 {
        out.lens[out.count] = n;
        out.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_are_well_formed_with_the_right_numbers() {
        let mut l2 = [0u8; 14];
        l2[..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
        l2[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        l2[12..14].copy_from_slice(&[0x08, 0x00]);
        let (src, dst) = (
            crate::learn::net::to_key("10.99.0.1".parse().unwrap()).0,
            crate::learn::net::to_key("10.99.0.2".parse().unwrap()).0,
        );
        let t = Tcp {
            sport: 40000,
            dport: 8080,
            seq: 1000,
            ack: 5000,
            flags: TCP_ACK | 0x08,
            window: 500,
            header_len: 20,
        };
        let mut r = Resets::default();
        build(&l2, false, &src, &dst, &t, 100, &mut r);
        assert_eq!(r.count, 2);
        for (i, f) in r.iter().enumerate() {
            let p = etherparse::SlicedPacket::from_ethernet(f).unwrap();
            let Some(etherparse::NetSlice::Ipv4(ip)) = &p.net else {
                panic!()
            };
            let Some(etherparse::TransportSlice::Tcp(tcp)) = &p.transport else {
                panic!()
            };
            assert!(tcp.rst() && tcp.ack());
            // Checksums verify.
            assert_eq!(
                tcp.calc_checksum_ipv4(ip.header().source(), ip.header().destination())
                    .unwrap(),
                tcp.checksum()
            );
            assert_eq!(
                ip.header().to_header().calc_header_checksum(),
                ip.header().header_checksum()
            );
            if i == 0 {
                assert_eq!((tcp.source_port(), tcp.destination_port()), (40000, 8080));
                assert_eq!(
                    (tcp.sequence_number(), tcp.acknowledgment_number()),
                    (1100, 5000)
                );
                assert_eq!(&f[..6], &l2[..6]);
            } else {
                assert_eq!((tcp.source_port(), tcp.destination_port()), (8080, 40000));
                assert_eq!(
                    (tcp.sequence_number(), tcp.acknowledgment_number()),
                    (5000, 1100)
                );
                assert_eq!(&f[..6], &l2[6..12]);
            }
        }
        // A bare SYN: only the reset toward its sender, acknowledging the ISN.
        let syn = Tcp {
            flags: TCP_SYN,
            ack: 0,
            ..t
        };
        build(&l2, false, &src, &dst, &syn, 0, &mut r);
        assert_eq!(r.count, 1);
        let p = etherparse::SlicedPacket::from_ethernet(&r.frames[0][..r.lens[0]]).unwrap();
        let Some(etherparse::TransportSlice::Tcp(tcp)) = &p.transport else {
            panic!()
        };
        assert_eq!(
            (tcp.sequence_number(), tcp.acknowledgment_number()),
            (0, 1001)
        );
    }
}
