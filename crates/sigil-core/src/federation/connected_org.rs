//! Connected organization configurations: which identity providers an organization uses,
//! its domain restrictions and the roles granted after authentication.

use super::{ConnectedOrgOwner, RoleMapping};
use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::Federation;
use crate::ids::{FederationSettingsId, HexId, IdentityProviderId, OrgId};
use crate::privilege::OrgRole;
use crate::validate::string_list;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedOrgConfig {
    pub federation_settings_id: FederationSettingsId,
    pub org_id: OrgId,
    pub identity_provider_id: Option<IdentityProviderId>,
    pub data_access_identity_provider_ids: Vec<IdentityProviderId>,
    pub domain_allow_list: Vec<String>,
    pub domain_restriction_enabled: bool,
    pub post_auth_role_grants: Vec<OrgRole>,
}

impl ConnectedOrgConfig {
    pub fn new(federation_settings_id: FederationSettingsId, org_id: OrgId) -> Self {
        Self {
            federation_settings_id,
            org_id,
            identity_provider_id: None,
            data_access_identity_provider_ids: vec![],
            domain_allow_list: vec![],
            domain_restriction_enabled: false,
            post_auth_role_grants: vec![],
        }
    }

    /// Removes every reference to a deleted identity provider.
    pub fn forget_identity_provider(&mut self, idp: IdentityProviderId) -> bool {
        let before = (
            self.identity_provider_id,
            self.data_access_identity_provider_ids.len(),
        );
        if self.identity_provider_id == Some(idp) {
            self.identity_provider_id = None;
        }
        self.data_access_identity_provider_ids.retain(|i| *i != idp);
        before
            != (
                self.identity_provider_id,
                self.data_access_identity_provider_ids.len(),
            )
    }
}

/// A PATCH of a connected organization configuration: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectedOrgConfigDraft {
    pub org_id: Option<String>,
    pub federation_settings_id: Option<String>,
    /// The 24-hex id of a WORKFORCE identity provider of these federation settings, or null.
    #[schema(pattern = "^[0-9a-f]{24}$")]
    pub identity_provider_id: Option<String>,
    pub data_access_identity_provider_ids: Option<Vec<String>>,
    pub domain_allow_list: Option<Vec<String>>,
    pub domain_restriction_enabled: Option<bool>,
    pub post_auth_role_grants: Option<Vec<String>>,
    /// Read-only; accepted (whatever it holds) so a client may send back what it read.
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub role_mappings: Option<serde::de::IgnoredAny>,
}

const DOMAIN_MAX: usize = 253;
const MAX_LIST: usize = 100;

impl Federation {
    pub async fn list_connected_org_configs(
        &self,
        owner: super::FederationOwner,
    ) -> CoreResult<Vec<(ConnectedOrgConfig, Vec<RoleMapping>)>> {
        let fs = owner.federation_settings_id();
        let mut out = vec![];
        for config in self.kernel.store.list_connected_org_configs(fs).await? {
            let mappings = self
                .kernel
                .store
                .list_role_mappings(fs, config.org_id)
                .await?;
            out.push((config, mappings));
        }
        Ok(out)
    }

    pub async fn get_connected_org_config(
        &self,
        owner: ConnectedOrgOwner,
    ) -> CoreResult<(ConnectedOrgConfig, Vec<RoleMapping>)> {
        let config = self.connected_config(owner).await?;
        let mappings = self
            .kernel
            .store
            .list_role_mappings(owner.federation_settings_id(), owner.org_id())
            .await?;
        Ok((config, mappings))
    }

    /// Updates the configuration, connecting the organization first when it is not yet.
    pub async fn update_connected_org_config(
        &self,
        owner: ConnectedOrgOwner,
        actor: &Actor,
        draft: ConnectedOrgConfigDraft,
    ) -> CoreResult<(ConnectedOrgConfig, Vec<RoleMapping>)> {
        let fs = owner.federation_settings_id();
        self.directory.organization(owner.org_id()).await?;
        let mut config = match self
            .kernel
            .store
            .get_connected_org_config(owner.org_id())
            .await?
        {
            Some(c) if c.federation_settings_id == fs => c,
            Some(c) => {
                return Err(CoreError::Conflict {
                    what: format!(
                        "a connection of organization {} to federation settings {}",
                        c.org_id, c.federation_settings_id
                    ),
                })
            }
            None => ConnectedOrgConfig::new(fs, owner.org_id()),
        };
        if let Some(org) = draft.org_id {
            if org != owner.org_id().to_string() {
                return Err(CoreError::invalid(
                    "orgId",
                    "must equal the orgId of the path",
                ));
            }
        }
        if let Some(id) = draft.federation_settings_id {
            if id != fs.to_string() {
                return Err(CoreError::invalid(
                    "federationSettingsId",
                    "must equal the federationSettingsId of the path",
                ));
            }
        }
        let known: Vec<IdentityProviderId> = self
            .kernel
            .store
            .list_identity_providers(fs)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect();
        let known_idp = |field: &str, text: &str| -> CoreResult<IdentityProviderId> {
            let id = HexId::parse(field, text)?;
            if known.contains(&id) {
                Ok(id)
            } else {
                Err(CoreError::invalid(
                    field,
                    format!("no identity provider {id} in these federation settings"),
                ))
            }
        };
        if let Some(text) = draft.identity_provider_id {
            config.identity_provider_id = Some(known_idp("identityProviderId", &text)?);
        }
        if let Some(ids) = draft.data_access_identity_provider_ids {
            let mut parsed = vec![];
            for (i, text) in ids.iter().enumerate() {
                parsed.push(known_idp(
                    &format!("dataAccessIdentityProviderIds[{i}]"),
                    text,
                )?);
            }
            parsed.sort();
            parsed.dedup();
            config.data_access_identity_provider_ids = parsed;
        }
        if let Some(domains) = draft.domain_allow_list {
            let domains = string_list("domainAllowList", domains, DOMAIN_MAX, MAX_LIST)?;
            for (i, d) in domains.iter().enumerate() {
                if !is_domain_name(d) {
                    return Err(CoreError::invalid(
                        format!("domainAllowList[{i}]"),
                        format!("{d:?} is not a domain name"),
                    ));
                }
            }
            config.domain_allow_list = domains
                .into_iter()
                .map(|d| d.to_ascii_lowercase())
                .collect();
        }
        if let Some(enabled) = draft.domain_restriction_enabled {
            config.domain_restriction_enabled = enabled;
        }
        if let Some(roles) = draft.post_auth_role_grants {
            let mut parsed = vec![];
            for (i, r) in roles.iter().enumerate() {
                parsed.push(OrgRole::parse(&format!("postAuthRoleGrants[{i}]"), r)?);
            }
            parsed.sort();
            parsed.dedup();
            config.post_auth_role_grants = parsed;
        }
        // The settings' organizations see who joins or leaves them.
        let affected = self
            .organizations_of_settings(owner.federation_settings_id())
            .await?;
        let event = actor
            .event(
                kind::CONNECTED_ORG_CONFIG_UPDATED,
                self.kernel.now(),
                Some(owner.org_id()),
                Some(owner.org_id().to_string()),
            )
            .affecting(&affected);
        self.kernel
            .store
            .put_connected_org_config(&config, &event)
            .await?;
        self.federation_changed(None);
        let mappings = self
            .kernel
            .store
            .list_role_mappings(fs, owner.org_id())
            .await?;
        Ok((config, mappings))
    }

    /// Disconnects the organization; its role mappings go with it.
    pub async fn remove_connected_org_config(
        &self,
        owner: ConnectedOrgOwner,
        actor: &Actor,
    ) -> CoreResult<()> {
        self.connected_config(owner).await?;
        // The settings' organizations see who joins or leaves them.
        let affected = self
            .organizations_of_settings(owner.federation_settings_id())
            .await?;
        let event = actor
            .event(
                kind::CONNECTED_ORG_CONFIG_REMOVED,
                self.kernel.now(),
                Some(owner.org_id()),
                Some(owner.org_id().to_string()),
            )
            .affecting(&affected);
        if self
            .kernel
            .store
            .delete_connected_org_config(owner.federation_settings_id(), owner.org_id(), &event)
            .await?
        {
            self.federation_changed(None);
            Ok(())
        } else {
            Err(CoreError::not_found(
                ResourceKind::ConnectedOrgConfig,
                owner.org_id(),
            ))
        }
    }
}

/// A DNS name: dot-separated labels of letters, digits and hyphens, with at least one dot.
fn is_domain_name(text: &str) -> bool {
    text.contains('.')
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names() {
        assert!(is_domain_name("example.com"));
        assert!(is_domain_name("a-b.example.co.uk"));
        for bad in [
            "example",
            "-a.com",
            "a..com",
            "a b.com",
            "exa_mple.com",
            ".com",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
    }

    #[test]
    fn forgetting_an_identity_provider_clears_every_reference() {
        let (fs, org, idp, other) = (
            HexId::random(),
            HexId::random(),
            HexId::random(),
            HexId::random(),
        );
        let mut c = ConnectedOrgConfig::new(fs, org);
        c.identity_provider_id = Some(idp);
        c.data_access_identity_provider_ids = vec![idp, other];
        assert!(c.forget_identity_provider(idp));
        assert_eq!(c.identity_provider_id, None);
        assert_eq!(c.data_access_identity_provider_ids, vec![other]);
        assert!(!c.forget_identity_provider(idp));
    }
}
