//! The OAuth 2.0 face: `/api/oauth/{token,revoke,introspect}` (RFC 6749, 7009, 7662) and
//! `/.well-known/{openid-configuration,jwks.json}`.

pub mod discovery;
pub mod error;
pub mod form;
pub mod token;

use crate::state::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The face's routes; each handler's annotation declares its path, method and OpenAPI
/// operation once.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token::token))
        .routes(routes!(token::revoke))
        .routes(routes!(token::introspect))
        .routes(routes!(discovery::openid_configuration))
        .routes(routes!(discovery::jwks))
        .layer(axum::middleware::from_fn(header_limits))
}

/// Headers over the shared limits are refused before anything reads them.
async fn header_limits(request: Request, next: Next) -> Response {
    match crate::limits::oversized_header(request.headers()) {
        Some(oversized) => error::OAuthError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "invalid_request",
            oversized.to_string(),
        )
        .into_response(),
        None => next.run(request).await,
    }
}
