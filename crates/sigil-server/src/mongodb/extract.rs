//! Extractors whose every rejection is an Atlas error: the caller, the JSON body, the typed
//! path and query.

use super::error::AtlasError;
use crate::auth::Authenticated;
use crate::body::{self, BodyError, BodyFormat, JsonBody};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use sigil_core::page::parse_bool;

/// The authenticated caller.
pub struct Caller(pub Authenticated);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AtlasError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AtlasError> {
        match state.auth.authenticate(parts).await {
            Ok(a) => Ok(Self(a)),
            Err(failure) => Err(AtlasError::from_auth(failure, |stale| {
                state.auth.digest_challenge(stale)
            })),
        }
    }
}

/// A JSON body; a type error names the field by its path (`roleAssignments[0].role`).
pub struct AtlasJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AtlasJson<T> {
    type Rejection = AtlasError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AtlasError> {
        JsonBody::<T, AtlasError>::from_request(req, state)
            .await?
            .required()
            .map(AtlasJson)
    }
}

/// Parses an Atlas body (always an object).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AtlasError> {
    body::parse_object(bytes).map_err(AtlasError::body_error)
}

impl BodyFormat for AtlasError {
    fn body_error(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => AtlasError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("The request body is larger than {limit} bytes."),
            ),
            BodyError::Unreadable(reason) => AtlasError::validation(None, &reason),
            BodyError::Empty => AtlasError::validation(None, "a JSON body is required"),
            BodyError::NotObject => AtlasError::validation(None, "the body must be a JSON object"),
            BodyError::Syntax(e) | BodyError::Trailing(e) => {
                AtlasError::validation(None, &format!("not valid JSON: {e}"))
            }
            BodyError::Shape { path, message } => {
                // The path of an unknown field already ends with its name; serde also names
                // it in its message, which is the fallback when the path is empty.
                let field = match (BodyError::unknown_field(&message), path.as_str()) {
                    (Some(name), "." | "") => name.to_owned(),
                    (_, path) => path.to_owned(),
                };
                AtlasError::validation(Some(&field), &message)
            }
        }
    }
}

/// The path parameters as one typed struct of [`path_params`](super::path_params); a
/// parameter its type refuses is 400 `INVALID_PATH_PARAMETER` naming it.
pub struct AtlasPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AtlasPath<T> {
    type Rejection = AtlasError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AtlasError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                AtlasError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_PATH_PARAMETER",
                    e.body_text(),
                )
            })?;
        let pairs: Vec<(&str, &str)> = raw.iter().collect();
        from_pairs(&pairs)
            .map(Self)
            .map_err(|(name, value, reason)| AtlasError::invalid_path(&name, &value, &reason))
    }
}

/// The query parameters as one typed struct (each field `Option<String>`, parsed by the core's
/// rules); unknown parameters are ignored and a repeated one counts once, its first value, as
/// Atlas reads them.
pub struct AtlasQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AtlasQuery<T> {
    type Rejection = AtlasError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AtlasError> {
        Self::parse(parts.uri.query())
    }
}

impl<T: DeserializeOwned> AtlasQuery<T> {
    /// Reads `T` from a query string.
    pub fn parse(query: Option<&str>) -> Result<Self, AtlasError> {
        let params = Params::parse(query);
        let mut seen = std::collections::HashSet::new();
        let mut first = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params.pairs() {
            if seen.insert(name) {
                first.append_pair(name, value);
            }
        }
        let first = first.finish();
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(first.as_bytes()));
        serde_path_to_error::deserialize(de).map(Self).map_err(|e| {
            let name = e.path().to_string();
            AtlasError::validation(Some(&name), &format!("{name}: {}", e.into_inner()))
        })
    }
}

/// Reads `T` from name–value pairs; a refusal names the parameter, its value and the reason.
fn from_pairs<T: DeserializeOwned>(pairs: &[(&str, &str)]) -> Result<T, (String, String, String)> {
    let de =
        serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(pairs.iter().copied());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let name = e.path().to_string();
        let value = pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v)
            .to_owned();
        (name, value, e.into_inner().to_string())
    })
}

/// The query string's parameters.
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AtlasError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AtlasError> {
        Ok(Self::parse(parts.uri.query()))
    }
}

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, name: &str) -> Result<bool, AtlasError> {
        self.get(name)
            .map_or(Ok(false), |v| parse_bool(name, v))
            .map_err(AtlasError::from)
    }
}
