//! The canonical request of `SDK-HMAC-SHA256` (`sigil_core::iam::signature`): what the core
//! rebuilds from a request's method, path, query and headers before checking its signature.
//!
//! The signed header names are what `SdkAuthorization::parse` makes of a `SignedHeaders`
//! parameter.
//!
//! Properties: building it never panics; its size is linear in the request's (every byte
//! percent-encodes to at most three, four with `+` and `=` added); it does not depend on the
//! order of the query's parameters; a payload hash is one of the body's, the empty body's or
//! `UNSIGNED-PAYLOAD`; and the signature over it is 64 hex digits.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sigil_core::iam::signature::{
    canonical_request, sign, string_to_sign, ReceivedRequest, SdkAuthorization, EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
};

#[derive(Debug, Arbitrary)]
struct Input {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    /// The `SignedHeaders` parameter of the Authorization header.
    signed: String,
    body: Vec<u8>,
}

fuzz_target!(init: sigil_fuzz::init(), |input: Input| {
    let headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect();
    let body_sha256 = hex::encode(Sha256::digest(&input.body));
    let request = ReceivedRequest {
        method: &input.method,
        path: &input.path,
        query: input.query.as_deref(),
        headers: &headers,
        body_sha256: &body_sha256,
        body_is_empty: input.body.is_empty(),
    };
    let authorization = format!(
        "Access=SGAK7QJ4Z3M2X8K1W9D5, SignedHeaders={}, Signature={}",
        input.signed,
        "0".repeat(64)
    );
    let Some(auth) = SdkAuthorization::parse(&authorization) else {
        return;
    };
    let Some(canonical) = canonical_request(&request, &auth.signed_headers) else {
        return;
    };
    let sent = input.method.len()
        + input.path.len()
        + input.query.as_deref().map_or(0, str::len)
        + headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum::<usize>()
        + input.signed.len()
        + body_sha256.len();
    assert!(
        canonical.len() <= 4 * sent + 100,
        "a canonical request of {} bytes from {sent} bytes of request",
        canonical.len()
    );
    let payload = canonical.rsplit('\n').next().unwrap_or_default();
    assert!(
        payload == EMPTY_SHA256
            || payload == UNSIGNED_PAYLOAD
            || payload.eq_ignore_ascii_case(&body_sha256),
        "{payload:?}"
    );
    if let Some(query) = &input.query {
        let reversed: Vec<&str> = query.split('&').rev().collect();
        let reversed = reversed.join("&");
        let other = ReceivedRequest {
            query: Some(&reversed),
            ..request
        };
        assert_eq!(
            canonical_request(&other, &auth.signed_headers).as_ref(),
            Some(&canonical)
        );
    }
    let signature = sign(b"SGSKexample", &string_to_sign("20261126T050000Z", &canonical));
    assert_eq!(signature.len(), 64);
});
