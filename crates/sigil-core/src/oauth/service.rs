//! [`OAuth`]: the OAuth 2.0 service (service accounts, their secrets, access tokens, the
//! signing keyring) and the caches it owns.

use crate::audit::kind;
use crate::directory::Directory;
use crate::elasticsearch::Elasticsearch;
use crate::error::CoreResult;
use crate::federation::Federation;
use crate::ids::HexId;
use crate::kernel::{ChangeListener, Forget, Kernel};
use crate::oauth::clients::ClientRecord;
use crate::oauth::{Keyring, VerifiedToken};
use crate::service::{CACHE_CAPACITY, CACHE_TTL};
use async_trait::async_trait;
use moka::sync::Cache;
use std::sync::Arc;

pub struct OAuth {
    pub(super) kernel: Arc<Kernel>,
    pub(super) directory: Arc<Directory>,
    pub(super) elasticsearch: Arc<Elasticsearch>,
    pub(super) federation: Arc<Federation>,
    pub(super) keyring: Keyring,
    pub(super) token_cache: Cache<[u8; 32], Arc<VerifiedToken>>,
    pub(super) clients: Cache<String, Arc<ClientRecord>>,
    /// Secrets whose `lastUsedAt` was written in the last minute.
    pub(super) secret_use_writes: Cache<HexId, ()>,
}

impl OAuth {
    pub(crate) fn new(
        kernel: Arc<Kernel>,
        directory: Arc<Directory>,
        elasticsearch: Arc<Elasticsearch>,
        federation: Arc<Federation>,
    ) -> Self {
        Self {
            kernel,
            directory,
            elasticsearch,
            federation,
            keyring: Keyring::default(),
            token_cache: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            clients: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            secret_use_writes: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
        }
    }
}

#[async_trait]
impl ChangeListener for OAuth {
    async fn apply(
        &self,
        event_type: &str,
        _: Option<&str>,
        _: std::time::Instant,
    ) -> CoreResult<()> {
        match event_type {
            kind::SERVICE_ACCOUNT_UPDATED
            | kind::SERVICE_ACCOUNT_DELETED
            | kind::SERVICE_ACCOUNT_SECRET_CREATED
            | kind::SERVICE_ACCOUNT_SECRET_DELETED => {
                self.clients.invalidate_all();
                self.kernel.forget(Forget::Credentials);
            }
            kind::SIGNING_KEY_ROTATED => self.reload_signing_keys().await?,
            _ => {}
        }
        Ok(())
    }

    fn forget(&self, what: Forget) {
        match what {
            // A verified token carries its principal, derived from all of these.
            Forget::Credentials | Forget::Federation | Forget::Revocations => {
                self.token_cache.invalidate_all()
            }
            Forget::Everything => {
                self.clients.invalidate_all();
                self.token_cache.invalidate_all();
            }
        }
    }
}
