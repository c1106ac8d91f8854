//! Federation (Atlas v2, spec 10): connected organizations, role mappings, identity
//! providers, and who may manage them.

mod connected_org;
mod identity_provider;
pub mod jwt;
pub mod key_sets;
mod revoke;
mod role_mapping;

pub use connected_org::{ConnectedOrgConfig, ConnectedOrgConfigDraft};
pub(crate) use identity_provider::check_issuer_url;
pub use identity_provider::{
    AuthorizationType, IdentityProvider, IdentityProviderDraft, IdentityProviderFilter, IdpType,
    KeySetSource, KeySetStatus, DESCRIPTION_MAX, DISPLAY_NAME_MAX,
};
pub use role_mapping::{RoleAssignment, RoleAssignmentDraft, RoleMapping, RoleMappingDraft};

use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::ids::{FederationSettingsId, OrgId};
use crate::principal::Principal;
use crate::privilege::{OrgRole, Privilege};
use crate::Core;

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

impl Core {
    /// Settings-wide operations need ORG_OWNER of any organization connected to them.
    pub async fn authorize_federation_owner(
        &self,
        who: &Principal,
        fs: FederationSettingsId,
    ) -> CoreResult<FederationOwner> {
        self.federation_settings(fs).await?;
        let connected = self.store.list_connected_org_configs(fs).await?;
        if let Some(c) = connected
            .iter()
            .find(|c| who.has_org_role(c.org_id, OrgRole::OrgOwner))
        {
            return Ok(FederationOwner {
                federation_settings_id: fs,
                org_id: Some(c.org_id),
            });
        }
        if who.superuser {
            return Ok(FederationOwner {
                federation_settings_id: fs,
                org_id: None,
            });
        }
        let needs = match connected.first() {
            Some(c) => Privilege::OrgRole {
                org: c.org_id,
                role: OrgRole::OrgOwner,
            },
            None => Privilege::Superuser,
        };
        Err(CoreError::Forbidden { needs })
    }

    /// Operations on one connected organization need ORG_OWNER of that organization.
    pub async fn authorize_connected_org_owner(
        &self,
        who: &Principal,
        fs: FederationSettingsId,
        org: OrgId,
    ) -> CoreResult<ConnectedOrgOwner> {
        self.federation_settings(fs).await?;
        who.require_org_owner(org)?;
        Ok(ConnectedOrgOwner {
            federation_settings_id: fs,
            org_id: org,
        })
    }

    /// The connected organization's configuration; 404 when that organization does not exist
    /// (`Organization`) or is not connected to these settings (`ConnectedOrgConfig`).
    pub(crate) async fn connected_config(
        &self,
        owner: ConnectedOrgOwner,
    ) -> CoreResult<ConnectedOrgConfig> {
        self.organization(owner.org_id).await?;
        match self.store.get_connected_org_config(owner.org_id).await? {
            Some(c) if c.federation_settings_id == owner.federation_settings_id => Ok(c),
            _ => Err(CoreError::not_found(
                ResourceKind::ConnectedOrgConfig,
                owner.org_id,
            )),
        }
    }
}
