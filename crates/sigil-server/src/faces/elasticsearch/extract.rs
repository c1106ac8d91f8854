//! Extractors whose every rejection is an Elasticsearch error.

use super::error::EsError;
use crate::auth::Authenticated;
use crate::body::{self, BodyError, BodyFormat, JsonBody};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// The authenticated caller.
pub struct EsCaller(pub Authenticated);

impl FromRequestParts<AppState> for EsCaller {
    type Rejection = EsError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, EsError> {
        state
            .auth
            .authenticate(parts)
            .await
            .map(Self)
            .map_err(EsError::from_auth)
    }
}

/// A JSON body, maybe absent (`None` for an empty body); type errors name the field.
pub struct EsBody<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for EsBody<T> {
    type Rejection = EsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, EsError> {
        let JsonBody(body, _) = JsonBody::<T, EsError>::from_request(req, state).await?;
        Ok(Self(body))
    }
}

/// Parses a JSON object body; errors are `x_content_parse_exception` naming the field, as
/// Elasticsearch's `[1:10] [api_key_request] unknown field [x]`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, EsError> {
    body::parse_object(bytes).map_err(EsError::body_error)
}

impl BodyFormat for EsError {
    fn body_error(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => EsError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "content_too_long_exception",
                format!("the request body is larger than {limit} bytes"),
            ),
            BodyError::Unreadable(reason) => EsError::parse(reason),
            BodyError::Empty | BodyError::NotObject => {
                EsError::parse("request body must be a JSON object")
            }
            BodyError::Syntax(e) => EsError::new(
                StatusCode::BAD_REQUEST,
                "parsing_exception",
                format!("failed to parse the request body: {e}"),
            ),
            BodyError::Trailing(e) => {
                EsError::new(StatusCode::BAD_REQUEST, "parsing_exception", e.to_string())
            }
            BodyError::Shape { path, message } => match BodyError::unknown_field(&message) {
                Some(name) => EsError::parse(format!("unknown field [{name}]")),
                None => EsError::parse(format!("failed to parse field [{path}]: {message}")),
            },
        }
    }
}

/// The query string.
pub struct EsParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for EsParams {
    type Rejection = EsError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, EsError> {
        Ok(Self(
            url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

impl EsParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A boolean parameter: `true`/`false`, and a bare `?flag` as true.
    pub fn flag(&self, name: &str) -> Result<bool, EsError> {
        match self
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
        {
            None | Some("false") => Ok(false),
            Some("" | "true") => Ok(true),
            Some(other) => Err(EsError::illegal_argument(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            ))),
        }
    }
}

/// A JSON boolean, or the strings `"true"` and `"false"` (Elasticsearch clients send `"owner": "true"`).
pub fn lenient_bool(field: &str, v: &serde_json::Value) -> Result<bool, EsError> {
    match v {
        serde_json::Value::Bool(b) => Ok(*b),
        serde_json::Value::String(s) if s == "true" => Ok(true),
        serde_json::Value::String(s) if s == "false" => Ok(false),
        serde_json::Value::Null => Ok(false),
        other => Err(EsError::parse(format!(
            "failed to parse field [{field}]: [{other}] is not a boolean"
        ))),
    }
}
