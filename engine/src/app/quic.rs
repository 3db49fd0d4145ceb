//! (being written) quic
