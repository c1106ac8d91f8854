//! The OpenAPI 3.1 document, generated from the handlers' annotations: what the server serves
//! at `/openapi.json` and what the CLI is built from.

use crate::faces::atlas;
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Sigil", description = "Self-hosted credential and identity-federation service."),
    paths(
        crate::app::health,
        atlas::organizations::list_organizations,
        atlas::organizations::create_organization,
        atlas::organizations::get_organization,
        atlas::organizations::get_federation_settings,
        atlas::organizations::list_organization_events,
        atlas::federation::get_federation_settings_by_id,
        atlas::federation::list_connected_org_configs,
        atlas::federation::get_connected_org_config,
        atlas::federation::update_connected_org_config,
        atlas::federation::remove_connected_org_config,
        atlas::role_mappings::list_role_mappings,
        atlas::role_mappings::create_role_mapping,
        atlas::role_mappings::get_role_mapping,
        atlas::role_mappings::update_role_mapping,
        atlas::role_mappings::delete_role_mapping,
        atlas::identity_providers::list_identity_providers,
        atlas::identity_providers::create_identity_provider,
        atlas::identity_providers::get_identity_provider,
        atlas::identity_providers::update_identity_provider,
        atlas::identity_providers::delete_identity_provider,
    ),
    tags(
        (name = "organizations", description = "Organizations (Atlas v2)"),
        (name = "federatedAuthentication", description = "Federation settings, connected organizations, role mappings and identity providers (Atlas v2)"),
        (name = "events", description = "The audit trail (Atlas v2)"),
        (name = "health", description = "Liveness"),
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// Declares the credentials every operation accepts.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "digest",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Digest).build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("digest", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("basic", Vec::<String>::new()),
        ]);
    }
}

/// The document, built once per process.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

pub async fn serve() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}
