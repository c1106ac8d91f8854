//! The HTTP faces. Each parses its vendor's wire format, authorizes, calls the core, and
//! renders in its vendor's format; faces never import each other and never touch SQL.

pub mod atlas;
pub mod cloud_manager;
pub mod elasticsearch;
pub mod iam;
pub mod oauth;
