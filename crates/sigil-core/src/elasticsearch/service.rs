//! [`Elasticsearch`]: the Elasticsearch security service and the caches it owns.

use crate::audit::kind;
use crate::elasticsearch::api_keys::ApiKey;
use crate::elasticsearch::Role;
use crate::error::CoreResult;
use crate::kernel::{ChangeListener, Forget, Kernel};
use crate::principal::Principal;
use crate::service::{CACHE_CAPACITY, CACHE_TTL};
use async_trait::async_trait;
use moka::sync::Cache;
use std::sync::Arc;

pub struct Elasticsearch {
    pub(super) kernel: Arc<Kernel>,
    /// Elasticsearch roles by name (`None`: no such role).
    pub(super) roles: Cache<String, Arc<Option<Role>>>,
    /// Elasticsearch API keys by id, as last read.
    pub(super) api_keys: Cache<String, Arc<ApiKey>>,
    /// The owners of Elasticsearch API keys by (realm, username), as they are now (`None`:
    /// disabled or deleted); emptied with the credential caches on any user or role change.
    pub(super) key_owners: Cache<(String, String), Arc<Option<Principal>>>,
}

impl Elasticsearch {
    pub(crate) fn new(kernel: Arc<Kernel>) -> Self {
        Self {
            kernel,
            roles: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            api_keys: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            key_owners: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }
}

#[async_trait]
impl ChangeListener for Elasticsearch {
    async fn apply(
        &self,
        event_type: &str,
        target_id: Option<&str>,
        _: std::time::Instant,
    ) -> CoreResult<()> {
        match event_type {
            kind::ROLE_CHANGED | kind::ROLE_DELETED | kind::USER_CHANGED => {
                self.roles.invalidate_all();
                self.kernel.forget(Forget::Credentials);
            }
            kind::USER_DELETED => {
                self.roles.invalidate_all();
                self.kernel.forget(Forget::Credentials);
                // The user's API keys were invalidated in the same transaction.
                self.api_keys.invalidate_all();
            }
            kind::SECURITY_API_KEY_UPDATED | kind::SECURITY_API_KEY_INVALIDATED => {
                if let Some(id) = target_id {
                    self.forget_api_key(id);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn forget(&self, what: Forget) {
        match what {
            // API keys are checked against their owner as the owner is now.
            Forget::Credentials => self.key_owners.invalidate_all(),
            Forget::Everything => {
                self.api_keys.invalidate_all();
                self.roles.invalidate_all();
                self.key_owners.invalidate_all();
            }
            Forget::Federation | Forget::Revocations => {}
        }
    }
}
