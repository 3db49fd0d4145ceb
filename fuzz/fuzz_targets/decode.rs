//! Any bytes through the L2–L4 decoder and the fragment reassembler, as every link type.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil::capture::rss::LinkType;
use vigil::decode::{decode, decode_ip, frag::Reassembler, DecodeStats};

fuzz_target!(|data: &[u8]| {
    let mut st = DecodeStats::default();
    let mut r = Reassembler::new(4, 4096, 1_000_000_000);
    for link in [LinkType::Ethernet, LinkType::Raw, LinkType::Null, LinkType::Sll, LinkType::Sll2] {
        if let Some(d) = decode(data, link, &mut st) {
            if d.ip.frag.is_some() {
                if let Some(dg) = r.insert(&d.ip, d.l3, 1) {
                    let dg = dg.to_vec();
                    let _ = decode_ip(&dg, &d, &mut st);
                }
            }
        }
    }
});
