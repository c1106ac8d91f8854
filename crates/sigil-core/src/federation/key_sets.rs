//! Identity providers' key sets: fetched through a [`KeySetFetcher`] (the server's HTTP
//! client; the core speaks no HTTP), parsed once, kept in memory, refreshed in the background,
//! and refetched on an unknown `kid` at most once per [`UNKNOWN_KID_REFETCH`] per provider,
//! one fetch at a time. A failed fetch keeps the last good set.

use crate::clock::Clock;
use crate::ids::IdentityProviderId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// An unknown `kid` refetches a provider's keys at most this often.
pub const UNKNOWN_KID_REFETCH: Duration = Duration::from_secs(30);
/// Bounds on the issuer's `Cache-Control: max-age`, and the refresh period without one.
pub const MIN_REFRESH: Duration = Duration::from_secs(60);
pub const MAX_REFRESH: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(3600);
/// After a failed background refresh, try again this much later.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);
/// Keys kept from one JWKS, at most.
const MAX_KEYS: usize = 100;

/// A JWKS as an issuer served it.
#[derive(Debug, Clone)]
pub struct FetchedKeySet {
    pub jwks: serde_json::Value,
    /// The issuer's `Cache-Control: max-age`, if it sent one.
    pub max_age: Option<Duration>,
}

/// Fetches an issuer's JWKS through its discovery document. Implemented by the server with its
/// HTTP client (timeouts, size cap, redirects, `https://`); the error is shown in `keySet`.
#[async_trait]
pub trait KeySetFetcher: Send + Sync + 'static {
    async fn fetch(&self, issuer: &str) -> Result<FetchedKeySet, String>;
}

/// A fetcher for stores and tests that never fetch: every fetch fails.
pub struct NoFetcher;

#[async_trait]
impl KeySetFetcher for NoFetcher {
    async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
        Err("this node fetches no key sets".into())
    }
}

/// One verification key of a set.
pub(crate) struct VerificationKey {
    pub kid: Option<String>,
    /// The `alg` the JWK names, when it names one: a token must then use exactly that.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
    /// Its RFC 7638 thumbprint: what a session remembers of the key that vouched for it.
    pub thumbprint: Option<String>,
}

/// The RFC 7638 thumbprint of a JWK (the SHA-256 of its required public members, in order,
/// as compact JSON), hex; `None` for a key type without one here.
pub(crate) fn thumbprint(jwk: &serde_json::Value) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = serde_json::Map::new();
    for member in members {
        canonical.insert((*member).to_owned(), jwk.get(*member)?.as_str()?.into());
    }
    let text = serde_json::to_string(&canonical).ok()?;
    Some(crate::crypto::sha256_hex(text.as_bytes()))
}

/// The thumbprints of the keys of a JWKS document.
pub(crate) fn thumbprints(doc: &serde_json::Value) -> Vec<String> {
    doc.get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| keys.iter().take(MAX_KEYS).filter_map(thumbprint).collect())
        .unwrap_or_default()
}

/// A parsed key set.
pub(crate) struct LoadedSet {
    pub keys: Vec<VerificationKey>,
}

impl LoadedSet {
    /// The keys that may check a token with this header: the `kid` must match when the token
    /// names one, and the key must be of the algorithm's family (jsonwebtoken refuses a
    /// mismatch too, so an RSA public key can never serve as an HMAC secret).
    pub(crate) fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a VerificationKey> + 'a {
        self.keys.iter().filter(move |k| {
            kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)) && k.alg.is_none_or(|a| a == alg)
        })
    }

    pub(crate) fn key_ids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }
}

fn algorithm_of(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        // HMAC keys and encryption algorithms never verify a federated token.
        _ => return None,
    })
}

/// Parses a JWKS. Keys Sigil cannot use to verify (symmetric keys, encryption keys, unknown
/// types) are skipped; a document that is not a JWKS, or has no usable key, is an error.
pub(crate) fn parse_jwks(doc: &serde_json::Value) -> Result<LoadedSet, String> {
    let entries = doc
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or("the JWKS has no \"keys\" array")?;
    let mut keys = vec![];
    for entry in entries.iter().take(MAX_KEYS) {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
            || matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature)
        {
            continue;
        }
        let alg = match jwk.common.key_algorithm {
            Some(a) => match algorithm_of(a) {
                Some(alg) => Some(alg),
                None => continue,
            },
            None => None,
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(VerificationKey {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
            thumbprint: thumbprint(entry),
        });
    }
    if keys.is_empty() {
        return Err("the JWKS has no usable signing key".into());
    }
    Ok(LoadedSet { keys })
}

/// What this node knows of one provider's keys.
#[derive(Default)]
struct KeyState {
    set: Option<Arc<LoadedSet>>,
    /// Bumped by every fetch that ends, so waiters can see one happened while they queued.
    generation: u64,
    last_attempt: Option<Instant>,
    refresh_at: Option<Instant>,
    /// When the fetch that brought `set` started (monotonic: compared with change-log reads).
    fetch_started: Option<Instant>,
    /// When it ended, for the `keySet` view (the wall clock).
    fetched_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

struct ProviderKeys {
    issuer: String,
    /// A pinned JWKS, never fetched. Kept to compare: a provider whose pinned set changed
    /// never meets the old one here, whatever order the nodes learn of the change in.
    pinned: Option<serde_json::Value>,
    state: RwLock<KeyState>,
    /// Single flight: one fetch per provider at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl ProviderKeys {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, KeyState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeyState> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// The status of a provider's keys on this node, for `keySet`.
#[derive(Debug, Clone, Default)]
pub struct KeySetSnapshot {
    pub key_ids: Vec<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Every provider's keys on this node.
pub(crate) struct KeySets {
    fetcher: Arc<dyn KeySetFetcher>,
    /// Refresh times and throttles by its monotonic reading, `fetchedAt` by its wall time.
    clock: Arc<dyn Clock>,
    providers: Mutex<HashMap<IdentityProviderId, Arc<ProviderKeys>>>,
}

impl KeySets {
    pub(crate) fn new(fetcher: Arc<dyn KeySetFetcher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            fetcher,
            clock,
            providers: Mutex::new(HashMap::new()),
        }
    }

    fn entry(
        &self,
        id: IdentityProviderId,
        issuer: &str,
        pinned: Option<&serde_json::Value>,
    ) -> Arc<ProviderKeys> {
        let mut map = self.providers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get(&id) {
            if e.issuer == issuer && e.pinned.as_ref() == pinned {
                return e.clone();
            }
        }
        let mut state = KeyState::default();
        if let Some(doc) = pinned {
            match parse_jwks(doc) {
                Ok(set) => state.set = Some(Arc::new(set)),
                Err(e) => state.last_error = Some(e),
            }
        }
        let e = Arc::new(ProviderKeys {
            issuer: issuer.to_owned(),
            pinned: pinned.cloned(),
            state: RwLock::new(state),
            fetching: tokio::sync::Mutex::new(()),
        });
        map.insert(id, e.clone());
        e
    }

    /// The provider's key set, fetching it when this node has none or the token names a `kid`
    /// it lacks (at most once per [`UNKNOWN_KID_REFETCH`], single flight).
    pub(crate) async fn keys_for(
        &self,
        id: IdentityProviderId,
        issuer: &str,
        pinned: Option<&serde_json::Value>,
        kid: Option<&str>,
    ) -> Option<Arc<LoadedSet>> {
        let entry = self.entry(id, issuer, pinned);
        let (current, generation) = {
            let s = entry.read();
            (s.set.clone(), s.generation)
        };
        let known = current.as_ref().is_some_and(|set| {
            kid.is_none_or(|kid| set.keys.iter().any(|k| k.kid.as_deref() == Some(kid)))
        });
        if known || entry.pinned.is_some() {
            return current;
        }
        let _flight = entry.fetching.lock().await;
        {
            let s = entry.read();
            let fetched_meanwhile = s.generation != generation;
            let throttled = s.last_attempt.is_some_and(|at| {
                self.clock.instant().saturating_duration_since(at) < UNKNOWN_KID_REFETCH
            });
            if fetched_meanwhile || throttled {
                return s.set.clone();
            }
        }
        if let Err(e) = self.fetch_into(&entry).await {
            tracing::warn!(issuer = %entry.issuer, error = %e, "key set fetch failed");
        }
        let set = entry.read().set.clone();
        set
    }

    /// Fetches now; on failure keeps the last good set. Call with the provider's flight held.
    async fn fetch_into(&self, entry: &ProviderKeys) -> Result<(), String> {
        let started = self.clock.instant();
        let outcome = self
            .fetcher
            .fetch(&entry.issuer)
            .await
            .and_then(|f| parse_jwks(&f.jwks).map(|set| (set, f.max_age)));
        let mut s = entry.write();
        s.generation += 1;
        s.last_attempt = Some(self.clock.instant());
        match outcome {
            Ok((set, max_age)) => {
                let refresh = max_age
                    .unwrap_or(DEFAULT_REFRESH)
                    .clamp(MIN_REFRESH, MAX_REFRESH);
                s.set = Some(Arc::new(set));
                s.refresh_at = Some(self.clock.instant() + refresh);
                s.fetch_started = Some(started);
                s.fetched_at = Some(self.clock.now());
                s.last_error = None;
                Ok(())
            }
            Err(e) => {
                s.refresh_at = Some(self.clock.instant() + RETRY_AFTER_FAILURE);
                s.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Throws the provider's keys away and fetches them at once (the JWKS revoke). When the
    /// fetch fails the next use fetches again, whatever the throttle says.
    pub(crate) async fn discard_and_refetch(
        &self,
        id: IdentityProviderId,
        issuer: &str,
        pinned: Option<&serde_json::Value>,
    ) -> Result<Vec<String>, String> {
        self.forget(id);
        let entry = self.entry(id, issuer, pinned);
        if entry.pinned.is_some() {
            let s = entry.read();
            return match &s.set {
                Some(set) => Ok(set.key_ids()),
                None => Err(s.last_error.clone().unwrap_or_default()),
            };
        }
        let _flight = entry.fetching.lock().await;
        let outcome = self.fetch_into(&entry).await;
        match outcome {
            Ok(()) => Ok(entry
                .read()
                .set
                .as_ref()
                .map(|s| s.key_ids())
                .unwrap_or_default()),
            Err(e) => {
                entry.write().last_attempt = None;
                Err(e)
            }
        }
    }

    /// Forgets a provider's keys (changed or deleted provider).
    pub(crate) fn forget(&self, id: IdentityProviderId) {
        self.providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Forgets a provider's keys unless the fetch that brought them started after
    /// `change_read` (this node's monotonic clock), the moment a read of the change log that
    /// found a change to the provider returned: such a fetch started after the change was
    /// committed, so it already has the keys as they are after it (the JWKS revoke fetches
    /// after reading its own change back, and keeps what it fetched). Both instants are this
    /// node's monotonic clock: the change's stamp (another clock, in whole seconds) is never
    /// compared with a fetch time.
    pub(crate) fn forget_unless_fetched_after(&self, id: IdentityProviderId, change_read: Instant) {
        let mut map = self.providers.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = map
            .get(&id)
            .is_some_and(|e| e.read().fetch_started.is_some_and(|at| at >= change_read));
        if !fresh {
            map.remove(&id);
        }
    }

    pub(crate) fn forget_all(&self) {
        self.providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub(crate) fn snapshot(&self, id: IdentityProviderId) -> Option<KeySetSnapshot> {
        let entry = self
            .providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()?;
        let s = entry.read();
        Some(KeySetSnapshot {
            key_ids: s.set.as_ref().map(|s| s.key_ids()).unwrap_or_default(),
            fetched_at: s.fetched_at,
            last_error: s.last_error.clone(),
        })
    }

    /// Refreshes every fetched set whose time has come; answers how many were fetched.
    pub(crate) async fn refresh_due(&self) -> usize {
        let now = self.clock.instant();
        let due: Vec<Arc<ProviderKeys>> = self
            .providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|e| e.pinned.is_none() && e.read().refresh_at.is_some_and(|at| at <= now))
            .cloned()
            .collect();
        for entry in &due {
            let _flight = entry.fetching.lock().await;
            if let Err(e) = self.fetch_into(entry).await {
                tracing::warn!(issuer = %entry.issuer, error = %e, "key set refresh failed; keeping the last good set");
            }
        }
        due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const EC_JWK: &str = r#"{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    fn ec_jwk() -> serde_json::Value {
        serde_json::from_str(EC_JWK).unwrap_or_default()
    }

    #[test]
    fn symmetric_encryption_and_unknown_keys_are_skipped() {
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc", "x": ec_jwk()["x"], "y": ec_jwk()["y"]},
            {"kty": "weird"},
            ec_jwk(),
        ]});
        let set = parse_jwks(&doc).ok();
        assert_eq!(set.map(|s| s.key_ids()), Some(vec!["k1".to_owned()]));
    }

    #[test]
    fn a_document_without_usable_keys_is_refused() {
        assert!(parse_jwks(&json!({"keys": "nope"})).is_err());
        assert!(parse_jwks(&json!({"keys": []})).is_err());
        assert!(parse_jwks(&json!([1, 2])).is_err());
        assert!(parse_jwks(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})).is_err());
    }

    #[test]
    fn a_key_naming_its_alg_serves_only_that_alg() {
        let set = parse_jwks(&json!({"keys": [ec_jwk()]})).ok();
        let set = set.as_ref();
        assert_eq!(
            set.map(|s| s.candidates(Some("k1"), Algorithm::ES256).count()),
            Some(1)
        );
        assert_eq!(
            set.map(|s| s.candidates(Some("k1"), Algorithm::ES384).count()),
            Some(0)
        );
        assert_eq!(
            set.map(|s| s.candidates(Some("k2"), Algorithm::ES256).count()),
            Some(0)
        );
    }

    struct Counting {
        calls: AtomicUsize,
        doc: serde_json::Value,
    }

    #[async_trait]
    impl KeySetFetcher for Counting {
        async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(FetchedKeySet {
                jwks: self.doc.clone(),
                max_age: None,
            })
        }
    }

    #[tokio::test]
    async fn unknown_kids_under_concurrency_cause_one_fetch() {
        let fetcher = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            doc: json!({"keys": [ec_jwk()]}),
        });
        let sets = Arc::new(KeySets::new(fetcher.clone(), Arc::new(SystemClock)));
        let id = IdentityProviderId::random();
        let mut tasks = vec![];
        for i in 0..50 {
            let sets = sets.clone();
            tasks.push(tokio::spawn(async move {
                let kid = format!("unknown-{i}");
                sets.keys_for(id, "https://idp", None, Some(&kid))
                    .await
                    .is_some()
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap_or(false));
        }
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
        // The known kid is served from memory; an unknown one within 30 s fetches nothing.
        assert!(sets
            .keys_for(id, "https://idp", None, Some("k1"))
            .await
            .is_some());
        assert!(sets
            .keys_for(id, "https://idp", None, Some("other"))
            .await
            .is_some());
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 1);
        // A revoke fetches at once regardless.
        assert!(sets
            .discard_and_refetch(id, "https://idp", None)
            .await
            .is_ok());
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 2);
    }

    /// Holds each fetch until the test lets it end, telling it when one has begun.
    struct Gated {
        begun: tokio::sync::Notify,
        gate: tokio::sync::Semaphore,
    }

    #[async_trait]
    impl KeySetFetcher for Gated {
        async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
            self.begun.notify_one();
            let _pass = self.gate.acquire().await.map_err(|e| e.to_string())?;
            Ok(FetchedKeySet {
                jwks: json!({"keys": [ec_jwk()]}),
                max_age: None,
            })
        }
    }

    /// A change read from the log forgets the keys of a fetch that began before the read
    /// returned, even one that ended after it, and keeps those of a fetch begun after (the
    /// JWKS revoke reads its own change back, then fetches). Both instants are this node's
    /// monotonic clock; comparing the end of a fetch with the change's stamp kept keys
    /// fetched just before a revoke (the same second) or on a node whose clock runs ahead.
    #[tokio::test]
    async fn a_change_read_from_the_log_forgets_keys_fetched_before_it() {
        let fetcher = Arc::new(Gated {
            begun: tokio::sync::Notify::new(),
            gate: tokio::sync::Semaphore::new(0),
        });
        let sets = Arc::new(KeySets::new(fetcher.clone(), Arc::new(SystemClock)));
        let id = IdentityProviderId::random();
        let fetch = {
            let sets = sets.clone();
            tokio::spawn(async move { sets.keys_for(id, "https://idp", None, None).await })
        };
        fetcher.begun.notified().await;
        let change_read = SystemClock.instant();
        fetcher.gate.add_permits(1);
        assert!(fetch.await.ok().flatten().is_some(), "fetched");
        assert!(sets.snapshot(id).is_some());
        sets.forget_unless_fetched_after(id, change_read);
        assert!(
            sets.snapshot(id).is_none(),
            "begun before the read: forgotten"
        );

        fetcher.gate.add_permits(1);
        assert!(sets.keys_for(id, "https://idp", None, None).await.is_some());
        sets.forget_unless_fetched_after(id, change_read);
        assert!(
            sets.snapshot(id).is_some(),
            "begun after the read: kept, and not fetched again"
        );
    }

    #[tokio::test]
    async fn a_pinned_set_is_never_fetched() {
        let fetcher = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            doc: json!({"keys": []}),
        });
        let sets = KeySets::new(fetcher.clone(), Arc::new(SystemClock));
        let id = IdentityProviderId::random();
        let pinned = json!({"keys": [ec_jwk()]});
        let found = sets
            .keys_for(id, "https://idp", Some(&pinned), Some("other"))
            .await;
        assert_eq!(found.map(|s| s.key_ids()), Some(vec!["k1".to_owned()]));
        assert_eq!(
            sets.discard_and_refetch(id, "https://idp", Some(&pinned))
                .await,
            Ok(vec!["k1".to_owned()])
        );
        assert_eq!(fetcher.calls.load(Ordering::SeqCst), 0);
    }

    /// A node that kept the old pinned set never uses it once the provider pins another: the
    /// set is matched by its content, whatever order the nodes learn of the change in.
    #[tokio::test]
    async fn a_new_pinned_set_replaces_the_old_one_at_once() {
        let sets = KeySets::new(Arc::new(NoFetcher), Arc::new(SystemClock));
        let id = IdentityProviderId::random();
        let old = json!({"keys": [ec_jwk()]});
        let mut renamed = ec_jwk();
        renamed["kid"] = json!("k2");
        let new = json!({"keys": [renamed]});
        let ids = |s: Option<Arc<LoadedSet>>| s.map(|s| s.key_ids());
        assert_eq!(
            ids(sets.keys_for(id, "https://idp", Some(&old), None).await),
            Some(vec!["k1".to_owned()])
        );
        assert_eq!(
            ids(sets.keys_for(id, "https://idp", Some(&new), None).await),
            Some(vec!["k2".to_owned()])
        );
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_last_good_set_but_a_revoke_does_not() {
        struct Flaky(AtomicUsize);
        #[async_trait]
        impl KeySetFetcher for Flaky {
            async fn fetch(&self, _: &str) -> Result<FetchedKeySet, String> {
                match self.0.fetch_add(1, Ordering::SeqCst) {
                    0 => Ok(FetchedKeySet {
                        jwks: json!({"keys": [ec_jwk()]}),
                        max_age: Some(Duration::from_secs(1)),
                    }),
                    _ => Err("issuer down".into()),
                }
            }
        }
        let sets = KeySets::new(Arc::new(Flaky(AtomicUsize::new(0))), Arc::new(SystemClock));
        let id = IdentityProviderId::random();
        assert!(sets.keys_for(id, "https://idp", None, None).await.is_some());
        let entry = sets.entry(id, "https://idp", None);
        assert!(sets.fetch_into(&entry).await.is_err());
        let after_refresh = sets.snapshot(id).unwrap_or_default();
        assert_eq!(after_refresh.key_ids, vec!["k1".to_owned()]);
        assert!(after_refresh.last_error.is_some());
        // The revoke throws the keys away; its refetch failing, nothing is trusted until one works.
        assert!(sets
            .discard_and_refetch(id, "https://idp", None)
            .await
            .is_err());
        assert!(sets.snapshot(id).is_some_and(|s| s.key_ids.is_empty()));
        assert!(sets.snapshot(id).is_some_and(|s| s.last_error.is_some()));
    }
}

/// Property tests: any document an issuer serves goes through the asynchronous key-set cache
/// (fetched, or pinned) as `parse_jwks` judges it, which a fuzz target cannot drive alone.
#[cfg(test)]
mod properties {
    use super::*;
    use crate::clock::SystemClock;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    struct Serving(Value);

    #[async_trait]
    impl KeySetFetcher for Serving {
        async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
            Ok(FetchedKeySet {
                jwks: self.0.clone(),
                max_age: None,
            })
        }
    }

    /// JWK members with the values that steer parsing, and anything else.
    fn member() -> impl Strategy<Value = (String, Value)> {
        let names = prop::sample::select(vec![
            "kty", "crv", "x", "y", "n", "e", "alg", "use", "kid", "k", "d", "key_ops",
        ]);
        let values = prop_oneof![
            prop::sample::select(vec![
                json!("EC"),
                json!("RSA"),
                json!("OKP"),
                json!("oct"),
                json!("P-256"),
                json!("P-384"),
                json!("Ed25519"),
                json!("ES256"),
                json!("RS256"),
                json!("HS256"),
                json!("sig"),
                json!("enc"),
                json!("AQAB"),
                json!("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                json!("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
                json!("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            ]),
            any::<String>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(Value::Null),
        ];
        (names.prop_map(str::to_owned), values)
    }

    fn document() -> impl Strategy<Value = Value> {
        let jwk = prop::collection::vec(member(), 0..8)
            .prop_map(|m| Value::Object(m.into_iter().collect()));
        prop_oneof![
            prop::collection::vec(jwk, 0..6).prop_map(|keys| json!({ "keys": keys })),
            any::<String>().prop_map(|s| json!({ "keys": s })),
            Just(json!([1, 2])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn any_served_document_is_loaded_or_refused_whole(doc in document()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let runtime = runtime.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let expected = parse_jwks(&doc).map(|s| s.key_ids());
            runtime.block_on(async {
                let id = IdentityProviderId::random();
                let fetched = KeySets::new(Arc::new(Serving(doc.clone())), Arc::new(SystemClock));
                let found = fetched.keys_for(id, "https://idp", None, None).await;
                prop_assert_eq!(found.map(|s| s.key_ids()), expected.clone().ok());
                let snapshot = fetched.snapshot(id).unwrap_or_default();
                prop_assert_eq!(snapshot.last_error.is_some(), expected.is_err());
                let pinned = KeySets::new(Arc::new(NoFetcher), Arc::new(SystemClock));
                let found = pinned.keys_for(id, "https://idp", Some(&doc), Some("any")).await;
                prop_assert_eq!(found.map(|s| s.key_ids()), expected.ok());
                Ok(())
            })?;
        }
    }
}
