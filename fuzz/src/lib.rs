//! What the fuzz targets share: the API keys a query runs over, and small helpers.

pub mod query_dsl;

use chrono::{DateTime, Utc};
use serde_json::{json, Map};
use sigil_core::elasticsearch::api_keys::{ApiKey, LimitedBy};

/// Text of the input, if it is UTF-8 (header values and bodies that are not never reach a
/// parser as `&str`).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// A few keys whose fields and metadata differ in kind (strings, numbers, timestamps, booleans,
/// arrays, objects, missing), so queries and sorts meet every comparison.
pub fn api_keys() -> Vec<ApiKey> {
    let metadata = [
        json!({"team": "a", "n": 3, "at": "2024-01-01T00:00:00Z"}),
        json!({"team": 7, "n": "x", "at": 1_700_000_000_000_i64}),
        json!({"team": ["a", "b"], "n": 2.5, "at": "2023-06-01T12:00:00+02:00"}),
        json!({"team": {"nested": true}, "n": null, "at": "later"}),
        json!({"team": true, "n": -1, "at": false}),
        json!({}),
    ];
    let names = ["bob-key", "ci*key", "äöü", "", "a?b", "x", "aaaa"];
    // Enough keys that sorting them is not a plain insertion sort.
    (0..40_usize)
        .map(|i| ApiKey {
            id: format!("{:_<20}", format!("key{i}")),
            name: names[i % names.len()].into(),
            key_hash: String::new(),
            creation: at(1_700_000_000 + 1000 * (i as i64 % 7)),
            expiration: (i % 2 == 0).then(|| at(1_800_000_000 - i as i64)),
            invalidated: i % 3 == 0,
            invalidation: None,
            username: if i % 4 < 2 { "bob" } else { "alice" }.into(),
            realm: "default_native".into(),
            realm_type: "native".into(),
            metadata: metadata[i % metadata.len()]
                .as_object()
                .cloned()
                .unwrap_or_else(Map::new),
            role_descriptors: Map::new(),
            limited_by: LimitedBy {
                superuser: false,
                cluster: vec![],
                roles: vec![],
                org_roles: vec![],
                user_id: None,
                descriptors: None,
            },
        })
        .collect()
}

/// Prints the body a target built from its input when `SIGIL_FUZZ_SHOW` is set: to see what a
/// reproducer sends (`SIGIL_FUZZ_SHOW=1 cargo fuzz run … <target> <file>`).
pub fn show(body: &[u8]) {
    if std::env::var_os("SIGIL_FUZZ_SHOW").is_some() {
        let text = String::from_utf8_lossy(body);
        let shown: String = text.chars().take(2000).collect();
        eprintln!("body ({} bytes): {shown}", body.len());
    }
}

/// The marker byte of an input that describes a large body instead of being one.
const EXPAND: u8 = 0xFF;

/// The body an input stands for. Most inputs are the body itself; an input starting with
/// `0xFF` is `0xFF`, a four-byte little-endian count, then `prefix \0 piece \0 suffix`, and
/// stands for `prefix`, `count` copies of `piece` (each `#` in it replaced by the copy's
/// number, so names can differ) while they fit in `limit` bytes, and `suffix`. What a parser pays for
/// is often the number of its parts (parameters, wildcards, clauses): libFuzzer grows inputs a
/// few bytes at a time, so without this it would rarely reach bodies as large as the server
/// accepts.
pub fn body(data: &[u8], limit: usize) -> Vec<u8> {
    let Some((&EXPAND, rest)) = data.split_first() else {
        return data.to_vec();
    };
    let Some((count, rest)) = rest.split_first_chunk::<4>() else {
        return data.to_vec();
    };
    let mut parts = rest.splitn(3, |&b| b == 0);
    let (Some(prefix), Some(piece), Some(suffix)) = (parts.next(), parts.next(), parts.next())
    else {
        return data.to_vec();
    };
    // Copies stop where the suffix would no longer fit, so the body stays well formed.
    let room = limit.saturating_sub(suffix.len());
    let mut out = prefix.to_vec();
    let mut copy = Vec::new();
    for i in 0..u32::from_le_bytes(*count) {
        copy.clear();
        for &b in piece {
            if b == b'#' {
                copy.extend_from_slice(i.to_string().as_bytes());
            } else {
                copy.push(b);
            }
        }
        if copy.is_empty() || out.len() + copy.len() > room {
            break;
        }
        out.extend_from_slice(&copy);
    }
    out.extend_from_slice(suffix);
    out.truncate(limit);
    out
}

/// Lets libFuzzer report a stack overflow like any crash, with the input that caused it.
///
/// Without a sanitizer nothing gives the fuzzing thread an alternate signal stack, so the
/// SIGSEGV of an overflowed stack would find no stack to run libFuzzer's handler on and kill
/// the process without a reproducer. This runs before libFuzzer installs its handlers, which
/// keep the `SA_ONSTACK` of the disposition they replace. (The harness's only `unsafe`; the
/// code under test has none.)
pub fn init() {
    const SIZE: usize = 1 << 20;
    let stack: &'static mut [u8] = Box::leak(vec![0; SIZE].into_boxed_slice());
    // SAFETY: the alternate stack is leaked, so it lives as long as the process; both calls
    // only read the structures passed, which are fully initialised.
    unsafe {
        let alternate = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&alternate, std::ptr::null_mut());
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        action.sa_flags = libc::SA_ONSTACK;
        libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
    }
}
