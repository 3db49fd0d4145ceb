//! The web console's files, built into the binary: one HTML page, its script and its
//! style sheet, with no external CDN, font or image (charts are SVG drawn by the
//! script), and the OpenAPI document the API serves. The console keeps the bearer token
//! in the tab's session storage and sends it with every API request.

/// `/` and `/index.html`.
pub const INDEX: &str = include_str!("../../console/index.html");
/// `/console.js`.
pub const SCRIPT: &str = include_str!("../../console/console.js");
/// `/console.css`.
pub const STYLE: &str = include_str!("../../console/console.css");
/// `/api/v1/openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");
