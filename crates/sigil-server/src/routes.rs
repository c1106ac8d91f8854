//! Every documented operation of every face, declared once: each handler's
//! `#[utoipa::path]` gives both its route and its part of the OpenAPI document, so the router
//! (`app`), the document (`openapi`) and the CLI built from the document cannot drift.

use crate::faces;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The faces' routes with their operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(crate::health::health))
        .nest("/api/atlas/v2", faces::atlas::router())
        .nest("/api/public/v1.0", faces::cloud_manager::router())
        .merge(faces::oauth::router())
        .merge(faces::elasticsearch::router())
        .merge(faces::iam::router())
}
