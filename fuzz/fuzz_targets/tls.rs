//! Any bytes through the tls parser's worker half and its control-plane tracker
//! (`vigil::app::tls::fuzz_entry` says how the input is split).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil::app::tls::fuzz_entry(data);
});
