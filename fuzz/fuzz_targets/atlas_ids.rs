//! Atlas and Cloud Manager ids: the 24-hex path and body ids (`sigil_core::ids::HexId`) and
//! service account client ids (`mdb_sa_id_…`).
//!
//! Properties: parsing never panics; an id that parses is exactly 24 lowercase hex digits and
//! prints back to the same text; the JSON form agrees with the path form; a client id that
//! parses is its prefix and such an id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::ids::HexId;
use sigil_core::oauth::service_accounts::parse_client_id;

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    let parsed = HexId::parse("orgId", text).ok();
    if let Some(id) = parsed {
        assert_eq!(id.to_string(), text);
        assert!(text.len() == 24 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }
    let from_json = serde_json::from_value::<HexId>(serde_json::Value::from(text)).ok();
    assert_eq!(from_json, parsed);
    if let Ok(client_id) = parse_client_id("clientId", text) {
        assert_eq!(client_id, text);
        let hex = text.strip_prefix("mdb_sa_id_").unwrap_or_default();
        assert!(HexId::parse("clientId", hex).is_ok());
    }
});
