//! The Atlas Admin API v2 face (`/api/atlas/v2`): organizations, federation settings,
//! connected organizations, role mappings, identity providers and audit events.

pub mod api_keys;
pub mod federation;
pub mod identity_providers;
pub mod organizations;
pub mod role_mappings;
pub mod views;

use crate::mongodb::{
    conventions, method_not_allowed_fallback, not_found_fallback, service_accounts,
};
use crate::state::AppState;
use axum::routing::{delete, get};
use axum::{Extension, Router};
use sigil_core::service_accounts::SecretLifetimeRule;

pub fn router() -> Router<AppState> {
    use api_keys::*;
    use federation::*;
    use identity_providers::*;
    use organizations::*;
    use role_mappings::*;
    const FS: &str = "/federationSettings/{federationSettingsId}";
    Router::new()
        .route("/orgs", get(list_organizations).post(create_organization))
        .route("/orgs/{orgId}", get(get_organization))
        .route(
            "/orgs/{orgId}/federationSettings",
            get(get_federation_settings),
        )
        .route("/orgs/{orgId}/events", get(list_organization_events))
        .route(
            "/orgs/{orgId}/apiKeys",
            get(list_api_keys).post(create_api_key),
        )
        .route(
            "/orgs/{orgId}/apiKeys/{apiUserId}",
            get(get_api_key)
                .patch(update_api_key)
                .delete(delete_api_key),
        )
        .merge(service_accounts::routes(false))
        .route(FS, get(get_federation_settings_by_id))
        .route(
            &format!("{FS}/connectedOrgConfigs"),
            get(list_connected_org_configs),
        )
        .route(
            &format!("{FS}/connectedOrgConfigs/{{orgId}}"),
            get(get_connected_org_config)
                .patch(update_connected_org_config)
                .delete(remove_connected_org_config),
        )
        .route(
            &format!("{FS}/connectedOrgConfigs/{{orgId}}/roleMappings"),
            get(list_role_mappings).post(create_role_mapping),
        )
        .route(
            &format!("{FS}/connectedOrgConfigs/{{orgId}}/roleMappings/{{id}}"),
            get(get_role_mapping)
                .put(update_role_mapping)
                .delete(delete_role_mapping),
        )
        .route(
            &format!("{FS}/identityProviders"),
            get(list_identity_providers).post(create_identity_provider),
        )
        .route(
            &format!("{FS}/identityProviders/{{identityProviderId}}"),
            get(get_identity_provider)
                .patch(update_identity_provider)
                .delete(delete_identity_provider),
        )
        .route(
            &format!("{FS}/identityProviders/{{identityProviderId}}/jwks"),
            delete(identity_providers::revoke_jwks),
        )
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed_fallback)
        .layer(Extension(SecretLifetimeRule::Atlas))
        .layer(axum::middleware::from_fn(conventions::apply))
}
