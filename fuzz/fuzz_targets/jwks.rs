//! JWKS documents: an issuer's key set as the core loads it (`federation::key_sets`, after the
//! fetcher's 256 KiB cap), and the IAM face's `signing_key`, the JWKS an owner pins
//! (`iam::oidc_config`, 30 000 characters at most).
//!
//! Properties: nothing panics; a loaded set has at least one and at most 100 keys, each of an
//! allowed algorithm when it names one; a `signing_key` that is accepted loads as a key set,
//! and names no private member.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sigil_core::federation::jwt::ALLOWED_ALGORITHMS;
use sigil_core::fuzzing::{jwks, signing_key};

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<Value>(data) {
        if let Ok(keys) = jwks(&doc) {
            assert!(!keys.is_empty() && keys.len() <= 100);
            for (_, alg) in keys {
                assert!(alg.is_none_or(|a| ALLOWED_ALGORITHMS.contains(&a)));
            }
        }
    }
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    if let Ok(pinned) = signing_key(text) {
        assert!(jwks(&pinned).is_ok(), "{text}");
        let keys = pinned.get("keys").and_then(Value::as_array);
        for key in keys.into_iter().flatten() {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(key.get(private).is_none());
            }
        }
    }
});
