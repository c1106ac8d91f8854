//! The OpenAPI 3.1 document, generated from the handlers' annotations: what the server serves
//! at `/openapi.json` and what the CLI is built from.

mod contract;

use crate::faces::{atlas, elasticsearch, iam, oauth};
use crate::mongodb;
use axum::Json;
use utoipa::OpenApi;

/// The security schemes every authenticated operation takes, any one of them.
const SCHEMES: [&str; 7] = [
    "bearer",
    "oauth2",
    "digest",
    "basic",
    "apiKey",
    "authToken",
    "sdkHmac",
];

#[derive(OpenApi)]
#[openapi(
    info(title = "Sigil", description = "Self-hosted credential and identity-federation service."),
    servers((url = "/", description = "The Sigil server that serves this document")),
    paths(
        crate::health::health,
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
        atlas::identity_providers::revoke_jwks,
        mongodb::service_accounts::create_service_account,
        mongodb::service_accounts::list_service_accounts,
        mongodb::service_accounts::get_service_account,
        mongodb::service_accounts::update_service_account,
        mongodb::service_accounts::delete_service_account,
        mongodb::service_accounts::create_service_account_secret,
        mongodb::service_accounts::delete_service_account_secret,
        atlas::api_keys::create_api_key,
        atlas::api_keys::list_api_keys,
        atlas::api_keys::get_api_key,
        atlas::api_keys::update_api_key,
        atlas::api_keys::delete_api_key,
        oauth::token::token,
        oauth::token::revoke,
        oauth::token::introspect,
        oauth::discovery::openid_configuration,
        oauth::discovery::jwks,
        elasticsearch::security::root,
        elasticsearch::security::authenticate,
        elasticsearch::security::list_users,
        elasticsearch::security::get_users,
        elasticsearch::security::put_user,
        elasticsearch::security::post_user,
        elasticsearch::security::delete_user,
        elasticsearch::security::list_roles,
        elasticsearch::security::get_roles,
        elasticsearch::security::put_role,
        elasticsearch::security::post_role,
        elasticsearch::security::delete_role,
        elasticsearch::api_keys::create,
        elasticsearch::api_keys::create_put,
        elasticsearch::api_keys::get,
        elasticsearch::api_keys::query,
        elasticsearch::api_keys::query_get,
        elasticsearch::api_keys::update,
        elasticsearch::api_keys::invalidate,
        iam::tokens::password_token,
        iam::tokens::id_token,
        iam::providers::create,
        iam::providers::list,
        iam::providers::show,
        iam::providers::update,
        iam::providers::delete,
        iam::oidc_config::create,
        iam::oidc_config::update,
        iam::oidc_config::show,
        iam::credentials::create,
        iam::credentials::list,
        iam::credentials::show,
        iam::credentials::update,
        iam::credentials::delete,
    ),
    tags(
        (name = "organizations", description = "Organizations (Atlas v2)"),
        (name = "federatedAuthentication", description = "Federation settings, connected organizations, role mappings and identity providers (Atlas v2)"),
        (name = "events", description = "The audit trail (Atlas v2)"),
        (name = "serviceAccounts", description = "Service accounts and their secrets (Atlas v2)"),
        (name = "programmaticApiKeys", description = "Programmatic API keys, used with HTTP Digest (Atlas v2)"),
        (name = "cloudManagerServiceAccounts", description = "Service accounts and their secrets (Cloud Manager v1.0; every path also takes a trailing slash)"),
        (name = "oauth", description = "OAuth 2.0 tokens, revocation, introspection and discovery"),
        (name = "health", description = "Liveness"),
        (name = "elasticsearch", description = "Users, roles, _authenticate and API keys (Elasticsearch security API)"),
        (name = "iam", description = "Tokens, identity providers and their OpenID Connect configuration (Huawei Cloud IAM / Keystone style)"),
    ),
    components(schemas(
        mongodb::error::AtlasErrorBody,
        oauth::error::OAuthErrorBody,
        elasticsearch::error::EsErrorBody,
        iam::error::IamErrorBody,
        iam::error::KeystoneErrorBody,
    )),
    modifiers(&Security, &CloudManager)
)]
pub struct ApiDoc;

/// The Cloud Manager face serves the Atlas service-account operations under its own base
/// path; its operations are derived from theirs so the two cannot drift.
struct CloudManager;

const ATLAS_SERVICE_ACCOUNTS: &str = "/api/atlas/v2/orgs/{orgId}/serviceAccounts";
const CLOUD_MANAGER_SERVICE_ACCOUNTS: &str = "/api/public/v1.0/orgs/{orgId}/serviceAccounts";

impl utoipa::Modify for CloudManager {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let derived: Vec<(String, utoipa::openapi::PathItem)> = openapi
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                let rest = path.strip_prefix(ATLAS_SERVICE_ACCOUNTS)?;
                let mut item = item.clone();
                for op in [
                    &mut item.get,
                    &mut item.post,
                    &mut item.patch,
                    &mut item.delete,
                    &mut item.put,
                ]
                .into_iter()
                .flatten()
                {
                    op.tags = Some(vec!["cloudManagerServiceAccounts".into()]);
                    op.operation_id = op
                        .operation_id
                        .as_ref()
                        .map(|id| format!("{id}CloudManager"));
                    op.description = Some(format!(
                        "{} Secrets may live 8 to 8766 hours here.",
                        op.description.clone().unwrap_or_default()
                    ));
                }
                Some((format!("{CLOUD_MANAGER_SERVICE_ACCOUNTS}{rest}"), item))
            })
            .collect();
        openapi.paths.paths.extend(derived);
    }
}

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
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // Elasticsearch API keys: `Authorization: ApiKey base64(id:key)`.
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "Authorization",
                    "`ApiKey ` followed by the `encoded` value of a created API key",
                ),
            )),
        );
        // The IAM face's tokens (`POST /v3/auth/tokens`), accepted on every face.
        components.add_security_scheme(
            "authToken",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "X-Auth-Token",
                    "A token from POST /v3/auth/tokens or POST /v3.0/OS-AUTH/id-token/tokens (X-Subject-Token)",
                ),
            )),
        );
        // Huawei Cloud SDKs: `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…,
        // Signature=…` with an access key from /v3.0/OS-CREDENTIAL/credentials.
        components.add_security_scheme(
            "sdkHmac",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "Authorization",
                    "`SDK-HMAC-SHA256 Access=<access key>, SignedHeaders=<names>, Signature=<hex>`, as the Huawei Cloud SDKs sign (X-Sdk-Date within 15 minutes)",
                ),
            )),
        );
        // Where Sigil's own Bearer tokens come from: the client credentials grant.
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(utoipa::openapi::security::OAuth2::with_description(
                [utoipa::openapi::security::Flow::ClientCredentials(
                    utoipa::openapi::security::ClientCredentials::new(
                        "/api/oauth/token",
                        utoipa::openapi::security::Scopes::new(),
                    ),
                )],
                "A service account's access token (client_credentials at /api/oauth/token), sent as `Authorization: Bearer`",
            )),
        );
        // The OAuth endpoints' own client authentication (client_secret_basic).
        components.add_security_scheme(
            "clientSecretBasic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "A service account's client id and secret (RFC 6749 client_secret_basic)",
                    ))
                    .build(),
            ),
        );
        openapi.security = Some(
            SCHEMES
                .iter()
                .map(|s| {
                    utoipa::openapi::security::SecurityRequirement::new(*s, Vec::<String>::new())
                })
                .collect(),
        );
    }
}

/// The document, built once per process: the annotations, then what each face shares.
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        contract::apply(&mut doc);
        doc
    })
}

pub async fn serve() -> Json<&'static serde_json::Value> {
    Json(document())
}
