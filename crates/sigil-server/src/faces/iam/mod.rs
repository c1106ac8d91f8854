//! The IAM face (Huawei Cloud / Keystone style): tokens for a password, an ID token or another
//! token, temporary access keys with security tokens, permanent access keys, identity
//! providers by name, and their OpenID Connect configuration.

pub mod credentials;
pub mod error;
pub mod extract;
pub mod oidc_config;
pub mod providers;
pub mod security_tokens;
pub mod tokens;

use crate::state::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use error::{Flat, IamError, Keystone};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The face's routes; each handler's annotation declares its path, method and OpenAPI
/// operation once. Anything else under `/v3` or `/v3.0` is a 404 in the face's format.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tokens::password_token))
        .routes(routes!(tokens::id_token))
        .routes(routes!(
            security_tokens::create_temporary_access_key_by_token
        ))
        .routes(routes!(providers::list))
        .routes(routes!(
            providers::show,
            providers::update,
            providers::delete
        ))
        .routes(routes!(providers::create))
        .routes(routes!(
            oidc_config::show,
            oidc_config::create,
            oidc_config::update
        ))
        .routes(routes!(credentials::list, credentials::create))
        .routes(routes!(
            credentials::show,
            credentials::update,
            credentials::delete
        ))
        .route("/v3/{*rest}", any(keystone_not_found))
        .route("/v3.0/{*rest}", any(flat_not_found))
        .layer(axum::middleware::from_fn(header_limits))
}

/// Times as the vendor writes them: `2026-11-26T05:00:00.000000Z`.
pub fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

async fn keystone_not_found() -> IamError<Keystone> {
    IamError::new(
        StatusCode::NOT_FOUND,
        error::code::NOT_FOUND,
        "No such resource.",
    )
}

async fn flat_not_found() -> IamError<Flat> {
    IamError::new(
        StatusCode::NOT_FOUND,
        error::code::NOT_FOUND,
        "No such resource.",
    )
}

/// Headers over the shared limits are refused before anything reads them.
async fn header_limits(request: Request, next: Next) -> Response {
    if let Some(oversized) = crate::limits::oversized_header(request.headers()) {
        let message = crate::limits::sentence(&oversized);
        let status = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
        return if request.uri().path().starts_with("/v3.0/") {
            IamError::<Flat>::new(status, error::code::INVALID, message).into_response()
        } else {
            IamError::<Keystone>::new(status, error::code::INVALID, message).into_response()
        };
    }
    next.run(request).await
}
