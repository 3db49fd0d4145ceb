//! Raw FFI bindings to the system DPDK (Debian's 22.11, found with pkg-config) and to
//! Vigil's C shim (`shim/shim.c`), which exports DPDK's static-inline fast-path functions.
//!
//! Nothing here is safe to call directly: the engine's `capture::dpdk` module is the one
//! thin safe wrapper over these functions.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
