//! Integration tests: the real server on an ephemeral port, spoken to over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod smoke;
