//! [`Iam`]: the Huawei IAM service (domains, access keys, OIDC configurations, IAM tokens)
//! and the caches it owns.

use crate::audit::kind;
use crate::directory::Directory;
use crate::elasticsearch::Elasticsearch;
use crate::error::CoreResult;
use crate::federation::Federation;
use crate::iam::{AccessKeyRecord, TemporaryRecord};
use crate::kernel::{ChangeListener, Forget, Kernel};
use crate::oauth::OAuth;
use crate::service::{CACHE_CAPACITY, CACHE_TTL};
use async_trait::async_trait;
use moka::sync::Cache;
use std::sync::Arc;

pub struct Iam {
    pub(super) kernel: Arc<Kernel>,
    pub(super) directory: Arc<Directory>,
    pub(super) elasticsearch: Arc<Elasticsearch>,
    pub(super) federation: Arc<Federation>,
    pub(super) oauth: Arc<OAuth>,
    /// IAM access keys by access key id, their secret keys opened.
    pub(super) access_keys: Cache<String, Arc<AccessKeyRecord>>,
    /// Temporary access keys by the SHA-256 of their security token, opened, with the
    /// principal of the token they came from.
    pub(super) temporary_keys: Cache<[u8; 32], Arc<TemporaryRecord>>,
}

impl Iam {
    pub(crate) fn new(
        kernel: Arc<Kernel>,
        directory: Arc<Directory>,
        elasticsearch: Arc<Elasticsearch>,
        federation: Arc<Federation>,
        oauth: Arc<OAuth>,
    ) -> Self {
        Self {
            kernel,
            directory,
            elasticsearch,
            federation,
            oauth,
            access_keys: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
            temporary_keys: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }
}

#[async_trait]
impl ChangeListener for Iam {
    async fn apply(
        &self,
        event_type: &str,
        target_id: Option<&str>,
        _: std::time::Instant,
    ) -> CoreResult<()> {
        if matches!(
            event_type,
            kind::IAM_ACCESS_KEY_UPDATED | kind::IAM_ACCESS_KEY_DELETED
        ) {
            if let Some(access) = target_id {
                self.forget_access_key(access);
            }
        }
        Ok(())
    }

    fn forget(&self, what: Forget) {
        match what {
            // Access keys carry their user's roles.
            Forget::Credentials | Forget::Everything => {
                self.access_keys.invalidate_all();
                self.temporary_keys.invalidate_all();
            }
            // Temporary keys carry a federated identity's roles, or a revoked token's.
            Forget::Federation | Forget::Revocations => self.temporary_keys.invalidate_all(),
        }
    }
}
