//! The records nearly every Atlas Admin API request reads and almost nothing writes —
//! organizations, federation settings and their connected organizations, identity providers,
//! service accounts and their secrets — kept in memory in front of the store, so that an
//! authenticated read costs no database round trip (each one costs far more than the
//! authentication and rendering around it; see BENCHMARKS.md).
//!
//! [`CachedStore`] is a `Store` over the real one. Correctness rests on three rules:
//! - any write through it, whatever it writes, empties every cache (writes are rare; a rule
//!   that needs no list of what each write touches cannot miss one), so this node reads its
//!   own writes;
//! - a change another node made reaches this node through the change log, and every applied
//!   entry empties every cache too ([`CachedStore::changed`], called by the change sync);
//! - a read notes the generation before it asks the store and keeps its answer only if no
//!   write or change landed meanwhile, so a read racing a write cannot cache what it saw
//!   before the write.
//!
//! What no change-log entry announces (a secret's `lastUsedAt`, written by another node at
//! most once a minute) may show up to [`READ_TTL`] late.

mod forward;

use crate::error::CoreResult;
use crate::store::Store;
use moka::sync::Cache;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::directory::org::{FederationSettings, Organization};
use crate::federation::{ConnectedOrgConfig, IdentityProvider};
use crate::ids::{FederationSettingsId, IdentityProviderId, OrgId};
use crate::oauth::service_accounts::{ServiceAccount, ServiceAccountSecret};

/// How long a cached record is trusted without a change announcing it.
pub const READ_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Records kept per kind.
const CAPACITY: u64 = 10_000;

fn cache<K, V>() -> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(CAPACITY)
        .time_to_live(READ_TTL)
        .build()
}

pub struct CachedStore {
    inner: Arc<dyn Store>,
    /// Moves on every write and every applied change, before the caches are emptied.
    generation: AtomicU64,
    organizations: Cache<OrgId, Option<Organization>>,
    owners: Cache<FederationSettingsId, Option<Organization>>,
    federation_settings: Cache<FederationSettingsId, Option<FederationSettings>>,
    connected: Cache<FederationSettingsId, Vec<ConnectedOrgConfig>>,
    providers: Cache<(FederationSettingsId, IdentityProviderId), Option<IdentityProvider>>,
    service_accounts: Cache<String, Option<ServiceAccount>>,
    secrets: Cache<String, Vec<ServiceAccountSecret>>,
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            generation: AtomicU64::new(0),
            organizations: cache(),
            owners: cache(),
            federation_settings: cache(),
            connected: cache(),
            providers: cache(),
            service_accounts: cache(),
            secrets: cache(),
        }
    }

    /// Something in the store changed (a write here, or a change-log entry from anywhere):
    /// forget every cached record.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.organizations.invalidate_all();
        self.owners.invalidate_all();
        self.federation_settings.invalidate_all();
        self.connected.invalidate_all();
        self.providers.invalidate_all();
        self.service_accounts.invalidate_all();
        self.secrets.invalidate_all();
    }

    /// A cached record, or the store's answer, kept unless something changed meanwhile.
    async fn read<K, V>(
        &self,
        cache: &Cache<K, V>,
        key: K,
        from_store: impl Future<Output = CoreResult<V>>,
    ) -> CoreResult<V>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        if let Some(hit) = cache.get(&key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let value = from_store.await?;
        if self.generation.load(Ordering::Acquire) == generation {
            cache.insert(key, value.clone());
        }
        Ok(value)
    }

    /// A write: whatever it changed, nothing cached survives it, even when it failed (it may
    /// have committed before the error reached us).
    async fn write<T>(&self, write: impl Future<Output = CoreResult<T>>) -> CoreResult<T> {
        let result = write.await;
        self.changed();
        result
    }
}
