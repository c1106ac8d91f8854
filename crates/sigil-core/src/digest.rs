//! HTTP Digest authentication (RFC 7616) as the Atlas tools speak it: `qop=auth`, MD5 and
//! SHA-256, stateless server nonces that expire, and per-nonce `nc` replay protection.
//!
//! Hand-written: the Rust crates for Digest are client-side; none verifies on a server.

use crate::clock::Clock;
use crate::crypto::{constant_time_eq, md5_hex, sha256_hex};
use crate::user::{Ha1, DIGEST_REALM};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// How long a nonce may be used; after that the client is told `stale=true` and retries.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// The longest Authorization header a Digest client plausibly sends.
const MAX_HEADER_LEN: usize = 4096;
/// Nonces whose `nc` this node remembers at once. A record is kept until its nonce has surely
/// expired, never evicted earlier (that would let a captured request be replayed): when all
/// are in use, the first use of yet another nonce is answered `stale`, and the client asks
/// for a new challenge.
pub const MAX_NONCE_RECORDS: usize = 1_000_000;
const NONCE_SHARDS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

/// A parsed `Authorization: Digest …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestResponse {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Algorithm,
    pub qop: String,
    pub nc: String,
    pub cnonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestError {
    /// Unparseable, or a parameter is missing or unsupported.
    Malformed(&'static str),
    /// The nonce is not one of ours.
    BadNonce,
    /// The nonce was ours but has expired: challenge again with `stale=true`.
    Stale,
    /// This `nc` was already used with this nonce.
    Replayed,
    /// Wrong username, password or request digest.
    Mismatch,
}

/// Splits the parameters of a Digest header: `k=token` and `k="quoted \" string"`, comma-separated.
fn parse_params(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = vec![];
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        if key.is_empty() || key.contains([',', ' ', '"']) {
            return None;
        }
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => v.push(chars.next()?.1),
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = &quoted[end? + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        out.push((key, value));
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

impl DigestResponse {
    /// Parses the part of the header after `Digest `.
    pub fn parse(params: &str) -> Result<Self, DigestError> {
        if params.len() > MAX_HEADER_LEN {
            return Err(DigestError::Malformed("header too long"));
        }
        let pairs = parse_params(params).ok_or(DigestError::Malformed("unparseable parameters"))?;
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let need = |k: &'static str| get(k).ok_or(DigestError::Malformed(k));
        if get("userhash").as_deref() == Some("true") {
            return Err(DigestError::Malformed("userhash is not supported"));
        }
        let algorithm = match get("algorithm").as_deref() {
            None | Some("MD5") => Algorithm::Md5,
            Some("SHA-256") => Algorithm::Sha256,
            Some(_) => return Err(DigestError::Malformed("algorithm")),
        };
        let qop = need("qop")?;
        if qop != "auth" {
            return Err(DigestError::Malformed("qop"));
        }
        let nc = need("nc")?;
        if nc.len() != 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DigestError::Malformed("nc"));
        }
        Ok(Self {
            username: need("username")?,
            realm: need("realm")?,
            nonce: need("nonce")?,
            uri: need("uri")?,
            response: need("response")?.to_ascii_lowercase(),
            algorithm,
            qop,
            nc,
            cnonce: need("cnonce")?,
        })
    }

    /// RFC 7616 §3.4.1: `H(HA1:nonce:nc:cnonce:qop:H(method:uri))`.
    pub fn expected(&self, ha1: &Ha1, method: &str) -> String {
        let (h, ha1): (fn(&[u8]) -> String, &str) = match self.algorithm {
            Algorithm::Md5 => (md5_hex, ha1.md5.expose()),
            Algorithm::Sha256 => (sha256_hex, ha1.sha256.expose()),
        };
        let ha2 = h(format!("{method}:{}", self.uri).as_bytes());
        h(format!(
            "{ha1}:{}:{}:{}:{}:{ha2}",
            self.nonce, self.nc, self.cnonce, self.qop
        )
        .as_bytes())
    }
}

/// A nonce's minting time and random bits (what its HMAC covers): unique per nonce.
type NonceBody = [u8; 16];

/// The highest `nc` seen per nonce, for replay protection (per node). Hand-written rather than
/// a cache: a cache evicts under pressure, and an evicted record is a replay window.
struct NonceCounts {
    shards: Vec<Mutex<CountShard>>,
    per_shard: usize,
}

#[derive(Default)]
struct CountShard {
    highest: HashMap<NonceBody, u32>,
    /// When each record may go, in insertion order (so also in expiry order).
    expiry: VecDeque<(u64, NonceBody)>,
}

/// What recording an `nc` found.
#[derive(Debug, PartialEq, Eq)]
enum Counted {
    /// Higher than any before with this nonce: recorded.
    Fresh,
    Replayed,
    /// A first use, but every record is in use.
    Full,
}

impl NonceCounts {
    fn new(capacity: usize) -> Self {
        Self {
            shards: (0..NONCE_SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(NONCE_SHARDS),
        }
    }

    /// Records `nc` for the nonce if it is higher than every one seen; check and set happen
    /// under the lock of that nonce's shard, so two copies of one request cannot both pass.
    fn record(&self, nonce: NonceBody, nc: u32, now: u64) -> Counted {
        let Some(shard) = self.shards.get(usize::from(nonce[8]) % NONCE_SHARDS) else {
            return Counted::Full;
        };
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(&(expires, body)) = shard.expiry.front() {
            if expires > now {
                break;
            }
            shard.expiry.pop_front();
            shard.highest.remove(&body);
        }
        if let Some(last) = shard.highest.get_mut(&nonce) {
            if nc <= *last {
                return Counted::Replayed;
            }
            *last = nc;
            return Counted::Fresh;
        }
        if shard.highest.len() >= self.per_shard {
            return Counted::Full;
        }
        shard.highest.insert(nonce, nc);
        // Kept past the nonce's own expiry (it was minted at or before now).
        let expires = now + NONCE_LIFETIME.as_secs() + 1;
        shard.expiry.push_back((expires, nonce));
        Counted::Fresh
    }
}

/// Mints and checks nonces without touching the store: a nonce is its minting time, 64
/// random bits and an HMAC over both, so any node holding the same key can check it.
pub struct NonceKeeper {
    key: [u8; 32],
    /// A nonce carries the second it was minted, by this clock.
    clock: Arc<dyn Clock>,
    seen: NonceCounts,
}

impl NonceKeeper {
    pub fn new(key: [u8; 32], clock: Arc<dyn Clock>) -> Self {
        Self::with_capacity(key, clock, MAX_NONCE_RECORDS)
    }

    fn with_capacity(key: [u8; 32], clock: Arc<dyn Clock>, capacity: usize) -> Self {
        Self {
            key,
            clock,
            seen: NonceCounts::new(capacity),
        }
    }

    fn mac(&self, body: &[u8]) -> Vec<u8> {
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(body);
                mac.finalize().into_bytes()[..16].to_vec()
            }
            // HMAC takes keys of any length; this arm only satisfies the type.
            Err(_) => vec![0; 16],
        }
    }

    fn now_secs(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp()).unwrap_or(0)
    }

    pub fn mint(&self) -> String {
        let mut body = self.now_secs().to_be_bytes().to_vec();
        body.extend_from_slice(&rand::random::<[u8; 8]>());
        let mac = self.mac(&body);
        body.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(body)
    }

    /// Checks that the nonce is ours and fresh; answers its body.
    fn check(&self, nonce: &str) -> Result<NonceBody, DigestError> {
        let raw = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| DigestError::BadNonce)?;
        if raw.len() != 32 {
            return Err(DigestError::BadNonce);
        }
        let (body, mac) = raw.split_at(16);
        if !constant_time_eq(&self.mac(body), mac) {
            return Err(DigestError::BadNonce);
        }
        let minted = u64::from_be_bytes(body[..8].try_into().map_err(|_| DigestError::BadNonce)?);
        if self.now_secs().saturating_sub(minted) > NONCE_LIFETIME.as_secs() {
            return Err(DigestError::Stale);
        }
        body.try_into().map_err(|_| DigestError::BadNonce)
    }

    /// Verifies a response against the credential's HA1 for this request.
    pub fn verify(
        &self,
        r: &DigestResponse,
        ha1: &Ha1,
        method: &str,
        request_uri: &str,
    ) -> Result<(), DigestError> {
        if r.realm != DIGEST_REALM {
            return Err(DigestError::Mismatch);
        }
        let freshness = self.check(&r.nonce);
        if freshness == Err(DigestError::BadNonce) {
            return Err(DigestError::BadNonce);
        }
        if r.uri != request_uri {
            return Err(DigestError::Mismatch);
        }
        if !constant_time_eq(r.expected(ha1, method).as_bytes(), r.response.as_bytes()) {
            return Err(DigestError::Mismatch);
        }
        // Stale only with the right password (RFC 2617 §3.2.1): `stale=true` tells a client
        // to retry without asking its user, and a wrong guess must count as a failure.
        let body = freshness?;
        let nc = u32::from_str_radix(&r.nc, 16).map_err(|_| DigestError::Malformed("nc"))?;
        match self.seen.record(body, nc, self.now_secs()) {
            Counted::Fresh => Ok(()),
            Counted::Replayed => Err(DigestError::Replayed),
            // No record can be spared for this nonce: a new challenge, not an eviction.
            Counted::Full => Err(DigestError::Stale),
        }
    }

    /// The challenge, byte for byte as the Atlas tools expect it.
    pub fn challenge(&self, stale: bool) -> String {
        format!(
            "Digest realm=\"{DIGEST_REALM}\", domain=\"\", nonce=\"{}\", algorithm=MD5, qop=\"auth\", stale={stale}",
            self.mint()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::secret::SecretString;

    fn keeper() -> NonceKeeper {
        NonceKeeper::new([7u8; 32], Arc::new(SystemClock))
    }

    fn respond(k: &NonceKeeper, alg: Algorithm, nc: &str, password: &str) -> DigestResponse {
        let mut r = DigestResponse {
            username: "alice".into(),
            realm: DIGEST_REALM.into(),
            nonce: k.mint(),
            uri: "/api/atlas/v2/orgs?pretty=true".into(),
            response: String::new(),
            algorithm: alg,
            qop: "auth".into(),
            nc: nc.into(),
            cnonce: "0a4f113b".into(),
        };
        r.response = r.expected(&Ha1::compute("alice", &SecretString::new(password)), "GET");
        r
    }

    #[test]
    fn parses_what_curl_sends() {
        let h = r#"username="alice", realm="MMS Public API", nonce="abc", uri="/x?a=1,2", cnonce="Yz", nc=00000001, qop=auth, response="0123abcd", algorithm=MD5"#;
        let r = DigestResponse::parse(h).expect("parse");
        assert_eq!(r.uri, "/x?a=1,2");
        assert_eq!(r.nc, "00000001");
        assert_eq!(r.algorithm, Algorithm::Md5);
        let sha =
            DigestResponse::parse(&h.replace("algorithm=MD5", "algorithm=SHA-256")).expect("parse");
        assert_eq!(sha.algorithm, Algorithm::Sha256);
    }

    #[test]
    fn refuses_what_it_does_not_support() {
        let base = r#"username="a", realm="r", nonce="n", uri="/", cnonce="c", nc=00000001, qop=auth, response="r""#;
        assert!(DigestResponse::parse(base).is_ok());
        assert!(DigestResponse::parse(&base.replace("qop=auth", "qop=auth-int")).is_err());
        assert!(
            DigestResponse::parse(&base.replace(", qop=auth", "")).is_err(),
            "RFC 2069 without qop"
        );
        assert!(DigestResponse::parse(&base.replace("nc=00000001", "nc=1")).is_err());
        assert!(DigestResponse::parse(&format!("{base}, algorithm=SHA-512-256")).is_err());
        assert!(DigestResponse::parse(&format!("{base}, userhash=true")).is_err());
        assert!(DigestResponse::parse(r#"username="unterminated"#).is_err());
        assert!(DigestResponse::parse(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn verifies_md5_and_sha256_and_refuses_a_wrong_password() {
        let k = keeper();
        let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
        for alg in [Algorithm::Md5, Algorithm::Sha256] {
            let good = respond(&k, alg, "00000001", "s3cret");
            assert_eq!(
                k.verify(&good, &ha1, "GET", "/api/atlas/v2/orgs?pretty=true"),
                Ok(())
            );
            let bad = respond(&k, alg, "00000001", "wrong");
            assert_eq!(
                k.verify(&bad, &ha1, "GET", "/api/atlas/v2/orgs?pretty=true"),
                Err(DigestError::Mismatch)
            );
        }
    }

    #[test]
    fn the_response_binds_method_and_uri() {
        let k = keeper();
        let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
        let r = respond(&k, Algorithm::Md5, "00000001", "s3cret");
        assert_eq!(
            k.verify(&r, &ha1, "DELETE", "/api/atlas/v2/orgs?pretty=true"),
            Err(DigestError::Mismatch)
        );
        assert_eq!(
            k.verify(&r, &ha1, "GET", "/api/atlas/v2/other"),
            Err(DigestError::Mismatch)
        );
    }

    #[test]
    fn a_replayed_nonce_count_is_refused() {
        let k = keeper();
        let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
        let first = respond(&k, Algorithm::Md5, "00000001", "s3cret");
        let uri = first.uri.clone();
        assert_eq!(k.verify(&first, &ha1, "GET", &uri), Ok(()));
        assert_eq!(
            k.verify(&first, &ha1, "GET", &uri),
            Err(DigestError::Replayed)
        );
        let mut second = first.clone();
        second.nc = "00000002".into();
        second.response = second.expected(&ha1, "GET");
        assert_eq!(k.verify(&second, &ha1, "GET", &uri), Ok(()));
    }

    /// A full keeper evicts nothing: a nonce already recorded still refuses its replay, and a
    /// new nonce's first use is told to fetch a fresh challenge.
    #[test]
    fn a_full_keeper_keeps_every_live_record() {
        let k = NonceKeeper::with_capacity([7u8; 32], Arc::new(SystemClock), NONCE_SHARDS);
        let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
        let mut used = vec![];
        let mut refused_fresh = 0;
        for _ in 0..400 {
            let r = respond(&k, Algorithm::Md5, "00000001", "s3cret");
            let uri = r.uri.clone();
            match k.verify(&r, &ha1, "GET", &uri) {
                Ok(()) => used.push(r),
                Err(DigestError::Stale) => refused_fresh += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(used.len() <= NONCE_SHARDS, "{}", used.len());
        assert!(refused_fresh > 0, "the keeper filled up");
        for r in &used {
            let uri = r.uri.clone();
            assert_eq!(k.verify(r, &ha1, "GET", &uri), Err(DigestError::Replayed));
        }
    }

    #[test]
    fn records_go_once_their_nonce_has_expired() {
        let counts = NonceCounts::new(NONCE_SHARDS);
        let nonce = [1u8; 16];
        let mut other = [2u8; 16];
        other[8] = nonce[8];
        assert_eq!(counts.record(nonce, 1, 1_000), Counted::Fresh);
        assert_eq!(
            counts.record(other, 1, 1_000),
            Counted::Full,
            "same shard, full"
        );
        let later = 1_000 + NONCE_LIFETIME.as_secs();
        assert_eq!(
            counts.record(nonce, 1, later),
            Counted::Replayed,
            "still live"
        );
        let gone = later + 1;
        assert_eq!(counts.record(other, 1, gone), Counted::Fresh, "room again");
    }

    #[test]
    fn foreign_and_expired_nonces() {
        let k = keeper();
        let ha1 = Ha1::compute("alice", &SecretString::new("s3cret"));
        let mut r = respond(&k, Algorithm::Md5, "00000001", "s3cret");
        let other = NonceKeeper::new([8u8; 32], Arc::new(SystemClock));
        r.nonce = other.mint();
        r.response = r.expected(&ha1, "GET");
        assert_eq!(
            k.verify(&r, &ha1, "GET", &r.uri.clone()),
            Err(DigestError::BadNonce)
        );
        // A nonce minted NONCE_LIFETIME + 1 s ago, correctly signed.
        let mut body = (k.now_secs() - NONCE_LIFETIME.as_secs() - 1)
            .to_be_bytes()
            .to_vec();
        body.extend_from_slice(&[1u8; 8]);
        let mac = k.mac(&body);
        body.extend_from_slice(&mac);
        r.nonce = URL_SAFE_NO_PAD.encode(body);
        r.response = r.expected(&ha1, "GET");
        assert_eq!(
            k.verify(&r, &ha1, "GET", &r.uri.clone()),
            Err(DigestError::Stale)
        );
        let wrong = Ha1::compute("alice", &SecretString::new("guess"));
        assert_eq!(
            k.verify(&r, &wrong, "GET", &r.uri.clone()),
            Err(DigestError::Mismatch),
            "an expired nonce with a wrong password is a failure, not stale"
        );
    }

    #[test]
    fn the_challenge_is_byte_exact() {
        let c = keeper().challenge(false);
        assert!(
            c.starts_with("Digest realm=\"MMS Public API\", domain=\"\", nonce=\""),
            "{c}"
        );
        assert!(
            c.ends_with("\", algorithm=MD5, qop=\"auth\", stale=false"),
            "{c}"
        );
        assert!(keeper().challenge(true).ends_with("stale=true"));
    }
}
