//! Capture: how packets get off the wire into workers. The DPDK wrapper (the engine's
//! only `unsafe` code), software RSS, and the checks made on capture files.

pub mod dpdk;
pub mod file;
pub mod rss;
