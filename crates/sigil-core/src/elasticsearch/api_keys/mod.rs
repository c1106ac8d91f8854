//! Elasticsearch API keys: created by a user, limited by its privileges and by the
//! key's own role descriptors, authenticated with `Authorization: ApiKey base64(id:key)`,
//! invalidated by id, name, realm, user or owner, and deleted after a retention period.

pub(crate) mod auth;
mod bulk;
mod create;
pub mod invalidate;
pub mod query;
mod time_value;

pub use auth::claimed_api_key_id;
pub use bulk::{BulkUpdateOutcome, BulkUpdateRequest};
pub use create::{ApiKeyDraft, ApiKeyUpdate, CreatedApiKey};
pub use invalidate::{InvalidateRequest, InvalidationOutcome};
pub use query::{QueryRequest, QueryResult};
pub use time_value::parse_time_value;

use crate::principal::{ApiKeyRef, OrgRoleAssignment, Principal, PrincipalKind, Realm};
use crate::privilege::ClusterPrivilege;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Ids are 20 url-safe characters (15 random bytes); keys 22 (16 random bytes, 128 bits).
pub const ID_LEN: usize = 20;
pub const KEY_LEN: usize = 22;
pub const NAME_MAX: usize = 1024;

/// What an API key's owner could do when the key was created or last updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitedBy {
    pub superuser: bool,
    pub cluster: Vec<ClusterPrivilege>,
    pub roles: Vec<String>,
    pub org_roles: Vec<OrgRoleAssignment>,
    /// The owner's user id: a later user of the same name does not inherit the key. Absent
    /// in keys made before it was recorded (those are invalidated when their owner is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The owner's roles as descriptors, by role name (what `limited_by` answers). Absent in
    /// keys made before it was recorded: those answer the roles as they are now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptors: Option<Map<String, Value>>,
}

impl LimitedBy {
    pub fn of(owner: &Principal) -> Self {
        Self {
            superuser: owner.superuser,
            cluster: owner.cluster_privileges.clone(),
            roles: owner.roles.clone(),
            org_roles: owner.org_roles.clone(),
            user_id: Some(owner.id.clone()),
            descriptors: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// Hex SHA-256 of the key: a 128-bit random value needs no slow hash.
    pub key_hash: String,
    pub creation: DateTime<Utc>,
    pub expiration: Option<DateTime<Utc>>,
    pub invalidated: bool,
    pub invalidation: Option<DateTime<Utc>>,
    pub username: String,
    pub realm: String,
    pub realm_type: String,
    pub metadata: Map<String, Value>,
    pub role_descriptors: Map<String, Value>,
    pub limited_by: LimitedBy,
}

/// The cluster privileges a set of role descriptors names; `None` when there are none (the
/// key then has its owner's privileges).
pub(crate) fn descriptor_privileges(
    descriptors: &Map<String, Value>,
) -> Option<Vec<ClusterPrivilege>> {
    if descriptors.is_empty() {
        return None;
    }
    let mut all: Vec<ClusterPrivilege> = descriptors
        .values()
        .filter_map(|d| d.get("cluster").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| p.as_str().and_then(ClusterPrivilege::parse))
        .collect();
    all.sort_by_key(|p| p.as_str());
    all.dedup();
    Some(all)
}

impl ApiKey {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        !self.invalidated && self.expiration.is_none_or(|e| e > now)
    }

    pub fn is_owned_by(&self, who: &Principal) -> bool {
        self.username == who.name && self.realm == who.realm.name
    }

    /// The key's principal while its owner is `owner_now` (the owner as it is now, enabled):
    /// what [`ApiKey::principal`] grants, less anything the owner no longer holds, so a key
    /// is never worth more than its owner. `None` when `owner_now` is another user of the
    /// same name.
    pub fn principal_under(&self, owner_now: &Principal) -> Option<Principal> {
        if self
            .limited_by
            .user_id
            .as_ref()
            .is_some_and(|id| *id != owner_now.id)
        {
            return None;
        }
        let mut p = self.principal();
        p.superuser &= owner_now.superuser;
        if !owner_now.superuser {
            p.cluster_privileges =
                ClusterPrivilege::intersect(&p.cluster_privileges, &owner_now.cluster_privileges);
        }
        p.org_roles
            .retain(|a| owner_now.has_org_role(a.org_id, a.role));
        Some(p)
    }

    /// The key's principal: its owner's privileges (as of creation or the last update),
    /// limited by its role descriptors. A key with descriptors keeps no organization role.
    pub fn principal(&self) -> Principal {
        let owner = &self.limited_by;
        let (superuser, cluster, org_roles) = match descriptor_privileges(&self.role_descriptors) {
            None => (
                owner.superuser,
                owner.cluster.clone(),
                owner.org_roles.clone(),
            ),
            // As Elasticsearch: the key's descriptors intersected with its owner's roles, so
            // a key asking for `all` from a `manage_own_api_key` owner holds
            // `manage_own_api_key`.
            Some(wanted) if owner.superuser => (false, wanted, vec![]),
            Some(wanted) => (
                false,
                ClusterPrivilege::intersect(&wanted, &owner.cluster),
                vec![],
            ),
        };
        Principal {
            kind: PrincipalKind::ApiKey,
            id: self.id.clone(),
            name: self.username.clone(),
            realm: Realm {
                name: self.realm.clone(),
                kind: self.realm_type.clone(),
            },
            superuser,
            org_roles,
            cluster_privileges: cluster,
            roles: vec![],
            api_key: Some(ApiKeyRef {
                id: self.id.clone(),
                name: self.name.clone(),
            }),
            scope: None,
        }
    }
}

/// Which keys a store lookup wants.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyFilter {
    pub ids: Option<Vec<String>>,
    /// An exact name, or a prefix when it ends in `*`.
    pub name: Option<String>,
    pub username: Option<String>,
    pub realm: Option<String>,
    /// Only keys neither invalidated nor expired at this instant.
    pub active_at: Option<DateTime<Utc>>,
}

impl ApiKeyFilter {
    pub fn matches(&self, key: &ApiKey) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&key.id))
            && self
                .name
                .as_deref()
                .is_none_or(|n| name_matches(n, &key.name))
            && self.username.as_deref().is_none_or(|u| u == key.username)
            && self.realm.as_deref().is_none_or(|r| r == key.realm)
            && self.active_at.is_none_or(|now| key.is_active(now))
    }
}

/// `name*` matches by prefix (`*` alone matches every name); anything else exactly.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Whether `text` has the form of an API key id.
pub fn is_id_form(text: &str) -> bool {
    text.len() == ID_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(descriptors: Value, owner: LimitedBy) -> ApiKey {
        ApiKey {
            id: "a".repeat(20),
            name: "k".into(),
            key_hash: String::new(),
            creation: DateTime::default(),
            expiration: None,
            invalidated: false,
            invalidation: None,
            username: "bob".into(),
            realm: "default_native".into(),
            realm_type: "native".into(),
            metadata: Map::new(),
            role_descriptors: descriptors.as_object().cloned().unwrap_or_default(),
            limited_by: owner,
        }
    }

    fn owner(cluster: Vec<ClusterPrivilege>, superuser: bool) -> LimitedBy {
        LimitedBy {
            superuser,
            cluster,
            roles: vec![],
            org_roles: vec![],
            user_id: None,
            descriptors: None,
        }
    }

    #[test]
    fn a_key_without_descriptors_has_its_owners_privileges() {
        let p = key(
            json!({}),
            owner(vec![ClusterPrivilege::ManageOwnApiKey], false),
        )
        .principal();
        assert!(p.has_cluster_privilege(ClusterPrivilege::ManageOwnApiKey));
        assert!(!p.has_cluster_privilege(ClusterPrivilege::ManageApiKey));
    }

    #[test]
    fn descriptors_limit_and_never_extend() {
        let owner_own = owner(vec![ClusterPrivilege::ManageOwnApiKey], false);
        let asks_more = key(
            json!({"r": {"cluster": ["manage_security"]}}),
            owner_own.clone(),
        );
        let limited = asks_more.principal();
        assert!(limited.has_cluster_privilege(ClusterPrivilege::ManageOwnApiKey));
        assert!(!limited.has_cluster_privilege(ClusterPrivilege::ManageApiKey));
        let all = key(json!({"r": {"cluster": ["all"]}}), owner_own.clone()).principal();
        assert_eq!(
            all.cluster_privileges,
            vec![ClusterPrivilege::ManageOwnApiKey],
            "the intersection of all with the owner's privileges"
        );
        let none = key(json!({"r": {"cluster": []}}), owner(vec![], true)).principal();
        assert!(!none.superuser);
        assert!(!none.has_cluster_privilege(ClusterPrivilege::ManageOwnApiKey));
        let some = key(
            json!({"r": {"cluster": ["manage_api_key"]}}),
            owner(vec![], true),
        )
        .principal();
        assert!(some.has_cluster_privilege(ClusterPrivilege::ManageOwnApiKey));
        assert!(!some.has_cluster_privilege(ClusterPrivilege::ManageSecurity));
    }

    fn owner_now(id: &str, cluster: Vec<ClusterPrivilege>, superuser: bool) -> Principal {
        let mut p = key(json!({}), owner(cluster.clone(), superuser)).principal();
        p.kind = PrincipalKind::User;
        p.id = id.into();
        p.api_key = None;
        p.superuser = superuser;
        p.cluster_privileges = cluster;
        p
    }

    #[test]
    fn a_key_is_never_worth_more_than_its_owner_now() {
        let mut k = key(json!({}), owner(vec![ClusterPrivilege::ManageApiKey], true));
        k.limited_by.user_id = Some("u1".into());
        let demoted = k
            .principal_under(&owner_now(
                "u1",
                vec![ClusterPrivilege::ManageOwnApiKey],
                false,
            ))
            .expect("same owner");
        assert!(!demoted.superuser);
        assert!(!demoted.has_cluster_privilege(ClusterPrivilege::ManageApiKey));
        let same = k
            .principal_under(&owner_now("u1", vec![ClusterPrivilege::All], true))
            .expect("same owner");
        assert!(same.superuser);
        assert!(same.has_cluster_privilege(ClusterPrivilege::ManageApiKey));
    }

    #[test]
    fn a_later_user_of_the_same_name_does_not_inherit_a_key() {
        let mut k = key(
            json!({}),
            owner(vec![ClusterPrivilege::ManageOwnApiKey], false),
        );
        k.limited_by.user_id = Some("first".into());
        assert!(k
            .principal_under(&owner_now("second", vec![ClusterPrivilege::All], true))
            .is_none());
    }

    #[test]
    fn names_match_exactly_or_by_prefix() {
        assert!(name_matches("my-*", "my-key"));
        assert!(name_matches("*", "anything"));
        assert!(name_matches("my-key", "my-key"));
        assert!(!name_matches("my-key", "my-key-2"));
    }

    #[test]
    fn ids_have_a_form() {
        assert!(is_id_form("VuaCfGcBCdbkQm-e5aOx"));
        assert!(!is_id_form("short"));
        assert!(!is_id_form("VuaCfGcBCdbkQm-e5aO!"));
    }
}
