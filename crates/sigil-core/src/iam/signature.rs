//! `SDK-HMAC-SHA256` request signing as the official Huawei Cloud SDKs sign (issue 9): the
//! canonical request, the string to sign and the signature, rebuilt from what arrived. Written
//! here because no crate implements this vendor's scheme; it follows the SDK's signer step by
//! step, and the tests hold vectors the SDK itself computed.
//!
//! Canonical request, one line each: the method; the path percent-decoded, split on `/`, each
//! segment percent-encoded (everything but `A–Z a–z 0–9 - _ . ~`) and a `/` always appended;
//! the query pairs decoded, sorted and re-encoded the same way; each signed header
//! `name:value` (lowercased name, trimmed value) and an empty line; the signed header names
//! joined by `;`; the hex SHA-256 of the body (of nothing, for an empty body), or the value of
//! `X-Sdk-Content-Sha256` (`UNSIGNED-PAYLOAD`).

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// `X-Sdk-Date` may be this far from the server's clock, either way (the replay window).
pub const REPLAY_WINDOW_SECONDS: i64 = 15 * 60;
/// The form of `X-Sdk-Date`: `20261126T050000Z`.
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const CONTENT_HASH_HEADER: &str = "x-sdk-content-sha256";
/// Python's `quote(s, safe='~')`: the unreserved characters stay, all else is encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// An `Authorization` value longer than this is not a signature.
const MAX_AUTHORIZATION: usize = 4096;

/// The parameters of `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkAuthorization {
    pub access: String,
    /// Lowercase names, as listed.
    pub signed_headers: Vec<String>,
    /// Lowercase hex.
    pub signature: String,
}

impl SdkAuthorization {
    /// Parses what follows the scheme; `None` when anything is missing or malformed.
    pub fn parse(params: &str) -> Option<Self> {
        if params.len() > MAX_AUTHORIZATION {
            return None;
        }
        let (mut access, mut signed, mut signature) = (None, None, None);
        for part in params.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            let slot = match name {
                "Access" => &mut access,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut signature,
                _ => return None,
            };
            if slot.replace(value.to_owned()).is_some() {
                return None;
            }
        }
        let signed_headers: Vec<String> = signed?.split(';').map(str::to_owned).collect();
        let signature = signature?;
        let well_formed = signed_headers.iter().all(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase())
        }) && signature.len() == 64
            && signature.bytes().all(|b| b.is_ascii_hexdigit())
            && each_once(&signed_headers);
        let access = access.filter(|a| !a.is_empty())?;
        well_formed.then(|| Self {
            access,
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }

    /// The scheme's rule beyond the syntax: the date is always signed, so a signature expires
    /// with its replay window. Other headers are signed as the request declares them: the
    /// Python SDK signs `host`, the Go SDK never does (it signs `user-agent`, `x-domain-id`
    /// and `x-sdk-date`), and a signed `host` must still be the one received.
    pub fn signs_the_date(&self) -> bool {
        self.signed_headers.iter().any(|s| s == "x-sdk-date")
    }
}

/// The SDK lists each signed header once. A name listed again would only repeat its value in
/// the canonical request: 2 000 repeats of one 8 KiB header in a 4 KiB Authorization header
/// would have every request build and hash 16 MiB.
fn each_once(names: &[String]) -> bool {
    let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.windows(2).all(|pair| pair[0] != pair[1])
}

/// A request as it arrived, in the pieces the signature covers.
#[derive(Debug)]
pub struct ReceivedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: Option<&'a str>,
    /// Header names lowercased, values as received (first occurrence).
    pub headers: &'a [(String, String)],
    /// The hex SHA-256 of the body as received; the empty string's for no body.
    pub body_sha256: &'a str,
    pub body_is_empty: bool,
}

pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl ReceivedRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The payload line: the body's hash, or `UNSIGNED-PAYLOAD` when the client says so. Any
    /// other claimed hash must be the body's. `None`: the claim is false.
    fn payload_hash(&self) -> Option<&str> {
        if self.body_is_empty {
            return Some(EMPTY_SHA256);
        }
        match self.header(CONTENT_HASH_HEADER).map(str::trim) {
            None => Some(self.body_sha256),
            Some(UNSIGNED_PAYLOAD) => Some(UNSIGNED_PAYLOAD),
            Some(claimed) if claimed.eq_ignore_ascii_case(self.body_sha256) => Some(claimed),
            Some(_) => None,
        }
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE).to_string()
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn canonical_uri(path: &str) -> String {
    let mut uri: String = decode(path)
        .split('/')
        .map(encode)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical request for `signed_headers`; `None` when a signed header is missing or the
/// claimed payload hash is not the body's.
pub fn canonical_request(
    request: &ReceivedRequest<'_>,
    signed_headers: &[String],
) -> Option<String> {
    let mut headers = String::new();
    for name in signed_headers {
        headers.push_str(name);
        headers.push(':');
        headers.push_str(request.header(name)?.trim());
        headers.push('\n');
    }
    Some(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        canonical_uri(request.path),
        canonical_query(request.query),
        headers,
        signed_headers.join(";"),
        request.payload_hash()?,
    ))
}

/// Whether `X-Sdk-Date` is a date of [`DATE_FORMAT`] within [`REPLAY_WINDOW_SECONDS`] of `now`
/// (seconds since the epoch), either way.
pub fn within_replay_window(date: &str, now: i64) -> bool {
    NaiveDateTime::parse_from_str(date, DATE_FORMAT)
        .ok()
        .and_then(|t| now.checked_sub(t.and_utc().timestamp()))
        .is_some_and(|skew| (-REPLAY_WINDOW_SECONDS..=REPLAY_WINDOW_SECONDS).contains(&skew))
}

pub fn string_to_sign(date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The hex HMAC-SHA256 of the string to sign with the secret key.
pub fn sign(secret_key: &[u8], string_to_sign: &str) -> String {
    // HMAC takes keys of any length; were it to refuse one, "" matches no signature.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret_key) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
