//! The path parameters of the face, described once for the OpenAPI document.
#![allow(dead_code, non_snake_case)]

use utoipa::IntoParams;

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrgPath {
    /// 24-hex id of the organization
    orgId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FederationSettingsPath {
    /// 24-hex id of the federation settings
    federationSettingsId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectedOrgPath {
    /// 24-hex id of the federation settings
    federationSettingsId: String,
    /// 24-hex id of the connected organization
    orgId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoleMappingPath {
    /// 24-hex id of the role mapping
    id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdentityProviderPath {
    /// 24-hex id of the identity provider
    identityProviderId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientIdPath {
    /// mdb_sa_id_ and 24 hex digits
    clientId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SecretPath {
    /// 24-hex id of the secret
    secretId: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ApiKeyPath {
    /// 24-hex id of the API key
    apiUserId: String,
}
