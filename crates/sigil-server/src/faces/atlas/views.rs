//! The Atlas wire shapes of Sigil's resources.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sigil_core::audit::{AuditEvent, Outcome};
use sigil_core::clock::rfc3339;
use sigil_core::directory::org::{FederationSettingsView, Organization};
use sigil_core::federation::{ConnectedOrgConfig, IdentityProvider, KeySetSource, RoleMapping};
use utoipa::ToSchema;

fn time(t: &DateTime<Utc>) -> String {
    rfc3339(t)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationView {
    #[schema(example = "66b544825867ba071c85469d")]
    pub id: String,
    pub name: String,
    pub is_deleted: bool,
    pub created: String,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name,
            is_deleted: false,
            created: time(&o.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FederationSettingsResponse {
    pub id: String,
    pub federated_domains: Vec<String>,
    pub has_role_mappings: bool,
    pub identity_provider_id: Option<String>,
    /// `ACTIVE` when a connected organization uses an identity provider.
    pub identity_provider_status: String,
}

impl From<FederationSettingsView> for FederationSettingsResponse {
    fn from(v: FederationSettingsView) -> Self {
        Self {
            id: v.settings.id.to_string(),
            federated_domains: v.federated_domains,
            has_role_mappings: v.has_role_mappings,
            identity_provider_status: if v.identity_provider_id.is_some() {
                "ACTIVE"
            } else {
                "INACTIVE"
            }
            .into(),
            identity_provider_id: v.identity_provider_id.map(|i| i.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentView {
    pub org_id: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleMappingView {
    pub id: String,
    pub external_group_name: String,
    pub role_assignments: Vec<RoleAssignmentView>,
}

impl From<RoleMapping> for RoleMappingView {
    fn from(m: RoleMapping) -> Self {
        Self {
            id: m.id.to_string(),
            external_group_name: m.external_group_name,
            role_assignments: m
                .role_assignments
                .into_iter()
                .map(|a| RoleAssignmentView {
                    org_id: a.org_id.to_string(),
                    role: a.role.as_str().into(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOrgConfigView {
    pub org_id: String,
    pub federation_settings_id: String,
    pub identity_provider_id: Option<String>,
    pub data_access_identity_provider_ids: Vec<String>,
    pub domain_allow_list: Vec<String>,
    pub domain_restriction_enabled: bool,
    pub post_auth_role_grants: Vec<String>,
    pub role_mappings: Vec<RoleMappingView>,
}

impl ConnectedOrgConfigView {
    pub fn new((c, mappings): (ConnectedOrgConfig, Vec<RoleMapping>)) -> Self {
        Self {
            org_id: c.org_id.to_string(),
            federation_settings_id: c.federation_settings_id.to_string(),
            identity_provider_id: c.identity_provider_id.map(|i| i.to_string()),
            data_access_identity_provider_ids: c
                .data_access_identity_provider_ids
                .iter()
                .map(ToString::to_string)
                .collect(),
            domain_allow_list: c.domain_allow_list,
            domain_restriction_enabled: c.domain_restriction_enabled,
            post_auth_role_grants: c
                .post_auth_role_grants
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            role_mappings: mappings.into_iter().map(RoleMappingView::from).collect(),
        }
    }
}

/// Sigil's addition: what it knows of the provider's key set.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeySetView {
    /// `discovery` (from the issuer's `jwks_uri`) or `pinned`.
    pub source: String,
    pub key_ids: Vec<String>,
    pub fetched_at: Option<String>,
    /// The JWKS revocation instant: tokens issued at or before it are refused.
    pub revoked_at: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProviderView {
    pub id: String,
    #[schema(example = "OIDC")]
    pub protocol: String,
    #[schema(example = "WORKLOAD")]
    pub idp_type: String,
    pub display_name: String,
    pub description: Option<String>,
    /// Absent only on a provider created on the IAM face and not yet configured there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_uri: Option<String>,
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[schema(example = "GROUP")]
    pub authorization_type: String,
    pub groups_claim: Option<String>,
    pub user_claim: String,
    pub requested_scopes: Vec<String>,
    pub associated_domains: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub key_set: KeySetView,
}

impl From<IdentityProvider> for IdentityProviderView {
    fn from(i: IdentityProvider) -> Self {
        Self {
            id: i.id.to_string(),
            protocol: IdentityProvider::PROTOCOL.into(),
            idp_type: i.idp_type.as_str().into(),
            display_name: i.display_name,
            description: i.description,
            issuer_uri: i.issuer_uri,
            client_id: i.client_id,
            audience: i.audience,
            authorization_type: i.authorization_type.as_str().into(),
            groups_claim: i.groups_claim,
            user_claim: i.user_claim,
            requested_scopes: i.requested_scopes,
            associated_domains: i.associated_domains,
            created_at: time(&i.created_at),
            updated_at: time(&i.updated_at),
            key_set: KeySetView {
                source: match i.key_set.source {
                    KeySetSource::Discovery => "discovery",
                    KeySetSource::Pinned => "pinned",
                }
                .into(),
                key_ids: i.key_set.key_ids,
                fetched_at: i.key_set.fetched_at.as_ref().map(time),
                revoked_at: i.key_set.revoked_at.as_ref().map(time),
                last_error: i.key_set.last_error,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub id: String,
    #[schema(example = "IDENTITY_PROVIDER_CREATED")]
    pub event_type_name: String,
    pub created: String,
    pub org_id: Option<String>,
    pub target_id: Option<String>,
    /// `realm:name` of who acted; for a failed authentication, the name it claimed.
    pub principal: Option<String>,
    pub remote_address: Option<String>,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id.to_string(),
            event_type_name: e.event_type,
            created: time(&e.created),
            org_id: e.org_id.map(|o| o.to_string()),
            target_id: e.target_id,
            principal: e.principal,
            remote_address: e.remote_address,
            outcome: match e.outcome {
                Outcome::Success => "SUCCESS",
                Outcome::Failure => "FAILURE",
            }
            .into(),
            detail: e.detail,
        }
    }
}
