//! `CachedStore`'s implementation of every store trait: the cached reads go through
//! [`CachedStore::read`], every write through [`CachedStore::write`], every other read straight
//! to the store.

use super::CachedStore;
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
use crate::store::*;
use crate::user::User;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[async_trait]
impl OrgStore for CachedStore {
    async fn is_bootstrapped(&self) -> CoreResult<bool> {
        self.inner.is_bootstrapped().await
    }
    async fn bootstrap(&self, bootstrap: &Bootstrap) -> CoreResult<bool> {
        self.write(self.inner.bootstrap(bootstrap)).await
    }
    async fn create_organization(
        &self,
        org: &Organization,
        settings: &FederationSettings,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.create_organization(org, settings, config, event))
            .await
    }
    async fn get_organization(&self, id: OrgId) -> CoreResult<Option<Organization>> {
        self.read(&self.organizations, id, self.inner.get_organization(id))
            .await
    }
    async fn get_organization_by_name(&self, name: &str) -> CoreResult<Option<Organization>> {
        self.inner.get_organization_by_name(name).await
    }
    async fn get_organization_by_federation_settings(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Option<Organization>> {
        self.read(
            &self.owners,
            fs,
            self.inner.get_organization_by_federation_settings(fs),
        )
        .await
    }
    async fn list_organizations(
        &self,
        only: Option<&[OrgId]>,
        page: &PageRequest,
    ) -> CoreResult<Page<Organization>> {
        self.inner.list_organizations(only, page).await
    }
    async fn get_federation_settings(
        &self,
        id: FederationSettingsId,
    ) -> CoreResult<Option<FederationSettings>> {
        self.read(
            &self.federation_settings,
            id,
            self.inner.get_federation_settings(id),
        )
        .await
    }
}

#[async_trait]
impl FederationStore for CachedStore {
    async fn list_connected_org_configs(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<ConnectedOrgConfig>> {
        self.read(
            &self.connected,
            fs,
            self.inner.list_connected_org_configs(fs),
        )
        .await
    }
    async fn get_connected_org_config(&self, org: OrgId) -> CoreResult<Option<ConnectedOrgConfig>> {
        self.inner.get_connected_org_config(org).await
    }
    async fn put_connected_org_config(
        &self,
        config: &ConnectedOrgConfig,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.put_connected_org_config(config, event))
            .await
    }
    async fn delete_connected_org_config(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(self.inner.delete_connected_org_config(fs, org, event))
            .await
    }
    async fn list_role_mappings(
        &self,
        fs: FederationSettingsId,
        org: OrgId,
    ) -> CoreResult<Vec<RoleMapping>> {
        self.inner.list_role_mappings(fs, org).await
    }
    async fn insert_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.insert_role_mapping(mapping, event))
            .await
    }
    async fn update_role_mapping(
        &self,
        mapping: &RoleMapping,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.update_role_mapping(mapping, event))
            .await
    }
    async fn delete_role_mapping(&self, id: RoleMappingId, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.delete_role_mapping(id, event)).await
    }
    async fn list_identity_providers(
        &self,
        fs: FederationSettingsId,
    ) -> CoreResult<Vec<IdentityProvider>> {
        self.inner.list_identity_providers(fs).await
    }
    async fn get_identity_provider(
        &self,
        fs: FederationSettingsId,
        id: IdentityProviderId,
    ) -> CoreResult<Option<IdentityProvider>> {
        self.read(
            &self.providers,
            (fs, id),
            self.inner.get_identity_provider(fs, id),
        )
        .await
    }
    async fn insert_identity_provider(
        &self,
        idp: &IdentityProvider,
        connect: Option<&ConnectedOrgConfig>,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.insert_identity_provider(idp, connect, event))
            .await
    }
    async fn get_identity_provider_by_name(
        &self,
        fs: FederationSettingsId,
        name: &str,
    ) -> CoreResult<Option<IdentityProvider>> {
        self.inner.get_identity_provider_by_name(fs, name).await
    }
    async fn update_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.update_identity_provider(idp, event))
            .await
    }
    async fn delete_identity_provider(
        &self,
        idp: &IdentityProvider,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.delete_identity_provider(idp, event))
            .await
    }
    async fn find_identity_providers_by_issuer(
        &self,
        issuer: &str,
    ) -> CoreResult<Vec<IdentityProvider>> {
        self.inner.find_identity_providers_by_issuer(issuer).await
    }
    async fn record_jwks_revocation(
        &self,
        idp: &IdentityProvider,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.record_jwks_revocation(idp, revocation, event))
            .await
    }
}

#[async_trait]
impl UserStore for CachedStore {
    async fn get_user(&self, id: UserId) -> CoreResult<Option<User>> {
        self.inner.get_user(id).await
    }
    async fn get_user_by_name(&self, realm: &str, username: &str) -> CoreResult<Option<User>> {
        self.inner.get_user_by_name(realm, username).await
    }
}

#[async_trait]
impl AuditStore for CachedStore {
    async fn record_event(&self, event: &AuditEvent) -> CoreResult<()> {
        self.inner.record_event(event).await
    }
    async fn list_events(
        &self,
        org: OrgId,
        include_unscoped: bool,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        self.inner.list_events(org, include_unscoped, page).await
    }
}

#[async_trait]
impl ServiceAccountStore for CachedStore {
    async fn insert_service_account(
        &self,
        account: &ServiceAccount,
        secret: &ServiceAccountSecret,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.insert_service_account(account, secret, event))
            .await
    }
    async fn get_service_account(&self, client_id: &str) -> CoreResult<Option<ServiceAccount>> {
        self.read(
            &self.service_accounts,
            client_id.to_owned(),
            self.inner.get_service_account(client_id),
        )
        .await
    }
    async fn list_service_accounts(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ServiceAccount>> {
        self.inner.list_service_accounts(org, page).await
    }
    async fn update_service_account(
        &self,
        account: &ServiceAccount,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.update_service_account(account, event))
            .await
    }
    async fn delete_service_account(
        &self,
        client_id: &str,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(
            self.inner
                .delete_service_account(client_id, revocation, event),
        )
        .await
    }
    async fn list_secrets(&self, client_id: &str) -> CoreResult<Vec<ServiceAccountSecret>> {
        self.read(
            &self.secrets,
            client_id.to_owned(),
            self.inner.list_secrets(client_id),
        )
        .await
    }
    async fn insert_secret(
        &self,
        secret: &ServiceAccountSecret,
        max_live: usize,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(self.inner.insert_secret(secret, max_live, now, event))
            .await
    }
    async fn delete_secret(
        &self,
        client_id: &str,
        secret_id: HexId,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(
            self.inner
                .delete_secret(client_id, secret_id, revocation, event),
        )
        .await
    }
    async fn touch_secret(&self, secret_id: HexId, at: DateTime<Utc>) -> CoreResult<()> {
        self.write(self.inner.touch_secret(secret_id, at)).await
    }
    async fn record_expired_secrets(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        self.write(self.inner.record_expired_secrets(now)).await
    }
}

#[async_trait]
impl TokenStore for CachedStore {
    async fn insert_revocation(
        &self,
        revocation: &Revocation,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.insert_revocation(revocation, event))
            .await
    }
    async fn list_revocations(&self, now: DateTime<Utc>) -> CoreResult<Vec<Revocation>> {
        self.inner.list_revocations(now).await
    }
    async fn prune_revocations(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        self.write(self.inner.prune_revocations(now)).await
    }
    async fn list_signing_keys(&self) -> CoreResult<Vec<StoredSigningKey>> {
        self.inner.list_signing_keys().await
    }
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> CoreResult<()> {
        self.write(self.inner.insert_signing_key(key)).await
    }
    async fn delete_signing_key(&self, kid: &str) -> CoreResult<()> {
        self.write(self.inner.delete_signing_key(kid)).await
    }
}

#[async_trait]
impl ChangeStore for CachedStore {
    async fn database_now(&self) -> CoreResult<DateTime<Utc>> {
        self.inner.database_now().await
    }
    async fn changes_after(&self, after: i64, limit: i64) -> CoreResult<Vec<ChangeRecord>> {
        self.inner.changes_after(after, limit).await
    }
    async fn changes_in(&self, seqs: &[i64]) -> CoreResult<Vec<ChangeRecord>> {
        self.inner.changes_in(seqs).await
    }
    async fn change_floor(&self, before: DateTime<Utc>) -> CoreResult<Option<i64>> {
        self.inner.change_floor(before).await
    }
    async fn prune_changes(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        self.write(self.inner.prune_changes(before)).await
    }
    async fn subscribe_changes(&self) -> CoreResult<Option<Arc<tokio::sync::Notify>>> {
        self.inner.subscribe_changes().await
    }
}

#[async_trait]
impl ProgrammaticKeyStore for CachedStore {
    async fn insert_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.insert_programmatic_key(key, event))
            .await
    }
    async fn get_programmatic_key(&self, id: HexId) -> CoreResult<Option<ProgrammaticApiKey>> {
        self.inner.get_programmatic_key(id).await
    }
    async fn get_programmatic_key_by_public(
        &self,
        public_key: &str,
    ) -> CoreResult<Option<ProgrammaticApiKey>> {
        self.inner.get_programmatic_key_by_public(public_key).await
    }
    async fn list_programmatic_keys(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> CoreResult<Page<ProgrammaticApiKey>> {
        self.inner.list_programmatic_keys(org, page).await
    }
    async fn update_programmatic_key(
        &self,
        key: &ProgrammaticApiKey,
        event: &AuditEvent,
    ) -> CoreResult<()> {
        self.write(self.inner.update_programmatic_key(key, event))
            .await
    }
    async fn delete_programmatic_key(&self, id: HexId, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.delete_programmatic_key(id, event))
            .await
    }
}

#[async_trait]
impl SecurityStore for CachedStore {
    async fn put_role(&self, role: &Role, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.put_role(role, event)).await
    }
    async fn get_role(&self, name: &str) -> CoreResult<Option<Role>> {
        self.inner.get_role(name).await
    }
    async fn list_roles(&self) -> CoreResult<Vec<Role>> {
        self.inner.list_roles().await
    }
    async fn delete_role(&self, name: &str, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.delete_role(name, event)).await
    }
    async fn put_user(&self, user: &User, event: &AuditEvent) -> CoreResult<()> {
        self.write(self.inner.put_user(user, event)).await
    }
    async fn list_users(&self, realm: &str) -> CoreResult<Vec<User>> {
        self.inner.list_users(realm).await
    }
    async fn delete_user(&self, id: UserId, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.delete_user(id, event)).await
    }
    async fn insert_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<()> {
        self.write(self.inner.insert_api_key(key, event)).await
    }
    async fn get_api_key(&self, id: &str) -> CoreResult<Option<ApiKey>> {
        self.inner.get_api_key(id).await
    }
    async fn find_api_keys(&self, filter: &ApiKeyFilter) -> CoreResult<Vec<ApiKey>> {
        self.inner.find_api_keys(filter).await
    }
    async fn update_api_key(&self, key: &ApiKey, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.update_api_key(key, event)).await
    }
    async fn invalidate_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(self.inner.invalidate_api_key(id, at, event))
            .await
    }
    async fn delete_retired_api_keys(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        self.write(self.inner.delete_retired_api_keys(before)).await
    }
    async fn put_application_privileges(
        &self,
        privileges: &[ApplicationPrivilege],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>> {
        self.write(self.inner.put_application_privileges(privileges, event))
            .await
    }
    async fn list_application_privileges(
        &self,
        application: Option<&str>,
    ) -> CoreResult<Vec<ApplicationPrivilege>> {
        self.inner.list_application_privileges(application).await
    }
    async fn delete_application_privileges(
        &self,
        application: &str,
        names: &[String],
        event: &AuditEvent,
    ) -> CoreResult<Vec<bool>> {
        self.write(
            self.inner
                .delete_application_privileges(application, names, event),
        )
        .await
    }
}

#[async_trait]
impl AccessKeyStore for CachedStore {
    async fn insert_access_key(
        &self,
        key: &AccessKey,
        max_per_user: usize,
        event: &AuditEvent,
    ) -> CoreResult<bool> {
        self.write(self.inner.insert_access_key(key, max_per_user, event))
            .await
    }
    async fn get_access_key(&self, access: &str) -> CoreResult<Option<AccessKey>> {
        self.inner.get_access_key(access).await
    }
    async fn list_access_keys(
        &self,
        org: OrgId,
        user: Option<UserId>,
    ) -> CoreResult<Vec<AccessKey>> {
        self.inner.list_access_keys(org, user).await
    }
    async fn update_access_key(&self, key: &AccessKey, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.update_access_key(key, event)).await
    }
    async fn delete_access_key(&self, access: &str, event: &AuditEvent) -> CoreResult<bool> {
        self.write(self.inner.delete_access_key(access, event))
            .await
    }
}

#[async_trait]
impl SealedStore for CachedStore {
    async fn reseal_all(&self, reseal: Resealer<'_>) -> CoreResult<u64> {
        self.write(self.inner.reseal_all(reseal)).await
    }
}
