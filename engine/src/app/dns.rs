//! (being written) dns
