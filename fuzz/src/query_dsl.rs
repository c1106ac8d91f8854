//! Query DSL requests built from the input's bytes (structure-aware fuzzing of `es_query`):
//! each byte picks a clause, a field, a wildcard piece or a bound, so every input is a
//! well-formed request and the fuzzer spends its time in the evaluation, not in JSON syntax.

use arbitrary::Arbitrary;
use serde_json::{json, Map, Value};

#[derive(Debug, Arbitrary)]
enum Field {
    Id,
    Name,
    Username,
    RealmName,
    Type,
    Invalidated,
    Creation,
    Expiration,
    Team,
    N,
    At,
    Unknown,
}

impl Field {
    fn name(&self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::Username => "username",
            Self::RealmName => "realm_name",
            Self::Type => "type",
            Self::Invalidated => "invalidated",
            Self::Creation => "creation",
            Self::Expiration => "expiration",
            Self::Team => "metadata.team",
            Self::N => "metadata.n",
            Self::At => "metadata.at",
            Self::Unknown => "key_hash",
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// An RFC 3339 time, `seconds` after 2023-11-14.
    Time(u32),
}

impl Scalar {
    fn value(&self) -> Value {
        match self {
            Self::Text(s) => json!(s),
            Self::Int(n) => json!(n),
            Self::Float(f) => json!(f),
            Self::Bool(b) => json!(b),
            Self::Null => Value::Null,
            Self::Time(seconds) => {
                let t = chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(*seconds), 0)
                    .unwrap_or_default();
                json!(t.to_rfc3339())
            }
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Piece {
    Star,
    AnyOne,
    A,
    Other(char),
}

#[derive(Debug, Arbitrary)]
enum Bound {
    Gt,
    Gte,
    Lt,
    Lte,
    Format,
}

#[derive(Debug, Arbitrary)]
enum Query {
    MatchAll,
    Ids(Vec<String>),
    Term(Field, Scalar),
    Match(Field, Scalar),
    Terms(Field, Vec<Scalar>),
    Prefix(Field, String),
    Wildcard(Field, Vec<Piece>),
    Exists(Field),
    Range(Field, Vec<(Bound, Scalar)>),
    Bool {
        must: Vec<Query>,
        filter: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
        minimum_should_match: Option<u8>,
    },
}

fn one(field: &Field, operand: Value) -> Value {
    let mut m = Map::new();
    m.insert(field.name().to_owned(), operand);
    Value::Object(m)
}

impl Query {
    fn value(&self) -> Value {
        match self {
            Self::MatchAll => json!({"match_all": {}}),
            Self::Ids(ids) => json!({"ids": {"values": ids}}),
            Self::Term(f, s) => json!({"term": one(f, s.value())}),
            Self::Match(f, s) => json!({"match": one(f, json!({"value": s.value()}))}),
            Self::Terms(f, list) => {
                json!({"terms": one(f, list.iter().map(Scalar::value).collect())})
            }
            Self::Prefix(f, p) => json!({"prefix": one(f, json!(p))}),
            Self::Wildcard(f, pieces) => {
                let pattern: String = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Star => '*',
                        Piece::AnyOne => '?',
                        Piece::A => 'a',
                        Piece::Other(c) => *c,
                    })
                    .collect();
                json!({"wildcard": one(f, json!(pattern))})
            }
            Self::Exists(f) => json!({"exists": {"field": f.name()}}),
            Self::Range(f, bounds) => {
                let mut m = Map::new();
                for (b, s) in bounds {
                    let name = match b {
                        Bound::Gt => "gt",
                        Bound::Gte => "gte",
                        Bound::Lt => "lt",
                        Bound::Lte => "lte",
                        Bound::Format => "format",
                    };
                    m.insert(name.to_owned(), s.value());
                }
                json!({"range": one(f, Value::Object(m))})
            }
            Self::Bool {
                must,
                filter,
                should,
                must_not,
                minimum_should_match,
            } => {
                let list = |qs: &[Query]| Value::Array(qs.iter().map(Query::value).collect());
                let mut b = Map::new();
                for (name, qs) in [
                    ("must", must),
                    ("filter", filter),
                    ("should", should),
                    ("must_not", must_not),
                ] {
                    if !qs.is_empty() {
                        b.insert(name.to_owned(), list(qs));
                    }
                }
                if let Some(n) = minimum_should_match {
                    b.insert("minimum_should_match".to_owned(), json!(n));
                }
                json!({"bool": b})
            }
        }
    }
}

/// A whole `_query/api_key` request.
#[derive(Debug, Arbitrary)]
pub struct QueryBody {
    query: Option<Query>,
    from: Option<u16>,
    size: Option<u16>,
    sort: Vec<(Field, Option<bool>)>,
    search_after: Option<Vec<Scalar>>,
}

impl QueryBody {
    /// The JSON body a client would send.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = Map::new();
        if let Some(q) = &self.query {
            body.insert("query".into(), q.value());
        }
        if let Some(n) = self.from {
            body.insert("from".into(), json!(n));
        }
        if let Some(n) = self.size {
            body.insert("size".into(), json!(n));
        }
        if !self.sort.is_empty() {
            let sort: Vec<Value> = self
                .sort
                .iter()
                .map(|(f, order)| match order {
                    None => json!(f.name()),
                    Some(desc) => one(f, json!({"order": if *desc { "desc" } else { "asc" }})),
                })
                .collect();
            body.insert("sort".into(), Value::Array(sort));
        }
        if let Some(after) = &self.search_after {
            body.insert(
                "search_after".into(),
                Value::Array(after.iter().map(Scalar::value).collect()),
            );
        }
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}
