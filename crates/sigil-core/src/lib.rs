//! Sigil's core: every rule of the contracts, with no HTTP and no SQL.
//!
//! Faces parse their wire formats into the types here, call [`Core`]'s services
//! (`core.federation.revoke_jwks(..)`: a call names the folder its rules live in), and render
//! the result. The services share a [`kernel::Kernel`]; the capabilities a check hands out are
//! minted only by [`authz`]. The store behind it all is the [`store::Store`] trait.

pub mod audit;
pub mod authz;
pub mod changes;
pub mod clock;
pub mod cluster_privilege;
pub mod crypto;
pub mod digest;
pub mod directory;
pub mod elasticsearch;
pub mod error;
pub mod federation;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod ids;
pub mod kernel;
pub mod oauth;
pub mod outbound;
pub mod page;
pub mod password_gate;
pub mod principal;
pub mod privilege;
pub mod programmatic;
mod read_cache;
pub mod revocation;
pub mod secret;
pub mod service;
pub mod store;
pub mod user;
pub mod validate;

pub use error::{CoreError, CoreResult};
pub use service::{Core, CoreConfig};
