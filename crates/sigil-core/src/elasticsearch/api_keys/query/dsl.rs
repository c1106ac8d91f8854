//! The query DSL subset (match_all, term(s), prefix, wildcard, range, exists, ids, bool),
//! compiled once per request, so that shapes, fields and limits are checked before any key is
//! looked at, then evaluated per key within a budget of steps. Hand-written: no crate
//! evaluates Elasticsearch queries, and the subset is small.

use super::super::ApiKey;
use super::glob;
use crate::error::{CoreError, CoreResult};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// How deep `bool` queries may nest (Elasticsearch's `indices.query.bool.max_nested_depth`
/// is 30; API key queries need far less).
pub const MAX_DEPTH: usize = 20;
/// Queries, at every depth, in one request (Elasticsearch's historical
/// `indices.query.bool.max_clause_count`).
pub const MAX_CLAUSES: usize = 1024;
/// Values of all `terms` and `ids` queries together (Elasticsearch's `index.max_terms_count`).
pub const MAX_TERMS: usize = 65_536;
/// Characters of a `wildcard` or `prefix` pattern (as Elasticsearch's `index.max_regex_length`).
pub const MAX_PATTERN_CHARS: usize = 1_000;
/// Steps one request may spend evaluating its query over the keys the caller sees: a query
/// and a set of keys that would need more are refused rather than burn the CPU.
pub const MAX_STEPS: u64 = 50_000_000;

fn bad(reason: impl Into<String>) -> CoreError {
    CoreError::invalid("query", reason)
}

pub(crate) const FIELDS: [&str; 8] = [
    "id",
    "name",
    "username",
    "realm_name",
    "type",
    "invalidated",
    "creation",
    "expiration",
];

/// A queryable field, checked when the query is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field(String);

impl Field {
    pub(crate) fn parse(name: &str) -> CoreResult<Self> {
        if FIELDS.contains(&name) || name.starts_with("metadata.") {
            Ok(Self(name.to_owned()))
        } else {
            Err(bad(format!(
                "Field [{name}] is not allowed for API Key query or aggregation"
            )))
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.0
    }

    /// The key's value of this field.
    pub(crate) fn value(&self, key: &ApiKey) -> Option<Value> {
        if let Some(path) = self.0.strip_prefix("metadata.") {
            return key.metadata.get(path).cloned();
        }
        match self.0.as_str() {
            "id" => Some(key.id.clone().into()),
            "name" => Some(key.name.clone().into()),
            "username" => Some(key.username.clone().into()),
            "realm_name" => Some(key.realm.clone().into()),
            "type" => Some("rest".into()),
            "invalidated" => Some(key.invalidated.into()),
            "creation" => Some(key.creation.timestamp_millis().into()),
            "expiration" => key.expiration.map(|e| e.timestamp_millis().into()),
            _ => None,
        }
    }
}

/// A value as queries compare it: numbers as numbers, RFC 3339 times as their epoch
/// milliseconds, strings and booleans as themselves; anything else only equals its own text.
#[derive(Debug, Clone)]
pub(crate) enum Comparable {
    Number(f64),
    Text(String),
    Bool(bool),
    Other(String),
}

impl Comparable {
    pub(crate) fn of(v: &Value) -> Self {
        match v {
            Value::Number(n) => n
                .as_f64()
                .map_or_else(|| Self::Other(n.to_string()), Self::Number),
            Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(t) => Self::Number(t.timestamp_millis() as f64),
                Err(_) => Self::Text(s.clone()),
            },
            Value::Bool(b) => Self::Bool(*b),
            other => Self::Other(other.to_string()),
        }
    }

    pub(crate) fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Number(x), Self::Number(y)) => x.partial_cmp(y),
            (Self::Text(x), Self::Text(y)) => Some(x.cmp(y)),
            (Self::Bool(x), Self::Bool(y)) => Some(x.cmp(y)),
            _ => None,
        }
    }
}

impl PartialEq for Comparable {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Other(x), Self::Other(y)) => x == y,
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }
}

impl Eq for Comparable {}

impl Hash for Comparable {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            // 0.0 and -0.0 are equal, so they must hash alike; JSON has no NaN.
            Self::Number(n) => (0u8, if *n == 0.0 { 0 } else { n.to_bits() }).hash(h),
            Self::Text(s) => (1u8, s).hash(h),
            Self::Bool(b) => (2u8, b).hash(h),
            Self::Other(s) => (3u8, s).hash(h),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Bound {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug)]
pub(crate) enum Query {
    MatchAll,
    Ids(HashSet<String>),
    Term(Field, Comparable),
    Terms(Field, HashSet<Comparable>),
    Prefix(Field, String),
    Wildcard(Field, Vec<char>),
    Exists(Field),
    Range(Field, Vec<(Bound, Comparable)>),
    Bool {
        must: Vec<Query>,
        filter: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
        minimum_should_match: usize,
    },
}

/// What compiling has used of the request's limits so far.
#[derive(Default)]
struct Counts {
    clauses: usize,
    terms: usize,
}

impl Counts {
    fn clause(&mut self) -> CoreResult<()> {
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(bad(format!(
                "the query has more than [{MAX_CLAUSES}] clauses"
            )));
        }
        Ok(())
    }

    fn terms(&mut self, n: usize) -> CoreResult<()> {
        self.terms += n;
        if self.terms > MAX_TERMS {
            return Err(bad(format!(
                "the query has more than [{MAX_TERMS}] terms in [terms] and [ids] queries"
            )));
        }
        Ok(())
    }
}

/// `{field: value}` or `{field: {value: …}}`: the one field and its operand.
fn single<'a>(clause: &'a Value, op: &str) -> CoreResult<(Field, &'a Value)> {
    let (field, operand) = one_field(clause, op)?;
    let operand = match operand {
        Value::Object(o) => o
            .get("value")
            .ok_or_else(|| bad(format!("[{op}] query on [{}] needs a value", field.name())))?,
        v => v,
    };
    Ok((field, operand))
}

fn one_field<'a>(clause: &'a Value, op: &str) -> CoreResult<(Field, &'a Value)> {
    let (name, operand) = clause
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.iter().next())
        .ok_or_else(|| bad(format!("[{op}] query must name exactly one field")))?;
    Ok((Field::parse(name)?, operand))
}

fn pattern<'a>(operand: &'a Value, op: &str) -> CoreResult<&'a str> {
    let text = operand
        .as_str()
        .ok_or_else(|| bad(format!("[{op}] takes a string")))?;
    if text.chars().count() > MAX_PATTERN_CHARS {
        return Err(bad(format!(
            "the [{op}] pattern is longer than [{MAX_PATTERN_CHARS}] characters"
        )));
    }
    Ok(text)
}

fn clauses(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => vec![],
    }
}

impl Query {
    /// Checks and compiles a query; every limit it breaks is a 400 naming the limit.
    pub(crate) fn compile(query: &Value) -> CoreResult<Self> {
        Self::compile_at(query, 0, &mut Counts::default())
    }

    fn compile_at(query: &Value, depth: usize, counts: &mut Counts) -> CoreResult<Self> {
        if depth > MAX_DEPTH {
            return Err(bad(format!(
                "the query nests [bool] queries deeper than [{MAX_DEPTH}]"
            )));
        }
        counts.clause()?;
        let (op, clause) = query
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
            .ok_or_else(|| bad("a query is an object with exactly one query type"))?;
        Ok(match op.as_str() {
            "match_all" => Self::MatchAll,
            "ids" => {
                let values = clause
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad("[ids] takes an array of [values]"))?;
                counts.terms(values.len())?;
                let ids = values
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("[ids] values are strings"))?;
                Self::Ids(ids)
            }
            "term" | "match" => {
                let (field, operand) = single(clause, op)?;
                Self::Term(field, Comparable::of(operand))
            }
            "terms" => {
                let (field, list) = one_field(clause, op)?;
                let list = list
                    .as_array()
                    .ok_or_else(|| bad("[terms] takes an array"))?;
                counts.terms(list.len())?;
                Self::Terms(field, list.iter().map(Comparable::of).collect())
            }
            "prefix" => {
                let (field, operand) = single(clause, op)?;
                Self::Prefix(field, pattern(operand, op)?.to_owned())
            }
            "wildcard" => {
                let (field, operand) = single(clause, op)?;
                Self::Wildcard(field, pattern(operand, op)?.chars().collect())
            }
            "exists" => {
                let field = clause
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("[exists] needs a field"))?;
                Self::Exists(Field::parse(field)?)
            }
            "range" => {
                let (field, bounds) = one_field(clause, op)?;
                let bounds = bounds
                    .as_object()
                    .ok_or_else(|| bad("[range] takes bounds"))?;
                let mut checked = vec![];
                for (b, limit) in bounds {
                    let bound = match b.as_str() {
                        "gt" => Bound::Gt,
                        "gte" => Bound::Gte,
                        "lt" => Bound::Lt,
                        "lte" => Bound::Lte,
                        "format" | "time_zone" | "boost" => continue,
                        other => return Err(bad(format!("[range] does not support [{other}]"))),
                    };
                    checked.push((bound, Comparable::of(limit)));
                }
                Self::Range(field, checked)
            }
            "bool" => Self::compile_bool(clause, depth, counts)?,
            other => return Err(bad(format!("unknown query [{other}]"))),
        })
    }

    fn compile_bool(clause: &Value, depth: usize, counts: &mut Counts) -> CoreResult<Self> {
        let b: &Map<String, Value> = clause
            .as_object()
            .ok_or_else(|| bad("[bool] takes an object"))?;
        const KEYS: [&str; 6] = [
            "must",
            "filter",
            "should",
            "must_not",
            "minimum_should_match",
            "boost",
        ];
        if let Some(k) = b.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(format!("[bool] does not support [{k}]")));
        }
        let mut list = |name: &str| -> CoreResult<Vec<Query>> {
            clauses(b.get(name))
                .into_iter()
                .map(|c| Self::compile_at(c, depth + 1, counts))
                .collect()
        };
        let (must, filter) = (list("must")?, list("filter")?);
        let (should, must_not) = (list("should")?, list("must_not")?);
        let only_should = b.get("must").is_none() && b.get("filter").is_none();
        let minimum_should_match = b
            .get("minimum_should_match")
            .and_then(Value::as_u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .unwrap_or(usize::from(only_should && !should.is_empty()));
        Ok(Self::Bool {
            must,
            filter,
            should,
            must_not,
            minimum_should_match,
        })
    }

    /// Whether `key` matches, spending the steps it takes from `budget`.
    pub(crate) fn matches(&self, key: &ApiKey, budget: &mut Budget) -> CoreResult<bool> {
        budget.spend(1)?;
        Ok(match self {
            Self::MatchAll => true,
            Self::Ids(ids) => ids.contains(&key.id),
            Self::Term(field, operand) => field
                .value(key)
                .is_some_and(|v| Comparable::of(&v) == *operand),
            Self::Terms(field, set) => field
                .value(key)
                .is_some_and(|v| set.contains(&Comparable::of(&v))),
            Self::Prefix(field, p) => {
                budget.spend(p.len() as u64)?;
                field
                    .value(key)
                    .is_some_and(|v| v.as_str().is_some_and(|s| s.starts_with(p.as_str())))
            }
            Self::Wildcard(field, p) => match field.value(key) {
                Some(Value::String(s)) => {
                    let text: Vec<char> = s.chars().collect();
                    budget.spend(text.len() as u64)?;
                    let (hit, steps) =
                        glob::matches(p, &text, budget.0).ok_or_else(Budget::exhausted)?;
                    budget.spend(steps)?;
                    hit
                }
                _ => false,
            },
            Self::Exists(field) => field.value(key).is_some_and(|v| !v.is_null()),
            Self::Range(field, bounds) => match field.value(key) {
                Some(v) => {
                    let v = Comparable::of(&v);
                    bounds.iter().all(|(bound, limit)| {
                        let c = v.compare(limit);
                        match bound {
                            Bound::Gt => c == Some(Ordering::Greater),
                            Bound::Gte => matches!(c, Some(Ordering::Greater | Ordering::Equal)),
                            Bound::Lt => c == Some(Ordering::Less),
                            Bound::Lte => matches!(c, Some(Ordering::Less | Ordering::Equal)),
                        }
                    })
                }
                None => false,
            },
            Self::Bool {
                must,
                filter,
                should,
                must_not,
                minimum_should_match,
            } => {
                for q in must.iter().chain(filter) {
                    if !q.matches(key, budget)? {
                        return Ok(false);
                    }
                }
                for q in must_not {
                    if q.matches(key, budget)? {
                        return Ok(false);
                    }
                }
                let mut hits = 0;
                for q in should {
                    if hits >= *minimum_should_match {
                        break;
                    }
                    hits += usize::from(q.matches(key, budget)?);
                }
                hits >= *minimum_should_match
            }
        })
    }
}

/// The steps a request may still spend evaluating its query.
pub(crate) struct Budget(u64);

impl Default for Budget {
    fn default() -> Self {
        Self(MAX_STEPS)
    }
}

impl Budget {
    fn spend(&mut self, steps: u64) -> CoreResult<()> {
        self.0 = self.0.checked_sub(steps).ok_or_else(Self::exhausted)?;
        Ok(())
    }

    fn exhausted() -> CoreError {
        bad(format!(
            "the query needs more than [{MAX_STEPS}] steps over the API keys it searches; narrow it"
        ))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::elasticsearch::api_keys::LimitedBy;
    use serde_json::json;

    pub(crate) fn key(name: &str, invalidated: bool) -> ApiKey {
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
                user_id: None,
                descriptors: None,
            },
        }
    }

    fn run(k: &ApiKey, q: &Value) -> CoreResult<bool> {
        Query::compile(q)?.matches(k, &mut Budget::default())
    }

    fn hit(q: Value) -> bool {
        run(&key("bob-key", false), &q).unwrap_or(false)
    }

    fn refusal(q: Value) -> String {
        match Query::compile(&q) {
            Err(CoreError::Invalid { field, reason }) if field == "query" => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_dsl_subset_matches() {
        assert!(hit(json!({"match_all": {}})));
        assert!(hit(json!({"term": {"name": "bob-key"}})));
        assert!(hit(json!({"term": {"name": {"value": "bob-key"}}})));
        assert!(!hit(json!({"term": {"name": "other"}})));
        assert!(hit(json!({"terms": {"username": ["x", "bob"]}})));
        assert!(hit(
            json!({"terms": {"creation": ["2023-11-14T22:13:20Z"]}})
        ));
        assert!(hit(json!({"terms": {"metadata.n": [3.0]}})));
        assert!(hit(json!({"ids": {"values": ["bob-key_____________"]}})));
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
        refusal(json!({"fuzzy": {"name": "k"}}));
        refusal(json!({"term": {"key_hash": "x"}}));
        refusal(json!({"term": {"name": "a"}, "prefix": {"name": "b"}}));
        // A bad clause is refused even where an earlier one would already fail to match.
        refusal(
            json!({"bool": {"must": [{"term": {"name": "nope"}}], "filter": [{"fuzzy": {"name": "k"}}]}}),
        );
    }

    #[test]
    fn every_limit_is_named_in_the_refusal() {
        let long = format!("{}b", "*".repeat(200_000));
        assert!(refusal(json!({"wildcard": {"type": long}})).contains("[1000] characters"));
        assert!(
            refusal(json!({"prefix": {"name": "x".repeat(MAX_PATTERN_CHARS + 1)}}))
                .contains("[1000] characters")
        );
        let mut deep = json!({"match_all": {}});
        for _ in 0..=MAX_DEPTH {
            deep = json!({"bool": {"must": [deep]}});
        }
        assert!(refusal(deep).contains("deeper than [20]"));
        let wide = json!({"bool": {"should": vec![json!({"match_all": {}}); MAX_CLAUSES]}});
        assert!(refusal(wide).contains("[1024] clauses"));
        let many = json!({"terms": {"name": vec![json!("x"); MAX_TERMS + 1]}});
        assert!(refusal(many).contains("[65536] terms"));
        assert!(
            Query::compile(&json!({"wildcard": {"type": "*".repeat(MAX_PATTERN_CHARS)}})).is_ok()
        );
    }

    #[test]
    fn evaluation_stops_at_the_budget() {
        let mut k = key("k", false);
        k.metadata
            .insert("blob".into(), Value::String("a".repeat(1_000_000)));
        let q = Query::compile(
            &json!({"wildcard": {"metadata.blob": format!("*{}b", "a".repeat(998))}}),
        )
        .unwrap();
        // About 10⁹ steps for this one key: refused once the budget is spent, not run through.
        let started = crate::clock::Clock::instant(&crate::clock::SystemClock);
        assert!(q.matches(&k, &mut Budget::default()).is_err());
        assert!(
            crate::clock::Clock::instant(&crate::clock::SystemClock).duration_since(started)
                < std::time::Duration::from_secs(10)
        );
    }
}
