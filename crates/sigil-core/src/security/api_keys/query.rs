//! POST /_security/_query/api_key: a subset of the Elasticsearch query DSL, evaluated over
//! the keys the caller may see. Hand-written: no crate evaluates Elasticsearch queries, and
//! the subset (match_all, term(s), prefix, wildcard, range, exists, ids, bool) is small.

use super::{ApiKey, ApiKeyFilter};
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use crate::Core;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::cmp::Ordering;

pub const MAX_WINDOW: usize = 10_000;
const DEFAULT_SIZE: usize = 10;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    #[schema(value_type = Option<Object>)]
    pub query: Option<Value>,
    pub from: Option<usize>,
    pub size: Option<usize>,
    #[schema(value_type = Option<Object>)]
    pub sort: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub search_after: Option<Vec<Value>>,
}

#[derive(Debug, Clone)]
pub struct QueryResult {
    pub total: usize,
    /// The page, with each key's sort values when the request sorted.
    pub api_keys: Vec<(ApiKey, Option<Vec<Value>>)>,
}

fn bad(reason: impl Into<String>) -> CoreError {
    CoreError::invalid("query", reason)
}

const FIELDS: [&str; 8] = [
    "id",
    "name",
    "username",
    "realm_name",
    "type",
    "invalidated",
    "creation",
    "expiration",
];

/// A key's value of a queryable field.
fn field_value(key: &ApiKey, field: &str) -> CoreResult<Option<Value>> {
    if let Some(path) = field.strip_prefix("metadata.") {
        return Ok(key.metadata.get(path).cloned());
    }
    Ok(match field {
        "id" => Some(key.id.clone().into()),
        "name" => Some(key.name.clone().into()),
        "username" => Some(key.username.clone().into()),
        "realm_name" => Some(key.realm.clone().into()),
        "type" => Some("rest".into()),
        "invalidated" => Some(key.invalidated.into()),
        "creation" => Some(key.creation.timestamp_millis().into()),
        "expiration" => key.expiration.map(|e| e.timestamp_millis().into()),
        _ => {
            return Err(bad(format!(
                "Field [{field}] is not allowed for API Key query or aggregation"
            )))
        }
    })
}

/// Numbers compare as numbers, RFC 3339 times as their epoch milliseconds, the rest as text.
fn comparable(v: &Value) -> Value {
    if let Some(s) = v.as_str() {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return t.timestamp_millis().into();
        }
    }
    v.clone()
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (comparable(a), comparable(b)) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(&y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    compare(a, b) == Some(Ordering::Equal) || a == b
}

/// `{field: value}` or `{field: {value: …}}`: the one field and its operand.
fn single(clause: &Value, op: &str) -> CoreResult<(String, Value)> {
    let map = clause
        .as_object()
        .filter(|m| m.len() == 1)
        .ok_or_else(|| bad(format!("[{op}] query must name exactly one field")))?;
    let (field, operand) = map.iter().next().ok_or_else(|| bad(op.to_owned()))?;
    let operand = match operand {
        Value::Object(o) => o
            .get("value")
            .cloned()
            .ok_or_else(|| bad(format!("[{op}] query on [{field}] needs a value")))?,
        v => v.clone(),
    };
    Ok((field.clone(), operand))
}

/// `*` and `?` wildcards.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            wildcard(&pattern[1..], text) || (!text.is_empty() && wildcard(pattern, &text[1..]))
        }
        (Some('?'), Some(_)) => wildcard(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => wildcard(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// A key with every field set, to check a query before any real key is at hand.
fn probe() -> ApiKey {
    ApiKey {
        id: String::new(),
        name: String::new(),
        key_hash: String::new(),
        creation: chrono::DateTime::default(),
        expiration: Some(chrono::DateTime::default()),
        invalidated: false,
        invalidation: None,
        username: String::new(),
        realm: String::new(),
        realm_type: String::new(),
        metadata: Map::new(),
        role_descriptors: Map::new(),
        limited_by: super::LimitedBy {
            superuser: false,
            cluster: vec![],
            roles: vec![],
            org_roles: vec![],
        },
    }
}

fn clauses(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => vec![],
    }
}

/// Whether `key` matches `query`.
pub(crate) fn matches(key: &ApiKey, query: &Value) -> CoreResult<bool> {
    let map = query
        .as_object()
        .filter(|m| m.len() == 1)
        .ok_or_else(|| bad("a query is an object with exactly one query type"))?;
    let (op, clause) = map.iter().next().ok_or_else(|| bad("empty query"))?;
    Ok(match op.as_str() {
        "match_all" => true,
        "ids" => {
            let values = clause.get("values").and_then(Value::as_array);
            values.is_some_and(|v| v.iter().any(|i| i.as_str() == Some(&key.id)))
        }
        "term" | "match" => {
            let (field, operand) = single(clause, op)?;
            field_value(key, &field)?.is_some_and(|v| equal(&v, &operand))
        }
        "terms" => {
            let m = clause.as_object().filter(|m| m.len() == 1);
            let (field, list) = m
                .and_then(|m| m.iter().next())
                .ok_or_else(|| bad("[terms] query must name exactly one field"))?;
            let list = list
                .as_array()
                .ok_or_else(|| bad("[terms] takes an array"))?;
            field_value(key, field)?.is_some_and(|v| list.iter().any(|o| equal(&v, o)))
        }
        "prefix" => {
            let (field, operand) = single(clause, op)?;
            let p = operand
                .as_str()
                .ok_or_else(|| bad("[prefix] takes a string"))?;
            field_value(key, &field)?.is_some_and(|v| v.as_str().is_some_and(|s| s.starts_with(p)))
        }
        "wildcard" => {
            let (field, operand) = single(clause, op)?;
            let p: Vec<char> = operand
                .as_str()
                .ok_or_else(|| bad("[wildcard] takes a string"))?
                .chars()
                .collect();
            field_value(key, &field)?.is_some_and(|v| {
                v.as_str()
                    .is_some_and(|s| wildcard(&p, &s.chars().collect::<Vec<_>>()))
            })
        }
        "exists" => {
            let field = clause
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("[exists] needs a field"))?;
            field_value(key, field)?.is_some_and(|v| !v.is_null())
        }
        "range" => {
            let m = clause.as_object().filter(|m| m.len() == 1);
            let (field, bounds) = m
                .and_then(|m| m.iter().next())
                .ok_or_else(|| bad("[range] query must name exactly one field"))?;
            let bounds = bounds
                .as_object()
                .ok_or_else(|| bad("[range] takes bounds"))?;
            let Some(v) = field_value(key, field)? else {
                return Ok(false);
            };
            let mut ok = true;
            for (b, limit) in bounds {
                let c = compare(&v, limit);
                ok &= match b.as_str() {
                    "gt" => c == Some(Ordering::Greater),
                    "gte" => matches!(c, Some(Ordering::Greater | Ordering::Equal)),
                    "lt" => c == Some(Ordering::Less),
                    "lte" => matches!(c, Some(Ordering::Less | Ordering::Equal)),
                    "format" | "time_zone" | "boost" => true,
                    other => return Err(bad(format!("[range] does not support [{other}]"))),
                };
            }
            ok
        }
        "bool" => {
            let b = clause
                .as_object()
                .ok_or_else(|| bad("[bool] takes an object"))?;
            for k in b.keys() {
                if ![
                    "must",
                    "filter",
                    "should",
                    "must_not",
                    "minimum_should_match",
                    "boost",
                ]
                .contains(&k.as_str())
                {
                    return Err(bad(format!("[bool] does not support [{k}]")));
                }
            }
            // Every clause is evaluated (no short cut), so a bad one is refused whatever the key.
            let all = |name: &str| -> CoreResult<bool> {
                let mut ok = true;
                for c in clauses(b.get(name)) {
                    ok &= matches(key, c)?;
                }
                Ok(ok)
            };
            let should = clauses(b.get("should"));
            let mut hits = 0;
            for c in &should {
                hits += usize::from(matches(key, c)?);
            }
            let no_must = b.get("must").is_none() && b.get("filter").is_none();
            let minimum = b
                .get("minimum_should_match")
                .and_then(Value::as_u64)
                .map(|n| n as usize)
                .unwrap_or(if no_must && !should.is_empty() { 1 } else { 0 });
            let mut none = true;
            for c in clauses(b.get("must_not")) {
                none &= !matches(key, c)?;
            }
            let (must, filter) = (all("must")?, all("filter")?);
            must && filter && none && hits >= minimum
        }
        other => return Err(bad(format!("unknown query [{other}]"))),
    })
}

/// `["name", {"creation": {"order": "desc"}}, {"name": "asc"}]` → fields and directions.
fn sort_keys(sort: &Value) -> CoreResult<Vec<(String, bool)>> {
    let mut keys = vec![];
    for item in clauses(Some(sort)) {
        let (field, descending) = match item {
            Value::String(f) => (f.clone(), false),
            Value::Object(m) if m.len() == 1 => {
                let (f, how) = m.iter().next().ok_or_else(|| bad("sort"))?;
                let order = match how {
                    Value::String(o) => o.clone(),
                    Value::Object(o) => o
                        .get("order")
                        .and_then(Value::as_str)
                        .unwrap_or("asc")
                        .to_owned(),
                    _ => return Err(CoreError::invalid("sort", "bad sort order")),
                };
                match order.as_str() {
                    "asc" => (f.clone(), false),
                    "desc" => (f.clone(), true),
                    o => return Err(CoreError::invalid("sort", format!("unknown order [{o}]"))),
                }
            }
            _ => {
                return Err(CoreError::invalid(
                    "sort",
                    "a sort is a field or {field: order}",
                ))
            }
        };
        if !FIELDS.contains(&field.as_str()) && !field.starts_with("metadata.") {
            return Err(CoreError::invalid(
                "sort",
                format!("cannot sort on [{field}]"),
            ));
        }
        keys.push((field, descending));
    }
    Ok(keys)
}

fn sort_values(key: &ApiKey, by: &[(String, bool)]) -> CoreResult<Vec<Value>> {
    by.iter()
        .map(|(f, _)| Ok(field_value(key, f)?.unwrap_or(Value::Null)))
        .collect()
}

/// The order of two sort values: as [`compare`] within a kind, and by kind across kinds (null,
/// booleans, numbers and times, strings, arrays, objects), so that it is a total order. It used
/// to call values of different kinds equal, which is not transitive (`1 = "x" = 2` yet `1 < 2`),
/// and the standard library's sort panics on such an order.
fn sort_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    let (a, b) = (comparable(a), comparable(b));
    match (&a, &b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(&a).cmp(&rank(&b)),
    }
}

fn order(a: &[Value], b: &[Value], by: &[(String, bool)]) -> Ordering {
    for ((x, y), (_, descending)) in a.iter().zip(b).zip(by) {
        let o = sort_order(x, y);
        let o = if *descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The request's query (`match_all` when it has none), refused when the window is too large
/// or the query is bad: checked against a probe key, so a bad query is refused even when no
/// key is visible, and before any key is read.
fn checked_query(request: &QueryRequest) -> CoreResult<Value> {
    let from = request.from.unwrap_or(0);
    let size = request.size.unwrap_or(DEFAULT_SIZE);
    if from.saturating_add(size) > MAX_WINDOW {
        return Err(CoreError::invalid(
            "size",
            format!("[from] + [size] must be at most [{MAX_WINDOW}]"),
        ));
    }
    let query = request.query.clone().unwrap_or_else(|| {
        Value::Object(Map::from_iter([(
            "match_all".to_owned(),
            Value::Object(Map::new()),
        )]))
    });
    matches(&probe(), &query)?;
    Ok(query)
}

/// The keys of `visible` that match the checked `query`, sorted, after `search_after`, paged.
fn select(request: &QueryRequest, query: &Value, visible: Vec<ApiKey>) -> CoreResult<QueryResult> {
    let mut found = vec![];
    for key in visible {
        if matches(&key, query)? {
            found.push(key);
        }
    }
    let by = match &request.sort {
        Some(s) => sort_keys(s)?,
        None => vec![("creation".to_owned(), false), ("id".to_owned(), false)],
    };
    let mut rows: Vec<(Vec<Value>, ApiKey)> = found
        .into_iter()
        .map(|k| Ok((sort_values(&k, &by)?, k)))
        .collect::<CoreResult<_>>()?;
    rows.sort_by(|(a, _), (b, _)| order(a, b, &by));
    let total = rows.len();
    if let Some(after) = &request.search_after {
        if after.len() != by.len() {
            return Err(CoreError::invalid(
                "search_after",
                "must have one value per sort field",
            ));
        }
        rows.retain(|(values, _)| order(values, after, &by) == Ordering::Greater);
    }
    let show_sort = request.sort.is_some();
    let api_keys = rows
        .into_iter()
        .skip(request.from.unwrap_or(0))
        .take(request.size.unwrap_or(DEFAULT_SIZE))
        .map(|(values, key)| (key, show_sort.then_some(values)))
        .collect();
    Ok(QueryResult { total, api_keys })
}

/// What `request` answers over `keys` (every key the caller may see), as
/// [`Core::query_api_keys`] does after reading them: for the fuzz targets.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn evaluate(request: &QueryRequest, keys: Vec<ApiKey>) -> CoreResult<QueryResult> {
    let query = checked_query(request)?;
    select(request, &query, keys)
}

impl Core {
    pub async fn query_api_keys(
        &self,
        caller: &Principal,
        request: QueryRequest,
    ) -> CoreResult<QueryResult> {
        caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
        let query = checked_query(&request)?;
        let mut filter = ApiKeyFilter::default();
        if !caller.has_cluster_privilege(ClusterPrivilege::ManageApiKey) {
            filter.username = Some(caller.name.clone());
            filter.realm = Some(caller.realm.name.clone());
        }
        let visible = self
            .store
            .find_api_keys(&filter)
            .await?
            .into_iter()
            .filter(|key| filter.matches(key))
            .collect();
        select(&request, &query, visible)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::api_keys::LimitedBy;
    use serde_json::json;

    fn key(name: &str, invalidated: bool) -> ApiKey {
        ApiKey {
            id: format!("{name:_<20}"),
            name: name.into(),
            key_hash: String::new(),
            creation: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            expiration: None,
            invalidated,
            invalidation: None,
            username: "bob".into(),
            realm: "default_native".into(),
            realm_type: "native".into(),
            metadata: json!({"team": "a", "n": 3})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            role_descriptors: Map::new(),
            limited_by: LimitedBy {
                superuser: false,
                cluster: vec![],
                roles: vec![],
                org_roles: vec![],
            },
        }
    }

    fn hit(q: Value) -> bool {
        matches(&key("bob-key", false), &q).unwrap_or(false)
    }

    #[test]
    fn the_dsl_subset_matches() {
        assert!(hit(json!({"match_all": {}})));
        assert!(hit(json!({"term": {"name": "bob-key"}})));
        assert!(hit(json!({"term": {"name": {"value": "bob-key"}}})));
        assert!(!hit(json!({"term": {"name": "other"}})));
        assert!(hit(json!({"terms": {"username": ["x", "bob"]}})));
        assert!(hit(json!({"prefix": {"name": "bob"}})));
        assert!(hit(json!({"wildcard": {"name": "b?b-*"}})));
        assert!(!hit(json!({"wildcard": {"name": "b?b"}})));
        assert!(hit(json!({"exists": {"field": "metadata.team"}})));
        assert!(!hit(json!({"exists": {"field": "expiration"}})));
        assert!(hit(
            json!({"range": {"creation": {"gte": 1_699_999_999_000_i64, "lt": "2030-01-01T00:00:00Z"}}})
        ));
        assert!(hit(json!({"range": {"metadata.n": {"gt": 2}}})));
        assert!(hit(json!({"term": {"invalidated": false}})));
        assert!(hit(
            json!({"bool": {"must": [{"prefix": {"name": "bob"}}], "filter": {"term": {"invalidated": false}}, "must_not": [{"term": {"name": "x"}}]}})
        ));
        assert!(hit(
            json!({"bool": {"should": [{"term": {"name": "x"}}, {"term": {"name": "bob-key"}}]}})
        ));
        assert!(!hit(json!({"bool": {"should": [{"term": {"name": "x"}}]}})));
    }

    #[test]
    fn unknown_queries_and_fields_are_refused() {
        let k = key("k", false);
        assert!(matches(&k, &json!({"fuzzy": {"name": "k"}})).is_err());
        assert!(matches(&k, &json!({"term": {"key_hash": "x"}})).is_err());
        assert!(matches(&k, &json!({"term": {"name": "a"}, "prefix": {"name": "b"}})).is_err());
        assert!(sort_keys(&json!([{"name": {"order": "sideways"}}])).is_err());
        // A bad clause is refused even where an earlier one already failed to match.
        let late = json!({"bool": {"must": [{"term": {"name": "nope"}}], "filter": [{"fuzzy": {"name": "k"}}]}});
        assert!(matches(&k, &late).is_err());
    }

    /// Found by fuzzing (es_query): forty keys whose sort field holds numbers, strings, times
    /// and nothing made the sort panic ("does not correctly implement a total order").
    #[test]
    fn keys_sort_whatever_their_values_hold() {
        let values = [
            json!(3),
            json!("x"),
            json!(2.5),
            json!(null),
            json!("2024-01-01T00:00:00Z"),
            json!(-1),
            json!([1]),
            json!(true),
            json!({"a": 1}),
        ];
        let keys: Vec<ApiKey> = (0..40)
            .map(|i| {
                let mut k = key(&format!("k{i}"), false);
                k.metadata
                    .insert("n".into(), values[i % values.len()].clone());
                k
            })
            .collect();
        let request = QueryRequest {
            sort: Some(json!([{"metadata.n": "desc"}, "name"])),
            size: Some(100),
            ..QueryRequest::default()
        };
        let sorted = evaluate(&request, keys)
            .map(|r| r.api_keys)
            .unwrap_or_default();
        assert_eq!(sorted.len(), 40);
        let kinds: Vec<&Value> = sorted.iter().map(|(k, _)| &k.metadata["n"]).collect();
        // Descending: objects first, null last; numbers and times among themselves by value.
        assert_eq!(kinds.first(), Some(&&json!({"a": 1})));
        assert_eq!(kinds.last(), Some(&&json!(null)));
        let numbers: Vec<f64> = kinds.iter().filter_map(|v| v.as_f64()).collect();
        assert!(numbers.windows(2).all(|w| w[0] >= w[1]), "{numbers:?}");
    }

    #[test]
    fn sorting_orders_both_ways() {
        let by = sort_keys(&json!([{"name": "desc"}])).unwrap_or_default();
        let a = sort_values(&key("a", false), &by).unwrap_or_default();
        let b = sort_values(&key("b", false), &by).unwrap_or_default();
        assert_eq!(order(&a, &b, &by), Ordering::Greater);
    }
}
