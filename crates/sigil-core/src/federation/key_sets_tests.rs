use super::*;
use crate::clock::SystemClock;
use jsonwebtoken::Algorithm;
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

/// Counts fetches; each fetch waits at the gate until the test opens it, so concurrent
/// lookups overlap for as long as the test wants.
struct Counting {
    calls: AtomicUsize,
    doc: serde_json::Value,
    gate: tokio::sync::Semaphore,
}

impl Counting {
    fn new(doc: serde_json::Value, open: bool) -> Self {
        let permits = if open {
            tokio::sync::Semaphore::MAX_PERMITS
        } else {
            0
        };
        Self {
            calls: AtomicUsize::new(0),
            doc,
            gate: tokio::sync::Semaphore::new(permits),
        }
    }
}

#[async_trait]
impl KeySetFetcher for Counting {
    async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _pass = self.gate.acquire().await.map_err(|e| e.to_string())?;
        Ok(FetchedKeySet {
            jwks: self.doc.clone(),
            max_age: None,
        })
    }
}

#[tokio::test]
async fn unknown_kids_under_concurrency_cause_one_fetch() {
    let fetcher = Arc::new(Counting::new(json!({"keys": [ec_jwk()]}), false));
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
    // Every lookup reaches its wait (this runtime has one thread: the tasks run while the
    // test yields) before the one fetch may finish.
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
    fetcher
        .gate
        .add_permits(tokio::sync::Semaphore::MAX_PERMITS);
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
    let fetcher = Arc::new(Counting::new(json!({"keys": []}), true));
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
