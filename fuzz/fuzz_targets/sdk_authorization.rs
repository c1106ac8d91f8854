//! `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` (the Huawei Cloud
//! SDKs' signing) and its `X-Sdk-Date`, as `sigil_core::iam::signature` parses them.
//!
//! Properties: parsing never panics; what parses has an access key, lowercase signed header
//! names and a 64-hex signature, and prints back to the same parameters; the date check never
//! panics and accepts only dates within the replay window.
#![no_main]

use chrono::NaiveDateTime;
use libfuzzer_sys::fuzz_target;
use sigil_core::iam::signature::{
    within_replay_window, SdkAuthorization, DATE_FORMAT, REPLAY_WINDOW_SECONDS,
};

/// 2026-11-26T05:00:00Z, the date of the SDK's own test vectors.
const NOW: i64 = 1_795_669_200;

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    if let Some(auth) = SdkAuthorization::parse(text) {
        assert!(!auth.access.is_empty());
        assert!(auth.signed_headers.iter().all(|h| !h.is_empty()
            && h.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase())));
        assert!(auth.signature.len() == 64
            && auth.signature.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        let printed = format!(
            "Access={}, SignedHeaders={}, Signature={}",
            auth.access,
            auth.signed_headers.join(";"),
            auth.signature
        );
        assert_eq!(SdkAuthorization::parse(&printed), Some(auth), "{printed}");
    }
    if within_replay_window(text, NOW) {
        let Ok(date) = NaiveDateTime::parse_from_str(text, DATE_FORMAT) else {
            panic!("{text:?} was accepted but is no date");
        };
        assert!((NOW - date.and_utc().timestamp()).abs() <= REPLAY_WINDOW_SECONDS);
    }
});
