//! QUIC (being written by the TLS/QUIC engineer). This worktree carries only the
//! detection helper detection needs; the merge keeps one copy of it.

/// Whether `payload` starts with a QUIC long header (first byte `& 0xC0 == 0xC0`) of a
/// version Vigil reads: 1, 2 (`0x6b3343cf`) or an IETF draft (`0xff0000xx`).
pub fn looks_like_quic(payload: &[u8]) -> bool {
    let [first, v0, v1, v2, v3, ..] = *payload else {
        return false;
    };
    if first & 0xC0 != 0xC0 {
        return false;
    }
    let version = u32::from_be_bytes([v0, v1, v2, v3]);
    version == 1 || version == 0x6b33_43cf || version & 0xFFFF_FF00 == 0xFF00_0000
}
