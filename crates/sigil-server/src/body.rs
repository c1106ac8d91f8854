//! JSON request bodies, read and parsed once for every face: the size limit, "must be an
//! object", serde's error with the path to the field, and nothing after the value. Each face
//! words a [`BodyError`] in its own error format ([`BodyFormat`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// Why a body was refused, before any face words it.
#[derive(Debug)]
pub enum BodyError {
    /// Over [`crate::limits::MAX_BODY_BYTES`].
    TooLarge(usize),
    /// The body could not be read (it broke off, or did not arrive in time): the reason.
    Unreadable(String),
    /// No body, or whitespace only.
    Empty,
    /// Something other than a JSON object.
    NotObject,
    /// Not JSON: serde's syntax error.
    Syntax(serde_json::Error),
    /// More after the object.
    Trailing(serde_json::Error),
    /// JSON of the wrong shape: the path to the field (`roleAssignments[0].role`, `.` for the
    /// top) and serde's message.
    Shape { path: String, message: String },
}

impl BodyError {
    /// The field serde names as unknown in its message, if that is the error.
    pub fn unknown_field(message: &str) -> Option<&str> {
        message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
    }

    /// The field serde names as missing in its message, if that is the error.
    pub fn missing_field(message: &str) -> Option<&str> {
        message
            .strip_prefix("missing field `")
            .map(|rest| rest.split('`').next().unwrap_or(rest))
    }
}

/// A face's error format for refused bodies.
pub trait BodyFormat: IntoResponse + Sized {
    fn body_error(error: BodyError) -> Self;
}

/// Reads the whole body under the router's limit.
pub async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, BodyError> {
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyError::TooLarge(crate::limits::MAX_BODY_BYTES)
        } else {
            BodyError::Unreadable(r.body_text())
        }
    })
}

/// Parses a JSON object; serde reads a struct from an array too (`["acme"]` as
/// `{"name": "acme"}`), so anything but an object is refused first.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyError::NotObject);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            BodyError::Syntax(inner)
        } else {
            BodyError::Shape {
                path,
                message: inner.to_string(),
            }
        }
    })?;
    de.end().map_err(BodyError::Trailing)?;
    Ok(value)
}

/// A JSON object body, `None` when empty; every refusal in the face's format `E`.
pub struct JsonBody<T, E>(pub Option<T>, pub PhantomData<E>);

impl<T, E: BodyFormat> JsonBody<T, E> {
    /// The body, which the operation requires.
    pub fn required(self) -> Result<T, E> {
        self.0.ok_or_else(|| E::body_error(BodyError::Empty))
    }
}

impl<S: Send + Sync, T: DeserializeOwned, E: BodyFormat> FromRequest<S> for JsonBody<T, E> {
    type Rejection = E;

    async fn from_request(req: Request, state: &S) -> Result<Self, E> {
        let bytes = read(req, state).await.map_err(E::body_error)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None, PhantomData));
        }
        parse_object(&bytes)
            .map(|v| Self(Some(v), PhantomData))
            .map_err(E::body_error)
    }
}
