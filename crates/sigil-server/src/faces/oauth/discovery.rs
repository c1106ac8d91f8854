//! Discovery: what a client or a JWT library needs to find Sigil's endpoints and keys.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3; RFC 8414).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oauth", operation_id = "getOpenIdConfiguration",
    responses((status = 200, description = "The issuer's metadata", body = Object)))]
pub async fn openid_configuration(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = &state.public_url;
    Json(json!({
        "issuer": state.core.oauth.issuer(),
        "token_endpoint": format!("{base}/api/oauth/token"),
        "revocation_endpoint": format!("{base}/api/oauth/revoke"),
        "introspection_endpoint": format!("{base}/api/oauth/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", super::TOKEN_EXCHANGE_GRANT],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
    }))
}

/// Sigil's public signing keys (RFC 7517), including retired keys whose tokens still live.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "oauth", operation_id = "getJwks",
    responses((status = 200, description = "A JWK set", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(state.core.oauth.jwks()).into_response();
    // Short: a verifier seeing an unknown kid refetches anyway.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}
