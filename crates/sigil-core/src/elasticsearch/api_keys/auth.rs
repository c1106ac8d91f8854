//! `Authorization: ApiKey base64(id:key)`: the hot path is a cache hit by id and one SHA-256,
//! compared in constant time.

use super::create::key_hash;
use super::{is_id_form, ApiKey, ID_LEN, KEY_LEN};
use crate::audit::Actor;
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longer `ApiKey` credentials are refused before decoding.
const MAX_ENCODED: usize = 4 * (ID_LEN + 1 + KEY_LEN + 64);

/// The id and key of an `ApiKey` credential, if it has that form.
pub(crate) fn decode(credentials: &str) -> Option<(String, String)> {
    if credentials.len() > MAX_ENCODED {
        return None;
    }
    let bytes = STANDARD.decode(credentials.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, key) = text.split_once(':')?;
    (is_id_form(id) && !key.is_empty()).then(|| (id.to_owned(), key.to_owned()))
}

/// The key id an `ApiKey` credential names, if it has the form of one (what the failure limit
/// charges the attempt to).
pub fn claimed_api_key_id(credentials: &str) -> Option<String> {
    decode(credentials).map(|(id, _)| id)
}

impl Elasticsearch {
    /// Whether `secret` is the key's and the key is active.
    fn api_key_opens(&self, key: &ApiKey, secret: &str) -> bool {
        let matches: bool = key_hash(secret)
            .as_bytes()
            .ct_eq(key.key_hash.as_bytes())
            .into();
        matches && key.is_active(self.kernel.now_millis())
    }

    /// A key this node has read before, and its owner, from memory.
    pub fn cached_api_key(&self, credentials: &str) -> Option<Principal> {
        let (id, secret) = decode(credentials)?;
        let key = self.api_keys.get(&id)?;
        let owner = self
            .key_owners
            .get(&(key.realm.clone(), key.username.clone()))?;
        if !self.api_key_opens(&key, &secret) {
            return None;
        }
        key.principal_under(owner.as_ref().as_ref()?)
    }

    /// The owner of a key as it is now: `None` when it is disabled or gone, so its keys stop
    /// at once (a user change empties this cache here and, through the change log, on every
    /// node).
    async fn api_key_owner(&self, key: &ApiKey) -> CoreResult<Option<Principal>> {
        let name = (key.realm.clone(), key.username.clone());
        if let Some(hit) = self.key_owners.get(&name) {
            return Ok(hit.as_ref().clone());
        }
        let epoch = self.kernel.cache_epoch();
        let owner = match self.kernel.store.get_user_by_name(&name.0, &name.1).await? {
            Some(user) if user.enabled => Some(self.user_principal(&user).await?),
            _ => None,
        };
        if self.kernel.cacheable_since(epoch) {
            self.key_owners.insert(name, Arc::new(owner.clone()));
        }
        Ok(owner)
    }

    pub async fn authenticate_api_key(
        &self,
        credentials: &str,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        let Some((id, secret)) = decode(credentials) else {
            self.kernel
                .authentication_failed(actor, None, "malformed ApiKey credentials")
                .await;
            return Err(CoreError::Unauthenticated);
        };
        let key = match self.api_keys.get(&id) {
            Some(hit) => Some(hit),
            None => {
                let epoch = self.kernel.cache_epoch();
                let found = self.kernel.store.get_api_key(&id).await?.map(Arc::new);
                if let Some(k) = &found {
                    if self.kernel.cacheable_since(epoch) {
                        self.api_keys.insert(id.clone(), k.clone());
                    }
                }
                found
            }
        };
        let principal = match key.filter(|k| self.api_key_opens(k, &secret)) {
            Some(key) => self
                .api_key_owner(&key)
                .await?
                .and_then(|owner| key.principal_under(&owner)),
            None => None,
        };
        match principal {
            Some(p) => Ok(p),
            None => {
                self.kernel.authentication_failed(
                    actor,
                    Some(&id),
                    "API key unknown, wrong, expired or invalidated, or its owner disabled or deleted",
                )
                .await;
                Err(CoreError::Unauthenticated)
            }
        }
    }

    /// Forgets a key this node holds (updated or invalidated, here or on another node).
    pub(crate) fn forget_api_key(&self, id: &str) {
        self.kernel.bump_cache_epoch();
        self.api_keys.invalidate(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_must_be_base64_of_an_id_a_colon_and_a_key() {
        let good = STANDARD.encode("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw");
        assert!(decode(&good).is_some());
        assert!(decode("not base64 !!").is_none());
        assert!(decode(&STANDARD.encode("no-colon-here")).is_none());
        assert!(decode(&STANDARD.encode("short:key")).is_none());
        assert!(decode(&STANDARD.encode("VuaCfGcBCdbkQm-e5aOx:")).is_none());
        assert!(decode(&"A".repeat(10_000)).is_none());
    }
}
