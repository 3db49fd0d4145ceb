//! (being written) http
