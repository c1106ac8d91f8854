//! Extractors whose rejections are IAM errors in the route's own shape.

use super::error::{IamError, Style};
use crate::auth::Authenticated;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The authenticated caller.
pub struct IamCaller<S>(pub Authenticated, pub PhantomData<S>);

impl<S: Style> FromRequestParts<AppState> for IamCaller<S> {
    type Rejection = IamError<S>;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        state
            .auth
            .authenticate(parts)
            .await
            .map(|a| Self(a, PhantomData))
            .map_err(IamError::from_auth)
    }
}

/// A JSON object body; every error names the field (`openid_connect_config.client_id`).
pub struct IamJson<T, S>(pub T, pub PhantomData<S>);

impl<T: DeserializeOwned, St: Send + Sync, S: Style> FromRequest<St> for IamJson<T, S> {
    type Rejection = IamError<S>;

    async fn from_request(req: Request, state: &St) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                IamError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    super::error::code::TOO_LARGE,
                    format!(
                        "The request body is larger than {} bytes.",
                        crate::limits::MAX_BODY_BYTES
                    ),
                )
            } else {
                IamError::invalid(r.body_text())
            }
        })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(IamError::invalid("The request body must be a JSON object."));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                return IamError::invalid(format!("The request body is not valid JSON: {inner}."));
            }
            let path = e.path().to_string();
            let message = inner.to_string();
            match message.strip_prefix("missing field `") {
                Some(rest) => {
                    let field = rest.split('`').next().unwrap_or(rest);
                    let full = if path == "." {
                        field.to_owned()
                    } else {
                        format!("{path}.{field}")
                    };
                    IamError::invalid(format!("{full} is required."))
                }
                None => IamError::invalid(format!("Invalid {path}: {message}.")),
            }
        })?;
        de.end()
            .map_err(|e| IamError::invalid(format!("The request body is not valid JSON: {e}.")))?;
        Ok(Self(value, PhantomData))
    }
}

/// A request header as text, if present.
pub fn header<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}
