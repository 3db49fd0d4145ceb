//! Reports for people, made from the saved state: `vigil report security` (`security`),
//! a self-contained HTML page with SVG charts (`svg`). `vigil report ai` lives with the
//! AI inventory (`ai::report`).

pub mod security;
pub mod svg;
