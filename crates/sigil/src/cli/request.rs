//! The HTTP request of an operation: its URL from the path template and the
//! parameters given, and its body from `--file` (JSON, or a form built from a JSON object).

use super::spec::{BodyFormat, Kind, Location, Operation};
use super::CliError;
use clap::ArgMatches;
use serde_json::Value;

/// The base URL, the path with its parameters filled in (each one percent-encoded as one path
/// segment), and the query parameters given.
pub fn build_url(base: &str, op: &Operation, m: &ArgMatches) -> Result<url::Url, CliError> {
    let mut url = url::Url::parse(base).map_err(|e| {
        CliError::Usage(format!(
            "base_url {base:?} is not a URL ({e}); fix it with `sigil config set base_url URL`"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::Usage(format!(
            "base_url {base:?} must start with http:// or https://"
        )));
    }
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| CliError::Usage(format!("base_url {base:?} cannot take a path")))?;
        segments.pop_if_empty();
        for segment in op.path.split('/').filter(|s| !s.is_empty()) {
            let mut filled = segment.to_owned();
            for p in op.params.iter().filter(|p| p.location == Location::Path) {
                let placeholder = format!("{{{}}}", p.name);
                if filled.contains(&placeholder) {
                    let value = value_of(m, &p.name, p.kind).unwrap_or_default();
                    filled = filled.replace(&placeholder, &value);
                }
            }
            segments.push(&filled);
        }
        if op.path.ends_with('/') && op.path.len() > 1 {
            segments.push("");
        }
    }
    let query: Vec<(String, String)> = op
        .params
        .iter()
        .filter(|p| p.location == Location::Query)
        .filter_map(|p| value_of(m, &p.name, p.kind).map(|v| (p.name.clone(), v)))
        .collect();
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

/// The header parameters given, by their names in the document.
pub fn headers(op: &Operation, m: &ArgMatches) -> Vec<(String, String)> {
    op.params
        .iter()
        .filter(|p| p.location == Location::Header)
        .filter_map(|p| value_of(m, &p.name, p.kind).map(|v| (p.name.clone(), v)))
        .collect()
}

/// A parameter's value as it goes on the wire, when given.
fn value_of(m: &ArgMatches, name: &str, kind: Kind) -> Option<String> {
    match kind {
        Kind::Boolean => m.get_one::<bool>(name).map(bool::to_string),
        Kind::Integer => m.get_one::<i64>(name).map(i64::to_string),
        Kind::Number => m.get_one::<f64>(name).map(f64::to_string),
        Kind::String => m.get_one::<String>(name).cloned(),
    }
}

/// `--file`: read (from stdin for `-`) and checked to be JSON before anything is sent; a form
/// body is a JSON object whose members become the fields.
pub fn read_body(path: &str, op: &Operation) -> Result<(&'static str, Vec<u8>), CliError> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| CliError::Usage(format!("--file -: cannot read stdin: {e}")))?;
        buf
    } else {
        std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("--file: cannot read {path}: {e}")))?
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Usage(format!(
            "--file {path}: the request body must be JSON, and this is not: {e}"
        ))
    })?;
    match op.body.as_ref().map(|b| b.format) {
        Some(BodyFormat::Form) => Ok(("application/x-www-form-urlencoded", form(&value, path)?)),
        _ => Ok(("application/json", bytes)),
    }
}

fn form(value: &Value, path: &str) -> Result<Vec<u8>, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--file {path}: this operation takes a form; give a JSON object of strings, numbers, booleans or arrays of them"
        ))
    };
    let object = value.as_object().ok_or_else(bad)?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (key, v) in object {
        let items = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match item {
                Value::Null => {}
                Value::String(s) => {
                    form.append_pair(key, s);
                }
                Value::Number(_) | Value::Bool(_) => {
                    form.append_pair(key, &item.to_string());
                }
                _ => return Err(bad()),
            }
        }
    }
    Ok(form.finish().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_body_is_built_from_a_json_object() {
        let body = form(
            &serde_json::json!({"grant_type": "client_credentials", "scope": ["a", "b"], "n": 1}),
            "f",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "grant_type=client_credentials&scope=a&scope=b&n=1"
        );
        assert!(form(&serde_json::json!([1]), "f").is_err());
    }
}
