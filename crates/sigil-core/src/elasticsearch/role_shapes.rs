//! The shapes Elasticsearch documents for a role's `indices` and `applications`: Sigil grants
//! nothing by them, but keeps only what Elasticsearch would accept, so what a client reads back
//! is what it could send to Elasticsearch.

use crate::error::{CoreError, CoreResult};
use serde_json::Value;

fn bad(path: &str, reason: &str) -> CoreError {
    CoreError::invalid(path, format!("[{path}] {reason}"))
}

fn objects<'a>(
    path: &str,
    value: &'a Value,
) -> CoreResult<Vec<(String, &'a serde_json::Map<String, Value>)>> {
    let items = value
        .as_array()
        .ok_or_else(|| bad(path, "must be an array of objects"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{path}[{i}]");
            let object = item
                .as_object()
                .ok_or_else(|| bad(&at, "must be an object"))?;
            Ok((at, object))
        })
        .collect()
}

fn strings(path: &str, value: Option<&Value>, required: bool) -> CoreResult<()> {
    match value {
        None if required => Err(bad(path, "is required")),
        None => Ok(()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(bad(path, "must be an array of strings")),
    }
}

fn only(path: &str, object: &serde_json::Map<String, Value>, known: &[&str]) -> CoreResult<()> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(&format!("{path}.{k}"), "is not a known field")),
        None => Ok(()),
    }
}

/// `indices`: `[{names, privileges, field_security?, query?, allow_restricted_indices?}]`, with
/// `names` a string or an array of strings and `privileges` an array of strings.
pub(crate) fn check_indices(value: &Value) -> CoreResult<()> {
    check_indices_at("indices", value)
}

/// [`check_indices`] for the list at `path` (`role_descriptors.r.indices`).
pub(crate) fn check_indices_at(path: &str, value: &Value) -> CoreResult<()> {
    for (at, entry) in objects(path, value)? {
        only(
            &at,
            entry,
            &[
                "names",
                "privileges",
                "field_security",
                "query",
                "allow_restricted_indices",
            ],
        )?;
        match entry.get("names") {
            Some(Value::String(_)) => {}
            other => strings(&format!("{at}.names"), other, true)?,
        }
        strings(&format!("{at}.privileges"), entry.get("privileges"), true)?;
        if let Some(fs) = entry.get("field_security") {
            let path = format!("{at}.field_security");
            let fs = fs
                .as_object()
                .ok_or_else(|| bad(&path, "must be an object"))?;
            only(&path, fs, &["grant", "except"])?;
            strings(&format!("{path}.grant"), fs.get("grant"), false)?;
            strings(&format!("{path}.except"), fs.get("except"), false)?;
        }
        match entry.get("query") {
            None | Some(Value::String(_) | Value::Object(_)) => {}
            Some(_) => return Err(bad(&format!("{at}.query"), "must be a string or an object")),
        }
        match entry.get("allow_restricted_indices") {
            None | Some(Value::Bool(_)) => {}
            Some(_) => {
                return Err(bad(
                    &format!("{at}.allow_restricted_indices"),
                    "must be a boolean",
                ))
            }
        }
    }
    Ok(())
}

/// `applications`: `[{application, privileges, resources}]`, all required, the last two
/// arrays of strings.
pub(crate) fn check_applications(value: &Value) -> CoreResult<()> {
    check_applications_at("applications", value)
}

/// [`check_applications`] for the list at `path`.
pub(crate) fn check_applications_at(path: &str, value: &Value) -> CoreResult<()> {
    for (at, entry) in objects(path, value)? {
        only(&at, entry, &["application", "privileges", "resources"])?;
        match entry.get("application") {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => {
                return Err(bad(
                    &format!("{at}.application"),
                    "must be a non-empty string",
                ))
            }
        }
        strings(&format!("{at}.privileges"), entry.get("privileges"), true)?;
        strings(&format!("{at}.resources"), entry.get("resources"), true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(r: CoreResult<()>) -> String {
        match r {
            Err(CoreError::Invalid { reason, .. }) => reason,
            other => panic!("expected a refusal: {other:?}"),
        }
    }

    #[test]
    fn documented_shapes_pass() {
        let indices = json!([
            {"names": ["logs-*"], "privileges": ["read"], "field_security": {"grant": ["*"], "except": ["secret"]},
             "query": "{\"match_all\": {}}", "allow_restricted_indices": false},
            {"names": "one", "privileges": [], "query": {"term": {"a": 1}}}
        ]);
        assert!(check_indices(&indices).is_ok());
        assert!(check_indices(&json!([])).is_ok());
        let apps = json!([{"application": "kibana", "privileges": ["all"], "resources": ["*"]}]);
        assert!(check_applications(&apps).is_ok());
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        assert!(reason(check_indices(&json!([[null]]))).contains("[indices[0]] must be an object"));
        assert!(reason(check_indices(&json!(0))).contains("[indices] must be an array"));
        assert!(reason(check_indices(&json!([{"privileges": ["read"]}])))
            .contains("[indices[0].names] is required"));
        assert!(
            reason(check_indices(&json!([{"names": [1], "privileges": []}])))
                .contains("[indices[0].names]")
        );
        assert!(reason(check_indices(
            &json!([{"names": "a", "privileges": "read"}])
        ))
        .contains("[indices[0].privileges]"));
        assert!(reason(check_indices(
            &json!([{"names": "a", "privileges": [], "x": 1}])
        ))
        .contains("[indices[0].x] is not a known field"));
        assert!(reason(check_applications(&json!(0))).contains("[applications]"));
        assert!(reason(check_applications(
            &json!([{"application": "k", "privileges": []}])
        ))
        .contains("[applications[0].resources] is required"));
    }
}
