//! QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): keys derived from the
//! client's Destination Connection ID with HKDF-SHA256, AES-128 header protection and
//! AES-128-GCM payload protection, all with ring. Control plane only.

use super::packet::{LongHeader, QUIC_V1, QUIC_V2};
use ring::aead::quic::{HeaderProtectionKey, AES_128};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use ring::hkdf::{self, KeyType, Prk, Salt, HKDF_SHA256};

/// RFC 9001 §5.2 initial salt (QUIC v1).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1 initial salt (QUIC v2).
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 .. -32 initial salt.
const SALT_D29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 .. -28 initial salt.
const SALT_D23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

/// The salt of a version, `None` when unknown.
fn salt(version: u32) -> Option<&'static [u8; 20]> {
    match version {
        QUIC_V1 => Some(&SALT_V1),
        QUIC_V2 => Some(&SALT_V2),
        0xff00_001d..=0xff00_0020 => Some(&SALT_D29),
        0xff00_0017..=0xff00_001c => Some(&SALT_D23),
        _ => None,
    }
}

/// An output length for ring's HKDF.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(prk: &Prk, label: &[u8], out: &mut [u8]) -> Option<()> {
    let len = u16::try_from(out.len()).ok()?;
    let full_len = u8::try_from(6 + label.len()).ok()?;
    let len_bytes = len.to_be_bytes();
    let info: [&[u8]; 5] = [&len_bytes, &[full_len], b"tls13 ", label, &[0]];
    prk.expand(&info, Len(out.len())).ok()?.fill(out).ok()
}

/// The packet protection keys of one side's Initial packets.
pub struct InitialKeys {
    key: LessSafeKey,
    iv: [u8; 12],
    hp: HeaderProtectionKey,
}

impl std::fmt::Debug for InitialKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InitialKeys")
    }
}

/// Derives the Initial keys for `version` from the client's DCID; `server` selects the
/// server's keys ("server in") instead of the client's ("client in").
pub fn initial_keys(version: u32, dcid: &[u8], server: bool) -> Option<InitialKeys> {
    let initial = Salt::new(HKDF_SHA256, salt(version)?).extract(dcid);
    let mut secret = [0u8; 32];
    let side: &[u8] = if server { b"server in" } else { b"client in" };
    expand_label(&initial, side, &mut secret)?;
    let prk = Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
    let (lk, liv, lhp): (&[u8], &[u8], &[u8]) = if version == QUIC_V2 {
        (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")
    } else {
        (b"quic key", b"quic iv", b"quic hp")
    };
    let mut key = [0u8; 16];
    let mut iv = [0u8; 12];
    let mut hp = [0u8; 16];
    expand_label(&prk, lk, &mut key)?;
    expand_label(&prk, liv, &mut iv)?;
    expand_label(&prk, lhp, &mut hp)?;
    Some(InitialKeys {
        key: LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).ok()?),
        iv,
        hp: HeaderProtectionKey::new(&AES_128, &hp).ok()?,
    })
}

impl InitialKeys {
    /// Removes header protection from the packet `pkt` (whose header is `h`) and
    /// decrypts its payload: (packet number, plaintext frames).
    pub fn open(&self, pkt: &[u8], h: &LongHeader<'_>) -> Option<(u64, Vec<u8>)> {
        let sample_at = h.pn_offset.checked_add(4)?;
        let sample = pkt.get(sample_at..sample_at + 16)?;
        let mask = self.hp.new_mask(sample).ok()?;
        let first = pkt.first()? ^ (mask[0] & 0x0f);
        let pn_len = usize::from(first & 0x03) + 1;
        let hdr_len = h.pn_offset + pn_len;
        let mut header = pkt.get(..hdr_len)?.to_vec();
        header[0] = first;
        let mut pn: u64 = 0;
        for i in 0..pn_len {
            let b = header.get_mut(h.pn_offset + i)?;
            *b ^= mask[1 + i];
            pn = (pn << 8) | u64::from(*b);
        }
        let mut nonce = self.iv;
        for (i, b) in pn.to_be_bytes().iter().enumerate() {
            nonce[4 + i] ^= b;
        }
        let mut payload = pkt.get(hdr_len..h.pn_offset + h.length)?.to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&header[..]),
                &mut payload,
            )
            .ok()?;
        let n = plain.len();
        payload.truncate(n);
        Some((pn, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9001 Appendix A.2: the client Initial of the example, decrypted.
    #[test]
    fn rfc9001_client_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").unwrap();
        let k = initial_keys(QUIC_V1, &dcid, false).unwrap();
        assert_eq!(hex::encode(k.iv), "fa044b2f42a3fd3b46fb255c");
        let mask =
            k.hp.new_mask(&hex::decode("d1b1c98dd7689fb8ec11d242b123dc9b").unwrap())
                .unwrap();
        assert_eq!(hex::encode(mask), "437b9aec36");
    }

    /// RFC 9369 Appendix A.1: v2 client keys.
    #[test]
    fn rfc9369_client_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").unwrap();
        let k = initial_keys(QUIC_V2, &dcid, false).unwrap();
        assert_eq!(hex::encode(k.iv), "91f73e2351d8fa91660e909f");
    }
}
