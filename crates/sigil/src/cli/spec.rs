//! The OpenAPI document built into the binary, walked into tags → operations → parameters
//!: the same document `sigil server` serves at `/openapi.json`, so the client and
//! the server cannot drift.

use serde_json::Value;
use std::sync::OnceLock;

/// The operations of the document, grouped by tag; built once per process and kept for its
/// life, so commands can borrow `&'static str` names from it.
pub struct Spec {
    pub tags: Vec<Tag>,
    /// Body schemas by name (`#/components/schemas/<name>`), for the help pages.
    schemas: serde_json::Map<String, Value>,
}

pub struct Tag {
    /// Lower camel case, as the command line takes it (`federatedAuthentication`).
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Operation {
    pub id: String,
    /// Older names of the operation (`x-aliases`): scripts written against any of them work.
    pub aliases: Vec<String>,
    pub method: reqwest::Method,
    /// The path template, e.g. `/api/atlas/v2/orgs/{orgId}`.
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    /// A request header the operation defines (`X-Idp-Id`); the flag is its name.
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
}

impl Kind {
    /// The name in the Type column of help pages; a boolean is a flag, whose type the
    /// Atlas CLI's table leaves blank.
    pub fn label(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "int",
            Kind::Number => "float",
            Kind::Boolean => "",
        }
    }
}

pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub kind: Kind,
    pub description: String,
    /// The server's default, shown in help (`This value defaults to …`).
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    /// `application/x-www-form-urlencoded` (the OAuth endpoints): `--file` is still JSON, an
    /// object whose members become the form's fields.
    Form,
}

pub struct Body {
    pub format: BodyFormat,
    pub required: bool,
    /// The schema's name when it is a `$ref`.
    pub schema: Option<String>,
}

/// One field of a request body, for the help page.
pub struct Field {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

/// Paths whose operations speak the Atlas Admin API v2 and take its versioned media type.
pub const VERSIONED_PREFIX: &str = "/api/atlas/";

impl Operation {
    /// Whether `Accept: application/vnd.atlas.<date>+json` applies. Cloud Manager v1.0
    /// (`/api/public/`) answers plain JSON whatever is asked, and the OAuth, Elasticsearch and
    /// discovery endpoints are not Atlas at all, so they get `application/json`.
    pub fn versioned(&self) -> bool {
        self.path.starts_with(VERSIONED_PREFIX)
    }
}

/// The document as the server builds it.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc = serde_json::to_value(sigil_server::openapi::document()).unwrap_or_default();
        Spec::from_document(&doc)
    })
}

impl Spec {
    pub fn from_document(doc: &Value) -> Spec {
        let declared: Vec<(String, String)> = doc["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    t["name"].as_str()?.to_owned(),
                    t["description"].as_str().unwrap_or("").to_owned(),
                ))
            })
            .collect();
        let mut tags: Vec<Tag> = declared
            .iter()
            .map(|(name, description)| Tag {
                name: lower_camel(name),
                description: description.clone(),
                operations: vec![],
            })
            .collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<reqwest::Method>() else {
                    continue;
                };
                let Some(id) = op["operationId"].as_str() else {
                    continue;
                };
                let tag = lower_camel(op["tags"][0].as_str().unwrap_or("default"));
                let operation = Operation {
                    id: id.to_owned(),
                    aliases: strings(&op["x-aliases"]),
                    method,
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    params: op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| param(resolve(doc, p)))
                        .collect(),
                    body: body(&op["requestBody"]),
                };
                match tags.iter_mut().find(|t| t.name == tag) {
                    Some(t) => t.operations.push(operation),
                    None => tags.push(Tag {
                        name: tag,
                        description: String::new(),
                        operations: vec![operation],
                    }),
                }
            }
        }
        tags.retain(|t| !t.operations.is_empty());
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        for tag in &mut tags {
            tag.operations.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Spec {
            tags,
            schemas: doc["components"]["schemas"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }

    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The operation called `name` (its id or one of its aliases) and its tag, in any tag.
    pub fn find(&self, name: &str) -> Option<(&Tag, &Operation)> {
        self.tags.iter().find_map(|t| {
            t.operations
                .iter()
                .find(|o| o.id == name || o.aliases.iter().any(|a| a == name))
                .map(|o| (t, o))
        })
    }

    /// The top-level fields of a body schema (its `$ref`s followed), for the help page.
    pub fn fields(&self, schema: &str) -> Vec<Field> {
        let Some(s) = self.schemas.get(schema) else {
            return vec![];
        };
        let required = strings(&s["required"]);
        s["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, p)| Field {
                name: name.clone(),
                kind: type_name(p),
                required: required.contains(name),
                description: text(&p["description"]),
            })
            .collect()
    }
}

/// `Federated Authentication`, `federated-authentication` → `federatedAuthentication`;
/// a name already in lower camel case is kept.
pub fn lower_camel(name: &str) -> String {
    let mut out = String::new();
    for (i, word) in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if i == 0 {
                out.extend(first.to_lowercase());
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

/// A parameter given as `{"$ref": "#/components/parameters/X"}` is looked up.
fn resolve<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    match p["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/parameters/"))
    {
        Some(name) => &doc["components"]["parameters"][name],
        None => p,
    }
}

fn param(p: &Value) -> Option<Param> {
    let location = match p["in"].as_str()? {
        "path" => Location::Path,
        "query" => Location::Query,
        // Accept, Content-Type and Authorization are the client's business, not flags.
        "header"
            if !matches!(
                p["name"].as_str().map(str::to_ascii_lowercase).as_deref(),
                Some("accept" | "content-type" | "authorization")
            ) =>
        {
            Location::Header
        }
        // Cookies and the headers above.
        _ => return None,
    };
    let schema = &p["schema"];
    let kind = match schema["type"].as_str().unwrap_or("string") {
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        _ => Kind::String,
    };
    Some(Param {
        name: p["name"].as_str()?.to_owned(),
        location,
        required: location == Location::Path || p["required"].as_bool().unwrap_or(false),
        kind,
        description: text(&p["description"]),
        default: match &schema["default"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        },
    })
}

fn body(b: &Value) -> Option<Body> {
    let content = b["content"].as_object()?;
    let (format, media) = if let Some(m) = content.get("application/x-www-form-urlencoded") {
        (BodyFormat::Form, m)
    } else {
        (BodyFormat::Json, content.values().next()?)
    };
    Some(Body {
        format,
        required: b["required"].as_bool().unwrap_or(false),
        schema: ref_name(&media["schema"]),
    })
}

fn ref_name(schema: &Value) -> Option<String> {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
}

/// A property's type for the help page: `string`, `array of RoleAssignment`, `Foo`…
fn type_name(p: &Value) -> String {
    if let Some(name) = ref_name(p) {
        return name;
    }
    if let Some(one) = p["oneOf"].as_array().or(p["anyOf"].as_array()) {
        let names: Vec<String> = one.iter().map(type_name).filter(|n| n != "null").collect();
        return names.join(" or ");
    }
    // OpenAPI 3.1 writes an optional field's type as `["string", "null"]`.
    let types: Vec<&str> = match &p["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let names: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "array" => format!("array of {}", type_name(&p["items"])),
            other => other.to_owned(),
        })
        .collect();
    if names.is_empty() {
        "any".to_owned()
    } else {
        names.join(" or ")
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Doc comments arrive with their line breaks; paragraphs are kept, lines joined.
fn text(v: &Value) -> String {
    let Some(s) = v.as_str() else {
        return String::new();
    };
    s.split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lower_camel_case() {
        assert_eq!(
            lower_camel("Federated Authentication"),
            "federatedAuthentication"
        );
        assert_eq!(lower_camel("service-accounts"), "serviceAccounts");
        assert_eq!(lower_camel("programmaticApiKeys"), "programmaticApiKeys");
        assert_eq!(lower_camel("oauth"), "oauth");
    }

    #[test]
    fn every_operation_of_the_served_document_is_walked() {
        let doc = serde_json::to_value(sigil_server::openapi::document()).unwrap();
        let mut expected = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            expected += item
                .as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "put", "post", "delete", "patch"].contains(&m.as_str()))
                .count();
        }
        let walked: usize = spec().tags.iter().map(|t| t.operations.len()).sum();
        assert_eq!(walked, expected);
        assert!(expected > 60, "{expected}");
    }

    #[test]
    fn the_seed_operation_is_found_by_every_name() {
        for name in [
            "revokeJwksFromIdentityProvider",
            "revokeFederationSettingIdentityProviderJwks",
            "revokeIdentityProviderJwks",
        ] {
            let (tag, op) = spec().find(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(tag.name, "federatedAuthentication");
            assert_eq!(op.id, "revokeJwksFromIdentityProvider");
            assert_eq!(op.method, reqwest::Method::DELETE);
            assert!(op.versioned());
            let required: Vec<&str> = op
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.as_str())
                .collect();
            assert_eq!(required, ["federationSettingsId", "identityProviderId"]);
        }
    }

    #[test]
    fn names_and_aliases_are_unique_within_each_tag() {
        for tag in &spec().tags {
            let mut seen = std::collections::HashSet::new();
            for op in &tag.operations {
                for name in std::iter::once(&op.id).chain(&op.aliases) {
                    assert!(seen.insert(name.clone()), "{} twice in {}", name, tag.name);
                }
            }
        }
    }

    #[test]
    fn bodies_name_their_schema_and_form_bodies_are_told_apart() {
        let (_, token) = spec().find("createToken").unwrap();
        assert_eq!(token.body.as_ref().unwrap().format, BodyFormat::Form);
        let (_, create) = spec().find("createServiceAccount").unwrap();
        let body = create.body.as_ref().unwrap();
        assert_eq!(body.format, BodyFormat::Json);
        let fields = spec().fields(body.schema.as_deref().unwrap());
        let roles = fields.iter().find(|f| f.name == "roles").unwrap();
        assert_eq!(roles.kind, "array of string");
        assert!(!roles.description.is_empty());
    }
}
