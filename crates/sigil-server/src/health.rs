//! `/health`: whether this node may serve, for a load balancer.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

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
