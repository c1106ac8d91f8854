//! What the two MongoDB faces share — the Atlas Admin API v2 (`faces::atlas`) and Cloud Manager
//! v1.0 (`faces::cloud_manager`) are one vendor's API: its conventions (versions, envelopes,
//! pagination), error format, path parameters, extractors and credential views, and the
//! service-account handlers both faces mount with their own rules. Neither face imports the
//! other; both import this.

pub mod conventions;
pub mod credential_views;
pub mod error;
pub mod extract;
pub mod path_params;
pub mod service_accounts;
pub mod versions;

use crate::state::AppState;
use axum::extract::OriginalUri;
use axum::http::StatusCode;
use error::AtlasError;
use utoipa_axum::router::OpenApiRouter;

/// The base of a list's links: the public URL and the request's path.
pub(crate) fn link_base(state: &AppState, uri: &OriginalUri) -> String {
    format!("{}{}", state.public_url, uri.path())
}

pub(crate) async fn not_found_fallback() -> AtlasError {
    AtlasError::not_found_route()
}

pub(crate) async fn method_not_allowed_fallback() -> AtlasError {
    AtlasError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "This resource does not support that method.",
    )
}

/// A MongoDB face's routes with its answers for an unknown path or method (Atlas errors).
pub(crate) fn with_fallbacks(routes: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    let (router, openapi) = routes.split_for_parts();
    let router = router
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed_fallback);
    OpenApiRouter::with_openapi(openapi).merge(OpenApiRouter::from(router))
}
