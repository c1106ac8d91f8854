//! `application/x-www-form-urlencoded` request bodies and client authentication
//! (RFC 6749 §2.3.1: HTTP Basic, or `client_id` and `client_secret` in the body).

use super::error::OAuthError;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sigil_core::secret::SecretString;
use std::collections::HashSet;

/// The largest form the OAuth endpoints read: room for a 16 KiB subject token (the largest
/// JWT Sigil verifies) and every other parameter several times over. These bodies are read
/// before any authentication, so they are kept small.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// The most parameters a form may carry; a token request needs at most eight.
pub const MAX_FORM_PARAMETERS: usize = 32;

/// The parameters of a form body; RFC 6749 §3.2 forbids any of them twice.
pub struct Form(Vec<(String, String)>);

/// The body of every OAuth endpoint, read before anything else (and before authentication).
impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthError;

    async fn from_request(req: Request, _: &S) -> Result<Self, OAuthError> {
        Self::read(req.into_body()).await
    }
}

impl Form {
    /// Reads and parses the body in time linear in its size, refusing it at the first limit.
    pub async fn read(body: Body) -> Result<Self, OAuthError> {
        let bytes =
            to_bytes(body, MAX_FORM_BYTES).await.map_err(
                |e| match crate::body_deadline::timed_out(&e) {
                    Some(late) => OAuthError::invalid_request(late.to_string()),
                    None => OAuthError::invalid_request(format!(
                        "the form is larger than {MAX_FORM_BYTES} bytes"
                    )),
                },
            )?;
        Self::parse(&bytes)
    }

    fn parse(bytes: &[u8]) -> Result<Self, OAuthError> {
        let mut pairs = Vec::new();
        let mut names = HashSet::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if pairs.len() == MAX_FORM_PARAMETERS {
                return Err(OAuthError::invalid_request(format!(
                    "the form has more than {MAX_FORM_PARAMETERS} parameters"
                )));
            }
            if !names.insert(name.clone()) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} is given more than once"
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(form: &str) -> String {
        match Form::parse(form.as_bytes()) {
            Err(e) => format!("{e:?}"),
            Ok(_) => panic!("accepted {form:.60}"),
        }
    }

    #[test]
    fn parameters_are_unique_and_counted() {
        let form = Form::parse(b"grant_type=client_credentials&scope=a+b").expect("form");
        assert_eq!(form.get("scope"), Some("a b"));
        assert!(refusal("a=1&b=2&a=3").contains("the parameter a is given more than once"));
        let many: Vec<String> = (0..=MAX_FORM_PARAMETERS)
            .map(|i| format!("p{i}=x"))
            .collect();
        assert!(refusal(&many.join("&")).contains("more than 32 parameters"));
        assert!(Form::parse(many[..MAX_FORM_PARAMETERS].join("&").as_bytes()).is_ok());
    }
}
