//! (stub until the QUIC parser lands from the tls branch)
use super::*;
/// Per-flow QUIC state.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuicState {}
impl QuicState {
    /// One UDP payload.
    pub fn datagram(&mut self, _dir: Dir, _payload: &[u8], _sink: &mut dyn Sink) -> bool {
        false
    }
}
/// Whether a UDP payload is a QUIC long-header packet of a known version.
pub fn looks_like_quic(_payload: &[u8]) -> bool {
    false
}
/// QUIC records to EVE.
#[derive(Default)]
pub struct QuicTracker {}
impl Tracker for QuicTracker {
    fn record(
        &mut self,
        _k: RecordKind,
        _c: &RecordCtx,
        _r: &mut Reader<'_>,
        _o: &mut Vec<EveBody>,
    ) {
    }
    fn flow_end(&mut self, _c: &RecordCtx, _o: &mut Vec<EveBody>) {}
}
