//! Federation (Atlas Admin API v2): connected organizations, role mappings, identity
//! providers, and who may manage them.

mod connected_org;
mod identity_provider;
mod jwks;
pub mod jwt;
pub mod key_sets;
mod revoke;
mod role_mapping;
mod service;

pub use crate::authz::{ConnectedOrgOwner, FederationOwner};
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

impl Federation {
    /// The audit event of a settings-wide change, listed under every organization it affects.
    pub(crate) async fn settings_event(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        event_type: &str,
        target: String,
    ) -> CoreResult<AuditEvent> {
        let affected = self
            .organizations_of_settings(owner.federation_settings_id())
            .await?;
        Ok(actor
            .event(event_type, self.kernel.now(), owner.org_id(), Some(target))
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
        self.directory.organization(owner.org_id()).await?;
        match self
            .kernel
            .store
            .get_connected_org_config(owner.org_id())
            .await?
        {
            Some(c) if c.federation_settings_id == owner.federation_settings_id() => Ok(c),
            _ => Err(CoreError::not_found(
                ResourceKind::ConnectedOrgConfig,
                owner.org_id(),
            )),
        }
    }
}
