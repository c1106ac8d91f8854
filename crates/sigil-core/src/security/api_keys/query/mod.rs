//! POST /_security/_query/api_key: a subset of the Elasticsearch query DSL (`dsl`), evaluated
//! over the keys the caller may see, then sorted and paged.

mod dsl;
mod glob;

pub use dsl::{MAX_CLAUSES, MAX_DEPTH, MAX_PATTERN_CHARS, MAX_STEPS, MAX_TERMS};

use super::{ApiKey, ApiKeyFilter};
use crate::error::{CoreError, CoreResult};
use crate::principal::Principal;
use crate::privilege::ClusterPrivilege;
use crate::Core;
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

fn sort_values(key: &ApiKey, by: &[(Field, bool)]) -> Vec<Value> {
    by.iter()
        .map(|(f, _)| f.value(key).unwrap_or(Value::Null))
        .collect()
}

fn order(a: &[Value], b: &[Value], by: &[(Field, bool)]) -> Ordering {
    for ((x, y), (_, descending)) in a.iter().zip(b).zip(by) {
        let o = Comparable::of(x)
            .compare(&Comparable::of(y))
            .unwrap_or(Ordering::Equal);
        let o = if *descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl Core {
    pub async fn query_api_keys(
        &self,
        caller: &Principal,
        request: QueryRequest,
    ) -> CoreResult<QueryResult> {
        caller.require_cluster(ClusterPrivilege::ManageOwnApiKey)?;
        let from = request.from.unwrap_or(0);
        let size = request.size.unwrap_or(DEFAULT_SIZE);
        if from.saturating_add(size) > MAX_WINDOW {
            return Err(CoreError::invalid(
                "size",
                format!("[from] + [size] must be at most [{MAX_WINDOW}]"),
            ));
        }
        let mut filter = ApiKeyFilter::default();
        if !caller.has_cluster_privilege(ClusterPrivilege::ManageApiKey) {
            filter.username = Some(caller.name.clone());
            filter.realm = Some(caller.realm.name.clone());
        }
        // Compiled before any key is read, so a bad query is refused whatever the keys.
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
        let mut budget = Budget::default();
        let mut found = vec![];
        for key in self.store.find_api_keys(&filter).await? {
            if filter.matches(&key) && query.matches(&key, &mut budget)? {
                found.push(key);
            }
        }
        let mut rows: Vec<(Vec<Value>, ApiKey)> = found
            .into_iter()
            .map(|k| (sort_values(&k, &by), k))
            .collect();
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
            .skip(from)
            .take(size)
            .map(|(values, key)| (key, show_sort.then_some(values)))
            .collect();
        Ok(QueryResult { total, api_keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
