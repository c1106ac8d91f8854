//! `_has_privileges`: which of the cluster, index and application privileges a request names
//! the caller holds, answered in Elasticsearch's shape. Cluster privileges are those Sigil
//! enforces (with Elasticsearch's groups); index and application privileges are read from the
//! caller's role descriptors (an API key's own intersected with its owner's).

use super::api_keys::query::glob;
use super::application_privileges::{is_action, ApplicationPrivilege};
use super::descriptors::normalize_all;
use super::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What one request may ask about in all (names × privileges), and how long a name may be.
pub const MAX_CHECKS: usize = 10_000;
const MAX_NAME: usize = 1024;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HasPrivilegesRequest {
    pub cluster: Option<Vec<String>>,
    pub index: Option<Vec<IndexCheck>>,
    pub application: Option<Vec<ApplicationCheck>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexCheck {
    /// One index name or pattern, or several.
    pub names: OneOrMany,
    pub privileges: Vec<String>,
    pub allow_restricted_indices: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationCheck {
    pub application: String,
    pub privileges: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// Elasticsearch's answer: every privilege asked about, true or false.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HasPrivilegesAnswer {
    pub username: String,
    pub has_all_requested: bool,
    #[schema(value_type = Object)]
    pub cluster: Map<String, Value>,
    #[schema(value_type = Object)]
    pub index: Map<String, Value>,
    #[schema(value_type = Object)]
    pub application: Map<String, Value>,
}

/// Index privileges and the ones each includes (Elasticsearch's groups).
const INDEX_PRIVILEGES: &[(&str, &[&str])] = &[
    ("all", &[]),
    ("auto_configure", &[]),
    ("create", &["create_doc"]),
    ("create_doc", &[]),
    ("create_index", &[]),
    ("cross_cluster_replication", &[]),
    ("cross_cluster_replication_internal", &[]),
    ("delete", &[]),
    ("delete_index", &[]),
    ("index", &["create", "create_doc"]),
    ("maintenance", &[]),
    (
        "manage",
        &[
            "monitor",
            "view_index_metadata",
            "create_index",
            "delete_index",
            "maintenance",
            "auto_configure",
            "manage_ilm",
            "manage_data_stream_lifecycle",
            "manage_follow_index",
            "manage_leader_index",
        ],
    ),
    ("manage_data_stream_lifecycle", &[]),
    ("manage_follow_index", &[]),
    ("manage_ilm", &[]),
    ("manage_leader_index", &[]),
    ("monitor", &[]),
    ("none", &[]),
    ("read", &["read_cross_cluster"]),
    ("read_cross_cluster", &[]),
    ("view_index_metadata", &[]),
    ("write", &["index", "create", "create_doc", "delete"]),
];

/// Every index privilege name `_has_privileges` knows.
pub(crate) fn index_privilege_names() -> Vec<&'static str> {
    INDEX_PRIVILEGES.iter().map(|(name, _)| *name).collect()
}

fn index_privilege_implies(held: &str, wanted: &str) -> bool {
    held == wanted
        || held == "all"
        || wanted == "none"
        || INDEX_PRIVILEGES
            .iter()
            .find(|(name, _)| *name == held)
            .is_some_and(|(_, includes)| {
                includes.iter().any(|i| index_privilege_implies(i, wanted))
            })
}

/// Whether a role's name pattern (`*`, `?`) covers everything `requested` names. A requested
/// name that is itself a pattern is covered only by the same pattern, `*`, or a wider
/// `prefix*`: never wrongly. Lucene regular expressions (`/…/`) cover nothing here.
fn covers(pattern: &str, requested: &str) -> bool {
    if pattern.starts_with('/') {
        return false;
    }
    if requested.contains(['*', '?']) {
        return pattern == requested
            || pattern == "*"
            || pattern.strip_suffix('*').is_some_and(|prefix| {
                !prefix.contains(['*', '?']) && requested.starts_with(prefix)
            });
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = requested.chars().collect();
    glob::matches(&p, &t, 10_000_000).is_some_and(|(hit, _)| hit)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// The entries of `field` in every descriptor of a layer.
fn entries<'a>(layer: &'a Map<String, Value>, field: &str) -> Vec<&'a Map<String, Value>> {
    layer
        .values()
        .filter_map(|d| d.get(field).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
        .collect()
}

fn layer_has_index(layer: &Map<String, Value>, index: &str, privilege: &str) -> bool {
    entries(layer, "indices").iter().any(|e| {
        strings(e.get("names")).iter().any(|n| covers(n, index))
            && strings(e.get("privileges"))
                .iter()
                .any(|p| index_privilege_implies(p, privilege))
    })
}

/// The actions a privilege name or action pattern stands for in `application`.
fn actions_of(name: &str, application: &str, stored: &[ApplicationPrivilege]) -> Vec<String> {
    if is_action(name) {
        return vec![name.to_owned()];
    }
    stored
        .iter()
        .filter(|p| p.application == application && p.name == name)
        .flat_map(|p| p.actions.clone())
        .collect()
}

fn layer_has_application(
    layer: &Map<String, Value>,
    application: &str,
    resource: &str,
    privilege: &str,
    stored: &[ApplicationPrivilege],
) -> bool {
    let wanted = actions_of(privilege, application, stored);
    if wanted.is_empty() {
        return false;
    }
    let held: Vec<String> = entries(layer, "applications")
        .iter()
        .filter(|e| {
            strings(e.get("application"))
                .iter()
                .any(|a| covers(a, application))
                && strings(e.get("resources"))
                    .iter()
                    .any(|r| covers(r, resource))
        })
        .flat_map(|e| strings(e.get("privileges")))
        .flat_map(|p| actions_of(&p, application, stored))
        .collect();
    wanted.iter().all(|w| held.iter().any(|h| covers(h, w)))
}

fn check_name(field: &str, name: &str) -> CoreResult<()> {
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(CoreError::invalid(
            field,
            format!("names must be 1 to [{MAX_NAME}] characters"),
        ));
    }
    Ok(())
}

/// Checks the request's names and counts what it asks, before anything is read.
pub(crate) fn checked(request: &HasPrivilegesRequest) -> CoreResult<Vec<ClusterPrivilege>> {
    let cluster = request
        .cluster
        .iter()
        .flatten()
        .map(|n| {
            ClusterPrivilege::parse(n).ok_or_else(|| {
                CoreError::invalid("cluster", format!("unknown cluster privilege [{n}]"))
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    let mut count = cluster.len();
    for (i, check) in request.index.iter().flatten().enumerate() {
        let names = check.names.list();
        for n in &names {
            check_name(&format!("index[{i}].names"), n)?;
        }
        for p in &check.privileges {
            if !INDEX_PRIVILEGES.iter().any(|(name, _)| name == p) {
                return Err(CoreError::invalid(
                    format!("index[{i}].privileges"),
                    format!("unknown index privilege [{p}]"),
                ));
            }
        }
        // Each entry counts, even one that asks nothing.
        count = count.saturating_add(names.len().saturating_mul(check.privileges.len()).max(1));
    }
    for (i, check) in request.application.iter().flatten().enumerate() {
        check_name(&format!("application[{i}].application"), &check.application)?;
        for r in &check.resources {
            check_name(&format!("application[{i}].resources"), r)?;
        }
        for p in &check.privileges {
            check_name(&format!("application[{i}].privileges"), p)?;
        }
        count = count.saturating_add(
            check
                .resources
                .len()
                .saturating_mul(check.privileges.len())
                .max(1),
        );
    }
    if count > MAX_CHECKS {
        return Err(CoreError::invalid(
            "index",
            format!("a request may check at most [{MAX_CHECKS}] privileges"),
        ));
    }
    Ok(cluster)
}

impl Elasticsearch {
    /// The caller's role descriptors, as layers every one of which must grant: a user's
    /// roles; an API key's owner's roles and, when it has them, its own descriptors.
    async fn permission_layers(&self, caller: &Principal) -> CoreResult<Vec<Map<String, Value>>> {
        let Some(key_ref) = &caller.api_key else {
            return Ok(vec![
                self.descriptors_of(caller.superuser, &caller.roles).await?,
            ]);
        };
        let key = match self.api_keys.get(&key_ref.id) {
            Some(hit) => hit.as_ref().clone(),
            None => match self.kernel.store.get_api_key(&key_ref.id).await? {
                Some(k) => k,
                // Gone since it authenticated: it holds nothing.
                None => return Ok(vec![Map::new()]),
            },
        };
        let mut keys = [key];
        self.with_limited_by(&mut keys).await?;
        let [key] = keys;
        let mut layers = vec![key.limited_by.descriptors.unwrap_or_default()];
        if !key.role_descriptors.is_empty() {
            layers.push(normalize_all(&key.role_descriptors));
        }
        Ok(layers)
    }

    /// `_has_privileges` for the caller; `user`, when the path names one, must be the caller
    /// (as in Elasticsearch, nobody checks another user's privileges).
    pub async fn has_privileges(
        &self,
        caller: &Principal,
        user: Option<&str>,
        request: HasPrivilegesRequest,
    ) -> CoreResult<HasPrivilegesAnswer> {
        if user.is_some_and(|u| u != caller.name) {
            return Err(CoreError::invalid(
                "user",
                "users may only check the privileges of their own account",
            ));
        }
        let cluster_asked = checked(&request)?;
        let layers = self.permission_layers(caller).await?;
        let mut applications: Vec<String> = request
            .application
            .iter()
            .flatten()
            .map(|a| a.application.clone())
            .collect();
        applications.sort();
        applications.dedup();
        let stored = self.application_privileges_of(&applications).await?;
        Ok(answer(caller, &cluster_asked, &layers, &stored, &request))
    }
}

/// The answer to a checked request, from what the caller holds: its cluster privileges, its
/// descriptors in layers (each must grant), and the stored application privileges.
pub(crate) fn answer(
    caller: &Principal,
    cluster_asked: &[ClusterPrivilege],
    layers: &[Map<String, Value>],
    stored: &[ApplicationPrivilege],
    request: &HasPrivilegesRequest,
) -> HasPrivilegesAnswer {
    let mut all = true;
    let mut cluster = Map::new();
    for (name, p) in request.cluster.iter().flatten().zip(cluster_asked) {
        let held = caller.has_cluster_privilege(*p);
        all &= held;
        cluster.insert(name.clone(), held.into());
    }
    let mut index = Map::new();
    for check in request.index.iter().flatten() {
        for name in check.names.list() {
            let entry = index
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            for p in &check.privileges {
                let held = caller.superuser || layers.iter().all(|l| layer_has_index(l, &name, p));
                all &= held;
                if let Some(m) = entry.as_object_mut() {
                    m.insert(p.clone(), held.into());
                }
            }
        }
    }
    let mut application = Map::new();
    for check in request.application.iter().flatten() {
        let app = application
            .entry(check.application.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        for resource in &check.resources {
            let mut answers = Map::new();
            for p in &check.privileges {
                let held = layers
                    .iter()
                    .all(|l| layer_has_application(l, &check.application, resource, p, stored));
                all &= held;
                answers.insert(p.clone(), held.into());
            }
            if let Some(m) = app.as_object_mut() {
                let slot = m
                    .entry(resource.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(s) = slot.as_object_mut() {
                    s.extend(answers);
                }
            }
        }
    }
    HasPrivilegesAnswer {
        username: caller.name.clone(),
        has_all_requested: all,
        cluster,
        index,
        application,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_cover_names_and_narrower_patterns_only() {
        assert!(covers("logs-*", "logs-2024"));
        assert!(covers("logs-*", "logs-a*"));
        assert!(!covers("logs-a*", "logs-*"));
        assert!(!covers("logs-?", "logs-*"), "a ? never covers a pattern");
        assert!(covers("*", "anything*"));
        assert!(!covers("/logs.*/", "logs"));
    }

    #[test]
    fn index_privileges_nest() {
        assert!(index_privilege_implies("write", "create_doc"));
        assert!(index_privilege_implies("all", "read"));
        assert!(!index_privilege_implies("read", "write"));
        assert!(index_privilege_implies("manage", "monitor"));
    }

    #[test]
    fn application_privileges_resolve_through_stored_actions() {
        let stored = vec![ApplicationPrivilege {
            application: "myapp".into(),
            name: "read".into(),
            actions: vec!["data:read/*".into()],
            metadata: Map::new(),
        }];
        let layer = json!({"r": {"applications": [{"application": "myapp", "privileges": ["read"], "resources": ["*"]}]}});
        let layer = layer.as_object().cloned().unwrap_or_default();
        assert!(layer_has_application(
            &layer, "myapp", "doc/1", "read", &stored
        ));
        assert!(layer_has_application(
            &layer,
            "myapp",
            "doc/1",
            "data:read/x",
            &stored
        ));
        assert!(!layer_has_application(
            &layer,
            "myapp",
            "doc/1",
            "data:write/x",
            &stored
        ));
        assert!(!layer_has_application(
            &layer, "other", "doc/1", "read", &stored
        ));
    }

    #[test]
    fn unknown_names_and_oversized_requests_are_refused() {
        let bad = HasPrivilegesRequest {
            cluster: Some(vec!["sing".into()]),
            ..Default::default()
        };
        assert!(checked(&bad).is_err());
        let huge = HasPrivilegesRequest {
            index: Some(vec![IndexCheck {
                names: OneOrMany::Many(vec!["a".into(); 200]),
                privileges: vec!["read".into(); 100],
                allow_restricted_indices: None,
            }]),
            ..Default::default()
        };
        assert!(checked(&huge).is_err());
    }
}
