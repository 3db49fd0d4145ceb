//! Flow tracking on each worker: canonical keys (`key`), the table with its timer wheel
//! (`table`), TCP state as Zeek tracks it (`tcp`), and in-order payload for the
//! application parsers (`stream`).

pub mod key;
pub mod stream;
pub mod table;
pub mod tcp;
