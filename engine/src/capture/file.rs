//! Checks a capture file before DPDK opens it, and counts what it holds.
//!
//! `net_pcap` (libpcap underneath) replays the file; this module only vouches for it
//! first, so a missing, unreadable or non-capture file is one clear line and exit code 2
//! rather than an EAL failure, and so the engine knows how many packets the file holds:
//! the end of a finite replay is "every packet of the file received or counted dropped",
//! never a guess from empty polls. Runs on the control plane, where allocation is fine.

use crate::capture::rss::LinkType;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::Block;
use pcap_file::pcapng::PcapNgReader;
use pcap_file::DataLink;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// What a capture file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureInfo {
    /// `pcap` or `pcapng`.
    pub format: &'static str,
    /// Complete packet records.
    pub packets: u64,
    /// Sum of captured lengths (what a replay delivers).
    pub bytes: u64,
    /// Largest captured length.
    pub max_len: u32,
    /// How frames begin (the first interface's link type for pcapng).
    pub link: LinkType,
    /// Packet time of the first and last record, ns since the Unix epoch.
    pub first_ns: u64,
    pub last_ns: u64,
}

/// Checks `path` and counts its packets. The error is one line naming the file.
pub fn inspect(path: &Path) -> Result<CaptureInfo, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown}: capture file not found"),
        std::io::ErrorKind::PermissionDenied => {
            format!("{shown}: capture file not readable (permission denied)")
        }
        _ => format!("{shown}: cannot read capture file: {e}"),
    })?;
    if meta.is_dir() {
        return Err(format!("{shown}: is a directory, not a capture file"));
    }
    let mut f = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            format!("{shown}: capture file not readable (permission denied)")
        }
        _ => format!("{shown}: cannot open capture file: {e}"),
    })?;
    let mut magic = [0u8; 4];
    if f.read_exact(&mut magic).is_err() {
        return Err(format!(
            "{shown}: not a pcap or pcapng capture (file shorter than a capture header)"
        ));
    }
    let file = BufReader::with_capacity(
        1 << 20,
        File::open(path).map_err(|e| format!("{shown}: {e}"))?,
    );
    match u32::from_le_bytes(magic) {
        0xa1b2c3d4 | 0xd4c3b2a1 | 0xa1b23c4d | 0x4d3cb2a1 => inspect_pcap(file, &shown.to_string()),
        0x0a0d0d0a => inspect_pcapng(file, &shown.to_string()),
        _ => Err(format!(
            "{shown}: not a pcap or pcapng capture (unknown magic {:02x?})",
            magic
        )),
    }
}

fn link_type(link: DataLink, shown: &str) -> Result<LinkType, String> {
    Ok(match link {
        DataLink::ETHERNET => LinkType::Ethernet,
        DataLink::NULL => LinkType::Null,
        DataLink::LOOP => LinkType::Loop,
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => LinkType::Raw,
        DataLink::LINUX_SLL => LinkType::Sll,
        DataLink::LINUX_SLL2 => LinkType::Sll2,
        other => {
            return Err(format!(
                "{shown}: link type {other:?} is not supported (Ethernet, raw IP, loopback and Linux cooked captures are)"
            ))
        }
    })
}

fn add(info: &mut CaptureInfo, len: usize, ts_ns: u64) {
    info.packets += 1;
    info.bytes += len as u64;
    info.max_len = info.max_len.max(len as u32);
    if info.packets == 1 {
        info.first_ns = ts_ns;
    }
    info.last_ns = ts_ns;
}

fn inspect_pcap<R: Read>(r: R, shown: &str) -> Result<CaptureInfo, String> {
    let mut reader =
        PcapReader::new(r).map_err(|e| format!("{shown}: not a valid pcap capture: {e}"))?;
    let mut info = CaptureInfo {
        format: "pcap",
        link: link_type(reader.header().datalink, shown)?,
        ..Default::default()
    };
    while let Some(p) = reader.next_packet() {
        match p {
            Ok(p) => add(&mut info, p.data.len(), p.timestamp.as_nanos() as u64),
            // libpcap stops at a truncated last record as well: count what it will replay.
            Err(_) => break,
        }
    }
    Ok(info)
}

fn inspect_pcapng<R: Read>(r: R, shown: &str) -> Result<CaptureInfo, String> {
    let mut reader =
        PcapNgReader::new(r).map_err(|e| format!("{shown}: not a valid pcapng capture: {e}"))?;
    let mut info = CaptureInfo {
        format: "pcapng",
        ..Default::default()
    };
    let mut links = 0;
    while let Some(b) = reader.next_block() {
        match b {
            Ok(Block::InterfaceDescription(idb)) => {
                let link = link_type(idb.linktype, shown)?;
                if links > 0 && link != info.link {
                    return Err(format!("{shown}: interfaces of different link types in one capture are not supported"));
                }
                info.link = link;
                links += 1;
            }
            Ok(Block::EnhancedPacket(p)) => {
                add(&mut info, p.data.len(), p.timestamp.as_nanos() as u64)
            }
            Ok(Block::SimplePacket(p)) => {
                let ts = info.last_ns;
                add(&mut info, p.data.len(), ts)
            }
            Ok(Block::Packet(p)) => {
                let ts = info.last_ns;
                add(&mut info, p.data.len(), ts)
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("vigil-file-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn refuses_missing_and_non_captures() {
        let e = inspect(Path::new("/nonexistent/x.pcap")).unwrap_err();
        assert!(e.contains("not found"), "{e}");
        let p = tmp("text", b"hello, this is not a capture\n");
        let e = inspect(&p).unwrap_err();
        assert!(e.contains("not a pcap or pcapng"), "{e}");
        let p = tmp("short", b"ab");
        assert!(inspect(&p).unwrap_err().contains("shorter"));
        let e = inspect(Path::new("/")).unwrap_err();
        assert!(e.contains("directory"), "{e}");
    }

    #[test]
    fn counts_a_pcap() {
        // A pcap header (Ethernet, µs) and two records of 60 and 14 bytes.
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        for (sec, len) in [(100u32, 60u32), (101, 14)] {
            b.extend_from_slice(&sec.to_le_bytes());
            b.extend_from_slice(&5u32.to_le_bytes());
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&len.to_le_bytes());
            b.extend(std::iter::repeat_n(0u8, len as usize));
        }
        let p = tmp("two.pcap", &b);
        let info = inspect(&p).unwrap();
        assert_eq!((info.packets, info.bytes, info.max_len), (2, 74, 60));
        assert_eq!(info.first_ns, 100_000_005_000);
        // A truncated last record is not counted (libpcap will not replay it either).
        let p = tmp("trunc.pcap", &b[..b.len() - 3]);
        assert_eq!(inspect(&p).unwrap().packets, 1);
    }
}
