//! [`Core`]: the one object every face calls, built once at start.

use crate::audit::{kind, Actor};
use crate::authz::Authz;
use crate::changes::CHANGE_LOG_RETENTION_SECONDS;
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::directory::Directory;
use crate::elasticsearch::Elasticsearch;
use crate::error::CoreResult;
use crate::federation::key_sets::KeySetFetcher;
use crate::federation::Federation;
use crate::iam::Iam;
use crate::kernel::{ChangeListener, Kernel};
use crate::oauth::OAuth;
use crate::programmatic::Programmatic;
use crate::revocation::Revocation;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Weak};

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Accept `http://` identity-provider issuers (development and tests only).
    pub allow_insecure_issuers: bool,
    /// The `iss` (and `aud`) of Sigil's access tokens: the public URL.
    pub issuer: String,
    /// How long a token-signing key signs before a new one replaces it.
    pub signing_key_rotation: chrono::Duration,
    /// The longest this node may go without reading the change log and still authenticate.
    pub change_staleness_bound: std::time::Duration,
    /// How long invalidated and expired Elasticsearch API keys stay visible.
    pub api_key_retention: chrono::Duration,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            allow_insecure_issuers: false,
            issuer: "http://127.0.0.1:8420".into(),
            signing_key_rotation: chrono::Duration::days(30),
            change_staleness_bound: std::time::Duration::from_secs(5),
            api_key_retention: chrono::Duration::days(7),
        }
    }
}

/// The one object every face calls, built once at start: the [`Kernel`] every service
/// shares, and the services, each with its rules, its caches and its reaction to the change
/// log. A call names its service: `core.federation.revoke_jwks(..)`.
pub struct Core {
    pub(crate) kernel: Arc<Kernel>,
    /// Organizations, their users' passwords and Digest, the audit trail.
    pub directory: Arc<Directory>,
    /// Elasticsearch security: users, roles, API keys.
    pub elasticsearch: Arc<Elasticsearch>,
    /// Atlas programmatic API keys.
    pub programmatic: Arc<Programmatic>,
    /// Identity providers, their key sets, connected organizations, role mappings.
    pub federation: Arc<Federation>,
    /// OAuth 2.0: service accounts, their secrets, access tokens, the signing keyring.
    pub oauth: Arc<OAuth>,
    /// Huawei IAM: domains, access keys, OIDC configurations, IAM tokens.
    pub iam: Arc<Iam>,
    /// The checks that mint the capabilities which read the store.
    pub authz: Arc<Authz>,
}

pub use crate::directory::BootstrapOutcome;

/// How long a verified token or client is trusted without another look; revocations clear
/// the caches at once, so this bounds only memory.
pub(crate) const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(300);
pub(crate) const CACHE_CAPACITY: u64 = 100_000;

impl Core {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        config: CoreConfig,
        key_set_fetcher: Arc<dyn KeySetFetcher>,
    ) -> Self {
        let kernel = Arc::new(Kernel::new(store, clock, master_key, config));
        let elasticsearch = Arc::new(Elasticsearch::new(kernel.clone()));
        let directory = Arc::new(Directory::new(kernel.clone(), elasticsearch.clone()));
        let programmatic = Arc::new(Programmatic::new(kernel.clone(), directory.clone()));
        let federation = Arc::new(Federation::new(
            kernel.clone(),
            directory.clone(),
            key_set_fetcher,
        ));
        let oauth = Arc::new(OAuth::new(
            kernel.clone(),
            directory.clone(),
            elasticsearch.clone(),
            federation.clone(),
        ));
        let iam = Arc::new(Iam::new(
            kernel.clone(),
            directory.clone(),
            elasticsearch.clone(),
            federation.clone(),
            oauth.clone(),
        ));
        let authz = Arc::new(Authz::new(kernel.clone(), directory.clone(), iam.clone()));
        kernel.listen(vec![
            Arc::downgrade(&directory) as Weak<dyn ChangeListener>,
            Arc::downgrade(&elasticsearch) as Weak<dyn ChangeListener>,
            Arc::downgrade(&programmatic) as Weak<dyn ChangeListener>,
            Arc::downgrade(&federation) as Weak<dyn ChangeListener>,
            Arc::downgrade(&oauth) as Weak<dyn ChangeListener>,
            Arc::downgrade(&iam) as Weak<dyn ChangeListener>,
        ]);
        Self {
            kernel,
            directory,
            elasticsearch,
            programmatic,
            federation,
            oauth,
            iam,
            authz,
        }
    }

    /// Loads what the hot path needs into memory: signing keys (made on the first start) and
    /// revocations. Call once before serving.
    pub async fn load(&self) -> CoreResult<()> {
        self.oauth.ensure_signing_keys().await?;
        self.kernel.reload_revocations().await
    }

    /// During a master key rotation (`SIGIL_MASTER_KEY_PREVIOUS` given), seals every value
    /// the previous key sealed with the current one, in one transaction, and audits it;
    /// answers how many records changed, or `None` when no rotation is under way.
    pub async fn reseal_secrets(&self) -> CoreResult<Option<u64>> {
        let kernel = &self.kernel;
        if !kernel.master_key.is_rotating() {
            return Ok(None);
        }
        let key = kernel.master_key.clone();
        let changed = kernel.store.reseal_all(&move |s| key.reseal(s)).await?;
        let mut event = Actor::default().event(kind::MASTER_KEY_ROTATED, self.now(), None, None);
        event.detail = Some(format!(
            "{changed} records re-sealed under the new master key"
        ));
        kernel.store.record_event(&event).await?;
        Ok(Some(changed))
    }

    /// The periodic chores: prune expired revocations, audit secrets that expired, rotate
    /// signing keys. Expiry is enforced on every request regardless of when this runs.
    pub async fn housekeeping(&self) -> CoreResult<()> {
        let kernel = &self.kernel;
        let now = self.now();
        let prunable = kernel.revocations_prunable_before();
        kernel.store.prune_revocations(prunable).await?;
        kernel.revocations.prune(prunable);
        // The log is stamped by the database's clock, so it is pruned by it too: a node whose
        // clock runs ahead must not delete what the others have not read yet.
        let db_now = kernel.store.database_now().await?;
        kernel
            .store
            .prune_changes(db_now - chrono::Duration::seconds(CHANGE_LOG_RETENTION_SECONDS))
            .await?;
        self.federation.refresh_due_key_sets().await;
        self.elasticsearch.sweep_api_keys().await?;
        kernel.store.record_expired_secrets(now).await?;
        self.oauth.ensure_signing_keys().await
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.kernel.now()
    }

    /// Applies a revocation already written to the store to this node's memory.
    pub fn revoked(&self, revocation: &Revocation) {
        self.kernel.revoked(revocation);
    }

    /// Reads the change log and applies what this node has not yet applied (see
    /// [`Kernel::sync_changes`]).
    pub async fn sync_changes(&self) -> CoreResult<usize> {
        self.kernel.sync_changes().await
    }

    /// Whether this node read the change log within the configured staleness bound.
    pub fn changes_current(&self) -> bool {
        self.kernel.changes_current()
    }

    /// Wakes the returned handle when another node may have changed something (PostgreSQL).
    pub async fn subscribe_changes(&self) -> CoreResult<Option<Arc<tokio::sync::Notify>>> {
        self.kernel.subscribe_changes().await
    }

    /// Records a failed authentication in the audit trail (see [`Kernel::authentication_failed`]).
    pub async fn authentication_failed(&self, actor: &Actor, name: Option<&str>, reason: &str) {
        self.kernel.authentication_failed(actor, name, reason).await;
    }
}
