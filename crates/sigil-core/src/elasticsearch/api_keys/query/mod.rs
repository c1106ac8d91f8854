//! POST /_security/_query/api_key: a subset of the Elasticsearch query DSL (`dsl`), evaluated
//! over the keys the caller may see, then sorted and paged.

mod dsl;
pub(crate) mod glob;

pub use dsl::{MAX_CLAUSES, MAX_DEPTH, MAX_PATTERN_CHARS, MAX_STEPS, MAX_TERMS};

use super::{ApiKey, ApiKeyFilter};
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use dsl::{Budget, Comparable, Field, Query, FIELDS};
use serde::Deserialize;
use serde_json::Value;
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

/// Fields one request may sort on.
pub const MAX_SORT_FIELDS: usize = 16;

/// `["name", {"creation": {"order": "desc"}}, {"name": "asc"}]` → fields and directions.
fn sort_keys(sort: &Value) -> CoreResult<Vec<(Field, bool)>> {
    let items = match sort {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    if items.len() > MAX_SORT_FIELDS {
        return Err(CoreError::invalid(
            "sort",
            format!("at most [{MAX_SORT_FIELDS}] sort fields"),
        ));
    }
    let mut keys = vec![];
    for item in items {
        let (field, descending) = match item {
            Value::String(f) => (f.clone(), false),
            Value::Object(m) if m.len() == 1 => {
                let (f, how) = m
                    .iter()
                    .next()
                    .ok_or_else(|| CoreError::invalid("sort", "a sort names a field"))?;
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
        keys.push((Field::parse(&field)?, descending));
    }
    Ok(keys)
}

/// A `search_after` value as Elasticsearch reads it for its field: for `creation` and
/// `expiration`, epoch milliseconds as a number or a string, or a date in any of the forms
/// Elasticsearch's clients send (`2024-01-01`, `2024-01-01T10:00:00.123`, with or without a
/// zone, UTC when none); anything else as given.
fn search_after_value(field: &Field, v: &Value) -> Value {
    let Value::String(s) = v else {
        return v.clone();
    };
    if !matches!(field.name(), "creation" | "expiration") {
        return v.clone();
    }
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return ms.into();
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.timestamp_millis().into();
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        });
    match naive {
        Ok(t) => t.and_utc().timestamp_millis().into(),
        Err(_) => v.clone(),
    }
}

fn sort_values(key: &ApiKey, by: &[(Field, bool)]) -> Vec<Value> {
    by.iter()
        .map(|(f, _)| f.value(key).unwrap_or(Value::Null))
        .collect()
}

/// The order of two sort values: as queries compare them within a kind, and by kind across
/// kinds (booleans, numbers and times, text, anything else by its JSON text), so that it is a
/// total order. Calling values of different kinds equal is not transitive (`1 = "x" = 2` yet
/// `1 < 2`), and the standard library's sort panics on such an order (found by fuzzing).
fn sort_order(a: &Value, b: &Value) -> Ordering {
    fn rank(c: &Comparable) -> u8 {
        match c {
            Comparable::Bool(_) => 0,
            Comparable::Number(_) => 1,
            Comparable::Text(_) => 2,
            Comparable::Other(_) => 3,
        }
    }
    let (a, b) = (Comparable::of(a), Comparable::of(b));
    match (&a, &b) {
        (Comparable::Number(x), Comparable::Number(y)) => x.total_cmp(y),
        (Comparable::Other(x), Comparable::Other(y)) => x.cmp(y),
        _ => a.compare(&b).unwrap_or_else(|| rank(&a).cmp(&rank(&b))),
    }
}

fn order(a: &[Value], b: &[Value], by: &[(Field, bool)]) -> Ordering {
    for ((x, y), (_, descending)) in a.iter().zip(b).zip(by) {
        let o = sort_order(x, y);
        let o = if *descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A request checked before any key is read: its window, its compiled query and its sort, so
/// a bad request is refused whatever the keys.
struct Checked {
    query: Query,
    by: Vec<(Field, bool)>,
    from: usize,
    size: usize,
}

fn checked(request: &QueryRequest) -> CoreResult<Checked> {
    let from = request.from.unwrap_or(0);
    let size = request.size.unwrap_or(DEFAULT_SIZE);
    if from.saturating_add(size) > MAX_WINDOW {
        return Err(CoreError::invalid(
            "size",
            format!("[from] + [size] must be at most [{MAX_WINDOW}]"),
        ));
    }
    let query = match &request.query {
        Some(q) => Query::compile(q)?,
        None => Query::MatchAll,
    };
    let by = match &request.sort {
        Some(s) => sort_keys(s)?,
        None => vec![
            (Field::parse("creation")?, false),
            (Field::parse("id")?, false),
        ],
    };
    Ok(Checked {
        query,
        by,
        from,
        size,
    })
}

/// The keys of `visible` the checked query matches, sorted, after `search_after`, paged.
fn select(
    request: &QueryRequest,
    checked: &Checked,
    visible: impl IntoIterator<Item = ApiKey>,
) -> CoreResult<QueryResult> {
    let by = &checked.by;
    let mut budget = Budget::default();
    let mut found = vec![];
    for key in visible {
        if checked.query.matches(&key, &mut budget)? {
            found.push(key);
        }
    }
    let mut rows: Vec<(Vec<Value>, ApiKey)> = found
        .into_iter()
        .map(|k| (sort_values(&k, by), k))
        .collect();
    rows.sort_by(|(a, _), (b, _)| order(a, b, by));
    let total = rows.len();
    if let Some(after) = &request.search_after {
        if after.len() != by.len() {
            return Err(CoreError::invalid(
                "search_after",
                "must have one value per sort field",
            ));
        }
        let after: Vec<Value> = after
            .iter()
            .zip(by)
            .map(|(v, (field, _))| search_after_value(field, v))
            .collect();
        rows.retain(|(values, _)| order(values, &after, by) == Ordering::Greater);
    }
    let show_sort = request.sort.is_some();
    let api_keys = rows
        .into_iter()
        .skip(checked.from)
        .take(checked.size)
        .map(|(values, key)| (key, show_sort.then_some(values)))
        .collect();
    Ok(QueryResult { total, api_keys })
}

/// What `request` answers over `keys` (every key the caller may see), as
/// [`Elasticsearch::query_api_keys`](crate::elasticsearch::Elasticsearch::query_api_keys) does
/// after reading them: for the fuzz targets and tests.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn evaluate(request: &QueryRequest, keys: Vec<ApiKey>) -> CoreResult<QueryResult> {
    let checked = checked(request)?;
    select(request, &checked, keys)
}

impl Elasticsearch {
    pub async fn query_api_keys(
        &self,
        caller: &Principal,
        request: QueryRequest,
        with_limited_by: bool,
    ) -> CoreResult<QueryResult> {
        caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
        if with_limited_by {
            Self::require_limited_by_view(caller)?;
        }
        let checked = checked(&request)?;
        let mut filter = ApiKeyFilter::default();
        if !caller.has_cluster_privilege(ClusterPrivilege::ManageApiKey) {
            filter.username = Some(caller.name.clone());
            filter.realm = Some(caller.realm.name.clone());
        }
        let visible = self
            .kernel
            .store
            .find_api_keys(&filter)
            .await?
            .into_iter()
            .filter(|key| filter.matches(key));
        let mut result = select(&request, &checked, visible)?;
        if with_limited_by {
            for (key, _) in &mut result.api_keys {
                self.with_limited_by(std::slice::from_mut(key)).await?;
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Found by fuzzing: forty keys whose sort field holds numbers, strings, times and
    /// nothing made the sort panic ("does not correctly implement a total order").
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
                let mut k = dsl::tests::key(&format!("k{i}"), false);
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
        let numbers: Vec<f64> = sorted
            .iter()
            .filter_map(|(k, _)| match Comparable::of(&k.metadata["n"]) {
                Comparable::Number(n) => Some(n),
                _ => None,
            })
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] >= w[1]), "{numbers:?}");
    }

    #[test]
    fn search_after_reads_dates_as_elasticsearch_clients_send_them() {
        let keys: Vec<ApiKey> = (0..3)
            .map(|i| {
                let mut k = dsl::tests::key(&format!("k{i}"), false);
                k.creation += chrono::Duration::milliseconds(i * 400);
                k
            })
            .collect();
        let first = keys[0].creation.timestamp_millis();
        for after in [
            json!(first),
            json!(first.to_string()),
            json!(keys[0].creation.to_rfc3339()),
            json!(keys[0].creation.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()),
        ] {
            let request = QueryRequest {
                sort: Some(json!(["creation"])),
                search_after: Some(vec![after.clone()]),
                ..QueryRequest::default()
            };
            let page = evaluate(&request, keys.clone()).map(|r| r.api_keys);
            let names: Vec<String> = page
                .unwrap_or_default()
                .into_iter()
                .map(|(k, _)| k.name)
                .collect();
            assert_eq!(names, ["k1", "k2"], "after {after}");
        }
    }

    #[test]
    fn sorting_orders_both_ways_and_is_bounded() {
        let by = sort_keys(&json!([{"name": "desc"}])).unwrap_or_default();
        let (a, b) = (dsl::tests::key("a", false), dsl::tests::key("b", false));
        let (a, b) = (sort_values(&a, &by), sort_values(&b, &by));
        assert_eq!(order(&a, &b, &by), Ordering::Greater);
        assert!(sort_keys(&json!([{"name": {"order": "sideways"}}])).is_err());
        assert!(sort_keys(&json!(["key_hash"])).is_err());
        assert!(sort_keys(&Value::Array(vec![json!("name"); MAX_SORT_FIELDS + 1])).is_err());
    }
}
