//! `POST /_security/_query/api_key` (the Elasticsearch query DSL subset): the body as the
//! Elasticsearch face parses it, then the query checked and run over forty API keys as the
//! core runs it, with their sort, `search_after`, `from` and `size`.
//!
//! Input: a first byte, then either (odd) a request built clause by clause from the bytes
//! (`sigil_fuzz::query_dsl`), or (even) the body itself, or a description of a large one (see
//! `sigil_fuzz::body`), up to the server's body limit. One key's name is as long as a name may
//! be (1 024 characters).
//!
//! Properties: nothing panics or takes long; an answer holds at most `size` keys of those
//! given, and a `total` no larger than their number.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sigil_core::elasticsearch::api_keys::{QueryRequest, NAME_MAX};
use sigil_core::fuzzing::query_api_keys;
use sigil_fuzz::query_dsl::QueryBody;
use sigil_server::faces::elasticsearch::extract::parse;
use sigil_server::limits::MAX_BODY_BYTES;

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = if mode % 2 == 1 {
        match QueryBody::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(built) => built.to_json(),
            Err(_) => return,
        }
    } else {
        sigil_fuzz::body(rest, MAX_BODY_BYTES)
    };
    sigil_fuzz::show(&body);
    let Ok(request) = parse::<QueryRequest>(&body) else {
        return;
    };
    let mut keys = sigil_fuzz::api_keys();
    keys[0].name = "a".repeat(NAME_MAX);
    let count = keys.len();
    if let Ok(answer) = query_api_keys(&request, keys) {
        assert!(answer.total <= count);
        assert!(answer.api_keys.len() <= request.size.unwrap_or(10).min(count));
    }
});
