//! The router every face is merged into, with the layers every request passes through.

use crate::limits::MAX_BODY_BYTES;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// Every face, with `body_timeout` for each request body to arrive whole.
pub fn router(state: AppState, body_timeout: std::time::Duration) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let (routes, _) = crate::routes::routes().split_for_parts();
    routes
        .route("/openapi.json", get(crate::openapi::serve))
        // `nest` does not route the prefix with a bare trailing slash; nothing else is left.
        .route("/api/atlas/v2/", any(crate::mongodb::not_found_fallback))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(
            crate::faces::elasticsearch::method_not_allowed,
        ))
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
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
}

/// A random (version 4) UUID for each request without an `X-Request-Id`, from the thread's
/// random generator: tower-http's `MakeRequestUuid` asks the operating system for every one
/// (a system call per request, a measurable part of a cached request's cost).
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut text);
        axum::http::HeaderValue::from_str(text)
            .ok()
            .map(RequestId::new)
    }
}

/// A path no route matched: Elasticsearch's answer under its paths (`/_…`), Atlas's elsewhere.
async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if crate::faces::elasticsearch::owns_path(uri.path()) {
        crate::faces::elasticsearch::no_handler(&method, uri.path())
    } else {
        crate::mongodb::not_found_fallback().await.into_response()
    }
}
