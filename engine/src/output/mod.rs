//! Outputs: EVE-compatible JSON lines (Suricata's schema plus Vigil's own `vigil` object).

pub mod envelope;
pub mod eve;
