//! [`Core`]: the one object every face calls, built once at start.

use crate::audit::{kind, Actor, AuditEvent};
use crate::auth::AuthCache;
use crate::changes::{new_sync_state, SyncTracker, CHANGE_LOG_RETENTION_SECONDS};
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::digest::NonceKeeper;
use crate::error::{CoreError, CoreResult};
use crate::federation::jwt::OrgGrants;
use crate::federation::key_sets::{KeySetFetcher, KeySets};
use crate::federation::IdentityProvider;
use crate::ids::{HexId, IdentityProviderId, OrgId};
use crate::org::Organization;
use crate::page::{Page, PageRequest};
use crate::principal::{OrgRoleAssignment, Realm};
use crate::privilege::{OrgOwner, OrgRole};
use crate::revocation::{Revocation, RevocationKind, RevocationList, PRUNE_GRACE_SECONDS};
use crate::secret::{random_password, SecretString};
use crate::security::api_keys::ApiKey;
use crate::security::Role;
use crate::store::{Bootstrap, Store};
use crate::tokens::clients::ClientRecord;
use crate::tokens::{Keyring, VerifiedToken, ACCESS_TOKEN_SECONDS, CLOCK_SKEW_SECONDS};
use crate::user::{hash_password, Ha1, User};
use chrono::{DateTime, Utc};
use moka::sync::Cache;
use std::sync::Arc;

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

/// How long a verified token or client is trusted without another look; revocations clear
/// the caches at once, so this bounds only memory.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(300);
const CACHE_CAPACITY: u64 = 100_000;

pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) master_key: MasterKey,
    pub(crate) config: CoreConfig,
    pub(crate) auth_cache: AuthCache,
    pub(crate) nonces: NonceKeeper,
    /// Every Argon2id run of the process goes through it (a slot per core, a bounded queue).
    pub(crate) password_gate: crate::password_gate::PasswordGate,
    pub(crate) revocations: RevocationList,
    pub(crate) keyring: Keyring,
    pub(crate) token_cache: Cache<[u8; 32], Arc<VerifiedToken>>,
    pub(crate) clients: Cache<String, Arc<ClientRecord>>,
    /// Secrets whose `lastUsedAt` was written in the last minute.
    pub(crate) secret_use_writes: Cache<HexId, ()>,
    pub(crate) key_sets: KeySets,
    /// Identity providers by issuer (an empty list remembers that none has it).
    pub(crate) providers_by_issuer: Cache<String, Arc<Vec<Arc<IdentityProvider>>>>,
    pub(crate) provider_grants: Cache<IdentityProviderId, Arc<Vec<OrgGrants>>>,
    pub(crate) sync: SyncTracker,
    /// Bumped by every invalidation. A slow path notes it before reading the store and caches
    /// its result only if it has not moved, so a revocation that lands while a credential is
    /// being verified cannot be undone by that verification's cache insert.
    pub(crate) cache_epoch: std::sync::atomic::AtomicU64,
    /// Elasticsearch roles by name (`None`: no such role).
    pub(crate) roles: Cache<String, Arc<Option<Role>>>,
    /// Elasticsearch API keys by id, as last read.
    pub(crate) api_keys: Cache<String, Arc<ApiKey>>,
    /// The owners of Elasticsearch API keys by (realm, username), as they are now (`None`:
    /// disabled or deleted); emptied with the credential caches on any user or role change.
    pub(crate) key_owners: Cache<(String, String), Arc<Option<crate::principal::Principal>>>,
    /// IAM access keys by access key id, their secret keys opened.
    pub(crate) access_keys: Cache<String, Arc<crate::iam::AccessKeyRecord>>,
}

/// What the first start did.
#[derive(Debug)]
pub enum BootstrapOutcome {
    /// The store was already bootstrapped: nothing changed.
    AlreadyDone,
    /// Bootstrapped; `generated_password` is set when no password was given and one was made.
    Done {
        org_id: OrgId,
        generated_password: Option<SecretString>,
    },
}

impl Core {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        config: CoreConfig,
        key_set_fetcher: Arc<dyn KeySetFetcher>,
    ) -> Self {
        let nonces = NonceKeeper::new(master_key.derive("sigil digest nonces v1"));
        crate::auth::prepare_dummy_hash();
        Self {
            store,
            clock,
            master_key,
            config,
            auth_cache: AuthCache::new(),
            nonces,
            password_gate: crate::password_gate::PasswordGate::per_core(),
            revocations: RevocationList::default(),
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
            key_sets: KeySets::new(key_set_fetcher),
            providers_by_issuer: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            provider_grants: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            sync: new_sync_state(),
            cache_epoch: std::sync::atomic::AtomicU64::new(0),
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
            access_keys: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }

    /// Loads what the hot path needs into memory: signing keys (made on the first start) and
    /// revocations. Call once before serving.
    pub async fn load(&self) -> CoreResult<()> {
        self.ensure_signing_keys().await?;
        self.reload_revocations().await
    }

    /// During a master key rotation (`SIGIL_MASTER_KEY_PREVIOUS` given), seals every value
    /// the previous key sealed with the current one, in one transaction, and audits it;
    /// answers how many records changed, or `None` when no rotation is under way.
    pub async fn reseal_secrets(&self) -> CoreResult<Option<u64>> {
        if !self.master_key.is_rotating() {
            return Ok(None);
        }
        let key = self.master_key.clone();
        let changed = self.store.reseal_all(&move |s| key.reseal(s)).await?;
        let mut event = Actor::default().event(kind::MASTER_KEY_ROTATED, self.now(), None, None);
        event.detail = Some(format!(
            "{changed} records re-sealed under the new master key"
        ));
        self.store.record_event(&event).await?;
        Ok(Some(changed))
    }

    /// Replaces the in-memory revocations with the store's.
    pub async fn reload_revocations(&self) -> CoreResult<()> {
        let all = self
            .store
            .list_revocations(self.revocations_prunable_before())
            .await?;
        self.revocations.replace_all(&all);
        self.bump_cache_epoch();
        self.token_cache.invalidate_all();
        Ok(())
    }

    /// Revocations that expired before this may be forgotten: their expiry plus
    /// [`PRUNE_GRACE_SECONDS`] for the other nodes' clocks.
    fn revocations_prunable_before(&self) -> DateTime<Utc> {
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

    /// The periodic chores: prune expired revocations, audit secrets that expired, rotate
    /// signing keys. Expiry is enforced on every request regardless of when this runs.
    pub async fn housekeeping(&self) -> CoreResult<()> {
        let now = self.now();
        let prunable = self.revocations_prunable_before();
        self.store.prune_revocations(prunable).await?;
        self.revocations.prune(prunable);
        // The log is stamped by the database's clock, so it is pruned by it too: a node whose
        // clock runs ahead must not delete what the others have not read yet.
        let db_now = self.store.database_now().await?;
        self.store
            .prune_changes(db_now - chrono::Duration::seconds(CHANGE_LOG_RETENTION_SECONDS))
            .await?;
        self.key_sets.refresh_due().await;
        self.sweep_api_keys().await?;
        self.store.record_expired_secrets(now).await?;
        self.ensure_signing_keys().await
    }

    pub(crate) fn cache_epoch(&self) -> u64 {
        self.cache_epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether nothing was invalidated since `epoch` was read: only then may a result be cached.
    pub(crate) fn cacheable_since(&self, epoch: u64) -> bool {
        self.cache_epoch() == epoch
    }

    pub(crate) fn bump_cache_epoch(&self) {
        self.cache_epoch
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// On an empty store: the `default` organization, its federation settings, and the
    /// `admin` user (ORG_OWNER and superuser). Never runs twice, never changes a password.
    pub async fn bootstrap(
        &self,
        admin_password: Option<SecretString>,
    ) -> CoreResult<BootstrapOutcome> {
        if self.store.is_bootstrapped().await? {
            return Ok(BootstrapOutcome::AlreadyDone);
        }
        let now = self.now();
        let (org, federation_settings, connected_org_config) =
            Organization::new("default".into(), now);
        let generated = admin_password.is_none();
        let password = admin_password.unwrap_or_else(random_password);
        let hashed = password.clone();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&hashed))
            .await
            .map_err(CoreError::internal)??;
        let admin = User {
            id: HexId::random(),
            username: "admin".into(),
            realm: Realm::NATIVE.into(),
            password_hash,
            digest_ha1: Ha1::compute("admin", &password).seal(&self.master_key)?,
            superuser: true,
            full_name: None,
            email: None,
            enabled: true,
            org_roles: vec![OrgRoleAssignment {
                org_id: org.id,
                role: OrgRole::OrgOwner,
            }],
            created_at: now,
            roles: vec![crate::security::SUPERUSER_ROLE.into()],
            metadata: Default::default(),
        };
        let actor = Actor::default();
        let events = vec![
            actor.event(
                kind::ORG_CREATED,
                now,
                Some(org.id),
                Some(org.id.to_string()),
            ),
            actor.event(
                kind::USER_BOOTSTRAPPED,
                now,
                Some(org.id),
                Some(admin.id.to_string()),
            ),
        ];
        let org_id = org.id;
        let bootstrap = Bootstrap {
            org,
            federation_settings,
            connected_org_config,
            admin,
            events,
        };
        if self.store.bootstrap(&bootstrap).await? {
            Ok(BootstrapOutcome::Done {
                org_id,
                generated_password: generated.then_some(password),
            })
        } else {
            Ok(BootstrapOutcome::AlreadyDone)
        }
    }

    /// The organization's audit trail, newest first. The superuser also sees events tied to no
    /// organization, such as failed authentications of unknown names.
    pub async fn list_events(
        &self,
        owner: OrgOwner,
        superuser: bool,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        self.organization(owner.org).await?;
        self.store.list_events(owner.org, superuser, page).await
    }
}
