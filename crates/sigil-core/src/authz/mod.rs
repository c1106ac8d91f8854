//! Authorization: the one module that mints capabilities. A capability is the proof that a
//! check passed; its fields are private and only this module builds one, so a core function
//! that takes one cannot be reached without its check. Faces obtain them here:
//! `who.require_org_owner(org)`, `core.authz.federation_owner(&who, fs)`.

use crate::directory::org::Organization;
use crate::directory::Directory;
use crate::error::{CoreError, CoreResult};
use crate::iam::Iam;
use crate::ids::{FederationSettingsId, OrgId};
use crate::kernel::Kernel;
use crate::principal::Principal;
use crate::privilege::{OrgRole, Privilege};
use std::sync::Arc;

/// Proof that the caller is ORG_OWNER of an organization (or the superuser).
#[derive(Debug, Clone, Copy)]
pub struct OrgOwner {
    org: OrgId,
}

impl OrgOwner {
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// An owner may read what members read.
    pub fn reader(&self) -> OrgReader {
        OrgReader { org: self.org }
    }
}

/// Proof that the caller is a member of an organization (or the superuser).
#[derive(Debug, Clone, Copy)]
pub struct OrgReader {
    org: OrgId,
}

impl OrgReader {
    pub fn org(&self) -> OrgId {
        self.org
    }
}

/// Proof that the caller is the superuser.
#[derive(Debug, Clone, Copy)]
pub struct Superuser(());

/// Proof that the caller is ORG_OWNER of an organization connected to these settings.
#[derive(Debug, Clone, Copy)]
pub struct FederationOwner {
    federation_settings_id: FederationSettingsId,
    /// The connected organization through which the caller is an owner: the audit trail of
    /// settings-wide changes is kept there.
    org_id: Option<OrgId>,
}

impl FederationOwner {
    pub fn federation_settings_id(&self) -> FederationSettingsId {
        self.federation_settings_id
    }

    pub fn org_id(&self) -> Option<OrgId> {
        self.org_id
    }
}

/// Proof that the caller is ORG_OWNER of `org`, and that these settings exist.
#[derive(Debug, Clone, Copy)]
pub struct ConnectedOrgOwner {
    federation_settings_id: FederationSettingsId,
    org_id: OrgId,
}

impl ConnectedOrgOwner {
    pub fn federation_settings_id(&self) -> FederationSettingsId {
        self.federation_settings_id
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// For the core's unit tests: a capability over made-up settings.
    #[cfg(test)]
    pub(crate) fn for_tests(federation_settings_id: FederationSettingsId, org_id: OrgId) -> Self {
        Self {
            federation_settings_id,
            org_id,
        }
    }
}

/// Proof that the caller is ORG_OWNER of the domain its credential speaks for.
#[derive(Debug, Clone)]
pub struct DomainAdmin {
    domain: Organization,
    owner: FederationOwner,
}

impl DomainAdmin {
    pub fn domain(&self) -> &Organization {
        &self.domain
    }

    /// The right over the domain's own federation settings (its identity providers).
    pub(crate) fn federation_owner(&self) -> FederationOwner {
        self.owner
    }
}

impl Principal {
    pub fn require_org_owner(&self, org: OrgId) -> CoreResult<OrgOwner> {
        if self.has_org_role(org, OrgRole::OrgOwner) {
            Ok(OrgOwner { org })
        } else {
            Err(CoreError::Forbidden {
                needs: Privilege::OrgRole {
                    org,
                    role: OrgRole::OrgOwner,
                },
            })
        }
    }

    pub fn require_member(&self, org: OrgId) -> CoreResult<OrgReader> {
        if self.is_member(org) {
            Ok(OrgReader { org })
        } else {
            Err(CoreError::Forbidden {
                needs: Privilege::OrgMembership { org },
            })
        }
    }

    pub fn require_superuser(&self) -> CoreResult<Superuser> {
        if self.superuser {
            Ok(Superuser(()))
        } else {
            Err(CoreError::Forbidden {
                needs: Privilege::Superuser,
            })
        }
    }
}

/// The checks that read the store: who owns which federation settings, which domain a
/// credential speaks for.
pub struct Authz {
    kernel: Arc<Kernel>,
    directory: Arc<Directory>,
    iam: Arc<Iam>,
}

impl Authz {
    pub(crate) fn new(kernel: Arc<Kernel>, directory: Arc<Directory>, iam: Arc<Iam>) -> Self {
        Self {
            kernel,
            directory,
            iam,
        }
    }

    /// Settings-wide operations need the superuser, or ORG_OWNER of the organization the
    /// settings belong to (the one created with them), or ORG_OWNER of an organization
    /// connected to them (as Atlas has it: an organization is connected only by someone who
    /// already holds these rights, see [`Self::connected_org_owner`]).
    pub async fn federation_owner(
        &self,
        who: &Principal,
        fs: FederationSettingsId,
    ) -> CoreResult<FederationOwner> {
        self.directory.federation_settings(fs).await?;
        let owning = self
            .kernel
            .store
            .get_organization_by_federation_settings(fs)
            .await?;
        let connected = self.kernel.store.list_connected_org_configs(fs).await?;
        let through = owning
            .iter()
            .map(|o| o.id)
            .chain(connected.iter().map(|c| c.org_id))
            .find(|org| who.has_org_role(*org, OrgRole::OrgOwner));
        if through.is_some() || who.superuser {
            return Ok(FederationOwner {
                federation_settings_id: fs,
                org_id: through,
            });
        }
        let needs = match owning.map(|o| o.id).or(connected.first().map(|c| c.org_id)) {
            Some(org) => Privilege::OrgRole {
                org,
                role: OrgRole::OrgOwner,
            },
            None => Privilege::Superuser,
        };
        Err(CoreError::Forbidden { needs })
    }

    /// Operations on one connected organization need ORG_OWNER of that organization; while it
    /// is not connected to these settings (connecting it), also the right over the settings,
    /// so nobody attaches an organization to federation settings that are not theirs.
    pub async fn connected_org_owner(
        &self,
        who: &Principal,
        fs: FederationSettingsId,
        org: OrgId,
    ) -> CoreResult<ConnectedOrgOwner> {
        self.directory.federation_settings(fs).await?;
        who.require_org_owner(org)?;
        let connected_here = self
            .kernel
            .store
            .get_connected_org_config(org)
            .await?
            .is_some_and(|c| c.federation_settings_id == fs);
        if !connected_here {
            self.federation_owner(who, fs).await?;
        }
        Ok(ConnectedOrgOwner {
            federation_settings_id: fs,
            org_id: org,
        })
    }

    /// The caller administers its domain: ORG_OWNER there (the superuser too).
    pub async fn domain_admin(&self, who: &Principal) -> CoreResult<DomainAdmin> {
        let domain = self.iam.caller_domain(who).await?;
        who.require_org_owner(domain.id)?;
        Ok(DomainAdmin {
            owner: FederationOwner {
                federation_settings_id: domain.federation_settings_id,
                org_id: Some(domain.id),
            },
            domain,
        })
    }
}
