//! Vigil: a self-learning network detection and response sensor on DPDK.
//!
//! The tree follows the data path (see `docs/architecture.md`): `capture` (DPDK, RSS,
//! capture files) → `worker` (poll loops) → `control` (the control-plane thread) →
//! `output` (EVE JSON, syslog, webhook). `api` serves the JSON API, metrics and web
//! console from the control plane's view; `report` makes reports from the saved state.
//! `config` reads profiles; `engine` wires a run together; `cli` is the `vigil` command.

pub mod ai;
pub mod alloc;
pub mod api;
pub mod app;
pub mod bench;
pub mod capture;
pub mod cli;
pub mod config;
pub mod control;
pub mod decode;
pub mod detect;
pub mod engine;
pub mod flow;
pub mod flowmap;
pub mod learn;
pub mod output;
pub mod report;
pub mod respond;
pub mod simulate;
pub mod wire;
pub mod worker;
