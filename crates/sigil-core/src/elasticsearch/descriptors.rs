//! Role descriptors as Elasticsearch reads, normalizes and answers them: an API key's
//! `role_descriptors`, its `limited_by` (its owner's roles), and a role as a descriptor.

use super::role_shapes::{check_applications_at, check_indices_at};
use super::roles::{check_metadata, parse_privileges};
use super::{Role, SUPERUSER_ROLE};
use crate::error::{CoreError, CoreResult};
use serde_json::{json, Map, Value};

/// The fields a role descriptor may have (`index` is Elasticsearch's other spelling of
/// `indices`).
const FIELDS: &[&str] = &[
    "cluster",
    "indices",
    "index",
    "applications",
    "run_as",
    "metadata",
    "transient_metadata",
    "description",
    "global",
    "remote_indices",
    "remote_cluster",
    "restriction",
];

/// Checks role descriptors as an API key request carries them: each an object of the
/// documented fields, `cluster` naming known privileges, `indices` and `applications` in their
/// documented shapes; every refusal names the field.
pub(crate) fn check(descriptors: &Map<String, Value>) -> CoreResult<()> {
    for (name, d) in descriptors {
        let field = format!("role_descriptors.{name}");
        let object = d
            .as_object()
            .ok_or_else(|| CoreError::invalid(&field, "a role descriptor must be an object"))?;
        if let Some(k) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(CoreError::invalid(
                format!("{field}.{k}"),
                format!("failed to parse role [{name}]: unexpected field [{k}]"),
            ));
        }
        if object.contains_key("index") && object.contains_key("indices") {
            return Err(CoreError::invalid(
                format!("{field}.index"),
                "[index] and [indices] are the same field; give one",
            ));
        }
        if let Some(cluster) = object.get("cluster") {
            let names: Vec<String> = cluster
                .as_array()
                .ok_or_else(|| CoreError::invalid(format!("{field}.cluster"), "must be an array"))?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    CoreError::invalid(format!("{field}.cluster"), "must hold strings")
                })?;
            parse_privileges(&format!("{field}.cluster"), &names)?;
        }
        for key in ["indices", "index"] {
            if let Some(v) = object.get(key) {
                check_indices_at(&format!("{field}.{key}"), v)?;
            }
        }
        if let Some(v) = object.get("applications") {
            check_applications_at(&format!("{field}.applications"), v)?;
        }
        if let Some(v) = object.get("run_as") {
            if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                return Err(CoreError::invalid(
                    format!("{field}.run_as"),
                    "must be an array of strings",
                ));
            }
        }
        match object.get("metadata") {
            None => {}
            Some(Value::Object(m)) => check_metadata(&format!("{field}.metadata"), m)?,
            Some(_) => {
                return Err(CoreError::invalid(
                    format!("{field}.metadata"),
                    "must be an object",
                ))
            }
        }
    }
    Ok(())
}

/// One descriptor as Elasticsearch answers it: `index` read as `indices`, each index entry's
/// `names` a list and `allow_restricted_indices` present, and `cluster`, `indices`,
/// `applications`, `run_as`, `metadata`, `transient_metadata` always there.
pub fn normalize(descriptor: &Value) -> Value {
    let empty = Map::new();
    let d = descriptor.as_object().unwrap_or(&empty);
    let list = |k: &str| d.get(k).cloned().unwrap_or_else(|| json!([]));
    let indices: Vec<Value> = d
        .get("indices")
        .or_else(|| d.get("index"))
        .and_then(Value::as_array)
        .map(|entries| entries.iter().map(normalize_index).collect())
        .unwrap_or_default();
    let mut out = json!({
        "cluster": list("cluster"),
        "indices": indices,
        "applications": list("applications"),
        "run_as": list("run_as"),
        "metadata": d.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "transient_metadata": d
            .get("transient_metadata")
            .cloned()
            .unwrap_or_else(|| json!({"enabled": true})),
    });
    if let Some(map) = out.as_object_mut() {
        for key in [
            "description",
            "global",
            "remote_indices",
            "remote_cluster",
            "restriction",
        ] {
            if let Some(v) = d.get(key) {
                map.insert(key.into(), v.clone());
            }
        }
    }
    out
}

fn normalize_index(entry: &Value) -> Value {
    let mut e = entry.as_object().cloned().unwrap_or_default();
    if let Some(Value::String(one)) = e.get("names") {
        let one = one.clone();
        e.insert("names".into(), json!([one]));
    }
    e.entry("allow_restricted_indices")
        .or_insert(Value::Bool(false));
    Value::Object(e)
}

/// Every descriptor of a map, normalized.
pub fn normalize_all(descriptors: &Map<String, Value>) -> Map<String, Value> {
    descriptors
        .iter()
        .map(|(k, v)| (k.clone(), normalize(v)))
        .collect()
}

/// The built-in `superuser` role as a descriptor.
pub fn superuser() -> Value {
    json!({
        "cluster": ["all"],
        "indices": [
            {"names": ["*"], "privileges": ["all"], "allow_restricted_indices": false},
            {"names": ["*"], "privileges": ["monitor", "read", "view_index_metadata", "read_cross_cluster"], "allow_restricted_indices": true}
        ],
        "applications": [{"application": "*", "privileges": ["*"], "resources": ["*"]}],
        "run_as": ["*"],
        "metadata": {"_reserved": true},
        "transient_metadata": {"enabled": true},
    })
}

/// A role as a descriptor.
pub fn of_role(role: &Role) -> Value {
    if role.name == SUPERUSER_ROLE {
        return superuser();
    }
    let mut d = Map::new();
    d.insert(
        "cluster".into(),
        role.cluster.iter().map(|p| p.as_str()).collect(),
    );
    d.insert("metadata".into(), Value::Object(role.metadata.clone()));
    d.extend(role.other.clone());
    normalize(&Value::Object(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_come_back_as_elasticsearch_answers_them() {
        let d = normalize(
            &json!({"cluster": ["monitor"], "index": [{"names": "logs", "privileges": ["read"]}]}),
        );
        assert_eq!(
            d,
            json!({
                "cluster": ["monitor"],
                "indices": [{"names": ["logs"], "privileges": ["read"], "allow_restricted_indices": false}],
                "applications": [], "run_as": [], "metadata": {},
                "transient_metadata": {"enabled": true},
            })
        );
    }

    #[test]
    fn a_bad_descriptor_is_refused_naming_the_field() {
        let refused = |v: Value| match check(v.as_object().unwrap_or(&Map::new())) {
            Err(CoreError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal: {other:?}"),
        };
        assert_eq!(
            refused(json!({"r": {"cluster": ["sing"]}})),
            "role_descriptors.r.cluster"
        );
        assert_eq!(
            refused(json!({"r": {"colour": 1}})),
            "role_descriptors.r.colour"
        );
        assert_eq!(
            refused(json!({"r": {"index": [{"privileges": ["read"]}]}})),
            "role_descriptors.r.index[0].names"
        );
        assert_eq!(
            refused(json!({"r": {"run_as": [1]}})),
            "role_descriptors.r.run_as"
        );
        assert!(check(
            json!({"r": {"cluster": ["manage", "none"], "index": [{"names": "a", "privileges": ["read"]}]}})
                .as_object()
                .unwrap_or(&Map::new())
        )
        .is_ok());
    }
}
