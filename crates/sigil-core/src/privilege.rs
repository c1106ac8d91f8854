//! One privilege model for every face: Atlas organization roles and Elasticsearch cluster
//! privileges, and the capabilities a successful check hands out.

use crate::error::{CoreError, CoreResult};
use crate::ids::OrgId;
use crate::principal::{OrgRoleAssignment, Principal, PrincipalKind};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::authz::{OrgOwner, OrgReader, Superuser};

/// Organization roles, by their Atlas names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgRole {
    OrgOwner,
    OrgMember,
    OrgReadOnly,
    OrgGroupCreator,
    OrgBillingAdmin,
}

impl OrgRole {
    pub const ALL: [OrgRole; 5] = [
        Self::OrgOwner,
        Self::OrgMember,
        Self::OrgReadOnly,
        Self::OrgGroupCreator,
        Self::OrgBillingAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgOwner => "ORG_OWNER",
            Self::OrgMember => "ORG_MEMBER",
            Self::OrgReadOnly => "ORG_READ_ONLY",
            Self::OrgGroupCreator => "ORG_GROUP_CREATOR",
            Self::OrgBillingAdmin => "ORG_BILLING_ADMIN",
        }
    }

    /// Parses a role name given in the field `field`.
    pub fn parse(field: &str, text: &str) -> CoreResult<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                CoreError::invalid(
                    field,
                    format!(
                        "{text:?} is not an organization role (one of {})",
                        Self::names()
                    ),
                )
            })
    }

    /// For the OpenAPI document: a non-empty list of role names.
    pub fn list_schema() -> utoipa::openapi::Array {
        utoipa::openapi::ArrayBuilder::new()
            .items(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .enum_values(Some(Self::ALL.map(Self::as_str))),
            )
            .min_items(Some(1))
            .description(Some("Organization roles, at least one."))
            .build()
    }

    /// For the OpenAPI document: such a list, or null (an update that keeps the roles).
    pub fn nullable_list_schema() -> utoipa::openapi::Schema {
        utoipa::openapi::schema::OneOfBuilder::new()
            .description(Some(
                "Organization roles, at least one; absent or null keeps the roles.",
            ))
            .item(Self::list_schema())
            .item(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Null))
            .build()
            .into()
    }

    fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::cluster_privilege::ClusterPrivilege;

/// What a refused request would have needed; faces name it in their 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Privilege {
    Superuser,
    OrgRole {
        org: OrgId,
        role: OrgRole,
    },
    OrgMembership {
        org: OrgId,
    },
    Cluster(ClusterPrivilege),
    /// A credential that speaks for one organization (an IAM token is scoped to a domain).
    DomainScope,
    /// A user signed in with its own password (what may own Elasticsearch API keys).
    RealmUser,
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Superuser => f.write_str("the superuser role"),
            Self::OrgRole { org, role } => write!(f, "the role {role} in organization {org}"),
            Self::OrgMembership { org } => write!(f, "membership of organization {org}"),
            Self::Cluster(p) => write!(f, "the cluster privilege {}", p.as_str()),
            Self::DomainScope => f.write_str("a credential scoped to one organization"),
            Self::RealmUser => f.write_str("a user signed in with its own password"),
        }
    }
}

/// Proof that the caller owns an organization; the core's owner-only operations take it, so a
/// handler that forgot the check does not compile.
impl Principal {
    /// The principal a credential bound to `org` speaks as: its roles in that organization
    /// only (a superuser's implicit ORG_OWNER there among them), never superuser, no cluster
    /// privilege and no Elasticsearch role. An IAM token or access key, a service account's
    /// token and a programmatic API key are such credentials.
    pub fn scoped_to(mut self, org: OrgId) -> Principal {
        if self.superuser && !self.has_explicit_role(org, OrgRole::OrgOwner) {
            self.org_roles.push(OrgRoleAssignment {
                org_id: org,
                role: OrgRole::OrgOwner,
            });
        }
        self.org_roles.retain(|a| a.org_id == org);
        self.superuser = false;
        self.cluster_privileges.clear();
        self.roles.clear();
        self.scope = Some(org);
        self
    }

    fn has_explicit_role(&self, org: OrgId, role: OrgRole) -> bool {
        self.org_roles
            .iter()
            .any(|a| a.org_id == org && a.role == role)
    }

    /// Whether this principal holds every right `other` holds: what the creator of a
    /// credential for `other`, or the manager of `other`, must hold. ORG_OWNER of an
    /// organization holds every role there.
    pub fn covers(&self, other: &Principal) -> bool {
        if self.superuser {
            return true;
        }
        !other.superuser
            && other
                .cluster_privileges
                .iter()
                .filter(|p| p.grants_in_sigil())
                .all(|p| self.has_cluster_privilege(*p))
            && other.org_roles.iter().all(|a| {
                self.has_org_role(a.org_id, a.role)
                    || self.has_org_role(a.org_id, OrgRole::OrgOwner)
            })
    }

    /// Whether the principal is a user signed in with its own password (Basic or Digest), not
    /// a token, a key or a credential bound to one organization: what may own Elasticsearch
    /// API keys.
    pub fn is_realm_user(&self) -> bool {
        self.kind == PrincipalKind::User && self.scope.is_none() && self.api_key.is_none()
    }

    pub fn has_org_role(&self, org: OrgId, role: OrgRole) -> bool {
        self.superuser
            || self
                .org_roles
                .iter()
                .any(|a| a.org_id == org && a.role == role)
    }

    pub fn is_member(&self, org: OrgId) -> bool {
        self.superuser || self.org_roles.iter().any(|a| a.org_id == org)
    }

    pub fn has_cluster_privilege(&self, wanted: ClusterPrivilege) -> bool {
        self.superuser || self.cluster_privileges.iter().any(|p| p.implies(wanted))
    }

    pub fn require_cluster(&self, wanted: ClusterPrivilege) -> CoreResult<()> {
        if self.has_cluster_privilege(wanted) {
            Ok(())
        } else {
            Err(CoreError::Forbidden {
                needs: Privilege::Cluster(wanted),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::HexId;
    use crate::principal::{OrgRoleAssignment, PrincipalKind};

    fn principal(roles: Vec<OrgRoleAssignment>, superuser: bool) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: "u".into(),
            name: "bob".into(),
            realm: crate::principal::Realm::native(),
            superuser,
            org_roles: roles,
            cluster_privileges: vec![],
            roles: vec![],
            api_key: None,
            scope: None,
        }
    }

    #[test]
    fn owner_of_one_org_is_not_owner_of_another() {
        let (a, b) = (HexId::random(), HexId::random());
        let p = principal(
            vec![OrgRoleAssignment {
                org_id: a,
                role: OrgRole::OrgOwner,
            }],
            false,
        );
        assert!(p.require_org_owner(a).is_ok());
        assert!(matches!(
            p.require_org_owner(b),
            Err(CoreError::Forbidden { .. })
        ));
        assert!(p.require_member(b).is_err());
    }

    #[test]
    fn member_is_not_owner_and_superuser_is_everything() {
        let a = HexId::random();
        let member = principal(
            vec![OrgRoleAssignment {
                org_id: a,
                role: OrgRole::OrgMember,
            }],
            false,
        );
        assert!(member.require_member(a).is_ok());
        assert!(member.require_org_owner(a).is_err());
        assert!(member.require_superuser().is_err());
        let root = principal(vec![], true);
        assert!(root.require_org_owner(a).is_ok());
        assert!(root.require_superuser().is_ok());
    }

    #[test]
    fn a_scoped_principal_keeps_its_roles_in_that_organization_only() {
        let (a, b) = (HexId::random(), HexId::random());
        let roles = vec![
            OrgRoleAssignment {
                org_id: a,
                role: OrgRole::OrgMember,
            },
            OrgRoleAssignment {
                org_id: b,
                role: OrgRole::OrgOwner,
            },
        ];
        let mut p = principal(roles, false);
        p.cluster_privileges = vec![ClusterPrivilege::ManageSecurity];
        p.roles = vec!["ops".into()];
        let scoped = p.scoped_to(a);
        assert_eq!(scoped.orgs(), vec![a]);
        assert!(scoped.require_member(a).is_ok());
        assert!(scoped.require_org_owner(b).is_err());
        assert!(scoped.cluster_privileges.is_empty() && scoped.roles.is_empty());
        assert_eq!(scoped.scope, Some(a));
    }

    #[test]
    fn a_scoped_superuser_is_owner_of_that_organization_and_no_more() {
        let (a, b) = (HexId::random(), HexId::random());
        let scoped = principal(vec![], true).scoped_to(a);
        assert!(!scoped.superuser);
        assert!(scoped.require_org_owner(a).is_ok());
        assert!(scoped.require_org_owner(b).is_err());
        assert!(scoped.require_superuser().is_err());
        assert!(!scoped.has_cluster_privilege(ClusterPrivilege::ReadSecurity));
    }

    #[test]
    fn covering_means_holding_every_right_of_the_other() {
        let a = HexId::random();
        let owner = principal(
            vec![OrgRoleAssignment {
                org_id: a,
                role: OrgRole::OrgOwner,
            }],
            false,
        );
        let member = principal(
            vec![OrgRoleAssignment {
                org_id: a,
                role: OrgRole::OrgMember,
            }],
            false,
        );
        let root = principal(vec![], true);
        assert!(
            owner.covers(&member),
            "ORG_OWNER holds every role of its org"
        );
        assert!(!member.covers(&owner));
        assert!(!owner.covers(&root), "nobody but the superuser covers it");
        assert!(root.covers(&owner));
        let mut security = principal(vec![], false);
        security.cluster_privileges = vec![ClusterPrivilege::ManageApiKey];
        assert!(
            !owner.covers(&security),
            "org roles do not cover cluster privileges"
        );
        let mut manager = principal(vec![], false);
        manager.cluster_privileges = vec![ClusterPrivilege::ManageSecurity];
        assert!(manager.covers(&security));
        assert!(!security.covers(&manager));
    }

    #[test]
    fn only_an_unscoped_password_user_is_a_realm_user() {
        let user = principal(vec![], false);
        assert!(user.is_realm_user());
        assert!(!user.clone().scoped_to(HexId::random()).is_realm_user());
        let mut key = user.clone();
        key.kind = PrincipalKind::ApiKey;
        assert!(!key.is_realm_user());
        let mut account = user;
        account.kind = PrincipalKind::ServiceAccount;
        assert!(!account.is_realm_user());
    }

    #[test]
    fn cluster_privileges_nest() {
        use ClusterPrivilege::*;
        assert!(ManageSecurity.implies(ManageApiKey));
        assert!(ManageApiKey.implies(ManageOwnApiKey));
        assert!(!ManageOwnApiKey.implies(ManageApiKey));
        assert!(!ManageApiKey.implies(ManageSecurity));
        assert!(!ReadSecurity.implies(ManageOwnApiKey));
    }

    #[test]
    fn role_names_parse_exactly() {
        assert_eq!(
            OrgRole::parse("role", "ORG_OWNER").ok(),
            Some(OrgRole::OrgOwner)
        );
        assert!(OrgRole::parse("role", "org_owner").is_err());
        assert!(OrgRole::parse("role", "GROUP_OWNER").is_err());
    }
}
