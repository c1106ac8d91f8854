//! Organizations and their federation settings (Atlas Admin API v2).

use crate::audit::{kind, Actor};
use crate::directory::Directory;
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::ConnectedOrgConfig;
use crate::ids::{FederationSettingsId, HexId, OrgId};
use crate::page::{Page, PageRequest};
use crate::principal::Principal;
use crate::privilege::{OrgReader, Superuser};
use crate::validate::text_field;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    /// The federation settings created with the organization.
    pub federation_settings_id: FederationSettingsId,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederationSettings {
    pub id: FederationSettingsId,
    pub created_at: DateTime<Utc>,
}

/// A federation settings resource with what is derived from its connected organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationSettingsView {
    pub settings: FederationSettings,
    pub federated_domains: Vec<String>,
    pub has_role_mappings: bool,
    pub identity_provider_id: Option<HexId>,
}

pub const ORG_NAME_MAX: usize = 64;

impl Organization {
    /// A new organization with its own federation settings, connected to them.
    pub fn new(name: String, now: DateTime<Utc>) -> (Self, FederationSettings, ConnectedOrgConfig) {
        let settings = FederationSettings {
            id: HexId::random(),
            created_at: now,
        };
        let org = Self {
            id: HexId::random(),
            name,
            federation_settings_id: settings.id,
            created_at: now,
        };
        let config = ConnectedOrgConfig::new(settings.id, org.id);
        (org, settings, config)
    }
}

impl Directory {
    pub async fn list_organizations(
        &self,
        who: &Principal,
        page: &PageRequest,
    ) -> CoreResult<Page<Organization>> {
        if who.superuser {
            self.kernel.store.list_organizations(None, page).await
        } else {
            self.kernel
                .store
                .list_organizations(Some(&who.orgs()), page)
                .await
        }
    }

    pub async fn create_organization(
        &self,
        _: Superuser,
        actor: &Actor,
        name: Option<String>,
    ) -> CoreResult<Organization> {
        let name = text_field("name", name, 1, ORG_NAME_MAX)?;
        let (org, settings, config) = Organization::new(name, self.kernel.now());
        let event = actor.event(
            kind::ORG_CREATED,
            self.kernel.now(),
            Some(org.id),
            Some(org.id.to_string()),
        );
        self.kernel
            .store
            .create_organization(&org, &settings, &config, &event)
            .await?;
        Ok(org)
    }

    pub async fn get_organization(&self, reader: OrgReader) -> CoreResult<Organization> {
        self.organization(reader.org()).await
    }

    pub(crate) async fn organization(&self, id: OrgId) -> CoreResult<Organization> {
        self.kernel
            .store
            .get_organization(id)
            .await?
            .ok_or_else(|| CoreError::not_found(ResourceKind::Organization, id))
    }

    pub(crate) async fn federation_settings(
        &self,
        id: FederationSettingsId,
    ) -> CoreResult<FederationSettings> {
        self.kernel
            .store
            .get_federation_settings(id)
            .await?
            .ok_or_else(|| CoreError::not_found(ResourceKind::FederationSettings, id))
    }

    /// The federation settings view, with what its connected organizations contribute.
    pub async fn federation_settings_view(
        &self,
        id: FederationSettingsId,
    ) -> CoreResult<FederationSettingsView> {
        let settings = self.federation_settings(id).await?;
        let configs = self.kernel.store.list_connected_org_configs(id).await?;
        let mut federated_domains: Vec<String> = configs
            .iter()
            .flat_map(|c| c.domain_allow_list.iter().cloned())
            .collect();
        federated_domains.sort();
        federated_domains.dedup();
        let mut has_role_mappings = false;
        for config in &configs {
            if !self
                .kernel
                .store
                .list_role_mappings(id, config.org_id)
                .await?
                .is_empty()
            {
                has_role_mappings = true;
                break;
            }
        }
        let identity_provider_id = configs.iter().find_map(|c| c.identity_provider_id);
        Ok(FederationSettingsView {
            settings,
            federated_domains,
            has_role_mappings,
            identity_provider_id,
        })
    }
}
