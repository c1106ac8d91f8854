//! RFC 6749 §5.2 error answers: `{"error", "error_description"}`, never cached.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    #[schema(example = "invalid_client")]
    pub error: String,
    pub error_description: String,
}

#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 with a Basic challenge: the client did not authenticate (RFC 6749 §5.2).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "too many failed authentications from this address; retry later",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "this node cannot confirm that credentials are still valid; retry later",
        )
    }

    /// A core error other than the ones a handler answers itself: 503 when the store is
    /// unavailable, else 500.
    pub fn core(e: sigil_core::CoreError) -> Self {
        match e {
            sigil_core::CoreError::Unavailable(cause) => {
                tracing::error!(%cause, "the store is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "Sigil's database is unavailable; nothing was changed, retry later",
                )
            }
            sigil_core::CoreError::Busy => Self::busy(),
            other => Self::internal(other),
        }
    }

    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "too many password verifications are in progress; retry shortly",
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "unexpected error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "unexpected error",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.code.to_owned(),
            error_description: self.description,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sigil\""),
            );
        }
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The error answers of the OAuth endpoints, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum OAuthErrors {
    /// invalid_request, unsupported_grant_type, invalid_grant, unauthorized_client.
    #[response(status = 400)]
    BadRequest(OAuthErrorBody),
    /// invalid_client, with `WWW-Authenticate: Basic`.
    #[response(status = 401)]
    Unauthorized(OAuthErrorBody),
    /// temporarily_unavailable: too many failed authentications.
    #[response(status = 429)]
    TooManyRequests(OAuthErrorBody),
}
