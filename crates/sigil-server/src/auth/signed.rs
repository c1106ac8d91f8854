//! `Authorization: SDK-HMAC-SHA256 …` (the Huawei Cloud SDKs' request signing): the request's
//! pieces handed to the core, and the middleware that hashes a signed request's body first,
//! since the signature covers it and authentication happens before handlers read bodies.

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sigil_core::audit::Actor;
use sigil_core::iam::signature::{ReceivedRequest, ALGORITHM, EMPTY_SHA256};
use sigil_core::principal::Principal;
use sigil_core::{Core, CoreResult};

/// The scheme, lowercased as the Authenticator matches schemes.
pub const SCHEME: &str = "sdk-hmac-sha256";

/// The hex SHA-256 of a signed request's body, computed by [`hash_signed_bodies`].
#[derive(Debug, Clone)]
pub struct BodyDigest {
    pub sha256: String,
    pub empty: bool,
}

fn is_signed(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(ALGORITHM))
}

/// Reads a signed request's body (up to the body limit), records its hash, and passes the
/// request on with the same body. Other requests pass untouched, unread.
pub async fn hash_signed_bodies(request: Request, next: Next) -> Response {
    if !is_signed(request.headers()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::limits::MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let (status, message) = match crate::body_deadline::timed_out(&e) {
                Some(late) => (StatusCode::REQUEST_TIMEOUT, crate::limits::sentence(late)),
                None => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "The request body is larger than {} bytes.",
                        crate::limits::MAX_BODY_BYTES
                    ),
                ),
            };
            return (
                status,
                axum::Json(serde_json::json!({"error_code": "IAM.0012", "error_msg": message})),
            )
                .into_response();
        }
    };
    parts.extensions.insert(BodyDigest {
        sha256: if bytes.is_empty() {
            EMPTY_SHA256.to_owned()
        } else {
            hex::encode(Sha256::digest(&bytes))
        },
        empty: bytes.is_empty(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Verifies the signature of the request in `parts`.
pub async fn authenticate(
    core: &Core,
    params: &str,
    parts: &Parts,
    actor: &Actor,
) -> CoreResult<Principal> {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let digest = parts.extensions.get::<BodyDigest>();
    let request = ReceivedRequest {
        method: parts.method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body_sha256: digest.map_or(EMPTY_SHA256, |d| d.sha256.as_str()),
        body_is_empty: digest.is_none_or(|d| d.empty),
    };
    core.iam.authenticate_signed(params, &request, actor).await
}
