//! Elasticsearch's error body: `{"error": {"root_cause": [...], "type", "reason"}, "status"}`.

use crate::auth::AuthFailure;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sigil_core::error::{CoreError, ResourceKind};
use sigil_core::principal::Principal;
use sigil_core::privilege::{ClusterPrivilege, Privilege};

pub const UNAUTHENTICATED: &str = "unable to authenticate with provided credentials and anonymous access is not allowed for this request";

#[derive(Debug)]
pub struct EsError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub reason: String,
    /// Extra members of `error` (`caused_by`, …).
    pub extra: Option<Box<Value>>,
    /// A body that replaces the error body (`{"api_keys": []}` of a get by unknown id).
    pub body: Option<Box<Value>>,
    challenge: bool,
    retry_after: bool,
}

impl EsError {
    pub fn new(status: StatusCode, kind: &'static str, reason: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            reason: reason.into(),
            extra: None,
            body: None,
            challenge: false,
            retry_after: false,
        }
    }

    /// 400 `action_request_validation_exception` listing every failure as Elasticsearch does.
    pub fn validation(failures: &[String]) -> Self {
        let listed: String = failures
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{}: {f};", i + 1))
            .collect();
        Self::new(
            StatusCode::BAD_REQUEST,
            "action_request_validation_exception",
            format!("Validation Failed: {listed}"),
        )
    }

    pub fn parse(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "x_content_parse_exception", reason)
    }

    pub fn illegal_argument(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "illegal_argument_exception",
            reason,
        )
    }

    pub fn unauthenticated() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "security_exception",
            UNAUTHENTICATED,
        );
        e.challenge = true;
        e
    }

    pub fn from_auth(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing | AuthFailure::Invalid | AuthFailure::StaleNonce => {
                Self::unauthenticated()
            }
            AuthFailure::RateLimited => {
                let mut e = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "status_exception",
                    "too many failed authentications from this address; retry later",
                );
                e.retry_after = true;
                e
            }
            AuthFailure::Internal => Self::from(CoreError::internal("authentication")),
            AuthFailure::Unavailable => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "status_exception",
                    "this node cannot confirm that credentials are still valid; retry later",
                );
                e.retry_after = true;
                e
            }
            AuthFailure::Busy => Self::from(CoreError::Busy),
        }
    }

    /// 403 naming the action and the caller, as Elasticsearch words it.
    pub fn forbidden(action: &str, who: &Principal) -> Self {
        let roles = who.roles.join(",");
        let reason = match &who.api_key {
            Some(key) => format!(
                "action [{action}] is unauthorized for API key id [{}] of user [{}]",
                key.id, who.name
            ),
            None => format!(
                "action [{action}] is unauthorized for user [{}] with effective roles [{roles}]",
                who.name
            ),
        };
        Self::new(StatusCode::FORBIDDEN, "security_exception", reason)
    }

    /// A core error from an action, naming the action in a 403.
    pub fn of(e: CoreError, action: &str, who: &Principal) -> Self {
        match e {
            CoreError::Forbidden { needs } => {
                let mut err = Self::forbidden(action, who);
                match needs {
                    Privilege::Cluster(p) => {
                        err.reason = format!(
                            "{}, this action is granted by the cluster privileges [{}]",
                            err.reason,
                            granted_by(p)
                        );
                    }
                    Privilege::Superuser => {
                        err.reason = format!(
                            "{}: it grants or changes rights only the superuser role holds",
                            err.reason
                        );
                    }
                    Privilege::RealmUser => {
                        err.reason = format!(
                            "{}: API keys are created and updated by a user signed in with its own password, not by an API key, a token or an access key",
                            err.reason
                        );
                    }
                    Privilege::OrgRole { .. }
                    | Privilege::OrgMembership { .. }
                    | Privilege::DomainScope => {}
                }
                err
            }
            other => Self::from(other),
        }
    }
}

/// The privileges that grant `p`, narrowest first, as Elasticsearch lists them.
fn granted_by(p: ClusterPrivilege) -> String {
    p.granted_by()
        .iter()
        .map(|q| q.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl From<CoreError> for EsError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { reason, .. } => {
                Self::validation(&reason.split(';').map(str::to_owned).collect::<Vec<_>>())
            }
            CoreError::Missing { field } => Self::validation(&[format!("[{field}] is required")]),
            CoreError::NotFound { kind, id } => {
                let noun = match kind {
                    ResourceKind::SecurityApiKey => "api key",
                    other => other.noun(),
                };
                Self::new(
                    StatusCode::NOT_FOUND,
                    "resource_not_found_exception",
                    format!("{noun} [{id}] not found"),
                )
            }
            CoreError::Conflict { what } => Self::new(
                StatusCode::CONFLICT,
                "version_conflict_engine_exception",
                format!("{what} already exists"),
            ),
            CoreError::Unauthenticated | CoreError::StaleNonce => Self::unauthenticated(),
            CoreError::Forbidden { .. } => Self::new(
                StatusCode::FORBIDDEN,
                "security_exception",
                "the caller is not authorized for this action",
            ),
            CoreError::LimitReached { .. } => Self::illegal_argument(e.to_string()),
            CoreError::Unavailable(cause) => {
                tracing::error!(%cause, "the store is unavailable");
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "status_exception",
                    "the security index is unavailable; nothing was changed, retry later",
                );
                e.retry_after = true;
                e
            }
            CoreError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "status_exception",
                "too many password verifications are in progress; retry shortly",
            ),
            other => {
                tracing::error!(error = %other, "unexpected error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "exception",
                    "unexpected error",
                )
            }
        }
    }
}

impl IntoResponse for EsError {
    fn into_response(self) -> Response {
        let body = self.body.map(|b| *b).unwrap_or_else(|| {
            let mut error = json!({
                "root_cause": [{"type": self.kind, "reason": self.reason}],
                "type": self.kind,
                "reason": self.reason,
            });
            if let (Some(extra), Some(map)) = (self.extra, error.as_object_mut()) {
                if let Value::Object(extra) = *extra {
                    map.extend(extra);
                }
            }
            json!({"error": error, "status": self.status.as_u16()})
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if self.challenge {
            for c in [
                "Basic realm=\"security\", charset=\"UTF-8\"",
                "ApiKey",
                "Bearer realm=\"security\"",
            ] {
                headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
            }
        }
        if self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// The error body, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EsErrorBody {
    error: EsErrorCause,
    /// The HTTP status.
    #[schema(example = 400)]
    status: u16,
}

/// What went wrong; some errors add members (`caused_by`, …).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EsErrorCause {
    root_cause: Vec<EsRootCause>,
    #[serde(rename = "type")]
    #[schema(example = "security_exception")]
    kind: String,
    reason: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EsRootCause {
    #[serde(rename = "type")]
    kind: String,
    reason: String,
}
