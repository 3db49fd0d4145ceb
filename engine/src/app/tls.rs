//! (stub until the TLS parser lands from the tls branch)
use super::*;
/// Per-flow TLS state.
#[derive(Debug, Clone, Copy, Default)]
pub struct TlsState {}
impl TlsState {
    /// In-order bytes of one direction.
    pub fn data(
        &mut self,
        _dir: Dir,
        _data: &[u8],
        _scratch: &mut [u8],
        _sink: &mut dyn Sink,
    ) -> Progress {
        Progress::Done
    }
    /// Bytes were lost.
    pub fn gap(&mut self, _dir: Dir) {}
}
/// TLS records to EVE.
#[derive(Default)]
pub struct TlsTracker {}
impl Tracker for TlsTracker {
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
