//! Identity providers' JWTs (`sigil_core::federation::jwt`): the size cap, the header's `alg`
//! and `typ`, the unverified peek at `iss` and `aud` that routes a token to its provider, the
//! checks of the claims once the signature verified, and jsonwebtoken's own verification.
//!
//! Properties: nothing panics; a header that passes names an allowed algorithm; a token over
//! 16 KiB is refused before anything is parsed; claims that pass are current at `NOW` (with
//! the skew) and name a user.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, Validation};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use sigil_core::federation::jwt::{issuer_of, ALLOWED_ALGORITHMS, MAX_TOKEN_BYTES};
use sigil_core::fuzzing::{peek_token, verified_claims};
use sigil_core::oauth::CLOCK_SKEW_SECONDS;

const NOW: i64 = 1_795_669_200;
const CUTOFF: i64 = NOW - 3600;
/// A P-256 public key (RFC 7515 A.3).
const EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(token) = sigil_fuzz::text(data) else {
        return;
    };
    let peek = peek_token(token);
    if token.len() > MAX_TOKEN_BYTES {
        assert!(peek.header.is_none() && peek.routing.is_none());
        assert!(issuer_of(token).is_none());
    }
    if let Some(header) = &peek.header {
        assert!(ALLOWED_ALGORITHMS.contains(&header.alg));
    }
    assert_eq!(
        issuer_of(token),
        peek.routing.as_ref().and_then(|(iss, _)| iss.clone())
    );
    if let Some(header) = peek.header {
        if let Ok(key) = DecodingKey::from_ec_components(EC_X, EC_Y) {
            let validation = Validation::new(header.alg);
            // Nobody holds this key's private half: nothing verifies.
            assert!(jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).is_err());
        }
    }
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok());
    if let Some(claims) = claims {
        if let Ok((exp, iat, nbf, user)) = verified_claims(&claims, NOW, Some(CUTOFF)) {
            assert!(exp > NOW - CLOCK_SKEW_SECONDS);
            assert!(iat <= NOW + CLOCK_SKEW_SECONDS && iat > CUTOFF);
            assert!(nbf.is_none_or(|nbf| nbf <= NOW + CLOCK_SKEW_SECONDS));
            assert!(!user.is_empty());
        }
    }
});
