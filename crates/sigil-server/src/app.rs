//! The application state, built once at start, and the router every face is merged into.

use crate::auth::Authenticator;
use crate::faces;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{any, get};
use axum::{Json, Router};
use sigil_core::Core;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The largest request body any face accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Any one header longer than this is refused...
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// ...but `Authorization`, which carries identity providers' JWTs (refused by the core above
/// 16 KiB, so a JWT with many groups still gets its answer from the core).
pub const MAX_AUTHORIZATION_BYTES: usize = 17 * 1024;

/// The bound on one header's length.
pub fn header_limit(name: &axum::http::HeaderName) -> usize {
    if name == axum::http::header::AUTHORIZATION {
        MAX_AUTHORIZATION_BYTES
    } else {
        MAX_HEADER_BYTES
    }
}

/// The most bytes all of a request's headers may take together.
pub const MAX_HEADERS_TOTAL_BYTES: usize = crate::serve::MAX_HEAD_BYTES;

/// A request's headers over a bound: one of them, or all together.
#[derive(Debug)]
pub enum Oversized {
    Header(axum::http::HeaderName, usize),
    All(usize),
}

impl std::fmt::Display for Oversized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header(name, limit) => {
                write!(f, "the header {name} is longer than {limit} bytes")
            }
            Self::All(limit) => write!(f, "the headers are longer than {limit} bytes in all"),
        }
    }
}

/// `text` as a sentence (capitalized, with a full stop), as the Atlas and IAM faces word their
/// messages.
pub fn sentence(text: &impl std::fmt::Display) -> String {
    let text = text.to_string();
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// The first header over its bound, or the bound on all of them together.
pub fn oversized_header(headers: &axum::http::HeaderMap) -> Option<Oversized> {
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > header_limit(name) {
            return Some(Oversized::Header(name.clone(), header_limit(name)));
        }
        total += name.as_str().len() + value.len();
    }
    (total > MAX_HEADERS_TOTAL_BYTES).then_some(Oversized::All(MAX_HEADERS_TOTAL_BYTES))
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub core: Arc<Core>,
    pub auth: Authenticator,
    /// The base of links and the issuer of Sigil's tokens, without a trailing slash.
    pub public_url: String,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(core: Arc<Core>, public_url: String, failure_burst: u32) -> Self {
        Self(Arc::new(Inner {
            auth: Authenticator::new(core.clone(), failure_burst),
            core,
            public_url,
        }))
    }
}

/// Every face, with `body_timeout` for each request body to arrive whole.
pub fn router(state: AppState, body_timeout: std::time::Duration) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(crate::openapi::serve))
        .nest("/api/atlas/v2", faces::atlas::router())
        .nest("/api/public/v1.0", faces::cloud_manager::router())
        .merge(faces::oauth::router())
        .merge(faces::elasticsearch::router())
        .merge(faces::iam::router())
        // `nest` does not route the prefix with a bare trailing slash; nothing else is left.
        .route("/api/atlas/v2/", any(faces::atlas::not_found_fallback))
        .fallback(faces::atlas::not_found_fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn(
            crate::auth::signed::hash_signed_bodies,
        ))
        .layer(axum::middleware::from_fn_with_state(
            body_timeout,
            crate::body_deadline::limit_body_time,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Answers 200 once the server accepts requests, and 503 while it cannot read the change log
/// (it then refuses every credential), so a load balancer takes it out.
#[utoipa::path(get, path = "/health", tag = "health", operation_id = "getHealth",
    responses((status = 200, description = "The server accepts requests", body = Object, example = json!({"status": "ok"})),
        (status = 503, description = "The node cannot confirm revocations; it refuses credentials", body = Object, example = json!({"status": "unavailable"}))))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.core.changes_current() {
        (StatusCode::OK, Json(serde_json::json!({"status": "ok"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                serde_json::json!({"status": "unavailable", "reason": "the change log could not be read within its bound"}),
            ),
        )
    }
}
