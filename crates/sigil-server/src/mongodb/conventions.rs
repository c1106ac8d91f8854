//! What every Atlas and Cloud Manager route shares: versioned media types, `pretty`,
//! `envelope`, header limits, and the paginated list shape.

use super::error::AtlasError;
use super::extract::Params;
pub use super::versions::{DEFAULT_VERSION, VERSIONS};
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sigil_core::page::{Page, PageRequest};
use utoipa::{IntoParams, ToSchema};

/// A response body larger than this is never re-rendered for `pretty` or `envelope`.
const MAX_RENDER_BYTES: usize = 64 * 1024 * 1024;

/// The query parameters every route accepts.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CommonParams {
    /// Wrap the answer in `{"status", "content"}` and always answer 200.
    envelope: Option<bool>,
    /// Indent the JSON answer.
    pretty: Option<bool>,
}

/// The paging parameters of every list, read by `AtlasQuery<PageParams>`; the core's
/// [`PageRequest`] holds their rules.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    #[param(value_type = Option<u32>, minimum = 1, default = 1)]
    page_num: Option<String>,
    /// Items per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, default = 100)]
    items_per_page: Option<String>,
    /// Whether to count every item.
    #[param(value_type = Option<bool>, default = true)]
    include_count: Option<String>,
}

impl PageParams {
    pub fn request(&self) -> Result<PageRequest, AtlasError> {
        Ok(PageRequest::parse(
            self.page_num.as_deref(),
            self.items_per_page.as_deref(),
            self.include_count.as_deref(),
        )?)
    }
}

/// The version an `Accept` header asks for: the first Atlas media type listed, or the oldest
/// version for `application/json`, `*/*` or nothing.
pub fn negotiate(accept: Option<&str>) -> Result<&'static str, AtlasError> {
    let mut unknown = None;
    for range in accept.unwrap_or("").split(',') {
        let media = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if let Some(date) = media
            .strip_prefix("application/vnd.atlas.")
            .and_then(|m| m.strip_suffix("+json"))
        {
            match VERSIONS.iter().find(|v| **v == date) {
                Some(v) => return Ok(v),
                None => unknown = Some(date.to_owned()),
            }
        }
    }
    match unknown {
        Some(date) => Err(AtlasError::new(
            StatusCode::NOT_ACCEPTABLE,
            "INVALID_VERSION_DATE",
            format!(
                "The API version {date:?} does not exist; use one of {}.",
                VERSIONS.join(", ")
            ),
        )),
        None => Ok(DEFAULT_VERSION),
    }
}

pub fn media_type(version: &str) -> String {
    format!("application/vnd.atlas.{version}+json;charset=utf-8")
}

/// The face's middleware: refuses oversized headers and unknown versions, then renders the
/// answer (or the error) with the version's media type, `pretty` and `envelope`.
pub async fn apply(request: Request, next: Next) -> Response {
    apply_with(request, next, true).await
}

/// The same conventions for the Cloud Manager face, which has no versioned media types and
/// answers `application/json`.
pub async fn apply_unversioned(request: Request, next: Next) -> Response {
    apply_with(request, next, false).await
}

fn content_type(version: Option<&str>) -> HeaderValue {
    version
        .and_then(|v| HeaderValue::from_str(&media_type(v)).ok())
        .unwrap_or(HeaderValue::from_static("application/json"))
}

async fn apply_with(request: Request, next: Next, versioned: bool) -> Response {
    let default = content_type(versioned.then_some(DEFAULT_VERSION));
    let params = Params::parse(request.uri().query());
    let options = params
        .flag("envelope")
        .and_then(|e| Ok((e, params.flag("pretty")?)));
    let (envelope, pretty) = match options {
        Ok(o) => o,
        Err(e) => return finish(e.into_response(), default, false, false).await,
    };
    if let Some(oversized) = crate::limits::oversized_header(request.headers()) {
        let e = AtlasError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADER_TOO_LARGE",
            crate::limits::sentence(&oversized),
        );
        return finish(e.into_response(), default, envelope, pretty).await;
    }
    if !versioned {
        return finish(next.run(request).await, default, envelope, pretty).await;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let version = match negotiate(accept) {
        Ok(v) => v,
        Err(e) => return finish(e.into_response(), default, envelope, pretty).await,
    };
    finish(
        next.run(request).await,
        content_type(Some(version)),
        envelope,
        pretty,
    )
    .await
}

async fn finish(
    response: Response,
    content_type: HeaderValue,
    envelope: bool,
    pretty: bool,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // A Digest challenge must reach the client as a 401, or no Digest client can ever answer it.
    let envelope = envelope && !parts.headers.contains_key(header::WWW_AUTHENTICATE);
    if !envelope && !pretty {
        if is_json {
            parts.headers.insert(header::CONTENT_TYPE, content_type);
        }
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_RENDER_BYTES).await else {
        return AtlasError::from(sigil_core::CoreError::internal(
            "response too large to render",
        ))
        .into_response();
    };
    let content: serde_json::Value = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    let value = if envelope {
        let status = parts.status.as_u16();
        parts.status = StatusCode::OK;
        serde_json::json!({"status": status, "content": content})
    } else {
        content
    };
    let rendered = if pretty {
        serde_json::to_vec_pretty(&value)
    } else {
        serde_json::to_vec(&value)
    }
    .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, content_type);
    Response::from_parts(parts, Body::from(rendered))
}

/// A link of a paginated list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

/// `{"results", "totalCount", "links"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Paginated<T> {
    pub results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    pub links: Vec<Link>,
}

/// Renders a page with `self`, `next` and `previous` links under `base` (public URL + path).
pub fn paginated<T, U>(
    page: Page<T>,
    request: &PageRequest,
    base: &str,
    query: Option<&str>,
    view: impl FnMut(T) -> U,
) -> Paginated<U> {
    let href = |page_num: u32| {
        let others = Params::parse(query);
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in others.pairs().filter(|(k, _)| *k != "pageNum") {
            serializer.append_pair(k, v);
        }
        serializer.append_pair("pageNum", &page_num.to_string());
        format!("{base}?{}", serializer.finish())
    };
    let mut links = vec![Link {
        rel: "self".into(),
        href: href(request.page_num),
    }];
    if page.has_next(request) {
        links.push(Link {
            rel: "next".into(),
            href: href(request.page_num + 1),
        });
    }
    if request.page_num > 1 {
        links.push(Link {
            rel: "previous".into(),
            href: href(request.page_num - 1),
        });
    }
    let total = page.total;
    Paginated {
        results: page.items.into_iter().map(view).collect(),
        total_count: request.include_count.then_some(total),
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_negotiated_from_accept() {
        assert_eq!(negotiate(None).ok(), Some("2023-01-01"));
        assert_eq!(negotiate(Some("application/json")).ok(), Some("2023-01-01"));
        assert_eq!(negotiate(Some("*/*")).ok(), Some("2023-01-01"));
        assert_eq!(
            negotiate(Some("application/vnd.atlas.2024-11-13+json")).ok(),
            Some("2024-11-13")
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.atlas.2024-08-05+json; charset=utf-8, */*"
            ))
            .ok(),
            Some("2024-08-05")
        );
        assert!(negotiate(Some("application/vnd.atlas.2022-01-01+json")).is_err());
        assert!(negotiate(Some("application/vnd.atlas.latest+json")).is_err());
    }

    #[test]
    fn links_keep_other_parameters() {
        let request = PageRequest {
            page_num: 2,
            items_per_page: 1,
            include_count: true,
        };
        let page = Page {
            items: vec![1],
            total: 3,
        };
        let p = paginated(
            page,
            &request,
            "http://h/api/atlas/v2/orgs",
            Some("itemsPerPage=1&pageNum=2"),
            |x| x,
        );
        let hrefs: Vec<(&str, &str)> = p
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            hrefs,
            vec![
                (
                    "self",
                    "http://h/api/atlas/v2/orgs?itemsPerPage=1&pageNum=2"
                ),
                (
                    "next",
                    "http://h/api/atlas/v2/orgs?itemsPerPage=1&pageNum=3"
                ),
                (
                    "previous",
                    "http://h/api/atlas/v2/orgs?itemsPerPage=1&pageNum=1"
                ),
            ]
        );
        assert_eq!(p.total_count, Some(3));
    }
}
