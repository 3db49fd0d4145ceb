//! (stub until protocol detection lands from the dnshttp branch)
use super::*;
/// Transport of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}
/// Which protocol the first bytes of a direction are.
pub fn detect(_t: Transport, _dir: Dir, _payload: &[u8]) -> AppProto {
    AppProto::Failed
}
