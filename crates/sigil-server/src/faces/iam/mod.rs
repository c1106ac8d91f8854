//! The IAM face (spec 40, Huawei Cloud / Keystone style): tokens for a password or an ID
//! token, identity providers by name, and their OpenID Connect configuration.

pub mod credentials;
pub mod error;
pub mod extract;
pub mod oidc_config;
pub mod providers;
pub mod tokens;

use crate::state::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use error::{Flat, IamError, Keystone};

pub fn router() -> Router<AppState> {
    const IDP_V3: &str = "/v3/OS-FEDERATION/identity_providers";
    const IDP_V30: &str = "/v3.0/OS-FEDERATION/identity-providers/{idp_id}";
    Router::new()
        .route("/v3/auth/tokens", post(tokens::password_token))
        .route("/v3.0/OS-AUTH/id-token/tokens", post(tokens::id_token))
        .route(IDP_V3, get(providers::list))
        .route(
            &format!("{IDP_V3}/{{idp_id}}"),
            get(providers::show)
                .patch(providers::update)
                .delete(providers::delete),
        )
        .route(IDP_V30, post(providers::create))
        .route(
            &format!("{IDP_V30}/openid-connect-config"),
            get(oidc_config::show)
                .post(oidc_config::create)
                .put(oidc_config::update),
        )
        .route(
            "/v3.0/OS-CREDENTIAL/credentials",
            get(credentials::list).post(credentials::create),
        )
        .route(
            "/v3.0/OS-CREDENTIAL/credentials/{access_key}",
            get(credentials::show)
                .put(credentials::update)
                .delete(credentials::delete),
        )
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
