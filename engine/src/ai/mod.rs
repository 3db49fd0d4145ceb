//! Shadow AI discovery, from the wire: which AI services devices use (by SNI, Host or
//! DNS name, against the catalogue in `configs/ai-services.toml`), how much data goes to
//! them, which AI SDKs and agents run where, which MCP clients and servers talk over
//! plaintext HTTP, and which internal hosts serve LLM APIs.
//!
//! - `catalog`: the service catalogue, its lookups and its reloading;
//! - `policy`: what the profile's `[ai]` section sanctions and expects;
//! - `observe`: what each EVE record shows about AI use;
//! - `inventory`: what was learned, kept in the learned state;
//! - `records`: the periodic EVE `ai` records;
//! - `report`: `vigil report ai`.
//!
//! The models are in `crate::detect::ai`; `docs/shadow-ai.md` describes it all.

pub mod catalog;
pub mod inventory;
pub mod observe;
pub mod policy;
pub mod records;
pub mod report;
