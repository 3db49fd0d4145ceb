//! Ethernet II / IPv4 / TCP and UDP frames with correct lengths and checksums (IPv4
//! header, TCP and UDP over the pseudo-header).

use super::pcap::Capture;

/// An IPv4 address.
pub type Ip = [u8; 4];
/// A MAC address.
pub type Mac = [u8; 6];

/// The broadcast MAC.
pub const BROADCAST: Mac = [0xff; 6];

/// TCP flags.
pub const FIN: u8 = 0x01;
/// TCP SYN.
pub const SYN: u8 = 0x02;
/// TCP RST.
pub const RST: u8 = 0x04;
/// TCP PSH.
pub const PSH: u8 = 0x08;
/// TCP ACK.
pub const ACK: u8 = 0x10;

/// Link and network identity of one side of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// Source MAC as seen on the office segment (the gateway's for remote hosts).
    pub mac: Mac,
    /// IPv4 address.
    pub ip: Ip,
    /// IP TTL as it reaches the sensor.
    pub ttl: u8,
}

/// The IPv4 header fields that vary per packet.
pub struct Ipv4<'a> {
    pub src: &'a Host,
    pub dst_mac: Mac,
    pub dst: Ip,
    pub id: u16,
    pub dont_fragment: bool,
}

/// The Internet checksum's one's-complement sum of `b` added to `sum`.
fn sum16(mut sum: u32, b: &[u8]) -> u32 {
    let mut chunks = b.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

/// Folds a one's-complement sum into the 16-bit checksum.
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes Ethernet and IPv4 headers for a payload of `l4_len` bytes of `proto`; returns
/// the offset of the layer-4 header.
fn l2l3(f: &mut [u8], ip: &Ipv4<'_>, proto: u8, l4_len: usize) -> usize {
    f[0..6].copy_from_slice(&ip.dst_mac);
    f[6..12].copy_from_slice(&ip.src.mac);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let h = &mut f[14..34];
    h[0] = 0x45;
    h[1] = 0;
    h[2..4].copy_from_slice(&((20 + l4_len) as u16).to_be_bytes());
    h[4..6].copy_from_slice(&ip.id.to_be_bytes());
    h[6..8].copy_from_slice(&(if ip.dont_fragment { 0x4000u16 } else { 0 }).to_be_bytes());
    h[8] = ip.src.ttl;
    h[9] = proto;
    h[10..12].copy_from_slice(&[0, 0]);
    h[12..16].copy_from_slice(&ip.src.ip);
    h[16..20].copy_from_slice(&ip.dst);
    let c = fold(sum16(0, h));
    h[10..12].copy_from_slice(&c.to_be_bytes());
    34
}

/// Pseudo-header sum for TCP/UDP.
fn pseudo(src: &Ip, dst: &Ip, proto: u8, len: usize) -> u32 {
    let mut s = sum16(0, src);
    s = sum16(s, dst);
    s + u32::from(proto) + len as u32
}

/// The TCP fields of one segment.
pub struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Options, already padded to a multiple of 4 bytes.
    pub options: &'a [u8],
    pub payload: &'a [u8],
}

/// Appends an Ethernet/IPv4/TCP frame at `ts_us`.
pub fn tcp(cap: &mut Capture, ts_us: u64, ip: &Ipv4<'_>, t: &Tcp<'_>) {
    debug_assert!(t.options.len().is_multiple_of(4) && t.options.len() <= 40);
    let thl = 20 + t.options.len();
    let l4 = thl + t.payload.len();
    let f = cap.frame(ts_us, 34 + l4);
    let o = l2l3(f, ip, 6, l4);
    let s = &mut f[o..];
    s[0..2].copy_from_slice(&t.sport.to_be_bytes());
    s[2..4].copy_from_slice(&t.dport.to_be_bytes());
    s[4..8].copy_from_slice(&t.seq.to_be_bytes());
    s[8..12].copy_from_slice(&t.ack.to_be_bytes());
    s[12] = ((thl / 4) as u8) << 4;
    s[13] = t.flags;
    s[14..16].copy_from_slice(&t.window.to_be_bytes());
    s[16..20].copy_from_slice(&[0, 0, 0, 0]);
    s[20..thl].copy_from_slice(t.options);
    s[thl..].copy_from_slice(t.payload);
    let c = fold(sum16(pseudo(&ip.src.ip, &ip.dst, 6, l4), s));
    s[16..18].copy_from_slice(&c.to_be_bytes());
}

/// Appends an Ethernet/IPv4/UDP frame at `ts_us`.
pub fn udp(cap: &mut Capture, ts_us: u64, ip: &Ipv4<'_>, sport: u16, dport: u16, payload: &[u8]) {
    let l4 = 8 + payload.len();
    let f = cap.frame(ts_us, 34 + l4);
    let o = l2l3(f, ip, 17, l4);
    let s = &mut f[o..];
    s[0..2].copy_from_slice(&sport.to_be_bytes());
    s[2..4].copy_from_slice(&dport.to_be_bytes());
    s[4..6].copy_from_slice(&(l4 as u16).to_be_bytes());
    s[6..8].copy_from_slice(&[0, 0]);
    s[8..].copy_from_slice(payload);
    let mut c = fold(sum16(pseudo(&ip.src.ip, &ip.dst, 17, l4), s));
    if c == 0 {
        c = 0xffff;
    }
    s[6..8].copy_from_slice(&c.to_be_bytes());
}

/// Dotted-quad text of an address.
pub fn ip_str(ip: &Ip) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{PacketHeaders, TransportHeader};

    #[test]
    fn checksums_verify() {
        let src = Host {
            mac: [2, 0, 0, 0, 0, 1],
            ip: [10, 20, 1, 17],
            ttl: 64,
        };
        let ip = Ipv4 {
            src: &src,
            dst_mac: [2, 0, 0, 0, 0, 2],
            dst: [93, 184, 216, 34],
            id: 0x1234,
            dont_fragment: true,
        };
        let mut cap = Capture::new();
        tcp(
            &mut cap,
            1,
            &ip,
            &Tcp {
                sport: 50000,
                dport: 443,
                seq: 1,
                ack: 2,
                flags: ACK | PSH,
                window: 2048,
                options: &[],
                payload: b"hello world",
            },
        );
        udp(&mut cap, 2, &ip, 5353, 53, b"abc");
        let frames: Vec<Vec<u8>> = cap.sorted().map(|(_, f)| f.to_vec()).collect();
        for f in &frames {
            let h = PacketHeaders::from_ethernet_slice(f).unwrap();
            let Some(etherparse::NetHeaders::Ipv4(ip4, _)) = &h.net else {
                panic!("ipv4")
            };
            assert_eq!(ip4.header_checksum, ip4.calc_header_checksum());
            match &h.transport {
                Some(TransportHeader::Tcp(t)) => {
                    assert_eq!(
                        t.checksum,
                        t.calc_checksum_ipv4(ip4, h.payload.slice()).unwrap()
                    );
                }
                Some(TransportHeader::Udp(u)) => {
                    assert_eq!(
                        u.checksum,
                        u.calc_checksum_ipv4(ip4, h.payload.slice()).unwrap()
                    );
                }
                _ => panic!("transport"),
            }
        }
    }
}
