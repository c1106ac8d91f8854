//! The OpenAPI 3.1 document, generated from the handlers' annotations: what the server serves
//! at `/openapi.json` and what the CLI is built from.

mod contract;

use crate::faces::{elasticsearch, iam, oauth};
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

/// The document, built once per process: the operations of every route (each handler's
/// annotation), then what each face shares.
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut api = ApiDoc::openapi();
        api.merge(crate::routes::routes().into_openapi());
        let mut doc = serde_json::to_value(api).unwrap_or_default();
        contract::apply(&mut doc);
        doc
    })
}

pub async fn serve() -> Json<&'static serde_json::Value> {
    Json(document())
}
