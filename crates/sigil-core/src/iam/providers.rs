//! Identity providers as the IAM face manages them: by name, with `sso_type`, `description`
//! and `enabled`. Created as OIDC WORKFORCE providers with GROUP authorization on the `groups`
//! claim, connected to the creating domain so that its role mappings apply.

use super::{DomainAdmin, IamSettings};
use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::{
    AuthorizationType, IdentityProvider, IdentityProviderFilter, IdpType, KeySetSource,
    KeySetStatus,
};
use crate::iam::Iam;
use crate::ids::HexId;
use crate::validate::optional_text;
use serde::{Deserialize, Serialize};

const NAME_MAX: usize = 64;
/// The Atlas face's bound, kept for every face: one description, one rule.
const DESCRIPTION_MAX: usize = crate::federation::DESCRIPTION_MAX;
const DISPLAY_NAME_MAX: usize = crate::federation::DISPLAY_NAME_MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoType {
    /// Federated users are mapped to virtual users (Huawei's default).
    VirtualUserSso,
    /// Federated users are mapped to existing IAM users.
    IamUserSso,
}

impl SsoType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VirtualUserSso => "virtual_user_sso",
            Self::IamUserSso => "iam_user_sso",
        }
    }

    fn parse(text: &str) -> CoreResult<Self> {
        match text {
            "virtual_user_sso" => Ok(Self::VirtualUserSso),
            "iam_user_sso" => Ok(Self::IamUserSso),
            _ => Err(CoreError::invalid(
                "sso_type",
                format!("{text:?} is not virtual_user_sso or iam_user_sso"),
            )),
        }
    }
}

/// A create (POST) or update (PATCH) of a provider on the IAM face.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IamProviderDraft {
    /// `virtual_user_sso` or `iam_user_sso`.
    #[schema(pattern = "^(virtual_user_sso|iam_user_sso)$")]
    pub sso_type: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// Keystone's remote ids: Sigil matches tokens by `idp_url`, so only `[]` is accepted.
    #[schema(value_type = Option<Vec<String>>, max_items = 0)]
    pub remote_ids: Option<Vec<serde::de::IgnoredAny>>,
}

/// 1–64 letters, digits, `-` and `_`. A name of 24 lowercase hex digits is reserved: it is how
/// the IAM face names a provider created on the Atlas face (by its id).
pub fn check_provider_name(name: &str) -> CoreResult<()> {
    let shape = !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if shape {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "idp_id",
            "must be 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

fn is_atlas_id(name: &str) -> bool {
    name.len() == 24
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl IdentityProvider {
    /// The provider's name on the IAM face: the one given there, else its Atlas id.
    pub fn iam_name(&self) -> String {
        self.iam
            .as_ref()
            .map_or_else(|| self.id.to_string(), |i| i.name.clone())
    }

    pub fn sso_type(&self) -> SsoType {
        self.iam
            .as_ref()
            .map_or(SsoType::VirtualUserSso, |i| i.sso_type)
    }
}

impl IamProviderDraft {
    fn check_remote_ids(&self) -> CoreResult<()> {
        match &self.remote_ids {
            Some(ids) if !ids.is_empty() => Err(CoreError::invalid(
                "remote_ids",
                "Sigil matches ID tokens by the OpenID Connect configuration's idp_url; send [] or nothing",
            )),
            _ => Ok(()),
        }
    }
}

impl Iam {
    pub async fn providers(&self, admin: &DomainAdmin) -> CoreResult<Vec<IdentityProvider>> {
        self.federation
            .list_identity_providers(admin.federation_owner(), &IdentityProviderFilter::default())
            .await
    }

    /// The provider named `name` in the domain's federation.
    pub async fn provider(&self, admin: &DomainAdmin, name: &str) -> CoreResult<IdentityProvider> {
        check_provider_name(name)?;
        self.kernel
            .store
            .get_identity_provider_by_name(admin.federation_owner().federation_settings_id(), name)
            .await?
            .map(|i| self.federation.with_live_key_set(i))
            .ok_or_else(|| CoreError::not_found(ResourceKind::IdentityProvider, name))
    }

    /// Creates the provider and connects it to the domain (as a data-access provider), in one
    /// transaction, so the domain's role mappings grant its users roles.
    pub async fn create_provider(
        &self,
        admin: &DomainAdmin,
        actor: &Actor,
        name: &str,
        draft: IamProviderDraft,
    ) -> CoreResult<IdentityProvider> {
        check_provider_name(name)?;
        if is_atlas_id(name) {
            return Err(CoreError::invalid(
                "idp_id",
                "24 hexadecimal digits name providers created on the Atlas face; choose another name",
            ));
        }
        draft.check_remote_ids()?;
        let sso_type = match &draft.sso_type {
            Some(t) => SsoType::parse(t)?,
            None => SsoType::VirtualUserSso,
        };
        let fs = admin.federation_owner().federation_settings_id();
        if self
            .kernel
            .store
            .get_identity_provider_by_name(fs, name)
            .await?
            .is_some()
        {
            return Err(CoreError::Conflict {
                what: format!("an identity provider named {name:?}"),
            });
        }
        let now = self.kernel.now();
        let idp = IdentityProvider {
            id: HexId::random(),
            federation_settings_id: fs,
            idp_type: IdpType::Workforce,
            display_name: name.chars().take(DISPLAY_NAME_MAX).collect(),
            description: optional_text("description", draft.description, 0, DESCRIPTION_MAX)?,
            issuer_uri: None,
            client_id: None,
            audience: None,
            authorization_type: AuthorizationType::Group,
            groups_claim: Some("groups".into()),
            user_claim: "sub".into(),
            requested_scopes: vec![],
            associated_domains: vec![],
            created_at: now,
            updated_at: now,
            key_set: KeySetStatus {
                source: KeySetSource::Pinned,
                key_ids: vec![],
                fetched_at: None,
                revoked_at: None,
                last_error: None,
            },
            pinned_jwks: None,
            enabled: draft.enabled.unwrap_or(true),
            iam: Some(IamSettings {
                name: name.to_owned(),
                sso_type,
                oidc: None,
            }),
        };
        let mut connection = self
            .kernel
            .store
            .get_connected_org_config(admin.domain().id)
            .await?;
        if let Some(c) = connection
            .as_mut()
            .filter(|c| c.federation_settings_id == fs)
        {
            c.data_access_identity_provider_ids.push(idp.id);
        }
        let event = self
            .federation
            .settings_event(
                admin.federation_owner(),
                actor,
                kind::IDENTITY_PROVIDER_CREATED,
                idp.id.to_string(),
            )
            .await?;
        self.kernel
            .store
            .insert_identity_provider(&idp, connection.as_ref(), &event)
            .await?;
        self.federation.federation_changed(None);
        Ok(idp)
    }

    /// PATCH: `description` and `enabled` (and `sso_type`).
    pub async fn update_provider(
        &self,
        admin: &DomainAdmin,
        actor: &Actor,
        name: &str,
        draft: IamProviderDraft,
    ) -> CoreResult<IdentityProvider> {
        let mut idp = self.provider(admin, name).await?;
        draft.check_remote_ids()?;
        if let Some(t) = &draft.sso_type {
            let sso_type = SsoType::parse(t)?;
            let name = idp.iam_name();
            let settings = idp.iam.get_or_insert(IamSettings {
                name,
                sso_type,
                oidc: None,
            });
            settings.sso_type = sso_type;
        }
        if draft.description.is_some() {
            idp.description = optional_text("description", draft.description, 0, DESCRIPTION_MAX)?;
        }
        if let Some(enabled) = draft.enabled {
            idp.enabled = enabled;
        }
        idp.updated_at = self.kernel.now();
        self.write_iam_provider(admin, actor, &idp).await?;
        Ok(idp)
    }

    pub async fn delete_provider(
        &self,
        admin: &DomainAdmin,
        actor: &Actor,
        name: &str,
    ) -> CoreResult<()> {
        let idp = self.provider(admin, name).await?;
        self.federation
            .delete_identity_provider(admin.federation_owner(), actor, idp.id)
            .await
    }

    /// Writes a changed provider with its audit event; every node forgets what it knew of it.
    pub(crate) async fn write_iam_provider(
        &self,
        admin: &DomainAdmin,
        actor: &Actor,
        idp: &IdentityProvider,
    ) -> CoreResult<()> {
        let event = self
            .federation
            .settings_event(
                admin.federation_owner(),
                actor,
                kind::IDENTITY_PROVIDER_UPDATED,
                idp.id.to_string(),
            )
            .await?;
        self.kernel
            .store
            .update_identity_provider(idp, &event)
            .await?;
        self.federation.federation_changed(Some(idp.id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_1_to_64_letters_digits_dashes_and_underscores() {
        assert!(check_provider_name("a").is_ok());
        assert!(check_provider_name(&"a".repeat(64)).is_ok());
        assert!(check_provider_name("idp_Test-01").is_ok());
        for bad in [
            String::new(),
            "a".repeat(65),
            "a b".into(),
            "a/b".into(),
            "é".into(),
        ] {
            assert!(
                matches!(check_provider_name(&bad), Err(CoreError::Invalid { ref field, .. }) if field == "idp_id"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn atlas_ids_are_recognised_by_their_shape() {
        assert!(is_atlas_id("0123456789abcdef01234567"));
        assert!(!is_atlas_id("0123456789ABCDEF01234567"));
        assert!(!is_atlas_id("0123456789abcdef0123456"));
    }

    #[test]
    fn sso_types_are_the_two_of_the_spec() {
        assert_eq!(
            SsoType::parse("virtual_user_sso").ok(),
            Some(SsoType::VirtualUserSso)
        );
        assert_eq!(
            SsoType::parse("iam_user_sso").ok(),
            Some(SsoType::IamUserSso)
        );
        assert!(SsoType::parse("saml").is_err());
    }
}
