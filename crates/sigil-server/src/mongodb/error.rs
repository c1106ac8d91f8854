//! The Atlas error body (`{error, detail, reason, errorCode, parameters}`), and the one
//! mapping from the core's errors to it.

use crate::auth::AuthFailure;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sigil_core::error::{CoreError, Limit, ResourceKind};
use utoipa::ToSchema;

/// An Atlas API error, as every route of the face answers it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasErrorBody {
    /// The HTTP status.
    #[schema(example = 400)]
    pub error: u16,
    /// What is wrong, naming the field.
    pub detail: String,
    /// The HTTP reason phrase.
    #[schema(example = "Bad Request")]
    pub reason: String,
    #[schema(example = "INVALID_ATTRIBUTE")]
    pub error_code: String,
    pub parameters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_request_detail: Option<BadRequestDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BadRequestDetail {
    pub fields: Vec<FieldViolation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

#[derive(Debug)]
pub struct AtlasError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    field: Option<(String, String)>,
    challenge: Option<String>,
}

impl AtlasError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            challenge: None,
        }
    }

    fn with_field(mut self, field: &str, description: &str) -> Self {
        self.field = Some((field.to_owned(), description.to_owned()));
        self
    }

    /// 400 `VALIDATION_ERROR`: the body is not JSON, or a value has the wrong type.
    pub fn validation(field: Option<&str>, description: &str) -> Self {
        let detail = match field {
            Some(f) => format!("Invalid value for {f}: {description}"),
            None => format!("The request body is not valid: {description}"),
        };
        let e = Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", detail);
        match field {
            Some(f) => e.with_field(f, description),
            None => e,
        }
    }

    /// 400 `INVALID_PATH_PARAMETER`.
    pub fn invalid_path(name: &str, value: &str, reason: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PATH_PARAMETER",
            format!("The path parameter {name} ({value:?}) is invalid: {reason}"),
        )
        .with_field(name, reason)
    }

    /// 401 with the Digest challenge.
    pub fn unauthenticated(challenge: String) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "NOT_AUTHENTICATED",
            "You are not authenticated: send Digest, Basic, Bearer or ApiKey credentials.",
        );
        e.challenge = Some(challenge);
        e
    }

    pub fn from_auth(failure: AuthFailure, challenge: impl FnOnce(bool) -> String) -> Self {
        match failure {
            AuthFailure::Missing | AuthFailure::Invalid => Self::unauthenticated(challenge(false)),
            AuthFailure::StaleNonce => Self::unauthenticated(challenge(true)),
            AuthFailure::RateLimited => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many failed authentications from this address; wait and retry.",
            ),
            AuthFailure::Internal => Self::from(CoreError::internal("authentication")),
            AuthFailure::Busy => Self::from(CoreError::Busy),
            AuthFailure::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "This node cannot reach its store to confirm that credentials are still valid; retry later.",
            ),
        }
    }

    pub fn not_found_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Cannot find resource: no such route.",
        )
    }

    pub fn body(&self) -> AtlasErrorBody {
        AtlasErrorBody {
            error: self.status.as_u16(),
            detail: self.detail.clone(),
            reason: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            error_code: self.code.to_owned(),
            parameters: self.field.iter().map(|(f, _)| f.clone()).collect(),
            bad_request_detail: self
                .field
                .as_ref()
                .filter(|_| self.status == StatusCode::BAD_REQUEST)
                .map(|(field, description)| BadRequestDetail {
                    fields: vec![FieldViolation {
                        field: field.clone(),
                        description: description.clone(),
                    }],
                }),
        }
    }
}

fn not_found_code(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Organization => "ORG_NOT_FOUND",
        ResourceKind::FederationSettings => "FEDERATION_SETTINGS_NOT_FOUND",
        ResourceKind::IdentityProvider => "IDENTITY_PROVIDER_NOT_FOUND",
        ResourceKind::RoleMapping => "ROLE_MAPPING_NOT_FOUND",
        ResourceKind::ServiceAccount => "SERVICE_ACCOUNT_NOT_FOUND",
        ResourceKind::ServiceAccountSecret => "SERVICE_ACCOUNT_SECRET_NOT_FOUND",
        ResourceKind::ApiKey | ResourceKind::SecurityApiKey | ResourceKind::AccessKey => {
            "API_KEY_NOT_FOUND"
        }
        ResourceKind::Role
        | ResourceKind::OidcConfig
        | ResourceKind::ConnectedOrgConfig
        | ResourceKind::User
        | ResourceKind::Event => "RESOURCE_NOT_FOUND",
    }
}

impl From<CoreError> for AtlasError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { field, reason } => Self::new(
                StatusCode::BAD_REQUEST,
                "INVALID_ATTRIBUTE",
                format!("Invalid attribute {field} specified: {reason}."),
            )
            .with_field(&field, &reason),
            CoreError::Missing { field } => Self::new(
                StatusCode::BAD_REQUEST,
                "MISSING_ATTRIBUTE",
                format!("The required attribute {field} was not specified."),
            )
            .with_field(&field, "required"),
            CoreError::NotFound { kind, id } => Self::new(
                StatusCode::NOT_FOUND,
                not_found_code(kind),
                format!("No {} with ID {id} exists.", kind.noun()),
            ),
            CoreError::Conflict { what } => Self::new(
                StatusCode::CONFLICT,
                "DUPLICATE_RESOURCE",
                format!("{what} already exists."),
            ),
            CoreError::LimitReached { limit, what } => {
                let code = match limit {
                    Limit::SecretsPerServiceAccount => "MAX_SECRETS_REACHED",
                    Limit::AccessKeysPerUser => "MAX_ACCESS_KEYS_REACHED",
                };
                Self::new(StatusCode::CONFLICT, code, what)
            }
            CoreError::Unauthenticated | CoreError::StaleNonce => Self::new(
                StatusCode::UNAUTHORIZED,
                "NOT_AUTHENTICATED",
                "You are not authenticated.",
            ),
            CoreError::Forbidden { needs } => Self::new(
                StatusCode::FORBIDDEN,
                "INSUFFICIENT_ROLE",
                format!("This request requires {needs}."),
            ),
            CoreError::Unavailable(cause) => {
                tracing::error!(%cause, "the store is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    "Sigil's database is unavailable; nothing was changed. Retry later.",
                )
            }
            CoreError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "Too many password verifications are in progress; retry shortly.",
            ),
            CoreError::Internal(cause) => {
                tracing::error!(%cause, "unexpected error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNEXPECTED_ERROR",
                    "Unexpected error.",
                )
            }
        }
    }
}

impl IntoResponse for AtlasError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
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

/// The error answers every route of the face may give, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum AtlasErrors {
    /// A field, parameter or body is invalid (VALIDATION_ERROR, INVALID_ATTRIBUTE, MISSING_ATTRIBUTE, INVALID_PATH_PARAMETER).
    #[response(status = 400)]
    BadRequest(AtlasErrorBody),
    /// No valid credentials (NOT_AUTHENTICATED), with a Digest challenge.
    #[response(status = 401)]
    Unauthorized(AtlasErrorBody),
    /// The caller lacks the role (INSUFFICIENT_ROLE).
    #[response(status = 403)]
    Forbidden(AtlasErrorBody),
    /// No such resource.
    #[response(status = 404)]
    NotFound(AtlasErrorBody),
    /// An unknown API version in Accept (INVALID_VERSION_DATE).
    #[response(status = 406)]
    NotAcceptable(AtlasErrorBody),
    /// The resource already exists (DUPLICATE_RESOURCE).
    #[response(status = 409)]
    Conflict(AtlasErrorBody),
    /// The body is over 1 MiB.
    #[response(status = 413)]
    TooLarge(AtlasErrorBody),
    /// Too many failed authentications from this address (RATE_LIMITED).
    #[response(status = 429)]
    TooManyRequests(AtlasErrorBody),
}
