//! The one principal every credential of every face resolves to.

use crate::ids::OrgId;
use crate::privilege::{ClusterPrivilege, OrgRole};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A local user (`name:password`).
    User,
    /// An Atlas programmatic API key (Digest `public:private`).
    ProgrammaticApiKey,
    /// A service account, through a Sigil access token.
    ServiceAccount,
    /// An Elasticsearch-style API key.
    ApiKey,
    /// An identity from a federated identity provider.
    Federated,
}

/// The realm a principal authenticated in, as Elasticsearch reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Realm {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl Realm {
    pub const NATIVE: &'static str = "default_native";

    pub fn native() -> Self {
        Self {
            name: Self::NATIVE.into(),
            kind: "native".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRoleAssignment {
    pub org_id: OrgId,
    pub role: OrgRole,
}

/// Who is asking. Holds no secret, so it may be cached, logged and audited freely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The stable id of the credential's owner (user id, key id, client id, …).
    pub id: String,
    /// What the audit trail and error messages call it (username, public key, client id, …).
    pub name: String,
    pub realm: Realm,
    pub superuser: bool,
    pub org_roles: Vec<OrgRoleAssignment>,
    pub cluster_privileges: Vec<ClusterPrivilege>,
    /// The Elasticsearch role names behind `cluster_privileges` (what `_authenticate` and a
    /// 403 name).
    pub roles: Vec<String>,
    /// Set when the principal authenticated with an Elasticsearch API key.
    pub api_key: Option<ApiKeyRef>,
    /// The organization the credential is bound to: an IAM token's domain, a service
    /// account's or a programmatic API key's organization. Its roles are only there.
    pub scope: Option<OrgId>,
}

/// The API key a principal authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRef {
    pub id: String,
    pub name: String,
}

impl Principal {
    /// The organizations this principal has any role in.
    pub fn orgs(&self) -> Vec<OrgId> {
        let mut orgs: Vec<OrgId> = self.org_roles.iter().map(|a| a.org_id).collect();
        orgs.sort();
        orgs.dedup();
        orgs
    }
}
