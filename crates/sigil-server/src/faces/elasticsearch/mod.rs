//! The Elasticsearch security face: `/_security/…` users, roles, `_authenticate`
//! and API keys, in Elasticsearch's wire format, so the official clients work unchanged.

pub mod api_keys;
pub mod cluster;
pub mod error;
pub mod extract;
pub mod privileges;
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
    use cluster::*;
    use privileges::*;
    use security::*;
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(authenticate))
        .routes(routes!(list_users))
        .routes(routes!(get_users, put_user, post_user, delete_user))
        .routes(routes!(has_privileges, has_privileges_post))
        .routes(routes!(user_has_privileges, user_has_privileges_post))
        .routes(routes!(list_roles))
        .routes(routes!(get_roles, put_role, post_role, delete_role))
        .routes(routes!(create, create_put, get, invalidate))
        .routes(routes!(update))
        .routes(routes!(bulk_update))
        .routes(routes!(clear_cache))
        .routes(routes!(query, query_get))
        .routes(routes!(get_all_privileges, put_privileges, post_privileges))
        .routes(routes!(get_builtin_privileges))
        .routes(routes!(get_application_privileges))
        .routes(routes!(get_privilege, delete_privilege))
        .routes(routes!(health))
        .routes(routes!(xpack))
        .layer(axum::middleware::from_fn(headers))
}

/// Whether a path no route matched belongs to this face: Elasticsearch's APIs all begin
/// with `/_`, and no other face's do.
pub fn owns_path(path: &str) -> bool {
    path.starts_with("/_")
}

/// axum answers a method a route does not take with an empty 405 (its `Allow` header added
/// last, outside the face's own layers): under this face's paths, Elasticsearch's answer
/// instead. Applied by app.rs around every face.
pub async fn method_not_allowed(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || !(owns_path(&path) || path == "/") {
        return response;
    }
    incorrect_method(&method, &path, &allowed_methods(&path).join(","))
}

/// A path as segments (`None`: a parameter), and the methods it takes.
type RouteMethods = (Vec<Option<String>>, Vec<String>);

/// Each path of the face as segments (`None`: a parameter) with the methods it takes, from the
/// face's own routes (axum's `Allow` does not survive the face's layers).
static PATHS: std::sync::LazyLock<Vec<RouteMethods>> = std::sync::LazyLock::new(|| {
    let (_, doc) = router().split_for_parts();
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let segments = path
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
            let mut methods: Vec<String> = [
                ("GET", item.get.is_some()),
                ("HEAD", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, has)| *has)
            .map(|(m, _)| m.to_owned())
            .collect();
            methods.dedup();
            (segments, methods)
        })
        .collect()
});

/// The methods the route matching `path` takes: the most specific route, as the router picks.
fn allowed_methods(path: &str) -> Vec<String> {
    let wanted: Vec<&str> = path.split('/').collect();
    PATHS
        .iter()
        .filter(|(segments, _)| {
            segments.len() == wanted.len()
                && segments
                    .iter()
                    .zip(&wanted)
                    .all(|(s, w)| s.as_deref().is_none_or(|s| s == *w))
        })
        .max_by_key(|(segments, _)| segments.iter().filter(|s| s.is_some()).count())
        .map(|(_, methods)| methods.clone())
        .unwrap_or_default()
}

/// Elasticsearch's answer to a path it has no handler for.
pub fn no_handler(method: &axum::http::Method, path: &str) -> Response {
    let body = serde_json::json!({
        "error": format!("no handler found for uri [{path}] and method [{method}]"),
        "status": 400,
    });
    let mut response = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    response.headers_mut().insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    response
}

/// Elasticsearch's answer to a method a path does not take, naming the ones it does.
fn incorrect_method(method: &axum::http::Method, path: &str, allow: &str) -> Response {
    let allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
    let body = serde_json::json!({
        "error": format!(
            "Incorrect HTTP method for uri [{path}] and method [{method}], allowed: [{}]",
            allowed.join(", ")
        ),
        "status": 405,
    });
    let mut response = (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(allow) {
        h.insert(header::ALLOW, v);
    }
    h.insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    response
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
