//! The path parameters of the Atlas Admin API and Cloud Manager faces: one typed struct per
//! route shape, read by [`AtlasPath`](super::extract::AtlasPath) and described from the same
//! declaration in the OpenAPI document. A malformed id is refused while the path is read —
//! after authentication, before anything is looked up — with 400 `INVALID_PATH_PARAMETER`
//! naming the parameter.

use serde::{Deserialize, Deserializer};
use sigil_core::ids::{FederationSettingsId, HexId, IdentityProviderId, OrgId, RoleMappingId};
use sigil_core::oauth::service_accounts::parse_client_id;
use utoipa::IntoParams;

/// The reasons a path parameter is refused with, as the error body's `reason`.
const HEX_REASON: &str = "must be 24 hexadecimal digits";
const CLIENT_ID_REASON: &str = "must be mdb_sa_id_ and 24 hexadecimal digits";

fn hex_id<'de, D: Deserializer<'de>>(d: D) -> Result<HexId, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    HexId::parse("", &text).map_err(|_| serde::de::Error::custom(HEX_REASON))
}

fn client_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse_client_id("", &text).map_err(|_| serde::de::Error::custom(CLIENT_ID_REASON))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct OrgPath {
    /// 24-hex id of the organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct FederationSettingsPath {
    /// 24-hex id of the federation settings
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub federation_settings_id: FederationSettingsId,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct ConnectedOrgPath {
    /// 24-hex id of the federation settings
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub federation_settings_id: FederationSettingsId,
    /// 24-hex id of the connected organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
}

/// A role mapping of a connected organization: `{federationSettingsId}`, `{orgId}`, `{id}`.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct RoleMappingPath {
    /// 24-hex id of the federation settings
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub federation_settings_id: FederationSettingsId,
    /// 24-hex id of the connected organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
    /// 24-hex id of the role mapping
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub id: RoleMappingId,
}

impl RoleMappingPath {
    pub fn connected_org(&self) -> ConnectedOrgPath {
        ConnectedOrgPath {
            federation_settings_id: self.federation_settings_id,
            org_id: self.org_id,
        }
    }
}

/// An identity provider of a federation: `{federationSettingsId}`, `{identityProviderId}`.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct IdentityProviderPath {
    /// 24-hex id of the federation settings
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub federation_settings_id: FederationSettingsId,
    /// 24-hex id of the identity provider
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub identity_provider_id: IdentityProviderId,
}

/// A service account of an organization: `{orgId}`, `{clientId}`.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct ClientIdPath {
    /// 24-hex id of the organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
    /// mdb_sa_id_ and 24 hex digits
    #[serde(deserialize_with = "client_id")]
    #[param(value_type = String)]
    pub client_id: String,
}

/// A secret of a service account: `{orgId}`, `{clientId}`, `{secretId}`.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct SecretPath {
    /// 24-hex id of the organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
    /// mdb_sa_id_ and 24 hex digits
    #[serde(deserialize_with = "client_id")]
    #[param(value_type = String)]
    pub client_id: String,
    /// 24-hex id of the secret
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub secret_id: HexId,
}

/// A programmatic API key of an organization: `{orgId}`, `{apiUserId}`.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path)]
pub struct ApiKeyPath {
    /// 24-hex id of the organization
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub org_id: OrgId,
    /// 24-hex id of the API key
    #[serde(deserialize_with = "hex_id")]
    #[param(value_type = String)]
    pub api_user_id: HexId,
}
