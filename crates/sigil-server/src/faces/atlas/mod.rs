//! The Atlas Admin API v2 face (`/api/atlas/v2`): organizations, federation settings,
//! connected organizations, role mappings, identity providers and audit events.

pub mod api_keys;
pub mod federation;
pub mod identity_providers;
pub mod organizations;
pub mod role_mappings;
pub mod views;

use crate::mongodb::{self, conventions, service_accounts};
use crate::state::AppState;
use axum::Extension;
use sigil_core::oauth::service_accounts::SecretLifetimeRule;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The face's routes, relative to `/api/atlas/v2`; each handler's annotation declares its
/// path, method and OpenAPI operation once.
pub fn router() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .routes(routes!(
            organizations::list_organizations,
            organizations::create_organization
        ))
        .routes(routes!(organizations::get_organization))
        .routes(routes!(organizations::get_federation_settings))
        .routes(routes!(organizations::list_organization_events))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(
            api_keys::get_api_key,
            api_keys::update_api_key,
            api_keys::delete_api_key
        ))
        .merge(service_accounts::routes(false))
        .routes(routes!(federation::get_federation_settings_by_id))
        .routes(routes!(federation::list_connected_org_configs))
        .routes(routes!(
            federation::get_connected_org_config,
            federation::update_connected_org_config,
            federation::remove_connected_org_config
        ))
        .routes(routes!(
            role_mappings::list_role_mappings,
            role_mappings::create_role_mapping
        ))
        .routes(routes!(
            role_mappings::get_role_mapping,
            role_mappings::update_role_mapping,
            role_mappings::delete_role_mapping
        ))
        .routes(routes!(
            identity_providers::list_identity_providers,
            identity_providers::create_identity_provider
        ))
        .routes(routes!(
            identity_providers::get_identity_provider,
            identity_providers::update_identity_provider,
            identity_providers::delete_identity_provider
        ))
        .routes(routes!(identity_providers::revoke_jwks));
    mongodb::with_fallbacks(routes)
        .layer(Extension(SecretLifetimeRule::Atlas))
        .layer(axum::middleware::from_fn(conventions::apply))
}
