//! The token, revocation and introspection endpoints.

use super::error::{OAuthError, OAuthErrors};
use super::form::{client_credentials, Form};
use super::TOKEN_EXCHANGE_GRANT;
use crate::auth::{remote_ip, AuthFailure};
use crate::state::AppState;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sigil_core::audit::Actor;
use sigil_core::oauth::service_accounts::CLIENT_ID_PREFIX;
use sigil_core::principal::PrincipalKind;
use sigil_core::privilege::ClusterPrivilege;
use sigil_core::secret::SecretString;
use sigil_core::{CoreError, CoreResult};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 3600)]
    pub expires_in: i64,
    /// Token exchange only (RFC 8693).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "urn:ietf:params:oauth:token-type:access_token")]
    pub issued_token_type: Option<String>,
}

/// The form fields of the token endpoint (documentation of the body).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// `client_credentials`, or `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693)
    /// for an identity provider's JWT.
    grant_type: String,
    /// With `client_secret_post`.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// Token exchange: the identity provider's JWT (the only credential the grant needs).
    subject_token: Option<String>,
    /// Token exchange: `urn:ietf:params:oauth:token-type:jwt`, `…:id_token` or `…:access_token`.
    subject_token_type: Option<String>,
    /// Token exchange: `urn:ietf:params:oauth:token-type:access_token` if given.
    requested_token_type: Option<String>,
}

/// A form with a `token` (revocation and introspection).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenParameter {
    token: String,
    token_type_hint: Option<String>,
    /// With `client_secret_post`.
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn actor(parts: &Parts) -> Actor {
    Actor::anonymous(remote_ip(parts).map(|ip| ip.to_string()))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The client's credentials from exactly one method.
fn credentials(parts: &Parts, form: &Form) -> Result<(String, SecretString), OAuthError> {
    client_credentials(parts, form)?
        .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))
}

/// Runs the authentication of `client_id` as one attempt of the failure limit.
async fn limited<T>(
    state: &AppState,
    parts: &Parts,
    client_id: &str,
    verify: impl std::future::Future<Output = CoreResult<T>>,
) -> Result<T, OAuthError> {
    limited_as(state, parts, Some(client_id), verify, || {
        OAuthError::invalid_client("client authentication failed")
    })
    .await
}

/// Runs a verification as one attempt of the failure limit of the address and the claimed
/// `name`; `refused` is the answer when it does not verify.
async fn limited_as<T>(
    state: &AppState,
    parts: &Parts,
    name: Option<&str>,
    verify: impl std::future::Future<Output = CoreResult<T>>,
    refused: impl FnOnce() -> OAuthError,
) -> Result<T, OAuthError> {
    let attempt = state
        .auth
        .admit_named(parts, name)
        .await
        .map_err(|e| match e {
            AuthFailure::Unavailable => OAuthError::unavailable(),
            _ => OAuthError::rate_limited(),
        })?;
    match verify.await {
        Ok(value) => Ok(value),
        Err(CoreError::Unauthenticated) => {
            attempt.failed();
            Err(refused())
        }
        Err(e) => Err(OAuthError::core(e)),
    }
}

/// The subject token types of the token-exchange grant Sigil accepts.
const SUBJECT_TOKEN_TYPES: [&str; 3] = [
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:access_token",
];

/// RFC 8693: an identity provider's JWT (the subject token is the only credential) for a Sigil
/// access token.
async fn exchange(state: &AppState, parts: &Parts, form: &Form) -> Result<Response, OAuthError> {
    let subject = form.require("subject_token")?;
    let kind = form.require("subject_token_type")?;
    if !SUBJECT_TOKEN_TYPES.contains(&kind) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("subject_token_type {kind:?} is not a JWT token type"),
        ));
    }
    if let Some(wanted) = form.get("requested_token_type") {
        if wanted != "urn:ietf:params:oauth:token-type:access_token" {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "requested_token_type: Sigil issues access tokens only",
            ));
        }
    }
    if form.get("actor_token").is_some() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "actor_token: delegation is not supported",
        ));
    }
    let issued = limited_as(
        state,
        parts,
        None,
        state.core.oauth.exchange_token(subject, &actor(parts)),
        || {
            OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "subject_token is not a valid token of a known identity provider",
            )
        },
    )
    .await?;
    Ok(no_store(
        Json(TokenResponse {
            access_token: issued.access_token.expose().to_owned(),
            token_type: "Bearer".into(),
            expires_in: issued.expires_in,
            issued_token_type: Some("urn:ietf:params:oauth:token-type:access_token".into()),
        })
        .into_response(),
    ))
}

/// Authenticates the client of the request.
async fn authenticate_client(
    state: &AppState,
    parts: &Parts,
    form: &Form,
) -> Result<String, OAuthError> {
    let (client_id, secret) = credentials(parts, form)?;
    limited(
        state,
        parts,
        &client_id,
        state
            .core
            .oauth
            .authenticate_client(&client_id, &secret, &actor(parts)),
    )
    .await?;
    Ok(client_id)
}

/// RFC 6749 token endpoint: `client_credentials` with `client_secret_basic` or `client_secret_post`.
#[utoipa::path(post, path = "/api/oauth/token", tag = "oauth", operation_id = "createToken",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), OAuthErrors))]
pub async fn token(
    State(state): State<AppState>,
    parts: Parts,
    form: Form,
) -> Result<Response, OAuthError> {
    match form.require("grant_type")? {
        "client_credentials" => {}
        TOKEN_EXCHANGE_GRANT => return exchange(&state, &parts, &form).await,
        other => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("the grant type {other:?} is not supported"),
            ));
        }
    }
    if form.get("scope").is_some_and(|s| !s.trim().is_empty()) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "Sigil's tokens carry the service account's roles; no scope may be asked for",
        ));
    }
    let (client_id, secret) = credentials(&parts, &form)?;
    let issued = limited(
        &state,
        &parts,
        &client_id,
        state
            .core
            .oauth
            .issue_client_credentials(&client_id, &secret, &actor(&parts)),
    )
    .await?;
    Ok(no_store(
        Json(TokenResponse {
            access_token: issued.access_token.expose().to_owned(),
            token_type: "Bearer".into(),
            expires_in: issued.expires_in,
            issued_token_type: None,
        })
        .into_response(),
    ))
}

/// RFC 7009: revokes a token of the authenticated client; 200 even for an unknown token.
#[utoipa::path(post, path = "/api/oauth/revoke", tag = "oauth", operation_id = "revokeToken",
    request_body(content = TokenParameter, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Revoked, or not a live token of this client"), OAuthErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    parts: Parts,
    form: Form,
) -> Result<Response, OAuthError> {
    let client_id = authenticate_client(&state, &parts, &form).await?;
    let token = form.require("token")?;
    match state
        .core
        .oauth
        .revoke_token(&client_id, token, &actor(&parts))
        .await
    {
        Ok(()) => Ok(no_store(StatusCode::OK.into_response())),
        Err(CoreError::Forbidden { .. }) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the token was not issued to this client",
        )),
        Err(e) => Err(OAuthError::core(e)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub claims: Option<serde_json::Value>,
}

/// RFC 7662: whether a token is active, and its claims. The caller is the token's own client,
/// or any principal with `read_security`.
#[utoipa::path(post, path = "/api/oauth/introspect", tag = "oauth", operation_id = "introspectToken",
    request_body(content = TokenParameter, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = IntrospectionResponse), OAuthErrors))]
pub async fn introspect(
    State(state): State<AppState>,
    parts: Parts,
    form: Form,
) -> Result<Response, OAuthError> {
    // A client authenticates with its id and secret; anyone else with the credentials every face takes.
    let offered = client_credentials(&parts, &form).ok().flatten();
    let is_client = offered
        .as_ref()
        .is_some_and(|(id, _)| id.starts_with(CLIENT_ID_PREFIX));
    let (caller_client, may_read_all) = if is_client {
        (
            Some(authenticate_client(&state, &parts, &form).await?),
            false,
        )
    } else {
        match state.auth.authenticate(&parts).await {
            Ok(a) if a.principal.kind == PrincipalKind::ServiceAccount => {
                (Some(a.principal.id.clone()), false)
            }
            Ok(a) => (
                None,
                a.principal
                    .has_cluster_privilege(ClusterPrivilege::ReadSecurity),
            ),
            Err(AuthFailure::Unavailable) => return Err(OAuthError::unavailable()),
            Err(_) => {
                return Err(OAuthError::invalid_client(
                    "authenticate to introspect tokens",
                ))
            }
        }
    };
    let token = form.require("token")?;
    let claims = state
        .core
        .oauth
        .introspect_token(token)
        .await
        .map_err(OAuthError::core)?;
    let visible =
        claims.filter(|c| may_read_all || caller_client.as_deref() == Some(c.client_id.as_str()));
    let body = match visible.map(|c| serde_json::to_value(c).map_err(OAuthError::internal)) {
        Some(Ok(mut claims)) => {
            claims["active"] = true.into();
            claims["token_type"] = "Bearer".into();
            claims
        }
        Some(Err(e)) => return Err(e),
        None => serde_json::json!({ "active": false }),
    };
    Ok(no_store(Json(body).into_response()))
}
