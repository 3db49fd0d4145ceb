//! (stub until the HTTP parser lands from the dnshttp branch)
use super::*;
/// Per-flow HTTP state.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpState {}
impl HttpState {
    /// In-order bytes of one direction.
    pub fn data(&mut self, _dir: Dir, _data: &[u8], _sink: &mut dyn Sink) -> Progress {
        Progress::Done
    }
    /// Bytes were lost.
    pub fn gap(&mut self, _dir: Dir) {}
}
/// Pairs HTTP records.
#[derive(Default)]
pub struct HttpTracker {}
impl Tracker for HttpTracker {
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
