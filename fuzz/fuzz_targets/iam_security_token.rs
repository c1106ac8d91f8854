//! `X-Security-Token` (temporary access keys, `sigil_core::iam::temporary`) and the body of
//! `POST /v3.0/OS-CREDENTIAL/securitytokens` (`sigil_server::faces::iam::security_tokens`).
//!
//! Input: a mode byte, then the rest. Mode 0: the rest is a security token. Mode 1: the rest
//! picks a position and a byte to change in a genuine security token. Otherwise: the rest is a
//! request body.
//!
//! Properties: nothing panics; a security token longer than the bound or not sealed by the
//! master key never opens; a genuine one opens to what was sealed, and one changed anywhere no
//! longer opens (or, changed back to itself, opens the same); a body either parses or is
//! refused, never both ways.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::fuzzing::{sealed_security_token, security_token};
use sigil_core::iam::temporary::{ACCESS_PREFIX, MAX_SECURITY_TOKEN_BYTES};
use sigil_server::faces::iam::security_tokens::SecurityTokenRequest;

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let Some(text) = sigil_fuzz::text(rest) else {
                return;
            };
            // Only a token the master key sealed opens: fuzzing never forges one.
            assert!(
                text.len() > MAX_SECURITY_TOKEN_BYTES || security_token(text).is_none(),
                "a security token nobody sealed opened: {text:?}"
            );
        }
        1 => {
            let access = format!("{ACCESS_PREFIX}FUZZ000000000000");
            let genuine = sealed_security_token(&access, 1_800_000_000);
            assert_eq!(security_token(&genuine), Some((access.clone(), 1_800_000_000)));
            let (Some(&at), Some(&byte)) = (rest.first(), rest.get(1)) else {
                return;
            };
            let mut changed = genuine.clone().into_bytes();
            let at = usize::from(at) * 7 % changed.len();
            changed[at] = byte;
            let Ok(changed) = String::from_utf8(changed) else {
                return;
            };
            if changed == genuine {
                assert_eq!(security_token(&changed), Some((access, 1_800_000_000)));
            } else if let Some(opened) = security_token(&changed) {
                // Base64's last character may carry unused bits: the same bytes decoded.
                assert_eq!(opened, (access, 1_800_000_000), "{changed:?}");
            }
        }
        _ => {
            let _ = serde_json::from_slice::<SecurityTokenRequest>(rest);
        }
    }
});
