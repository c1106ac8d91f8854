//! `Authorization: Basic …` (RFC 7617), as `sigil_server::auth::basic` decodes it.
//!
//! Properties: decoding never panics; what decodes is smaller than what was sent, its user
//! holds no colon, and it encodes back to credentials that decode the same; any user without a
//! colon and any password (the input's two lines) survive the trip while they fit the limit.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use sigil_server::auth::basic::decode;

/// Sigil's bound on Basic credentials.
const MAX_LEN: usize = 4096;

fn round_trip(user: &str, password: &str) {
    let encoded = STANDARD.encode(format!("{user}:{password}"));
    let decoded = decode(&encoded);
    if encoded.len() > MAX_LEN {
        assert!(decoded.is_none());
        return;
    }
    let Some((u, p)) = decoded else {
        panic!("{user:?}:{password:?} does not decode back");
    };
    assert_eq!((u.as_str(), p.expose()), (user, password));
}

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    if let Some((user, password)) = decode(text) {
        assert!(!user.contains(':'));
        assert!(user.len() + password.expose().len() < text.len());
        round_trip(&user, password.expose());
    }
    if let Some((user, password)) = text.split_once('\n') {
        if !user.contains(':') {
            round_trip(user, password);
        }
    }
});
