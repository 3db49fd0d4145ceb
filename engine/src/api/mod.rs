//! The operator's surface on a running engine: a JSON API (`docs/api.md`,
//! `docs/openapi.yaml`), Prometheus `/metrics` and the web console, served by one HTTP
//! server thread (`server`) from the read-only view the control plane publishes
//! (`view`), behind a bearer token compared in constant time (`auth`). Routes are in
//! `routes`, the metrics text in `metrics`, the console's files in `console`.

pub mod auth;
pub mod console;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod view;
