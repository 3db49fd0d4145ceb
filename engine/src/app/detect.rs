//! (being written) detect
