//! Link layer: Ethernet II with stacked 802.1Q / 802.1ad tags, the other link types a
//! capture can hold (raw IP, BSD loopback, Linux cooked v1/v2), ARP (counted), and MPLS
//! label stacks seen on carrier mirror ports.
//!
//! Typed views over borrowed bytes: every field is read after a length check; nothing
//! allocates or panics.

use crate::capture::rss::LinkType;

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_IPV6: u16 = 0x86DD;
pub const ETH_ARP: u16 = 0x0806;
pub const ETH_VLAN: u16 = 0x8100;
pub const ETH_QINQ: u16 = 0x88A8;
pub const ETH_QINQ_OLD: u16 = 0x9100;
pub const ETH_MPLS: u16 = 0x8847;
pub const ETH_MPLS_MC: u16 = 0x8848;

/// Most VLAN tags read (more are `too_many_layers`).
pub const MAX_VLANS: usize = 3;

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// What the link layer gave: VLAN ids, the network protocol and where it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Link {
    /// VLAN ids outermost first (`vlan_count` of them).
    pub vlans: [u16; MAX_VLANS],
    pub vlan_count: u8,
    /// EtherType of the network layer (IPv4, IPv6, ARP, ...).
    pub ethertype: u16,
    /// Offset of the network layer in the frame.
    pub offset: usize,
    /// MPLS labels were stripped.
    pub mpls: bool,
    /// More VLAN tags than [`MAX_VLANS`].
    pub too_many_vlans: bool,
}

/// Reads an Ethernet II header and its VLAN tags.
#[inline]
pub fn ethernet(frame: &[u8]) -> Option<Link> {
    let mut link = Link {
        ethertype: be16(frame, 12)?,
        offset: 14,
        ..Default::default()
    };
    tags(frame, &mut link)?;
    Some(link)
}

/// Follows VLAN tags and MPLS labels from `link.offset`/`link.ethertype`. The untagged
/// frame returns here, inline, so its `Link` stays in registers (perf showed the call
/// and the reload of the `Link` it wrote stalling every packet); tags go out of line.
#[inline]
fn tags(frame: &[u8], link: &mut Link) -> Option<()> {
    match link.ethertype {
        ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD | ETH_MPLS | ETH_MPLS_MC => tagged(frame, link),
        _ => Some(()),
    }
}

#[inline(never)]
fn tagged(frame: &[u8], link: &mut Link) -> Option<()> {
    let mut guard = 0;
    loop {
        guard += 1;
        if guard > 16 {
            link.too_many_vlans = true;
            return Some(());
        }
        match link.ethertype {
            ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD => {
                let tci = be16(frame, link.offset)?;
                let next = be16(frame, link.offset + 2)?;
                if (link.vlan_count as usize) < MAX_VLANS {
                    link.vlans[link.vlan_count as usize] = tci & 0x0FFF;
                    link.vlan_count += 1;
                } else {
                    link.too_many_vlans = true;
                }
                link.ethertype = next;
                link.offset += 4;
            }
            ETH_MPLS | ETH_MPLS_MC => {
                // Labels until bottom-of-stack, then guess IPv4/IPv6 from the nibble.
                link.mpls = true;
                let mut n = 0;
                loop {
                    let entry = be32(frame, link.offset)?;
                    link.offset += 4;
                    n += 1;
                    if entry & 0x100 != 0 || n >= 8 {
                        break;
                    }
                }
                link.ethertype = match frame.get(link.offset)? >> 4 {
                    4 => ETH_IPV4,
                    6 => ETH_IPV6,
                    _ => return None,
                };
                return Some(());
            }
            _ => return Some(()),
        }
    }
}

/// Reads the link layer of a frame of `link_type`.
#[inline]
pub fn link(frame: &[u8], link_type: LinkType) -> Option<Link> {
    match link_type {
        LinkType::Ethernet => ethernet(frame),
        LinkType::Null | LinkType::Loop => {
            let b = frame.get(..4)?;
            let family = if link_type == LinkType::Null {
                let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if le < 256 {
                    le
                } else {
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
                }
            } else {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            };
            let ethertype = match family {
                2 => ETH_IPV4,
                // AF_INET6: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
                10 | 24 | 28 | 30 => ETH_IPV6,
                _ => return None,
            };
            Some(Link {
                ethertype,
                offset: 4,
                ..Default::default()
            })
        }
        LinkType::Raw => {
            let ethertype = match frame.first()? >> 4 {
                4 => ETH_IPV4,
                6 => ETH_IPV6,
                _ => return None,
            };
            Some(Link {
                ethertype,
                offset: 0,
                ..Default::default()
            })
        }
        LinkType::Sll => {
            let mut l = Link {
                ethertype: be16(frame, 14)?,
                offset: 16,
                ..Default::default()
            };
            tags(frame, &mut l)?;
            Some(l)
        }
        LinkType::Sll2 => {
            let mut l = Link {
                ethertype: be16(frame, 0)?,
                offset: 20,
                ..Default::default()
            };
            tags(frame, &mut l)?;
            Some(l)
        }
    }
}

/// The fields of an ARP packet over Ethernet/IPv4 that a sensor cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: [u8; 4],
    pub target_ip: [u8; 4],
}

/// Reads an ARP packet (Ethernet hardware, IPv4 protocol addresses only).
pub fn arp(b: &[u8]) -> Option<Arp> {
    let h = b.get(..28)?;
    if be16(h, 0)? != 1 || be16(h, 2)? != ETH_IPV4 || h[4] != 6 || h[5] != 4 {
        return None;
    }
    let mut a = Arp {
        op: be16(h, 6)?,
        sender_mac: [0; 6],
        sender_ip: [0; 4],
        target_ip: [0; 4],
    };
    a.sender_mac.copy_from_slice(&h[8..14]);
    a.sender_ip.copy_from_slice(&h[14..18]);
    a.target_ip.copy_from_slice(&h[24..28]);
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_tags() {
        // dst, src, 0x88a8 tag 200, 0x8100 tag 300, 0x8100 tag 400, IPv4.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xa8, 0x00, 200, 0x81, 0x00, 0x01, 0x2c]);
        f.extend_from_slice(&[0x81, 0x00, 0x01, 0x90, 0x08, 0x00, 0x45]);
        let l = ethernet(&f).unwrap();
        assert_eq!(l.vlan_count, 3);
        assert_eq!(l.vlans, [200, 300, 400]);
        assert_eq!((l.ethertype, l.offset), (ETH_IPV4, 26));
        for cut in 0..f.len() {
            let _ = ethernet(&f[..cut]);
        }
    }

    #[test]
    fn mpls_then_ipv4() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0x47, 0x00, 0x01, 0x01, 0x40, 0x45, 0]);
        let l = ethernet(&f).unwrap();
        assert!(l.mpls);
        assert_eq!((l.ethertype, l.offset), (ETH_IPV4, 18));
    }
}
