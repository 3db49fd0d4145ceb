//! (stub until the DNS parser lands from the dnshttp branch)
use super::*;
/// One DNS message over UDP.
pub fn datagram(_dir: Dir, _payload: &[u8], _sink: &mut dyn Sink) -> bool {
    false
}
/// DNS over TCP.
#[derive(Debug, Clone, Copy, Default)]
pub struct DnsTcpState {}
impl DnsTcpState {
    /// In-order bytes of one direction.
    pub fn data(&mut self, _dir: Dir, _data: &[u8], _sink: &mut dyn Sink) -> Progress {
        Progress::Done
    }
    /// Bytes were lost.
    pub fn gap(&mut self, _dir: Dir) {}
}
/// DNS records to EVE.
#[derive(Default)]
pub struct DnsTracker {}
impl Tracker for DnsTracker {
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
