//! What every operation of a face shares, written once into the document: the media types the
//! face answers in, the errors any of its routes can give (with the face's error body), the
//! credentials each operation takes, and the form of each path id.

use serde_json::{json, Map, Value};

/// A face, by the path prefix of its operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Atlas,
    CloudManager,
    OAuth,
    Elasticsearch,
    /// `/v3.0/…`: Huawei's flat errors.
    Iam,
    /// `/v3/…`: Keystone's errors.
    Keystone,
    Health,
}

impl Face {
    fn of(path: &str) -> Self {
        if path.starts_with("/api/atlas/") {
            Self::Atlas
        } else if path.starts_with("/api/public/") {
            Self::CloudManager
        } else if path.starts_with("/api/oauth/") || path.starts_with("/.well-known/") {
            Self::OAuth
        } else if path.starts_with("/v3.0/") {
            Self::Iam
        } else if path.starts_with("/v3/") {
            Self::Keystone
        } else if path == "/health" {
            Self::Health
        } else {
            Self::Elasticsearch
        }
    }

    /// The media types of the face's JSON answers.
    fn media_types(self) -> Vec<String> {
        match self {
            Self::Atlas => crate::mongodb::versions::VERSIONS
                .iter()
                .map(|v| format!("application/vnd.atlas.{v}+json"))
                .collect(),
            // The official clients ask for it; the answer then carries it.
            Self::Elasticsearch => vec![
                "application/json".into(),
                "application/vnd.elasticsearch+json".into(),
            ],
            _ => vec!["application/json".into()],
        }
    }

    /// The schema of the face's error body.
    fn error_schema(self) -> Option<&'static str> {
        match self {
            Self::Atlas | Self::CloudManager => Some("AtlasErrorBody"),
            Self::OAuth => Some("OAuthErrorBody"),
            Self::Elasticsearch => Some("EsErrorBody"),
            Self::Iam => Some("IamErrorBody"),
            Self::Keystone => Some("KeystoneErrorBody"),
            Self::Health => None,
        }
    }

    /// The errors any authenticated route of the face may answer, and why.
    fn errors(self) -> &'static [(u16, &'static str)] {
        const ATLAS: &[(u16, &str)] = &[
            (400, "A field, parameter or body is invalid (VALIDATION_ERROR, INVALID_ATTRIBUTE, MISSING_ATTRIBUTE, INVALID_PATH_PARAMETER), naming it"),
            (401, "No valid credentials (NOT_AUTHENTICATED), with a Digest challenge"),
            (403, "The caller lacks the role (INSUFFICIENT_ROLE)"),
            (404, "No such resource"),
            (406, "An unknown API version in Accept (INVALID_VERSION_DATE)"),
            (409, "The resource exists already (DUPLICATE_RESOURCE), or a limit is reached"),
            (413, "The body is over 1 MiB"),
            (429, "Too many failed authentications from this address (RATE_LIMITED); see Retry-After"),
            (431, "A header is too long (HEADER_TOO_LARGE)"),
            (503, "This node cannot confirm that credentials are still valid (SERVICE_UNAVAILABLE)"),
        ];
        const CLOUD_MANAGER: &[(u16, &str)] = &[
            ATLAS[0], ATLAS[1], ATLAS[2], ATLAS[3], ATLAS[5], ATLAS[6], ATLAS[7], ATLAS[8],
            ATLAS[9],
        ];
        const OAUTH: &[(u16, &str)] = &[
            (400, "invalid_request, unsupported_grant_type, invalid_grant, invalid_scope, unauthorized_client"),
            (401, "invalid_client: the client did not authenticate, with `WWW-Authenticate: Basic`"),
            (429, "temporarily_unavailable: too many failed authentications from this address"),
            (503, "temporarily_unavailable: this node cannot confirm that credentials are still valid"),
        ];
        const ELASTICSEARCH: &[(u16, &str)] = &[
            (400, "The request is invalid (x_content_parse_exception, action_request_validation_exception, illegal_argument_exception)"),
            (401, "No valid credentials (security_exception), with the Basic, ApiKey and Bearer challenges"),
            (403, "The caller lacks the privilege (security_exception), naming the action"),
            (404, "No such resource (resource_not_found_exception)"),
            (409, "It exists already (version_conflict_engine_exception)"),
            (413, "The body is over 1 MiB"),
            (429, "Too many failed authentications from this address (status_exception)"),
            (503, "This node cannot confirm that credentials are still valid (status_exception)"),
        ];
        const IAM: &[(u16, &str)] = &[
            (
                400,
                "A field, header or body is invalid (IAM.0011), naming it",
            ),
            (401, "No valid credentials (IAM.0007)"),
            (
                403,
                "Not ORG_OWNER (Security Administrator) of the domain (IAM.0003)",
            ),
            (404, "No such resource (IAM.0004)"),
            (409, "It exists already, or a limit is reached (IAM.0009)"),
            (413, "The body is over 1 MiB (IAM.0012)"),
            (
                429,
                "Too many failed authentications from this address (IAM.0013)",
            ),
            (431, "A header is too long"),
            (
                503,
                "This node cannot confirm that credentials are still valid (IAM.0014)",
            ),
        ];
        match self {
            Self::Atlas => ATLAS,
            Self::CloudManager => CLOUD_MANAGER,
            Self::OAuth => OAUTH,
            Self::Elasticsearch => ELASTICSEARCH,
            Self::Iam | Self::Keystone => IAM,
            Self::Health => &[],
        }
    }
}

/// The forms of the path and header ids, by face and name.
fn id_pattern(face: Face, name: &str) -> Option<Value> {
    const HEX: &str = "^[0-9a-f]{24}$";
    const ES_NAME: &str = "Role and user names: 1 to 507 printable characters, not beginning or ending with whitespace; several may be given separated by commas where the operation lists.";
    let (pattern, max) = match (face, name) {
        (
            Face::Atlas | Face::CloudManager,
            "orgId"
            | "federationSettingsId"
            | "identityProviderId"
            | "id"
            | "secretId"
            | "apiUserId",
        ) => (HEX, None),
        (Face::Atlas | Face::CloudManager, "clientId") => ("^mdb_sa_id_[0-9a-f]{24}$", None),
        (Face::Elasticsearch, "id") => ("^[A-Za-z0-9_-]{20}$", None),
        (Face::Elasticsearch, "application") => {
            return Some(json!({
                "type": "string", "minLength": 3, "maxLength": 1024,
                "pattern": "^[a-z][A-Za-z0-9_-]{2,}$",
                "description": "An application name: a lowercase ASCII letter, then at least two of a-z, A-Z, 0-9, _ and -.",
            }))
        }
        (Face::Elasticsearch, "privilege") => {
            return Some(json!({
                "type": "string", "minLength": 1, "maxLength": 1024,
                "pattern": "^[a-z][A-Za-z0-9_.-]*(,[a-z][A-Za-z0-9_.-]*)*$",
                "description": "Application privilege names, separated by commas: each a lowercase ASCII letter, then a-z, A-Z, 0-9, _, - and .",
            }))
        }
        (Face::Elasticsearch, "username" | "name" | "user") => {
            return Some(json!({
                "type": "string", "minLength": 1, "maxLength": 507,
                "pattern": ES_NAME_PATTERN, "description": ES_NAME,
            }))
        }
        (Face::Iam | Face::Keystone, "idp_id" | "X-Idp-Id") => ("^[A-Za-z0-9_-]{1,64}$", Some(64)),
        (Face::Iam, "access_key") => ("^SGAK[A-Z0-9]{16}$", None),
        (Face::Iam, "user_id") => (HEX, None),
        _ => return None,
    };
    let mut schema = json!({"type": "string", "pattern": pattern});
    if let Some(max) = max {
        schema["minLength"] = 1.into();
        schema["maxLength"] = max.into();
    }
    Some(schema)
}

/// No control character anywhere, and no whitespace (as Rust's `trim` sees it) at either end.
const ES_NAME_PATTERN: &str = "^[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?$";

fn es_name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 507, "pattern": ES_NAME_PATTERN})
}

/// Operations anyone may call.
const PUBLIC: [&str; 5] = [
    "getHealth",
    "getOpenIdConfiguration",
    "getJwks",
    "keystoneCreateUserTokenByPassword",
    "createTokenWithIdToken",
];

/// The credentials an operation takes: `None` keeps the document's default (every scheme).
fn security(operation_id: &str) -> Option<Value> {
    if PUBLIC.contains(&operation_id) {
        return Some(json!([]));
    }
    match operation_id {
        // The client authenticates with HTTP Basic, or with client_id and client_secret in the
        // form (client_secret_post, which no security scheme describes); the token exchange
        // needs no client at all.
        "createToken" | "revokeToken" => Some(json!([{"clientSecretBasic": []}, {}])),
        // The token is in the body, or in X-Auth-Token.
        "createTemporaryAccessKeyByToken" => Some(json!([{"authToken": []}, {}])),
        // The token's own client, or any principal with read_security.
        "introspectToken" => {
            let mut alternatives = vec![json!({"clientSecretBasic": []})];
            alternatives.extend(super::SCHEMES.iter().map(|s| json!({ *s: [] })));
            alternatives.push(json!({}));
            Some(Value::Array(alternatives))
        }
        _ => None,
    }
}

fn error_response(face: Face, description: &str) -> Value {
    let mut response = json!({ "description": description });
    if let Some(schema) = face.error_schema() {
        let content: Map<String, Value> = face
            .media_types()
            .into_iter()
            .map(|media| {
                (
                    media,
                    json!({"schema": {"$ref": format!("#/components/schemas/{schema}")}}),
                )
            })
            .collect();
        response["content"] = Value::Object(content);
    }
    response
}

/// Every `application/json` content of `content` becomes the face's media types.
fn retype(content: &mut Value, media_types: &[String], keep_json: bool) {
    let Some(map) = content.as_object_mut() else {
        return;
    };
    let Some(json_content) = map.get("application/json").cloned() else {
        return;
    };
    if !keep_json {
        map.remove("application/json");
    }
    for media in media_types {
        map.entry(media.clone())
            .or_insert_with(|| json_content.clone());
    }
}

/// `secretExpiresAfterHours` from 8 to `max` hours. Sigil also reads a JSON string of at most
/// six digits (the Cloud Manager documentation's example sends one); the document asks for the
/// integer every client sends.
fn hours_schema(max: u32) -> Value {
    json!({
        "description": format!("Hours until the secret expires, 8 to {max}."),
        "type": "integer", "minimum": 8, "maximum": max,
    })
}

/// The schemas whose rules differ by face, or that annotations cannot state.
fn patch_components(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for name in ["ServiceAccountDraft", "SecretDraft"] {
        let Some(atlas) = schemas.get_mut(name) else {
            continue;
        };
        atlas["properties"]["secretExpiresAfterHours"] = hours_schema(8760);
        let mut cloud_manager = atlas.clone();
        cloud_manager["properties"]["secretExpiresAfterHours"] = hours_schema(8766);
        cloud_manager["title"] = format!("{name}CloudManager").into();
        schemas.insert(format!("{name}CloudManager"), cloud_manager);
    }
    // Elasticsearch reserves metadata keys that begin with `_`.
    for name in ["RoleDraft", "UserDraft", "ApiKeyDraft", "ApiKeyUpdate"] {
        if let Some(metadata) = schemas
            .get_mut(name)
            .and_then(|s| s.pointer_mut("/properties/metadata"))
        {
            metadata["propertyNames"] = json!({"pattern": "^(?:[^_][\\s\\S]*)?$"});
        }
    }
    // Fields a request may not carry: Sigil refuses them by name.
    for (schema, field, why) in [
        (
            "Scope",
            "project",
            "Refused: Sigil scopes tokens to a domain.",
        ),
        (
            "RoleAssignmentDraft",
            "groupId",
            "Refused: Sigil has no projects.",
        ),
    ] {
        if let Some(properties) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
        {
            properties[field] = json!({"not": {}, "description": why});
        }
    }
    // Form parameters: each at most once, so any other parameter is one string.
    for name in ["TokenRequest", "TokenParameter"] {
        if let Some(form) = schemas.get_mut(name) {
            form["additionalProperties"] = json!({"type": "string"});
        }
    }
    if let Some(token) = schemas.get_mut("TokenParameter") {
        token["properties"]["token"]["minLength"] = 1.into();
        // client_secret_post: the two go together.
        token["dependentRequired"] = json!({
            "client_id": ["client_secret"],
            "client_secret": ["client_id"],
        });
    }
    if let Some(grant) = schemas
        .get_mut("TokenRequest")
        .and_then(|s| s.pointer_mut("/properties/grant_type"))
    {
        grant["enum"] = json!([
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ]);
    }
    // Elasticsearch names: role names a user holds, ids to invalidate, cluster privileges.
    if let Some(roles) = schemas
        .get_mut("UserDraft")
        .and_then(|s| s.pointer_mut("/properties/roles"))
    {
        roles["items"] = es_name();
    }
    if let Some(ids) = schemas
        .get_mut("InvalidateBody")
        .and_then(|s| s.pointer_mut("/properties/ids"))
    {
        ids["items"] = json!({"type": "string", "pattern": "\\S"});
    }
    if let Some(cluster) = schemas
        .get_mut("RoleDraft")
        .and_then(|s| s.pointer_mut("/properties/cluster"))
    {
        cluster["items"] = json!({"type": "string", "enum": [
            "all", "manage_security", "manage_api_key", "manage_own_api_key", "read_security"
        ]});
    }
    // Index and application privileges in the shapes Elasticsearch documents (Sigil keeps
    // them, granting nothing, and refuses any other shape naming the field).
    if let Some(role) = schemas
        .get_mut("RoleDraft")
        .and_then(|s| s.get_mut("properties"))
    {
        let strings = json!({"type": "array", "items": {"type": "string"}});
        role["indices"]["items"] = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["names", "privileges"],
            "properties": {
                "names": {"oneOf": [{"type": "string"}, strings]},
                "privileges": strings,
                "field_security": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {"grant": strings, "except": strings},
                },
                "query": {"type": ["string", "object"]},
                "allow_restricted_indices": {"type": "boolean"},
            },
        });
        role["applications"]["items"] = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["application", "privileges", "resources"],
            "properties": {
                "application": {"type": "string", "minLength": 1},
                "privileges": strings,
                "resources": strings,
            },
        });
    }
    // Elasticsearch answers some 404s with a body of its own rather than an error.
    schemas.insert(
        "EsNotFoundBody".into(),
        json!({
            "description": "A 404 that is not an error body: a deletion that found nothing (`{\"found\": false}`, or per application privilege), an API key lookup that matched none (`{\"api_keys\": []}`), or a lookup of users, roles or application privileges that found none (`{}`).",
            "oneOf": [
                {"type": "object", "required": ["found"], "properties": {"found": {"const": false}}},
                {"type": "object", "required": ["api_keys"], "properties": {"api_keys": {"type": "array", "maxItems": 0}}},
                {"type": "object", "maxProperties": 0},
                {"type": "object", "minProperties": 1, "additionalProperties": {
                    "type": "object", "minProperties": 1, "additionalProperties": {
                        "type": "object", "required": ["found"], "properties": {"found": {"const": false}}}}},
            ],
        }),
    );
}

/// Every `$ref` target under `value`.
fn references(value: &Value, found: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        found.insert(r.rsplit('/').next().unwrap_or_default().to_owned());
                    }
                    _ => references(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// Drops the schemas nothing refers to (utoipa registers a generic's argument beside the
/// inlined generic): a generated client would carry them for nothing.
fn drop_unused_schemas(doc: &mut Value) {
    loop {
        let mut found = std::collections::BTreeSet::new();
        references(doc, &mut found);
        let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let before = schemas.len();
        schemas.retain(|name, _| found.contains(name));
        if schemas.len() == before {
            return;
        }
    }
}

/// Applies the contract to every operation of `doc`.
pub fn apply(doc: &mut Value) {
    patch_components(doc);
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let face = Face::of(path);
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            apply_to_operation(face, op);
        }
    }
    drop_unused_schemas(doc);
}

fn apply_to_operation(face: Face, op: &mut Value) {
    let media = face.media_types();
    // A request body: the Atlas face reads JSON whatever its media type says.
    if let Some(content) = op.pointer_mut("/requestBody/content") {
        retype(content, &media, true);
        if face == Face::CloudManager {
            for body in content.as_object_mut().into_iter().flatten() {
                if let Some(Value::String(reference)) = body.1.pointer_mut("/schema/$ref") {
                    if reference.ends_with("/ServiceAccountDraft")
                        || reference.ends_with("/SecretDraft")
                    {
                        reference.push_str("CloudManager");
                    }
                }
            }
        }
    }
    // Discovery and the JWKS are static documents: no error of the face reaches them.
    let static_document = matches!(
        op["operationId"].as_str(),
        Some("getOpenIdConfiguration" | "getJwks")
    );
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for response in responses.values_mut() {
            if let Some(content) = response.get_mut("content") {
                retype(content, &media, false);
            }
        }
        for (status, description) in face.errors().iter().filter(|_| !static_document) {
            responses.insert(status.to_string(), error_response(face, description));
        }
        if face == Face::Elasticsearch {
            for content in responses["404"]["content"]
                .as_object_mut()
                .into_iter()
                .flatten()
            {
                content.1["schema"] = json!({"anyOf": [
                    {"$ref": "#/components/schemas/EsErrorBody"},
                    {"$ref": "#/components/schemas/EsNotFoundBody"},
                ]});
            }
        }
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for param in params {
            let name = param["name"].as_str().unwrap_or_default();
            let located = matches!(param["in"].as_str(), Some("path" | "header" | "query"));
            if let (true, Some(schema)) = (located, id_pattern(face, name)) {
                param["schema"] = schema;
            }
        }
    }
    let operation_id = op["operationId"].as_str().unwrap_or_default().to_owned();
    // Elasticsearch takes these without a body (every field has a default).
    if matches!(
        operation_id.as_str(),
        "securityUpdateApiKey" | "securityQueryApiKeys" | "securityQueryApiKeysGet"
    ) {
        if let Some(body) = op.get_mut("requestBody") {
            body["required"] = false.into();
        }
    }
    if let Some(security) = security(&operation_id) {
        op["security"] = security;
    }
}
