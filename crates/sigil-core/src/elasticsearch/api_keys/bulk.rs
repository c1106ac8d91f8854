//! `_bulk_update` (one update applied to several of the caller's keys, each answered on its
//! own) and `_clear_cache` (this node forgets keys it holds in memory).

use super::create::ApiKeyUpdate;
use super::invalidate::MAX_INVALIDATE_IDS;
use crate::audit::Actor;
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use serde::Deserialize;
use serde_json::{Map, Value};

/// POST /_security/api_key/_bulk_update.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateRequest {
    pub ids: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub role_descriptors: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub expiration: Option<String>,
}

/// What a bulk update did to each key.
#[derive(Debug, Default)]
pub struct BulkUpdateOutcome {
    pub updated: Vec<String>,
    pub noops: Vec<String>,
    /// Keys not updated, with why (not found, not the caller's, invalidated or expired).
    pub errors: Vec<(String, CoreError)>,
}

impl Elasticsearch {
    /// Applies one update to each of `ids`, as the single update does (the caller's own
    /// active keys only); a key that cannot be updated is an error of its own, the others
    /// proceed. A request that is wrong as a whole (no ids, a bad descriptor) changes nothing.
    pub async fn bulk_update_api_keys(
        &self,
        caller: &Principal,
        actor: &Actor,
        request: BulkUpdateRequest,
    ) -> CoreResult<BulkUpdateOutcome> {
        caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
        let mut ids = request.ids.unwrap_or_default();
        if ids.is_empty() {
            return Err(CoreError::invalid("ids", "Field [ids] cannot be empty"));
        }
        if ids.len() > MAX_INVALIDATE_IDS {
            return Err(CoreError::invalid(
                "ids",
                format!("at most [{MAX_INVALIDATE_IDS}] ids"),
            ));
        }
        if let Some(d) = &request.role_descriptors {
            crate::elasticsearch::descriptors::check(d)?;
        }
        if let Some(m) = &request.metadata {
            crate::elasticsearch::roles::check_metadata("metadata", m)?;
        }
        if let Some(e) = &request.expiration {
            super::parse_time_value("expiration", e)?;
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        let mut outcome = BulkUpdateOutcome::default();
        for id in ids {
            let update = ApiKeyUpdate {
                role_descriptors: request.role_descriptors.clone(),
                metadata: request.metadata.clone(),
                expiration: request.expiration.clone(),
            };
            match self.update_api_key(caller, actor, &id, update).await {
                Ok(true) => outcome.updated.push(id),
                Ok(false) => outcome.noops.push(id),
                Err(e @ (CoreError::NotFound { .. } | CoreError::Invalid { .. })) => {
                    outcome.errors.push((id, e));
                }
                Err(other) => return Err(other),
            }
        }
        Ok(outcome)
    }

    /// Forgets the keys named (`*`: every key) from this node's memory, so the next request
    /// with one reads it from the store. Needs `manage_security`.
    pub fn clear_api_key_cache(&self, caller: &Principal, ids: &[String]) -> CoreResult<()> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        if ids.iter().any(|i| i == "*") || ids.is_empty() {
            self.kernel.bump_cache_epoch();
            self.api_keys.invalidate_all();
            self.key_owners.invalidate_all();
        } else {
            for id in ids {
                self.forget_api_key(id);
            }
        }
        Ok(())
    }
}
