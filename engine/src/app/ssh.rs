//! (stub until the SSH parser lands from the dnshttp branch)
use super::*;
/// Per-flow SSH state.
#[derive(Debug, Clone, Copy, Default)]
pub struct SshState {}
impl SshState {
    /// In-order bytes of one direction.
    pub fn data(&mut self, _dir: Dir, _data: &[u8], _sink: &mut dyn Sink) -> Progress {
        Progress::Done
    }
}
/// SSH records to EVE.
#[derive(Default)]
pub struct SshTracker {}
impl Tracker for SshTracker {
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
