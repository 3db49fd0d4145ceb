//! Outputs: EVE-compatible JSON lines (Suricata's schema plus Vigil's own `vigil` object).

pub mod eve;
