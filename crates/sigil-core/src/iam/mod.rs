//! The IAM face's model (Huawei Cloud IAM style): identity providers named within their
//! federation, their OpenID Connect configuration (which pins the provider's key set), domains
//! (organizations by name), tokens for a password, an ID token or another token, and
//! temporary access keys with their security tokens.
//!
//! An IAM identity provider is an ordinary [`IdentityProvider`](crate::federation::IdentityProvider):
//! the Atlas face lists it, and every federation rule (verification, cutoff, role mappings)
//! applies to it unchanged. [`IamSettings`] is only what the IAM face adds.

mod access_keys;
mod domain;
pub(crate) mod oidc_config;
mod providers;
mod service;
pub mod signature;
pub mod temporary;
mod tokens;

pub(crate) use access_keys::AccessKeyRecord;
pub use access_keys::{AccessKey, AccessKeyDraft, AccessKeyStatus, CreatedAccessKey, MAX_PER_USER};
pub use domain::{DomainAdmin, DomainRef};
pub use oidc_config::{AccessMode, OidcConfig, OidcConfigDraft, OidcConfigView};
pub use providers::{check_provider_name, IamProviderDraft, SsoType};
pub use service::Iam;
pub use temporary::TemporaryAccessKey;
pub(crate) use temporary::TemporaryRecord;
pub use tokens::{IamToken, PasswordLogin, TokenFederation};

use serde::{Deserialize, Serialize};

/// What the IAM face keeps of a provider beside the federation fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamSettings {
    /// The name in the IAM face's paths (`{idp_id}`), unique within the federation.
    pub name: String,
    pub sso_type: SsoType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
}
