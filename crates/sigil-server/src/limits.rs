//! The bounds every face holds a request to (body and headers), and the wording of a refusal
//! that each face then renders in its own format.

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

/// The most bytes of headers one request may carry (every face's limits on single headers
/// are smaller; this bounds their number and the memory a head may take).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields of one HTTP/1.1 request.
pub const MAX_HEADERS: usize = 100;
/// The most bytes all of a request's headers may take together.
pub const MAX_HEADERS_TOTAL_BYTES: usize = MAX_HEAD_BYTES;

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
