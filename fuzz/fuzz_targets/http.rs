//! Any bytes through the http parser's worker half and its control-plane tracker
//! (`vigil::app::http::fuzz_entry` says how the input is split).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil::app::http::fuzz_entry(data);
});
