//! Creating, reading and updating API keys.

use super::{
    descriptor_privileges, is_id_form, parse_time_value, ApiKey, ApiKeyFilter, LimitedBy, NAME_MAX,
};
use crate::audit::{kind, Actor};
use crate::elasticsearch::roles::check_metadata;
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::principal::Principal;
use crate::privilege::{ClusterPrivilege, Privilege};
use crate::secret::{random_urlsafe, SecretString};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// POST /_security/api_key.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyDraft {
    pub name: Option<String>,
    /// A time value: `30m`, `12h`, `7d`…
    pub expiration: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub role_descriptors: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
}

/// PUT /_security/api_key/{id}: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyUpdate {
    #[schema(value_type = Option<Object>)]
    pub role_descriptors: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub expiration: Option<String>,
}

/// A new key, shown once.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub id: String,
    pub name: String,
    pub expiration: Option<DateTime<Utc>>,
    pub api_key: SecretString,
    /// base64(`id:api_key`), what `Authorization: ApiKey` carries.
    pub encoded: SecretString,
}

pub(crate) fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn check_name(name: Option<String>) -> CoreResult<String> {
    let name = name.ok_or_else(|| CoreError::missing("name"))?;
    if name.is_empty() {
        return Err(CoreError::missing("name"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(CoreError::invalid(
            "name",
            format!("api key name may not be more than [{NAME_MAX}] characters long"),
        ));
    }
    if name.trim() != name {
        return Err(CoreError::invalid(
            "name",
            "api key name may not begin or end with whitespace",
        ));
    }
    if name.starts_with('_') {
        return Err(CoreError::invalid(
            "name",
            "api key name may not begin with an underscore",
        ));
    }
    Ok(name)
}

/// Who may own API keys: a user signed in with its own password. Not an API key (as in
/// Elasticsearch, a key does not mint keys), and not a token or access key bound to one
/// organization: a key is not scoped, so a scoped or short-lived credential would mint
/// something wider and longer-lived than itself.
fn owner(caller: &Principal) -> CoreResult<()> {
    caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
    if !caller.is_realm_user() {
        return Err(CoreError::Forbidden {
            needs: Privilege::RealmUser,
        });
    }
    Ok(())
}

impl Elasticsearch {
    pub async fn create_api_key(
        &self,
        caller: &Principal,
        actor: &Actor,
        draft: ApiKeyDraft,
    ) -> CoreResult<CreatedApiKey> {
        owner(caller)?;
        let name = check_name(draft.name)?;
        let now = self.kernel.now_millis();
        let expiration = draft
            .expiration
            .map(|e| parse_time_value("expiration", &e).map(|d| now + d))
            .transpose()?;
        let metadata = draft.metadata.unwrap_or_default();
        check_metadata("metadata", &metadata)?;
        let role_descriptors = draft.role_descriptors.unwrap_or_default();
        crate::elasticsearch::descriptors::check(&role_descriptors)?;
        let id = random_urlsafe(15);
        let secret = random_urlsafe(16);
        let key = ApiKey {
            id: id.clone(),
            name: name.clone(),
            key_hash: key_hash(&secret),
            creation: now,
            expiration,
            invalidated: false,
            invalidation: None,
            username: caller.name.clone(),
            realm: caller.realm.name.clone(),
            realm_type: caller.realm.kind.clone(),
            metadata,
            role_descriptors,
            limited_by: self.limited_by(caller).await?,
        };
        let event = actor.event(kind::SECURITY_API_KEY_CREATED, now, None, Some(id.clone()));
        self.kernel.store.insert_api_key(&key, &event).await?;
        let encoded = STANDARD.encode(format!("{id}:{secret}"));
        Ok(CreatedApiKey {
            id,
            name,
            expiration,
            api_key: SecretString::new(secret),
            encoded: SecretString::new(encoded),
        })
    }

    /// What an owner's key is limited by: its privileges and its roles as descriptors now.
    async fn limited_by(&self, owner: &Principal) -> CoreResult<LimitedBy> {
        let mut limited = LimitedBy::of(owner);
        limited.descriptors = Some(self.descriptors_of(owner.superuser, &owner.roles).await?);
        Ok(limited)
    }

    /// Whether `caller` may read the owners' descriptors (`with_limited_by`): as in
    /// Elasticsearch, only with `manage_api_key`, even for its own keys.
    pub(crate) fn require_limited_by_view(caller: &Principal) -> CoreResult<()> {
        caller.require_cluster(ClusterPrivilege::ManageApiKey)
    }

    /// Fills in the owner's descriptors of keys made before they were recorded (the roles
    /// their owner names now).
    pub(crate) async fn with_limited_by(&self, keys: &mut [ApiKey]) -> CoreResult<()> {
        for key in keys.iter_mut() {
            if key.limited_by.descriptors.is_none() {
                let owner = &key.limited_by;
                key.limited_by.descriptors =
                    Some(self.descriptors_of(owner.superuser, &owner.roles).await?);
            }
        }
        Ok(())
    }

    /// Keys matching `filter` that `caller` may see: all with `manage_api_key`, else its own.
    /// An `ids` filter finding nothing is `NotFound`, as Elasticsearch answers it. With
    /// `with_limited_by`, each key carries its owner's descriptors.
    pub async fn get_api_keys(
        &self,
        caller: &Principal,
        mut filter: ApiKeyFilter,
        with_limited_by: bool,
    ) -> CoreResult<Vec<ApiKey>> {
        caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
        if with_limited_by {
            Self::require_limited_by_view(caller)?;
        }
        let own_only = !caller.has_cluster_privilege(ClusterPrivilege::ManageApiKey);
        if own_only {
            // Asking for someone else's keys needs manage_api_key, as in Elasticsearch.
            let others = filter.username.as_deref().is_some_and(|u| u != caller.name)
                || filter
                    .realm
                    .as_deref()
                    .is_some_and(|r| r != caller.realm.name);
            if others {
                return Err(CoreError::Forbidden {
                    needs: Privilege::Cluster(ClusterPrivilege::ManageApiKey),
                });
            }
            filter.username = Some(caller.name.clone());
            filter.realm = Some(caller.realm.name.clone());
        }
        if let Some(ids) = &filter.ids {
            if ids.iter().any(|i| !is_id_form(i)) {
                return Err(CoreError::not_found(
                    ResourceKind::SecurityApiKey,
                    ids.join(","),
                ));
            }
        }
        let mut keys = self.kernel.store.find_api_keys(&filter).await?;
        keys.retain(|k| filter.matches(k));
        keys.sort_by(|a, b| a.creation.cmp(&b.creation).then(a.id.cmp(&b.id)));
        if keys.is_empty() {
            if let Some(ids) = &filter.ids {
                return Err(CoreError::not_found(
                    ResourceKind::SecurityApiKey,
                    ids.join(","),
                ));
            }
        }
        if with_limited_by {
            self.with_limited_by(&mut keys).await?;
        }
        Ok(keys)
    }

    /// Updates one of the caller's own active keys; answers whether anything changed.
    pub async fn update_api_key(
        &self,
        caller: &Principal,
        actor: &Actor,
        id: &str,
        update: ApiKeyUpdate,
    ) -> CoreResult<bool> {
        owner(caller)?;
        let not_found = || CoreError::not_found(ResourceKind::SecurityApiKey, id);
        if !is_id_form(id) {
            return Err(not_found());
        }
        let mut key = self
            .kernel
            .store
            .get_api_key(id)
            .await?
            .ok_or_else(not_found)?;
        if !key.is_owned_by(caller) {
            return Err(not_found());
        }
        let now = self.kernel.now_millis();
        if !key.is_active(now) {
            return Err(CoreError::invalid(
                "id",
                format!("cannot update invalidated or expired API key [{id}]"),
            ));
        }
        let before = key.clone();
        if let Some(d) = update.role_descriptors {
            crate::elasticsearch::descriptors::check(&d)?;
            key.role_descriptors = d;
        }
        if let Some(m) = update.metadata {
            check_metadata("metadata", &m)?;
            key.metadata = m;
        }
        if let Some(e) = update.expiration {
            key.expiration = Some(now + parse_time_value("expiration", &e)?);
        }
        key.limited_by = self.limited_by(caller).await?;
        if key == before {
            return Ok(false);
        }
        let event = actor.event(
            kind::SECURITY_API_KEY_UPDATED,
            now,
            None,
            Some(id.to_owned()),
        );
        let updated = self.kernel.store.update_api_key(&key, &event).await?;
        self.forget_api_key(id);
        Ok(updated)
    }

    /// Deletes keys invalidated or expired before the retention period; answers how many.
    pub async fn sweep_api_keys(&self) -> CoreResult<u64> {
        let cutoff = self.kernel.now() - self.kernel.config.api_key_retention;
        self.kernel.store.delete_retired_api_keys(cutoff).await
    }

    /// Whether a key's descriptors narrow it (for views).
    pub fn api_key_is_limited(key: &ApiKey) -> bool {
        descriptor_privileges(&key.role_descriptors).is_some()
    }
}
