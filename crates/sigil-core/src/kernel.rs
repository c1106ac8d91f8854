//! [`Kernel`]: what every service shares — the store, the clock, the master key, the
//! configuration, the revocation list, the change sync, the audit of failed authentications,
//! the cache epoch and the password gate. It holds no service's cache: it tells the services
//! (their [`ChangeListener`]s) what changed, and each forgets what it derived from it.

use crate::audit::{kind, Actor};
use crate::changes::{new_sync_state, SyncTracker};
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::error::CoreResult;
use crate::oauth::{ACCESS_TOKEN_SECONDS, CLOCK_SKEW_SECONDS};
use crate::password_gate::PasswordGate;
use crate::read_cache::CachedStore;
use crate::revocation::{Revocation, RevocationKind, RevocationList, PRUNE_GRACE_SECONDS};
use crate::store::Store;
use crate::CoreConfig;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

/// What a service is told to forget, because what its caches hold was derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forget {
    /// A credential (user, role, programmatic key, service account, secret) changed.
    Credentials,
    /// An identity provider, connected organization or role mapping changed.
    Federation,
    /// The revocation list was replaced from the store.
    Revocations,
    /// This node lost its place in the change log: everything read from the store.
    Everything,
}

/// A service's reaction to change-log entries: the change sync hands every entry to every
/// service, and each acts on its own kinds. Only the service itself empties its caches.
#[async_trait]
pub(crate) trait ChangeListener: Send + Sync {
    /// Applies an audited change (logged by any node, this one included) read at `read_done`
    /// by the kernel's monotonic clock.
    async fn apply(
        &self,
        event_type: &str,
        target_id: Option<&str>,
        read_done: std::time::Instant,
    ) -> CoreResult<()>;

    /// Forgets what the service derived from `what`.
    fn forget(&self, what: Forget);
}

pub struct Kernel {
    /// The store, through [`Self::reads`].
    pub(crate) store: Arc<dyn Store>,
    /// The read-mostly records in memory in front of the store (see `read_cache`).
    reads: Arc<CachedStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) master_key: MasterKey,
    pub(crate) config: crate::CoreConfig,
    /// Every Argon2id run of the process goes through it (a slot per core, a bounded queue).
    pub(crate) password_gate: PasswordGate,
    pub(crate) revocations: RevocationList,
    pub(crate) sync: SyncTracker,
    /// Bumped by every invalidation. A slow path notes it before reading the store and caches
    /// its result only if it has not moved, so a revocation that lands while a credential is
    /// being verified cannot be undone by that verification's cache insert.
    cache_epoch: AtomicU64,
    /// The services, told of every change; set once when the core is assembled. Weak: the
    /// services hold the kernel.
    listeners: OnceLock<Vec<Weak<dyn ChangeListener>>>,
}

impl Kernel {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        config: CoreConfig,
    ) -> Self {
        let reads = Arc::new(CachedStore::new(store));
        Self {
            sync: new_sync_state(clock.as_ref()),
            store: reads.clone(),
            reads,
            clock,
            master_key,
            config,
            password_gate: PasswordGate::per_core(),
            revocations: RevocationList::default(),
            cache_epoch: AtomicU64::new(0),
            listeners: OnceLock::new(),
        }
    }

    /// Names the services the change sync and [`Self::forget`] speak to (once).
    pub(crate) fn listen(&self, listeners: Vec<Weak<dyn ChangeListener>>) {
        if self.listeners.set(listeners).is_err() {
            tracing::error!("the core's change listeners were set twice; keeping the first");
        }
    }

    pub(crate) fn listeners(&self) -> impl Iterator<Item = Arc<dyn ChangeListener>> + '_ {
        self.listeners
            .get()
            .into_iter()
            .flatten()
            .filter_map(Weak::upgrade)
    }

    /// Tells every service to forget what it derived from `what`; the epoch moves first so a
    /// verification in flight does not cache what it read before.
    pub(crate) fn forget(&self, what: Forget) {
        self.bump_cache_epoch();
        if what == Forget::Everything {
            self.reads.changed();
        }
        for listener in self.listeners() {
            listener.forget(what);
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The time to the millisecond (Elasticsearch API keys' times).
    pub fn now_millis(&self) -> DateTime<Utc> {
        self.clock.now_millis()
    }

    pub(crate) fn cache_epoch(&self) -> u64 {
        self.cache_epoch.load(Ordering::Acquire)
    }

    /// Whether nothing was invalidated since `epoch` was read: only then may a result be cached.
    pub(crate) fn cacheable_since(&self, epoch: u64) -> bool {
        self.cache_epoch() == epoch
    }

    /// A change-log entry was applied: the store's records may have changed under the read
    /// cache.
    pub(crate) fn store_changed(&self) {
        self.reads.changed();
    }

    pub(crate) fn bump_cache_epoch(&self) {
        self.cache_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Replaces the in-memory revocations with the store's.
    pub async fn reload_revocations(&self) -> CoreResult<()> {
        let all = self
            .store
            .list_revocations(self.revocations_prunable_before())
            .await?;
        self.revocations.replace_all(&all);
        self.forget(Forget::Revocations);
        Ok(())
    }

    /// Revocations that expired before this may be forgotten: their expiry plus
    /// [`PRUNE_GRACE_SECONDS`] for the other nodes' clocks.
    pub(crate) fn revocations_prunable_before(&self) -> DateTime<Utc> {
        self.now() - chrono::Duration::seconds(PRUNE_GRACE_SECONDS)
    }

    /// A revocation of `key` from now until every token it can cover has expired.
    pub(crate) fn revocation(&self, kind: RevocationKind, key: &str) -> Revocation {
        let now = self.now();
        Revocation {
            kind,
            key: key.to_owned(),
            revoked_at: now,
            expires_at: now + chrono::Duration::seconds(ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS),
        }
    }

    /// Applies a revocation already written to the store to this node's memory. No cache is
    /// emptied: every cached token is checked against the revocations on each use (see
    /// `VerifiedToken`), and a revocation covers nothing else a cache holds (the client,
    /// provider and account changes that come with some revocations empty their own caches).
    /// The epoch moves so that a verification in flight does not cache what it read before.
    pub fn revoked(&self, revocation: &Revocation) {
        self.revocations.insert(revocation);
        self.bump_cache_epoch();
    }

    /// Records a failed authentication in the audit trail. A store failure here is logged and
    /// swallowed: the caller answers 401 either way.
    pub async fn authentication_failed(&self, actor: &Actor, name: Option<&str>, reason: &str) {
        let mut event = actor
            .event(
                kind::AUTHENTICATION_FAILED,
                self.now(),
                None,
                name.map(str::to_owned),
            )
            .failed(reason);
        event.principal = name.map(str::to_owned);
        if let Err(e) = self.store.record_event(&event).await {
            tracing::error!(error = %e, "could not record a failed authentication");
        }
    }
}
