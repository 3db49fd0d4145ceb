//! Outputs: EVE-compatible JSON lines (Suricata's schema plus Vigil's own `vigil`
//! object), rotated and reopened on SIGHUP; and, each on its own thread behind a bounded
//! queue, syslog (RFC 5424, JSON or CEF) and the signed webhook.

pub mod cef;
pub mod envelope;
pub mod eve;
pub mod sinks;
pub mod syslog;
pub mod webhook;
