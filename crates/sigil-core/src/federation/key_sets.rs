//! Identity providers' key sets: fetched through a [`KeySetFetcher`] (the server's HTTP
//! client; the core speaks no HTTP), parsed once, kept in memory, refreshed in the background,
//! and refetched on an unknown `kid` at most once per [`UNKNOWN_KID_REFETCH`] per provider,
//! one fetch at a time. A failed fetch keeps the last good set.

use crate::clock::Clock;
use crate::ids::IdentityProviderId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub(crate) use super::jwks::{parse_jwks, thumbprints, LoadedSet};
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
#[path = "key_sets_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "key_sets_properties.rs"]
mod properties;
