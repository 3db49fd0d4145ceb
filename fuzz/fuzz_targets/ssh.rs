//! Any bytes through the ssh parser's worker half and its control-plane tracker
//! (`vigil::app::ssh::fuzz_entry` says how the input is split).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vigil::app::ssh::fuzz_entry(data);
});
