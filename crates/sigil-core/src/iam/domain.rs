//! Domains: the IAM face's word for an organization, found by name, and the administrator
//! of one ("Security Administrator" is ORG_OWNER of the organization a credential speaks for).

pub use crate::authz::DomainAdmin;
use crate::directory::org::Organization;
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::iam::Iam;
use crate::ids::HexId;
use crate::principal::Principal;
use crate::privilege::Privilege;

/// A domain as a request names it: `{"name": …}` or `{"id": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    Name(String),
    Id(String),
}

impl Iam {
    /// The organization a domain reference names; `NotFound` when none does.
    pub async fn domain(&self, domain: &DomainRef) -> CoreResult<Organization> {
        let found = match domain {
            DomainRef::Name(name) => self.kernel.store.get_organization_by_name(name).await?,
            DomainRef::Id(id) => match HexId::parse("domain.id", id) {
                Ok(id) => self.kernel.store.get_organization(id).await?,
                Err(_) => None,
            },
        };
        let shown = match domain {
            DomainRef::Name(n) | DomainRef::Id(n) => n.clone(),
        };
        found.ok_or_else(|| CoreError::not_found(ResourceKind::Organization, shown))
    }

    /// The domain a credential speaks for: the organization its token is scoped to, else the
    /// only organization it holds a role in.
    pub async fn caller_domain(&self, who: &Principal) -> CoreResult<Organization> {
        let org = match who.scope {
            Some(org) => org,
            None => match who.orgs().as_slice() {
                [only] => *only,
                _ => {
                    return Err(CoreError::Forbidden {
                        needs: Privilege::DomainScope,
                    })
                }
            },
        };
        self.directory.organization(org).await
    }
}
