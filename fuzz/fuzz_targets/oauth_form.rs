//! The OAuth endpoints' `application/x-www-form-urlencoded` bodies and client authentication
//! (`sigil_server::faces::oauth::form`): RFC 6749 §3.2 (no parameter twice) and §2.3.1
//! (`client_secret_basic` or `client_secret_post`, not both).
//!
//! Input: an `Authorization` value, a newline, then the body (or a description of a large body,
//! see `sigil_fuzz::body`), up to the server's body limit.
//!
//! Properties: reading never panics and answers in bounded time; a form that is read holds
//! each parameter once, with the value the body gave it; client authentication never panics,
//! and credentials it answers come from the header or from the form.
#![no_main]

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use libfuzzer_sys::fuzz_target;
use sigil_server::faces::oauth::form::{client_credentials, Form};
use sigil_server::limits::MAX_BODY_BYTES;
use std::collections::HashSet;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"))
    })
}

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let (authorization, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let body = sigil_fuzz::body(rest, MAX_BODY_BYTES);
    sigil_fuzz::show(&body);
    let Ok(form) = runtime().block_on(Form::read(Body::from(body.clone()))) else {
        return;
    };
    let mut seen = HashSet::new();
    for (name, value) in url::form_urlencoded::parse(&body) {
        assert!(seen.insert(name.clone()), "{name} twice");
        assert_eq!(form.get(&name), Some(value.as_ref()));
    }
    let mut request = Request::builder();
    if let Ok(value) = HeaderValue::from_bytes(authorization) {
        if !authorization.is_empty() {
            request = request.header(header::AUTHORIZATION, value);
        }
    }
    let Ok(request) = request.body(()) else {
        return;
    };
    let (parts, ()) = request.into_parts();
    if let Ok(Some((id, _secret))) = client_credentials(&parts, &form) {
        let basic = parts.headers.contains_key(header::AUTHORIZATION)
            && authorization.len() > 5
            && authorization[..6].eq_ignore_ascii_case(b"basic ");
        assert!(basic || form.get("client_id") == Some(id.as_str()));
    }
});
