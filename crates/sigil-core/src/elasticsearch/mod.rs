//! The Elasticsearch security model: roles naming cluster privileges, the local
//! users who hold them, and API keys limited by both.

pub mod api_keys;
pub mod application_privileges;
mod cluster;
pub mod descriptors;
pub mod has_privileges;
mod role_shapes;
mod roles;
mod service;
mod users;

pub use service::Elasticsearch;

pub use roles::{Role, RoleDraft};
pub use users::{UserDraft, UserView};

/// The built-in role that grants everything; it cannot be changed or deleted.
pub const SUPERUSER_ROLE: &str = "superuser";
