//! `Authorization: ApiKey base64(id:key)` (Elasticsearch API keys), as the core decodes it.
//!
//! Properties: decoding never panics, is refused above the size cap, and what decodes is an id
//! of the API key form and a non-empty key that encode back to the same credentials.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use sigil_core::elasticsearch::api_keys::{is_id_form, ID_LEN, KEY_LEN};
use sigil_core::fuzzing::api_key_credentials;

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    let decoded = api_key_credentials(text);
    if text.len() > 4 * (ID_LEN + 1 + KEY_LEN + 64) {
        assert!(decoded.is_none());
    }
    if let Some((id, key)) = decoded {
        assert!(is_id_form(&id) && !key.is_empty());
        let again = api_key_credentials(&STANDARD.encode(format!("{id}:{key}")));
        assert_eq!(again, Some((id, key)));
    }
    // Any id of the form and key decode back, as long as the credentials fit.
    if let Some((id, key)) = text.split_once('\n') {
        if is_id_form(id) && !key.is_empty() {
            let encoded = STANDARD.encode(format!("{id}:{key}"));
            let expected = (encoded.len() <= 4 * (ID_LEN + 1 + KEY_LEN + 64))
                .then(|| (id.to_owned(), key.to_owned()));
            assert_eq!(api_key_credentials(&encoded), expected);
        }
    }
});
