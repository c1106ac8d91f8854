//! The IAM face's two error shapes: the `/v3.0/…` APIs answer Huawei's flat
//! `{"error_code": "IAM.xxxx", "error_msg"}`, the Keystone-style `/v3/…` APIs answer
//! `{"error": {"code", "title", "message"}}`. A handler picks the shape by its error type.

use crate::auth::AuthFailure;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sigil_core::error::{CoreError, Limit};
use sigil_core::privilege::Privilege;
use std::marker::PhantomData;

/// How an error body looks.
pub trait Style: Send + Sync + 'static {
    fn body(status: StatusCode, code: &str, message: &str) -> Value;
}

/// `/v3.0/…`: `{"error_code": "IAM.0011", "error_msg": "…"}`.
pub struct Flat;
/// `/v3/…`: `{"error": {"code": 401, "title": "Unauthorized", "message": "…"}}`.
pub struct Keystone;

impl Style for Flat {
    fn body(_: StatusCode, code: &str, message: &str) -> Value {
        json!({"error_code": code, "error_msg": message})
    }
}

impl Style for Keystone {
    fn body(status: StatusCode, _: &str, message: &str) -> Value {
        json!({"error": {
            "code": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        }})
    }
}

/// Codes of the vendor's list, and Sigil's own where it has none (409, 413, 429, 503).
pub mod code {
    pub const INVALID: &str = "IAM.0011";
    pub const UNAUTHENTICATED: &str = "IAM.0007";
    pub const FORBIDDEN: &str = "IAM.0003";
    pub const NOT_FOUND: &str = "IAM.0004";
    pub const INTERNAL: &str = "IAM.0006";
    pub const CONFLICT: &str = "IAM.0009";
    pub const TOO_LARGE: &str = "IAM.0012";
    pub const RATE_LIMITED: &str = "IAM.0013";
    pub const UNAVAILABLE: &str = "IAM.0014";
}

pub const UNAUTHENTICATED: &str = "The request you have made requires authentication.";

pub struct IamError<S: Style> {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    style: PhantomData<S>,
}

impl<S: Style> std::fmt::Debug for IamError<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.status, self.code, self.message)
    }
}

impl<S: Style> IamError<S> {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            style: PhantomData,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::INVALID, message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            code::UNAUTHENTICATED,
            UNAUTHENTICATED,
        )
    }

    pub fn from_auth(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing | AuthFailure::Invalid | AuthFailure::StaleNonce => {
                Self::unauthenticated()
            }
            AuthFailure::RateLimited => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                code::RATE_LIMITED,
                "Too many failed authentications from this address; wait and retry.",
            ),
            AuthFailure::Internal => Self::from(CoreError::internal("authentication")),
            AuthFailure::Busy => Self::from(CoreError::Busy),
            AuthFailure::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code::UNAVAILABLE,
                "This node cannot confirm that credentials are still valid; retry later.",
            ),
        }
    }
}

impl<S: Style> From<CoreError> for IamError<S> {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { field, reason } => {
                Self::invalid(format!("Invalid {field}: {reason}."))
            }
            CoreError::Missing { field } => Self::invalid(format!("{field} is required.")),
            CoreError::NotFound { kind, id } => Self::new(
                StatusCode::NOT_FOUND,
                code::NOT_FOUND,
                format!("Could not find {} {id}.", kind.noun()),
            ),
            CoreError::Conflict { what } => Self::new(
                StatusCode::CONFLICT,
                code::CONFLICT,
                format!("{what} already exists."),
            ),
            CoreError::LimitReached { limit, what } => match limit {
                Limit::AccessKeysPerUser | Limit::SecretsPerServiceAccount => {
                    Self::new(StatusCode::CONFLICT, code::CONFLICT, what)
                }
            },
            CoreError::Unauthenticated | CoreError::StaleNonce => Self::unauthenticated(),
            CoreError::Forbidden { needs } => {
                let message = match needs {
                    Privilege::OrgRole { org, role } => format!(
                        "You are not authorized: this needs {role} (Security Administrator) of domain {org}."
                    ),
                    Privilege::DomainScope => "This credential does not speak for one domain: use a token from POST /v3/auth/tokens scoped to the domain.".into(),
                    other => format!("You are not authorized: this needs {other}."),
                };
                Self::new(StatusCode::FORBIDDEN, code::FORBIDDEN, message)
            }
            CoreError::Unavailable(cause) => {
                tracing::error!(%cause, "the store is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code::UNAVAILABLE,
                    "Sigil's database is unavailable; nothing was changed. Retry later.",
                )
            }
            CoreError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code::UNAVAILABLE,
                "Too many password verifications are in progress; retry shortly.",
            ),
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "unexpected error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code::INTERNAL,
                    "Unexpected error.",
                )
            }
        }
    }
}

impl<S: Style> IntoResponse for IamError<S> {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(S::body(self.status, self.code, &self.message)),
        )
            .into_response();
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The flat error body, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IamErrorBody {
    /// `IAM.0011` invalid field, `IAM.0007` not authenticated, `IAM.0003` forbidden,
    /// `IAM.0004` not found, `IAM.0009` conflict, `IAM.0006` unexpected.
    #[schema(example = "IAM.0011")]
    error_code: String,
    #[schema(example = "Invalid idp_url: must be 10 to 255 characters long, got 4.")]
    error_msg: String,
}

/// The Keystone error body, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct KeystoneErrorBody {
    error: KeystoneError,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct KeystoneError {
    /// The HTTP status.
    #[schema(example = 401)]
    code: u16,
    /// The HTTP reason phrase.
    #[schema(example = "Unauthorized")]
    title: String,
    #[schema(example = "The request you have made requires authentication.")]
    message: String,
}

/// The error answers of the `/v3.0/…` routes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum IamErrors {
    /// A field, header or body is invalid (IAM.0011), naming it.
    #[response(status = 400)]
    BadRequest(IamErrorBody),
    /// No valid credentials (IAM.0007).
    #[response(status = 401)]
    Unauthorized(IamErrorBody),
    /// Not ORG_OWNER ("Security Administrator") of the token's domain (IAM.0003).
    #[response(status = 403)]
    Forbidden(IamErrorBody),
    /// No such identity provider or configuration (IAM.0004).
    #[response(status = 404)]
    NotFound(IamErrorBody),
    /// It exists already (IAM.0009).
    #[response(status = 409)]
    Conflict(IamErrorBody),
}

/// The error answers of the Keystone-style `/v3/…` routes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum KeystoneErrors {
    /// A field or body is invalid, naming it.
    #[response(status = 400)]
    BadRequest(KeystoneErrorBody),
    /// No valid credentials.
    #[response(status = 401)]
    Unauthorized(KeystoneErrorBody),
    /// Not ORG_OWNER of the token's domain.
    #[response(status = 403)]
    Forbidden(KeystoneErrorBody),
    /// No such identity provider.
    #[response(status = 404)]
    NotFound(KeystoneErrorBody),
}
