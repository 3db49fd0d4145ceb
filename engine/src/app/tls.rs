//! (being written) tls
