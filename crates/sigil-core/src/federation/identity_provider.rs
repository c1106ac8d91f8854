//! OIDC identity providers: the fields and their rules, and their management.

use super::FederationOwner;
use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::Federation;
use crate::ids::{FederationSettingsId, HexId, IdentityProviderId};
use crate::validate::{check_length, optional_text, string_list, text_field};
use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdpType {
    /// People, who sign in through a browser.
    Workforce,
    /// Machines, whose JWTs are sent as bearer tokens.
    Workload,
}

impl IdpType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workforce => "WORKFORCE",
            Self::Workload => "WORKLOAD",
        }
    }

    pub fn parse(field: &str, text: &str) -> CoreResult<Self> {
        match text {
            "WORKFORCE" => Ok(Self::Workforce),
            "WORKLOAD" => Ok(Self::Workload),
            _ => Err(CoreError::invalid(
                field,
                format!("{text:?} is not WORKFORCE or WORKLOAD"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationType {
    Group,
    User,
}

impl AuthorizationType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "GROUP",
            Self::User => "USER",
        }
    }

    fn parse(text: &str) -> CoreResult<Self> {
        match text {
            "GROUP" => Ok(Self::Group),
            "USER" => Ok(Self::User),
            _ => Err(CoreError::invalid(
                "authorizationType",
                format!("{text:?} is not GROUP or USER"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySetSource {
    /// From the issuer's discovery document (`jwks_uri`).
    Discovery,
    /// Given in a request and stored.
    Pinned,
}

/// What Sigil knows of a provider's key set (Sigil's addition to the Atlas resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySetStatus {
    pub source: KeySetSource,
    pub key_ids: Vec<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub id: IdentityProviderId,
    pub federation_settings_id: FederationSettingsId,
    pub idp_type: IdpType,
    pub display_name: String,
    pub description: Option<String>,
    /// `None` only for a provider created on the IAM face before its OpenID Connect
    /// configuration: it verifies no token until it has one.
    pub issuer_uri: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub authorization_type: AuthorizationType,
    pub groups_claim: Option<String>,
    pub user_claim: String,
    pub requested_scopes: Vec<String>,
    pub associated_domains: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub key_set: KeySetStatus,
    /// A JWKS given in a request (the IAM face's `signing_key`), used instead of discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_jwks: Option<serde_json::Value>,
    /// A disabled provider's tokens are refused everywhere, and so are its sessions.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// What the IAM face adds: the provider's name there and its OpenID Connect settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<crate::iam::IamSettings>,
}

fn enabled_by_default() -> bool {
    true
}

impl IdentityProvider {
    pub const PROTOCOL: &'static str = "OIDC";
}

/// A create (POST) or update (PATCH) of an identity provider, as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityProviderDraft {
    /// `OIDC`, the only protocol Sigil supports. Required on creation.
    #[schema(pattern = "^OIDC$")]
    pub protocol: Option<String>,
    /// `WORKFORCE` (people, who exchange their tokens) or `WORKLOAD` (machines, whose JWTs are
    /// Bearer credentials). Required on creation; cannot change afterwards.
    #[schema(pattern = "^(WORKFORCE|WORKLOAD)$")]
    pub idp_type: Option<String>,
    /// 1 to 50 characters. Required on creation.
    #[schema(min_length = 1, max_length = 50, pattern = "\\S")]
    pub display_name: Option<String>,
    /// Up to 250 characters.
    #[schema(max_length = 250)]
    pub description: Option<String>,
    /// The issuer: an absolute `https://` URL naming a host (`http://` only with
    /// --allow-insecure-issuers), up to 2048 characters. Required on creation.
    #[schema(min_length = 1, max_length = 2048, format = "uri")]
    pub issuer_uri: Option<String>,
    /// 1 to 255 characters; required for a WORKFORCE provider.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    pub client_id: Option<String>,
    /// 1 to 255 characters: the `aud` its tokens carry. Required on creation; unique with the issuer.
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    pub audience: Option<String>,
    /// `GROUP` (role mappings match the groups claim) or `USER` (they match the user).
    /// Required on creation.
    #[schema(pattern = "^(GROUP|USER)$")]
    pub authorization_type: Option<String>,
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub groups_claim: Option<String>,
    /// 1 to 100 characters (`sub` by default).
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub user_claim: Option<String>,
    /// At most 50 scopes.
    #[schema(max_items = 50)]
    pub requested_scopes: Option<Vec<String>>,
    /// At most 50 domains.
    #[schema(max_items = 50)]
    pub associated_domains: Option<Vec<String>>,
    // Read-only fields a client may send back after a GET; ignored.
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub id: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub created_at: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub updated_at: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub key_set: Option<IgnoredAny>,
}

pub const DISPLAY_NAME_MAX: usize = 50;
pub const DESCRIPTION_MAX: usize = 250;
pub const URI_MAX: usize = 2048;
pub const CLIENT_ID_MAX: usize = 255;
pub const CLAIM_MAX: usize = 100;
const LIST_ITEM_MAX: usize = 255;
const LIST_MAX: usize = 50;

fn protocol(field_value: Option<String>, required: bool) -> CoreResult<()> {
    match field_value.as_deref() {
        None if required => Err(CoreError::missing("protocol")),
        None | Some("OIDC") => Ok(()),
        Some("SAML") => Err(CoreError::invalid(
            "protocol",
            "Sigil supports only OIDC identity providers",
        )),
        Some(other) => Err(CoreError::invalid(
            "protocol",
            format!("{other:?} is not OIDC"),
        )),
    }
}

/// Checks the issuer: an absolute `https://` URL, or `http://` when insecure issuers are allowed.
pub fn check_issuer_uri(text: &str, allow_insecure: bool) -> CoreResult<()> {
    check_length("issuerUri", text, 1, URI_MAX)?;
    check_issuer_url("issuerUri", text, allow_insecure)
}

/// The issuer rule without its length, for faces whose field has other bounds (`idp_url`).
pub(crate) fn check_issuer_url(field: &str, text: &str, allow_insecure: bool) -> CoreResult<()> {
    let url = url::Url::parse(text)
        .map_err(|e| CoreError::invalid(field, format!("not an absolute URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        "http" => {
            return Err(CoreError::invalid(
                field,
                "must be an https:// URL (http:// needs --allow-insecure-issuers)",
            ))
        }
        other => {
            return Err(CoreError::invalid(
                field,
                format!("scheme {other:?} is not https"),
            ))
        }
    }
    let Some(host) = url.host().filter(|h| !matches!(h, url::Host::Domain(""))) else {
        return Err(CoreError::invalid(field, "must name a host"));
    };
    if !allow_insecure && crate::outbound::is_forbidden_host(&host) {
        return Err(CoreError::invalid(
            field,
            "must name a public host (loopback, private and link-local addresses need --allow-insecure-issuers)",
        ));
    }
    if url.fragment().is_some() || url.query().is_some() {
        return Err(CoreError::invalid(
            field,
            "must not carry a query or fragment",
        ));
    }
    Ok(())
}

impl IdentityProviderDraft {
    fn into_new(
        self,
        fs: FederationSettingsId,
        now: DateTime<Utc>,
        allow_insecure: bool,
    ) -> CoreResult<IdentityProvider> {
        protocol(self.protocol, true)?;
        let idp_type = IdpType::parse(
            "idpType",
            &self.idp_type.ok_or_else(|| CoreError::missing("idpType"))?,
        )?;
        let authorization_type = AuthorizationType::parse(
            &self
                .authorization_type
                .ok_or_else(|| CoreError::missing("authorizationType"))?,
        )?;
        let issuer_uri = self
            .issuer_uri
            .ok_or_else(|| CoreError::missing("issuerUri"))?;
        check_issuer_uri(&issuer_uri, allow_insecure)?;
        let idp = IdentityProvider {
            id: HexId::random(),
            federation_settings_id: fs,
            idp_type,
            display_name: text_field("displayName", self.display_name, 1, DISPLAY_NAME_MAX)?,
            description: optional_text("description", self.description, 0, DESCRIPTION_MAX)?,
            issuer_uri: Some(issuer_uri),
            client_id: optional_text("clientId", self.client_id, 1, CLIENT_ID_MAX)?,
            audience: Some(text_field("audience", self.audience, 1, CLIENT_ID_MAX)?),
            authorization_type,
            groups_claim: optional_text("groupsClaim", self.groups_claim, 1, CLAIM_MAX)?,
            user_claim: optional_text("userClaim", self.user_claim, 1, CLAIM_MAX)?
                .unwrap_or_else(|| "sub".into()),
            requested_scopes: string_list(
                "requestedScopes",
                self.requested_scopes.unwrap_or_default(),
                LIST_ITEM_MAX,
                LIST_MAX,
            )?,
            associated_domains: string_list(
                "associatedDomains",
                self.associated_domains.unwrap_or_default(),
                LIST_ITEM_MAX,
                LIST_MAX,
            )?,
            created_at: now,
            updated_at: now,
            key_set: KeySetStatus {
                source: KeySetSource::Discovery,
                key_ids: vec![],
                fetched_at: None,
                revoked_at: None,
                last_error: None,
            },
            pinned_jwks: None,
            enabled: true,
            iam: None,
        };
        idp.checked()
    }

    fn apply_to(
        self,
        mut idp: IdentityProvider,
        now: DateTime<Utc>,
        allow_insecure: bool,
    ) -> CoreResult<IdentityProvider> {
        protocol(self.protocol, false)?;
        if let Some(text) = self.idp_type {
            if IdpType::parse("idpType", &text)? != idp.idp_type {
                return Err(CoreError::invalid(
                    "idpType",
                    "cannot be changed; create a new identity provider",
                ));
            }
        }
        if let Some(text) = self.authorization_type {
            idp.authorization_type = AuthorizationType::parse(&text)?;
        }
        if let Some(uri) = self.issuer_uri {
            check_issuer_uri(&uri, allow_insecure)?;
            idp.issuer_uri = Some(uri);
        }
        if self.display_name.is_some() {
            idp.display_name = text_field("displayName", self.display_name, 1, DISPLAY_NAME_MAX)?;
        }
        if self.description.is_some() {
            idp.description = optional_text("description", self.description, 0, DESCRIPTION_MAX)?;
        }
        if self.client_id.is_some() {
            idp.client_id = optional_text("clientId", self.client_id, 1, CLIENT_ID_MAX)?;
        }
        if self.audience.is_some() {
            idp.audience = Some(text_field("audience", self.audience, 1, CLIENT_ID_MAX)?);
        }
        if self.groups_claim.is_some() {
            idp.groups_claim = optional_text("groupsClaim", self.groups_claim, 1, CLAIM_MAX)?;
        }
        if self.user_claim.is_some() {
            idp.user_claim = text_field("userClaim", self.user_claim, 1, CLAIM_MAX)?;
        }
        if let Some(scopes) = self.requested_scopes {
            idp.requested_scopes = string_list("requestedScopes", scopes, LIST_ITEM_MAX, LIST_MAX)?;
        }
        if let Some(domains) = self.associated_domains {
            idp.associated_domains =
                string_list("associatedDomains", domains, LIST_ITEM_MAX, LIST_MAX)?;
        }
        idp.updated_at = now;
        idp.checked()
    }
}

impl IdentityProvider {
    /// The rules that tie fields together, checked after every create and update.
    pub(crate) fn checked(mut self) -> CoreResult<Self> {
        // A provider the IAM face created has no client until it is configured.
        let configured = self.issuer_uri.is_some();
        if configured && self.idp_type == IdpType::Workforce && self.client_id.is_none() {
            return Err(CoreError::missing("clientId"));
        }
        if self.authorization_type == AuthorizationType::Group && self.groups_claim.is_none() {
            self.groups_claim = Some("groups".into());
        }
        Ok(self)
    }
}

/// Filters of listIdentityProviders.
#[derive(Debug, Clone, Default)]
pub struct IdentityProviderFilter {
    pub idp_types: Vec<IdpType>,
}

impl IdentityProviderFilter {
    /// Parses `protocol` (OIDC only) and the comma-separated `idpType`.
    pub fn parse(protocol_param: Option<&str>, idp_type: Option<&str>) -> CoreResult<Self> {
        for p in protocol_param.unwrap_or("OIDC").split(',') {
            protocol(Some(p.to_owned()), false)?;
        }
        let mut idp_types = vec![];
        if let Some(text) = idp_type {
            for t in text.split(',') {
                idp_types.push(IdpType::parse("idpType", t)?);
            }
        }
        Ok(Self { idp_types })
    }
}

impl Federation {
    pub async fn list_identity_providers(
        &self,
        owner: FederationOwner,
        filter: &IdentityProviderFilter,
    ) -> CoreResult<Vec<IdentityProvider>> {
        let all = self
            .kernel
            .store
            .list_identity_providers(owner.federation_settings_id())
            .await?;
        Ok(all
            .into_iter()
            .filter(|i| filter.idp_types.is_empty() || filter.idp_types.contains(&i.idp_type))
            .map(|i| self.with_live_key_set(i))
            .collect())
    }

    pub async fn create_identity_provider(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        draft: IdentityProviderDraft,
    ) -> CoreResult<IdentityProvider> {
        let idp = draft.into_new(
            owner.federation_settings_id(),
            self.kernel.now(),
            self.kernel.config.allow_insecure_issuers,
        )?;
        let event = self
            .settings_event(
                owner,
                actor,
                kind::IDENTITY_PROVIDER_CREATED,
                idp.id.to_string(),
            )
            .await?;
        self.kernel
            .store
            .insert_identity_provider(&idp, None, &event)
            .await?;
        self.federation_changed(None);
        Ok(idp)
    }

    pub async fn get_identity_provider(
        &self,
        owner: FederationOwner,
        id: IdentityProviderId,
    ) -> CoreResult<IdentityProvider> {
        self.kernel
            .store
            .get_identity_provider(owner.federation_settings_id(), id)
            .await?
            .map(|i| self.with_live_key_set(i))
            .ok_or_else(|| CoreError::not_found(ResourceKind::IdentityProvider, id))
    }

    pub async fn update_identity_provider(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        id: IdentityProviderId,
        draft: IdentityProviderDraft,
    ) -> CoreResult<IdentityProvider> {
        let current = self.get_identity_provider(owner, id).await?;
        let idp = draft.apply_to(
            current,
            self.kernel.now(),
            self.kernel.config.allow_insecure_issuers,
        )?;
        let event = self
            .settings_event(
                owner,
                actor,
                kind::IDENTITY_PROVIDER_UPDATED,
                id.to_string(),
            )
            .await?;
        self.kernel
            .store
            .update_identity_provider(&idp, &event)
            .await?;
        self.federation_changed(Some(id));
        Ok(idp)
    }

    /// Deletes the provider and every connected organization's reference to it.
    pub async fn delete_identity_provider(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        id: IdentityProviderId,
    ) -> CoreResult<()> {
        let idp = self.get_identity_provider(owner, id).await?;
        let event = self
            .settings_event(
                owner,
                actor,
                kind::IDENTITY_PROVIDER_DELETED,
                id.to_string(),
            )
            .await?;
        self.kernel
            .store
            .delete_identity_provider(&idp, &event)
            .await?;
        self.federation_changed(Some(id));
        Ok(())
    }
}

#[cfg(test)]
#[path = "identity_provider_tests.rs"]
mod tests;
