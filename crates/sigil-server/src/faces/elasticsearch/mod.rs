//! The Elasticsearch security face (spec 30): `/_security/…` users, roles, `_authenticate`
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
use axum::routing::{get, post, put};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(security::root))
        .route("/_security/_authenticate", get(security::authenticate))
        .route("/_security/user", get(security::list_users))
        .route(
            "/_security/user/{username}",
            get(security::get_users)
                .put(security::put_user)
                .post(security::post_user)
                .delete(security::delete_user),
        )
        .route("/_security/role", get(security::list_roles))
        .route(
            "/_security/role/{name}",
            get(security::get_roles)
                .put(security::put_role)
                .post(security::post_role)
                .delete(security::delete_role),
        )
        .route(
            "/_security/api_key",
            post(api_keys::create)
                .put(api_keys::create_put)
                .get(api_keys::get)
                .delete(api_keys::invalidate),
        )
        .route("/_security/api_key/{id}", put(api_keys::update))
        .route(
            "/_security/_query/api_key",
            post(api_keys::query).get(api_keys::query_get),
        )
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
