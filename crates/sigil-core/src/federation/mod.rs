//! Federation (Atlas v2, spec 10): connected organizations, role mappings, identity
//! providers, and who may manage them.

mod connected_org;
mod identity_provider;
pub mod jwt;
pub mod key_sets;
mod revoke;
mod role_mapping;
mod service;

pub use service::Federation;

pub use connected_org::{ConnectedOrgConfig, ConnectedOrgConfigDraft};
pub(crate) use identity_provider::check_issuer_url;
pub use identity_provider::{
    AuthorizationType, IdentityProvider, IdentityProviderDraft, IdentityProviderFilter, IdpType,
    KeySetSource, KeySetStatus, DESCRIPTION_MAX, DISPLAY_NAME_MAX,
};
pub use role_mapping::{RoleAssignment, RoleAssignmentDraft, RoleMapping, RoleMappingDraft};

use crate::audit::{Actor, AuditEvent};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::ids::{FederationSettingsId, OrgId};
use crate::principal::Principal;
use crate::privilege::{OrgRole, Privilege};

/// Proof that the caller is ORG_OWNER of an organization connected to these settings.
#[derive(Debug, Clone, Copy)]
pub struct FederationOwner {
    pub federation_settings_id: FederationSettingsId,
    /// The connected organization through which the caller is an owner: the audit trail of
    /// settings-wide changes is kept there.
    pub org_id: Option<OrgId>,
}

/// Proof that the caller is ORG_OWNER of `org`, and that these settings exist.
#[derive(Debug, Clone, Copy)]
pub struct ConnectedOrgOwner {
    pub federation_settings_id: FederationSettingsId,
    pub org_id: OrgId,
}

impl Federation {
    /// Settings-wide operations need the superuser, or ORG_OWNER of the organization the
    /// settings belong to (the one created with them), or ORG_OWNER of an organization
    /// connected to them (as Atlas has it: an organization is connected only by someone who
    /// already holds these rights, see [`Core::authorize_connected_org_owner`]).
    pub async fn authorize_federation_owner(
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
    pub async fn authorize_connected_org_owner(
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
            self.authorize_federation_owner(who, fs).await?;
        }
        Ok(ConnectedOrgOwner {
            federation_settings_id: fs,
            org_id: org,
        })
    }

    /// The audit event of a settings-wide change, listed under every organization it affects.
    pub(crate) async fn settings_event(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        event_type: &str,
        target: String,
    ) -> CoreResult<AuditEvent> {
        let affected = self
            .organizations_of_settings(owner.federation_settings_id)
            .await?;
        Ok(actor
            .event(event_type, self.kernel.now(), owner.org_id, Some(target))
            .affecting(&affected))
    }

    /// Every organization a change to these settings affects: the one they belong to and
    /// every connected one. Settings-wide changes are audited under each of them.
    pub(crate) async fn organizations_of_settings(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<OrgId>> {
        let mut orgs: Vec<OrgId> = self
            .kernel
            .store
            .list_connected_org_configs(fs)
            .await?
            .into_iter()
            .map(|c| c.org_id)
            .collect();
        if let Some(owning) = self
            .kernel
            .store
            .get_organization_by_federation_settings(fs)
            .await?
        {
            orgs.push(owning.id);
        }
        orgs.sort();
        orgs.dedup();
        Ok(orgs)
    }

    /// The connected organization's configuration; 404 when that organization does not exist
    /// (`Organization`) or is not connected to these settings (`ConnectedOrgConfig`).
    pub(crate) async fn connected_config(
        &self,
        owner: ConnectedOrgOwner,
    ) -> CoreResult<ConnectedOrgConfig> {
        self.directory.organization(owner.org_id).await?;
        match self
            .kernel
            .store
            .get_connected_org_config(owner.org_id)
            .await?
        {
            Some(c) if c.federation_settings_id == owner.federation_settings_id => Ok(c),
            _ => Err(CoreError::not_found(
                ResourceKind::ConnectedOrgConfig,
                owner.org_id,
            )),
        }
    }
}
