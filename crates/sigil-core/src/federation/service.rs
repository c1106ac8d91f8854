//! [`Federation`]: the federation service and the caches it owns.

use crate::audit::kind;
use crate::directory::Directory;
use crate::error::CoreResult;
use crate::federation::jwt::OrgGrants;
use crate::federation::key_sets::{KeySetFetcher, KeySets};
use crate::federation::IdentityProvider;
use crate::ids::{HexId, IdentityProviderId};
use crate::kernel::{ChangeListener, Forget, Kernel};
use crate::service::CACHE_TTL;
use async_trait::async_trait;
use moka::sync::Cache;
use std::sync::Arc;

pub struct Federation {
    pub(super) kernel: Arc<Kernel>,
    pub(super) directory: Arc<Directory>,
    pub(super) key_sets: KeySets,
    /// Identity providers by issuer (an empty list remembers that none has it).
    pub(super) providers_by_issuer: Cache<String, Arc<Vec<Arc<IdentityProvider>>>>,
    pub(super) provider_grants: Cache<IdentityProviderId, Arc<Vec<OrgGrants>>>,
}

impl Federation {
    pub(crate) fn new(
        kernel: Arc<Kernel>,
        directory: Arc<Directory>,
        key_set_fetcher: Arc<dyn KeySetFetcher>,
    ) -> Self {
        Self {
            key_sets: KeySets::new(key_set_fetcher, kernel.clock.clone()),
            kernel,
            directory,
            providers_by_issuer: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            provider_grants: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }

    /// Refetches the key sets whose refresh time has come (housekeeping).
    pub async fn refresh_due_key_sets(&self) -> usize {
        self.key_sets.refresh_due().await
    }

    /// Forgets what this node read of federation: providers by issuer, their grants, the
    /// tokens verified with them, and the key set of `changed` when one provider changed.
    pub fn federation_changed(&self, changed: Option<IdentityProviderId>) {
        self.kernel.forget(Forget::Federation);
        if let Some(id) = changed {
            self.key_sets.forget(id);
        }
    }
}

#[async_trait]
impl ChangeListener for Federation {
    async fn apply(
        &self,
        event_type: &str,
        target_id: Option<&str>,
        read_done: std::time::Instant,
    ) -> CoreResult<()> {
        match event_type {
            kind::IDENTITY_PROVIDER_CREATED
            | kind::IDENTITY_PROVIDER_UPDATED
            | kind::IDENTITY_PROVIDER_DELETED
            | kind::IDENTITY_PROVIDER_JWKS_REVOKED => {
                self.federation_changed(None);
                if let Some(id) = target_id.and_then(|t| HexId::parse("id", t).ok()) {
                    self.key_sets.forget_unless_fetched_after(id, read_done);
                }
            }
            kind::CONNECTED_ORG_CONFIG_UPDATED
            | kind::CONNECTED_ORG_CONFIG_REMOVED
            | kind::ROLE_MAPPING_CREATED
            | kind::ROLE_MAPPING_UPDATED
            | kind::ROLE_MAPPING_DELETED => self.federation_changed(None),
            _ => {}
        }
        Ok(())
    }

    fn forget(&self, what: Forget) {
        match what {
            Forget::Federation => {
                self.providers_by_issuer.invalidate_all();
                self.provider_grants.invalidate_all();
            }
            Forget::Everything => {
                self.providers_by_issuer.invalidate_all();
                self.provider_grants.invalidate_all();
                self.key_sets.forget_all();
            }
            Forget::Credentials | Forget::Revocations => {}
        }
    }
}
