//! Extractors whose rejections are IAM errors in the route's own shape.

use super::error::{IamError, Style};
use crate::auth::Authenticated;
use crate::body::{BodyError, BodyFormat, JsonBody};
use crate::state::AppState;
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
        JsonBody::<T, IamError<S>>::from_request(req, state)
            .await?
            .required()
            .map(|value| Self(value, PhantomData))
    }
}

impl<S: Style> BodyFormat for IamError<S> {
    fn body_error(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => IamError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                super::error::code::TOO_LARGE,
                format!("The request body is larger than {limit} bytes."),
            ),
            BodyError::Unreadable(reason) => IamError::invalid(reason),
            BodyError::Empty | BodyError::NotObject => {
                IamError::invalid("The request body must be a JSON object.")
            }
            BodyError::Syntax(e) | BodyError::Trailing(e) => {
                IamError::invalid(format!("The request body is not valid JSON: {e}."))
            }
            BodyError::Shape { path, message } => match BodyError::missing_field(&message) {
                Some(field) => {
                    let full = if path == "." {
                        field.to_owned()
                    } else {
                        format!("{path}.{field}")
                    };
                    IamError::invalid(format!("{full} is required."))
                }
                None => IamError::invalid(format!("Invalid {path}: {message}.")),
            },
        }
    }
}

/// A request header as text, if present.
pub fn header<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}
