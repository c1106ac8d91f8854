//! Roles: a name for a set of cluster privileges (index and application privileges are kept
//! in the shapes Elasticsearch documents, and grant nothing in Sigil).

use super::SUPERUSER_ROLE;
use crate::audit::{kind, Actor};
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::kernel::Forget;
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub cluster: Vec<ClusterPrivilege>,
    pub metadata: Map<String, Value>,
    /// `indices`, `applications`, `run_as`, `description`: kept verbatim, granting nothing.
    pub other: Map<String, Value>,
    pub created_at: DateTime<Utc>,
}

/// PUT /_security/role/{name}.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDraft {
    pub cluster: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub indices: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub applications: Option<Value>,
    pub run_as: Option<Vec<String>>,
    pub description: Option<String>,
}

pub const ROLE_NAME_MAX: usize = 507;

/// Role and user names: 1 to 507 printable characters, no surrounding whitespace.
pub(crate) fn check_name(field: &str, name: &str) -> CoreResult<()> {
    let len = name.chars().count();
    if len == 0 || len > ROLE_NAME_MAX {
        return Err(CoreError::invalid(
            field,
            format!("must be 1 to {ROLE_NAME_MAX} characters"),
        ));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            field,
            "must be printable and not begin or end with whitespace",
        ));
    }
    Ok(())
}

/// Names beginning with `_` are reserved, as in Elasticsearch (its own endpoints live there:
/// `/_security/user/_has_privileges` must never create a user).
pub(crate) fn check_not_reserved(field: &str, what: &str, name: &str) -> CoreResult<()> {
    if name.starts_with('_') {
        return Err(CoreError::invalid(
            field,
            format!("Invalid {what} name [{name}]: leading underscores are reserved"),
        ));
    }
    Ok(())
}

/// Metadata keys beginning with `_` are reserved.
pub(crate) fn check_metadata(field: &str, metadata: &Map<String, Value>) -> CoreResult<()> {
    match metadata.keys().find(|k| k.starts_with('_')) {
        Some(k) => Err(CoreError::invalid(
            field,
            format!("metadata keys may not start with [_]: [{k}]"),
        )),
        None => Ok(()),
    }
}

pub(crate) fn parse_privileges(field: &str, names: &[String]) -> CoreResult<Vec<ClusterPrivilege>> {
    names
        .iter()
        .map(|n| {
            ClusterPrivilege::parse(n).ok_or_else(|| {
                CoreError::invalid(field, format!("unknown cluster privilege [{n}]"))
            })
        })
        .collect()
}

fn superuser_role() -> Role {
    Role {
        name: SUPERUSER_ROLE.into(),
        cluster: vec![ClusterPrivilege::All],
        metadata: Map::from_iter([("_reserved".to_owned(), Value::Bool(true))]),
        other: Map::new(),
        created_at: DateTime::default(),
    }
}

impl Elasticsearch {
    /// Creates or replaces a role; answers whether it was created. Needs `manage_security`.
    pub async fn put_role(
        &self,
        caller: &Principal,
        actor: &Actor,
        name: &str,
        draft: RoleDraft,
    ) -> CoreResult<bool> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        check_name("name", name)?;
        check_not_reserved("name", "role", name)?;
        if name == SUPERUSER_ROLE {
            return Err(CoreError::invalid(
                "name",
                "the role [superuser] is reserved",
            ));
        }
        let metadata = draft.metadata.unwrap_or_default();
        check_metadata("metadata", &metadata)?;
        if let Some(indices) = &draft.indices {
            super::role_shapes::check_indices(indices)?;
        }
        if let Some(applications) = &draft.applications {
            super::role_shapes::check_applications(applications)?;
        }
        let mut other = Map::new();
        for (key, value) in [
            ("indices", draft.indices),
            ("applications", draft.applications),
            ("run_as", draft.run_as.map(Value::from)),
            ("description", draft.description.map(Value::from)),
        ] {
            if let Some(v) = value {
                other.insert(key.into(), v);
            }
        }
        let cluster = parse_privileges("cluster", &draft.cluster.unwrap_or_default())?;
        // A role grants only what its author holds: nobody raises a role they hold above
        // themselves. Names that grant nothing in Sigil (`manage_ml`, …) are kept freely.
        if let Some(p) = cluster
            .iter()
            .find(|p| p.grants_in_sigil() && !caller.has_cluster_privilege(**p))
        {
            return Err(CoreError::Forbidden {
                needs: crate::privilege::Privilege::Cluster(*p),
            });
        }
        let role = Role {
            name: name.to_owned(),
            cluster,
            metadata,
            other,
            created_at: self.kernel.now(),
        };
        let event = actor.event(
            kind::ROLE_CHANGED,
            self.kernel.now(),
            None,
            Some(name.to_owned()),
        );
        let created = self.kernel.store.put_role(&role, &event).await?;
        self.kernel.forget(Forget::Credentials);
        self.roles.invalidate_all();
        Ok(created)
    }

    /// The roles named (all when `names` is empty), built-in ones included. Needs
    /// `read_security`.
    pub async fn get_roles(&self, caller: &Principal, names: &[String]) -> CoreResult<Vec<Role>> {
        caller.require_cluster(ClusterPrivilege::ReadSecurity)?;
        let mut all = vec![superuser_role()];
        all.extend(self.kernel.store.list_roles().await?);
        if names.is_empty() {
            return Ok(all);
        }
        let found: Vec<Role> = all
            .into_iter()
            .filter(|r| names.contains(&r.name))
            .collect();
        if found.is_empty() {
            return Err(CoreError::not_found(ResourceKind::Role, names.join(",")));
        }
        Ok(found)
    }

    /// Deletes a role; answers whether it existed. Needs `manage_security`.
    pub async fn delete_role(
        &self,
        caller: &Principal,
        actor: &Actor,
        name: &str,
    ) -> CoreResult<bool> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        if name == SUPERUSER_ROLE {
            return Err(CoreError::invalid(
                "name",
                "the role [superuser] is reserved",
            ));
        }
        let event = actor.event(
            kind::ROLE_DELETED,
            self.kernel.now(),
            None,
            Some(name.to_owned()),
        );
        let found = self.kernel.store.delete_role(name, &event).await?;
        self.kernel.forget(Forget::Credentials);
        self.roles.invalidate_all();
        Ok(found)
    }

    /// A stored role through the roles cache (`None`: no such role).
    pub(crate) async fn role_cached(&self, name: &str) -> CoreResult<Arc<Option<Role>>> {
        if let Some(hit) = self.roles.get(name) {
            return Ok(hit);
        }
        let epoch = self.kernel.cache_epoch();
        let found = Arc::new(self.kernel.store.get_role(name).await?);
        if self.kernel.cacheable_since(epoch) {
            self.roles.insert(name.to_owned(), found.clone());
        }
        Ok(found)
    }

    /// Roles as descriptors by name, the built-in `superuser` (held by role or by the user's
    /// flag) among them; roles that do not exist are left out, as Elasticsearch leaves them.
    pub(crate) async fn descriptors_of(
        &self,
        superuser: bool,
        role_names: &[String],
    ) -> CoreResult<Map<String, Value>> {
        let mut out = Map::new();
        if superuser {
            out.insert(SUPERUSER_ROLE.into(), super::descriptors::superuser());
        }
        for name in role_names {
            if name == SUPERUSER_ROLE {
                out.insert(name.clone(), super::descriptors::superuser());
            } else if let Some(role) = self.role_cached(name).await?.as_ref() {
                out.insert(name.clone(), super::descriptors::of_role(role));
            }
        }
        Ok(out)
    }

    /// The cluster privileges `role_names` grant; unknown roles grant nothing.
    pub(crate) async fn privileges_of(
        &self,
        role_names: &[String],
    ) -> CoreResult<Vec<ClusterPrivilege>> {
        let mut privileges = vec![];
        for name in role_names {
            if name == SUPERUSER_ROLE {
                privileges.push(ClusterPrivilege::All);
                continue;
            }
            if let Some(role) = self.role_cached(name).await?.as_ref() {
                privileges.extend(role.cluster.iter().copied());
            }
        }
        privileges.sort_by_key(|p| p.as_str());
        privileges.dedup();
        Ok(privileges)
    }
}
