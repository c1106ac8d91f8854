//! `Authorization: Digest …` (RFC 7616), as `sigil_core::digest` parses and verifies it.
//!
//! Properties: parsing never panics; what parses prints back (quoted, escaped) to the same
//! response; verifying a parsed response fails cleanly; and a header the `digest_auth` client
//! builds from Sigil's own challenge, for any username, password, URI and cnonce (the input's
//! first four lines), parses and verifies while it fits the header limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::digest::{Algorithm, DigestResponse, NonceKeeper};
use sigil_core::secret::SecretString;
use sigil_core::user::Ha1;

/// The longest parameters Sigil reads (its `MAX_HEADER_LEN`).
const MAX_PARAMS: usize = 4096;

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A response printed as a client would send it.
fn print(r: &DigestResponse) -> String {
    let algorithm = match r.algorithm {
        Algorithm::Md5 => "MD5",
        Algorithm::Sha256 => "SHA-256",
    };
    format!(
        "username={}, realm={}, nonce={}, uri={}, response={}, algorithm={algorithm}, qop={}, nc={}, cnonce={}",
        quoted(&r.username),
        quoted(&r.realm),
        quoted(&r.nonce),
        quoted(&r.uri),
        quoted(&r.response),
        r.qop,
        r.nc,
        quoted(&r.cnonce),
    )
}

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let keeper = NonceKeeper::new([7; 32], std::sync::Arc::new(sigil_core::clock::SystemClock));
    let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
    if let Ok(parsed) = DigestResponse::parse(text) {
        let printed = print(&parsed);
        if printed.len() <= MAX_PARAMS {
            assert_eq!(DigestResponse::parse(&printed), Ok(parsed.clone()), "{printed}");
        }
        let uri = parsed.uri.clone();
        // Nobody's nonce but ours verifies, and ours are minted here only.
        assert_ne!(keeper.verify(&parsed, &ha1, "GET", &uri), Ok(()));
    }

    let mut lines = text.split('\n');
    let (Some(username), Some(password), Some(uri), Some(cnonce)) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    if cnonce.is_empty() {
        return;
    }
    let Ok(mut prompt) = digest_auth::parse(&keeper.challenge(false)) else {
        panic!("digest_auth cannot read Sigil's challenge");
    };
    let mut context = digest_auth::AuthContext::new_with_method(
        username,
        password,
        uri,
        None::<&[u8]>,
        digest_auth::HttpMethod::GET,
    );
    context.set_custom_cnonce(cnonce);
    let Ok(answer) = prompt.respond(&context) else {
        panic!("digest_auth cannot answer Sigil's challenge");
    };
    let header = answer.to_header_string();
    let params = header.strip_prefix("Digest ").unwrap_or(&header).trim();
    if params.len() > MAX_PARAMS {
        assert!(DigestResponse::parse(params).is_err());
        return;
    }
    let parsed = match DigestResponse::parse(params) {
        Ok(p) => p,
        Err(e) => panic!("{e:?}: the digest_auth client's {params}"),
    };
    assert_eq!(parsed.username, username);
    assert_eq!(parsed.uri, uri);
    let theirs = Ha1::compute(username, &SecretString::new(password));
    if let Err(e) = keeper.verify(&parsed, &theirs, "GET", uri) {
        panic!("{e:?}: the digest_auth client's {params}");
    }
});
