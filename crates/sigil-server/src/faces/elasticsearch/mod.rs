//! The Elasticsearch security face: `/_security/…` users, roles, `_authenticate`
//! and API keys, in Elasticsearch's wire format, so the official clients work unchanged.

pub mod api_keys;
pub mod error;
pub mod extract;
pub mod security;

use crate::state::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The face's routes; each handler's annotation declares its path, method and OpenAPI
/// operation once.
pub fn router() -> OpenApiRouter<AppState> {
    use api_keys::*;
    use security::*;
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(authenticate))
        .routes(routes!(list_users))
        .routes(routes!(get_users, put_user, post_user, delete_user))
        .routes(routes!(list_roles))
        .routes(routes!(get_roles, put_role, post_role, delete_role))
        .routes(routes!(create, create_put, get, invalidate))
        .routes(routes!(update))
        .routes(routes!(query, query_get))
        .layer(axum::middleware::from_fn(headers))
}

/// Every answer names the product (the official clients refuse a 2xx without it) and answers
/// in the media type the client asked for.
async fn headers(request: Request, next: Next) -> Response {
    let compatible = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|accept| {
            accept
                .split(',')
                .find(|t| t.trim().starts_with("application/vnd.elasticsearch+json"))
                .and_then(|t| t.split("compatible-with=").nth(1))
                .map(|v| {
                    v.trim()
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
        })
        .filter(|v| !v.is_empty());
    // Headers over the shared limits are refused before anything reads them.
    let mut response = match crate::limits::oversized_header(request.headers()) {
        Some(oversized) => error::EsError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "illegal_argument_exception",
            oversized.to_string(),
        )
        .into_response(),
        None => next.run(request).await,
    };
    let h = response.headers_mut();
    h.insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    if h.contains_key(header::CONTENT_TYPE) {
        let media = match compatible {
            Some(v) => format!("application/vnd.elasticsearch+json;compatible-with={v}"),
            None => "application/json".into(),
        };
        if let Ok(value) = HeaderValue::from_str(&media) {
            h.insert(header::CONTENT_TYPE, value);
        }
    }
    response
}
