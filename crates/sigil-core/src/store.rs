//! What the core needs from a store. Every method that changes something takes the audit
//! event of that change and writes both in one transaction, so nothing is half-written.

use crate::audit::AuditEvent;
use crate::changes::ChangeRecord;
use crate::directory::org::{FederationSettings, Organization};
use crate::elasticsearch::api_keys::{ApiKey, ApiKeyFilter};
use crate::elasticsearch::application_privileges::ApplicationPrivilege;
use crate::elasticsearch::Role;
use crate::error::CoreResult;
use crate::federation::{ConnectedOrgConfig, IdentityProvider, RoleMapping};
use crate::iam::AccessKey;
use crate::ids::HexId;
use crate::ids::{FederationSettingsId, IdentityProviderId, OrgId, RoleMappingId, UserId};
use crate::oauth::service_accounts::{ServiceAccount, ServiceAccountSecret};
use crate::oauth::StoredSigningKey;
use crate::page::{Page, PageRequest};
use crate::programmatic::ProgrammaticApiKey;
use crate::revocation::Revocation;
use crate::user::User;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What the first start writes, in one transaction.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub org: Organization,
    pub federation_settings: FederationSettings,
    pub connected_org_config: ConnectedOrgConfig,
    pub admin: User,
    pub events: Vec<AuditEvent>,
}

/// Everything the core needs; implemented by any type that implements the parts.
pub trait Store:
    OrgStore
    + FederationStore
    + UserStore
    + AuditStore
    + ServiceAccountStore
    + TokenStore
    + ProgrammaticKeyStore
    + ChangeStore
    + SecurityStore
    + AccessKeyStore
    + SealedStore
{
}

impl<T> Store for T where
    T: OrgStore
        + FederationStore
        + UserStore
        + AuditStore
        + ServiceAccountStore
        + TokenStore
        + ProgrammaticKeyStore
        + ChangeStore
        + SecurityStore
        + AccessKeyStore
        + SealedStore
{
}

/// Organizations and their federation settings, and the first start.
#[async_trait]
pub trait OrgStore: Send + Sync + 'static {
    /// Whether the first start's bootstrap has been written.
    async fn is_bootstrapped(&self) -> CoreResult<bool>;
    /// Writes the bootstrap unless another node already did; answers whether this call wrote it.
    async fn bootstrap(&self, bootstrap: &Bootstrap) -> CoreResult<bool>;
    async fn create_organization(
        &self,
        org: &Organization,
        settings: &FederationSettings,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn get_organization(&self, id: OrgId) -> CoreResult<Option<Organization>>;
    async fn get_organization_by_name(&self, name: &str) -> CoreResult<Option<Organization>>;
    /// The organization the federation settings were created with (they belong to it).
    async fn get_organization_by_federation_settings(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Option<Organization>>;
    /// Organizations by name; only those in `only` when it is given.
    async fn list_organizations(
        &self,
        only: Option<&[OrgId]>,
        page: &PageRequest,
    ) -> CoreResult<Page<Organization>>;
    async fn get_federation_settings(
        &self,
        id: FederationSettingsId,
    ) -> CoreResult<Option<FederationSettings>>;
}

/// Connected organizations, role mappings and identity providers.
#[async_trait]
pub trait FederationStore: Send + Sync + 'static {
    async fn list_connected_org_configs(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<ConnectedOrgConfig>>;
    /// An organization is connected to at most one federation settings.
    async fn get_connected_org_config(&self, org: OrgId) -> CoreResult<Option<ConnectedOrgConfig>>;
    async fn put_connected_org_config(
        &self,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// Deletes the connection and its role mappings.
    async fn delete_connected_org_config(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    async fn list_role_mappings(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
    ) -> CoreResult<Vec<RoleMapping>>;
    /// `Conflict` when the organization already maps that external group name.
    async fn insert_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn update_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn delete_role_mapping(&self, id: RoleMappingId, event: &AuditEvent) -> CoreResult<bool>;
    async fn list_identity_providers(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<IdentityProvider>>;
    async fn get_identity_provider(
        &self,
        fs: FederationSettingsId,
        id: IdentityProviderId,
    ) -> CoreResult<Option<IdentityProvider>>;
    /// `connect`: the creating organization's configuration with the provider added, written
    /// in the same transaction (the IAM face). `Conflict` when the issuer and audience, or the
    /// IAM name within the federation, are taken.
    async fn insert_identity_provider(
        &self,
        idp: &IdentityProvider,
        connect: Option<&ConnectedOrgConfig>,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// The provider the IAM face calls `name`: by its IAM name, or by its id.
    async fn get_identity_provider_by_name(
        &self,
        fs: FederationSettingsId,
        name: &str,
    ) -> CoreResult<Option<IdentityProvider>>;
    async fn update_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// Deletes the provider and clears every connected organization's reference to it.
    async fn delete_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// Every provider (of any federation settings) whose issuer is exactly `issuer`.
    async fn find_identity_providers_by_issuer(
        &self,
        issuer: &str,
    ) -> CoreResult<Vec<IdentityProvider>>;
    /// Writes the provider (its new cutoff), the revocation and the event in one transaction.
    async fn record_jwks_revocation(
        &self,
        idp: &IdentityProvider,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()>;
}

/// Local users.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    async fn get_user(&self, id: UserId) -> CoreResult<Option<User>>;
    async fn get_user_by_name(&self, realm: &str, username: &str) -> CoreResult<Option<User>>;
}

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn record_event(&self, event: &AuditEvent) -> CoreResult<()>;
    /// The organization's events, newest first; with `include_unscoped`, also the failed
    /// authentications tied to no organization (system events such as key rotations are
    /// recorded but listed with no organization).
    async fn list_events(
        &self,
        org: OrgId,
        include_unscoped: bool,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>>;
}

/// Service accounts and their secrets.
#[async_trait]
pub trait ServiceAccountStore: Send + Sync + 'static {
    async fn insert_service_account(
        &self,
        account: &ServiceAccount,
        secret: &ServiceAccountSecret,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn get_service_account(&self, client_id: &str) -> CoreResult<Option<ServiceAccount>>;
    async fn list_service_accounts(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ServiceAccount>>;
    async fn update_service_account(
        &self,
        account: &ServiceAccount,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// Deletes the account and its secrets and records the revocation of its tokens.
    async fn delete_service_account(
        &self,
        client_id: &str,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    async fn list_secrets(&self, client_id: &str) -> CoreResult<Vec<ServiceAccountSecret>>;
    /// Inserts the secret unless the account already has `max_live` secrets unexpired at
    /// `now`; answers whether it was inserted. Concurrent calls cannot exceed the limit.
    async fn insert_secret(
        &self,
        secret: &ServiceAccountSecret,
        max_live: usize,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Deletes the secret and records the revocation of the tokens issued with it.
    async fn delete_secret(
        &self,
        client_id: &str,
        secret_id: HexId,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    async fn touch_secret(&self, secret_id: HexId, at: DateTime<Utc>) -> CoreResult<()>;
    /// Flags every secret expired at `now` and not flagged yet, with one audit event each;
    /// answers how many.
    async fn record_expired_secrets(&self, now: DateTime<Utc>) -> CoreResult<u64>;
}

/// Revocations and Sigil's token-signing keys.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn insert_revocation(
        &self,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    /// Every revocation not yet expired at `now`.
    async fn list_revocations(&self, now: DateTime<Utc>) -> CoreResult<Vec<Revocation>>;
    async fn prune_revocations(&self, now: DateTime<Utc>) -> CoreResult<u64>;
    async fn list_signing_keys(&self) -> CoreResult<Vec<StoredSigningKey>>;
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> CoreResult<()>;
    async fn delete_signing_key(&self, kid: &str) -> CoreResult<()>;
}

/// The log of changes every node applies to its caches. The store appends to it in the
/// transaction of each audited change and each revocation; nodes read it when woken (PostgreSQL
/// LISTEN/NOTIFY) and on a timer, which catches anything a dropped connection missed.
#[async_trait]
pub trait ChangeStore: Send + Sync + 'static {
    /// The database's own clock, in whole seconds: the clock every entry is stamped with, so
    /// that nodes whose clocks disagree read one log.
    async fn database_now(&self) -> CoreResult<DateTime<Utc>>;
    /// At most `limit` entries with a sequence number above `after`, lowest first.
    async fn changes_after(&self, after: i64, limit: i64) -> CoreResult<Vec<ChangeRecord>>;
    /// The entries among these sequence numbers that exist now, lowest first.
    async fn changes_in(&self, seqs: &[i64]) -> CoreResult<Vec<ChangeRecord>>;
    /// The highest sequence number of an entry stamped before `before` (the database's clock),
    /// if any: where a reader that starts afresh begins.
    async fn change_floor(&self, before: DateTime<Utc>) -> CoreResult<Option<i64>>;
    /// Deletes the entries stamped before `before` (the database's clock) but the newest of
    /// them, which stays as the floor of [`ChangeStore::change_floor`].
    async fn prune_changes(&self, before: DateTime<Utc>) -> CoreResult<u64>;
    /// Wakes the returned handle whenever another process may have appended a change (and
    /// when the subscription was lost and re-established). `None`: this store has no
    /// notifications; the timer alone applies changes.
    async fn subscribe_changes(&self) -> CoreResult<Option<Arc<tokio::sync::Notify>>>;
}

/// Programmatic API keys (Digest credentials of an organization).
#[async_trait]
pub trait ProgrammaticKeyStore: Send + Sync + 'static {
    /// `Conflict` when the public key is taken.
    async fn insert_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn get_programmatic_key(&self, id: HexId) -> CoreResult<Option<ProgrammaticApiKey>>;
    async fn get_programmatic_key_by_public(
        &self,
        public_key: &str,
    ) -> CoreResult<Option<ProgrammaticApiKey>>;
    async fn list_programmatic_keys(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ProgrammaticApiKey>>;
    async fn update_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()>;
    async fn delete_programmatic_key(&self, id: HexId, event: &AuditEvent) -> CoreResult<bool>;
}

/// Elasticsearch roles, local users as that face manages them, and API keys.
#[async_trait]
pub trait SecurityStore: Send + Sync + 'static {
    /// Creates or replaces the role; answers whether it was created.
    async fn put_role(&self, role: &Role, event: &AuditEvent) -> CoreResult<bool>;
    async fn get_role(&self, name: &str) -> CoreResult<Option<Role>>;
    async fn list_roles(&self) -> CoreResult<Vec<Role>>;
    async fn delete_role(&self, name: &str, event: &AuditEvent) -> CoreResult<bool>;
    /// Creates or replaces the user (by id).
    async fn put_user(&self, user: &User, event: &AuditEvent) -> CoreResult<()>;
    async fn list_users(&self, realm: &str) -> CoreResult<Vec<User>>;
    async fn delete_user(&self, id: UserId, event: &AuditEvent) -> CoreResult<bool>;
    async fn insert_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<()>;
    async fn get_api_key(&self, id: &str) -> CoreResult<Option<ApiKey>>;
    /// Keys matching the filter's indexed parts (ids, username, realm, name); the caller
    /// applies [`ApiKeyFilter::matches`] for the rest.
    async fn find_api_keys(&self, filter: &ApiKeyFilter) -> CoreResult<Vec<ApiKey>>;
    /// Replaces a key that is not invalidated; answers whether it was.
    async fn update_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<bool>;
    /// Marks the key invalidated at `at` unless it already is, in one conditional write;
    /// answers whether this call did it.
    async fn invalidate_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Deletes keys invalidated or expired before `before`; answers how many.
    async fn delete_retired_api_keys(&self, before: DateTime<Utc>) -> CoreResult<u64>;
    /// Creates or replaces application privileges by (application, name), all in one
    /// transaction with `event`; answers for each whether it was created.
    async fn put_application_privileges(
        &self,
        privileges: &[ApplicationPrivilege],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>>;
    /// The privileges of one application (of all when `None`), by application then name.
    async fn list_application_privileges(
        &self,
        application: Option<&str>,
    ) -> CoreResult<Vec<ApplicationPrivilege>>;
    /// Deletes an application's privileges by name, in one transaction with `event` (recorded
    /// only when one existed); answers for each name whether it existed.
    async fn delete_application_privileges(
        &self,
        application: &str,
        names: &[String],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>>;
}

/// IAM access keys (SDK-HMAC-SHA256).
#[async_trait]
pub trait AccessKeyStore: Send + Sync + 'static {
    /// Inserts the key unless its user already holds `max_per_user` keys (checked in the
    /// inserting transaction); answers whether it was inserted.
    async fn insert_access_key(
        &self,
        key: &AccessKey,
        max_per_user: usize,
        event: &AuditEvent,
    ) -> CoreResult<bool>;
    async fn get_access_key(&self, access: &str) -> CoreResult<Option<AccessKey>>;
    /// The keys of a domain, of one user when `user` is given, oldest first.
    async fn list_access_keys(
        &self,
        org: OrgId,
        user: Option<UserId>,
    ) -> CoreResult<Vec<AccessKey>>;
    /// Answers whether the key existed.
    async fn update_access_key(&self, key: &AccessKey, event: &AuditEvent) -> CoreResult<bool>;
    async fn delete_access_key(&self, access: &str, event: &AuditEvent) -> CoreResult<bool>;
}

/// Re-sealing, for a rotation of the master key: what is sealed where is the store's business,
/// what a re-sealed value is, the core's.
pub type Resealer<'a> = &'a (dyn Fn(&str) -> CoreResult<Option<String>> + Send + Sync);

#[async_trait]
pub trait SealedStore: Send + Sync + 'static {
    /// Applies `reseal` to every sealed value (users' and programmatic API keys' Digest HA1s,
    /// token-signing private keys, access keys' secret keys), writing back those it changes,
    /// in one transaction; answers how many records changed.
    async fn reseal_all(&self, reseal: Resealer<'_>) -> CoreResult<u64>;
}
