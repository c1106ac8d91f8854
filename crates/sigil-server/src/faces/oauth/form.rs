//! `application/x-www-form-urlencoded` request bodies and client authentication
//! (RFC 6749 §2.3.1: HTTP Basic, or `client_id` and `client_secret` in the body).

use super::error::OAuthError;
use crate::app::MAX_BODY_BYTES;
use axum::body::{to_bytes, Body};
use axum::http::header;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sigil_core::secret::SecretString;

/// The parameters of a form body; RFC 6749 §3.2 forbids any of them twice.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub async fn read(body: Body) -> Result<Self, OAuthError> {
        let bytes = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| OAuthError::invalid_request("the request body is over 1 MiB"))?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} is given more than once"
                )));
            }
        }
        Ok(Self(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(OAuthError::invalid_request(format!(
                "the parameter {name} is required"
            ))),
        }
    }
}

/// The client's id and secret, from exactly one of the two methods; `None` when neither.
pub fn client_credentials(
    parts: &Parts,
    form: &Form,
) -> Result<Option<(String, SecretString)>, OAuthError> {
    let basic = match parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(value) if value.len() > 5 && value[..6].eq_ignore_ascii_case("basic ") => {
            Some(decode_basic(&value[6..])?)
        }
        _ => None,
    };
    let posted = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), SecretString::new(secret))),
        (None, None) => None,
        (Some(_), None) if basic.is_some() => None,
        _ => {
            return Err(OAuthError::invalid_request(
                "client_id and client_secret go together",
            ))
        }
    };
    match (basic, posted) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not two",
        )),
        (basic, posted) => Ok(basic.or(posted)),
    }
}

/// Basic credentials whose parts are form-encoded, as RFC 6749 §2.3.1 says.
fn decode_basic(encoded: &str) -> Result<(String, SecretString), OAuthError> {
    let malformed = || OAuthError::invalid_client("malformed Basic credentials");
    if encoded.len() > 4096 {
        return Err(malformed());
    }
    let raw = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = SecretString::new(String::from_utf8(raw).map_err(|_| malformed())?);
    let (id, secret) = text.expose().split_once(':').ok_or_else(malformed)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((decode(id), SecretString::new(decode(secret))))
}
