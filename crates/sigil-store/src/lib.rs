//! Sigil's store: one SQL implementation of [`sigil_core::store::Store`] that runs on the
//! embedded SQLite database and on PostgreSQL, through sqlx's `Any` driver.
//!
//! The statements are written once in the dialect both engines share (numbered `$N`
//! parameters, `ON CONFLICT`, no engine-specific types); only the migrations differ, and they
//! keep the same numbers in `migrations/sqlite` and `migrations/postgres`.

mod access_keys;
mod audit;
mod changes;
mod connect;
mod federation;
mod org;
mod programmatic_keys;
mod reseal;
mod revocations;
mod rows;
mod security;
mod service_accounts;
pub mod testing;
mod user;

pub use connect::{Backend, SqlStore};
