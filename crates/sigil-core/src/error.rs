//! The one error type of the core; each face renders it in its vendor's format.

use crate::privilege::Privilege;

/// What kind of resource was not found: each face maps it to its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Organization,
    FederationSettings,
    ConnectedOrgConfig,
    IdentityProvider,
    RoleMapping,
    User,
    ServiceAccount,
    ServiceAccountSecret,
    ApiKey,
    Event,
    /// An Elasticsearch role.
    Role,
    /// An Elasticsearch API key.
    SecurityApiKey,
    /// An identity provider's OpenID Connect configuration (the IAM face).
    OidcConfig,
    /// An IAM access key (SDK-HMAC-SHA256 signing).
    AccessKey,
}

impl ResourceKind {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::FederationSettings => "federation settings",
            Self::ConnectedOrgConfig => "connected organization configuration",
            Self::IdentityProvider => "identity provider",
            Self::RoleMapping => "role mapping",
            Self::User => "user",
            Self::ServiceAccount => "service account",
            Self::ServiceAccountSecret => "service account secret",
            Self::ApiKey => "API key",
            Self::Event => "event",
            Self::Role => "role",
            Self::SecurityApiKey => "api key",
            Self::OidcConfig => "OpenID Connect configuration",
            Self::AccessKey => "access key",
        }
    }
}

/// Limits on how many of a resource may exist; faces name them in their own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    SecretsPerServiceAccount,
    AccessKeysPerUser,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A field has a value the contract does not allow.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A required field is absent.
    #[error("missing required attribute {field}")]
    Missing { field: String },
    #[error("{} {id} not found", kind.noun())]
    NotFound { kind: ResourceKind, id: String },
    /// A unique resource already exists.
    #[error("{what} already exists")]
    Conflict { what: String },
    /// A limit on the number of live resources was reached.
    #[error("{what}")]
    LimitReached { limit: Limit, what: String },
    #[error("not authenticated")]
    Unauthenticated,
    /// A Digest nonce expired: not a failure, the client retries with a fresh one.
    #[error("the Digest nonce has expired")]
    StaleNonce,
    #[error("insufficient privileges: needs {needs}")]
    Forbidden { needs: Privilege },
    /// The store cannot be reached or cannot write just now (connection lost, disk full,
    /// read-only): nothing was changed and the request may be retried (503). The cause is
    /// logged, not shown.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Too many password verifications are running or queued on this node: retry shortly.
    #[error("too many password verifications in progress")]
    Busy,
    /// Never expected: a store failure or a broken invariant. The cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn missing(field: impl Into<String>) -> Self {
        Self::Missing {
            field: field.into(),
        }
    }

    pub fn not_found(kind: ResourceKind, id: impl ToString) -> Self {
        Self::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}
