//! Authenticating service-account clients by id and secret; the hot path is a cache hit and a
//! SHA-256, never a password hash.

use super::service_account_principal;
use crate::audit::Actor;
use crate::crypto::constant_time_eq;
use crate::error::{CoreError, CoreResult};
use crate::ids::HexId;
use crate::oauth::service_accounts::{hash_secret, ServiceAccount, ServiceAccountSecret};
use crate::oauth::OAuth;
use crate::principal::Principal;
use crate::secret::SecretString;
use std::sync::Arc;

/// A service account and its secrets, as the client cache holds them.
#[derive(Debug)]
pub(crate) struct ClientRecord {
    pub account: ServiceAccount,
    pub secrets: Vec<ServiceAccountSecret>,
}

impl OAuth {
    pub(crate) async fn client_record(
        &self,
        client_id: &str,
    ) -> CoreResult<Option<Arc<ClientRecord>>> {
        if let Some(hit) = self.clients.get(client_id) {
            return Ok(Some(hit));
        }
        let epoch = self.kernel.cache_epoch();
        let Some(account) = self.kernel.store.get_service_account(client_id).await? else {
            return Ok(None);
        };
        let secrets = self.kernel.store.list_secrets(client_id).await?;
        let record = Arc::new(ClientRecord { account, secrets });
        if self.kernel.cacheable_since(epoch) {
            self.clients.insert(client_id.to_owned(), record.clone());
        }
        Ok(Some(record))
    }

    /// Checks a client id and secret: the secret must be one of the account's, unexpired now.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &SecretString,
        actor: &Actor,
    ) -> CoreResult<(ServiceAccount, HexId)> {
        let now = self.kernel.now();
        let hash = hash_secret(secret.expose());
        let check = |record: Option<Arc<ClientRecord>>| {
            record.and_then(|record| {
                record
                    .secrets
                    .iter()
                    .find(|s| {
                        s.is_live(now) && constant_time_eq(s.hash.as_bytes(), hash.as_bytes())
                    })
                    .map(|s| (record.account.clone(), s.id))
            })
        };
        let mut found = check(self.client_record(client_id).await?);
        if found.is_none() && self.clients.contains_key(client_id) {
            // A secret created on another node may not have reached this node's cache yet:
            // look once more in the store before refusing (failures are rate-limited).
            self.clients.invalidate(client_id);
            found = check(self.client_record(client_id).await?);
        }
        let Some((account, secret_id)) = found else {
            self.kernel
                .authentication_failed(actor, Some(client_id), "client id or secret did not verify")
                .await;
            return Err(CoreError::Unauthenticated);
        };
        self.note_secret_used(secret_id).await;
        Ok((account, secret_id))
    }

    /// A service account's client credentials as a principal (Basic at the OAuth endpoints).
    pub async fn authenticate_client_principal(
        &self,
        client_id: &str,
        secret: &SecretString,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        let (account, _) = self.authenticate_client(client_id, secret, actor).await?;
        Ok(service_account_principal(&account))
    }

    /// `lastUsedAt`, written at most once a minute per secret.
    async fn note_secret_used(&self, secret_id: HexId) {
        if self.secret_use_writes.contains_key(&secret_id) {
            return;
        }
        self.secret_use_writes.insert(secret_id, ());
        if let Err(e) = self
            .kernel
            .store
            .touch_secret(secret_id, self.kernel.now())
            .await
        {
            tracing::warn!(error = %e, "could not record lastUsedAt");
        }
    }

    /// Forgets what the caches hold of a service account after any change to it, including
    /// the verified tokens, whose principal carries the account's roles as they were.
    pub(crate) fn forget_client(&self, client_id: &str) {
        self.kernel.bump_cache_epoch();
        self.clients.invalidate(client_id);
        self.token_cache.invalidate_all();
    }
}
