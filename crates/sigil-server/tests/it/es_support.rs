//! Shared helpers of the Elasticsearch face tests (spec 30): requests as the admin, a user or
//! an API key (every answer checked for the product header and the JSON media type), the
//! error body, and creation of roles, users and keys.

use crate::federation_support::fresh_client;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_server::config::ServerConfig;
use sigil_testkit::{Answer, TestServer, ADMIN_PASSWORD};

/// The password of every user the tests create.
pub const PASSWORD: &str = "user-password-1";
pub const NATIVE: &str = "default_native";

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Admin,
    /// A user created with [`PASSWORD`].
    User(&'a str),
    /// An API key's `encoded` credential.
    Key(&'a str),
    /// A raw `Authorization` header value.
    Raw(&'a str),
    Anonymous,
}

/// Sends `method path` as `who`; every answer must carry `X-Elastic-Product: Elasticsearch`
/// and, when it has a body, `Content-Type: application/json`. Requests other than the admin's
/// come from a fresh loopback address, so refused credentials never reach the failure limit.
pub async fn es(
    server: &TestServer,
    who: Who<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let client = match who {
        Who::Admin => server.client.clone(),
        _ => fresh_client(),
    };
    let mut r = client.request(method.clone(), format!("{}{path}", server.url));
    r = match who {
        Who::Admin => r.basic_auth("admin", Some(ADMIN_PASSWORD)),
        Who::User(name) => r.basic_auth(name, Some(PASSWORD)),
        Who::Key(encoded) => r.header("authorization", format!("ApiKey {encoded}")),
        Who::Raw(value) => r.header("authorization", value),
        Who::Anonymous => r,
    };
    if let Some(b) = body {
        r = r.json(&b);
    }
    let a = server.send(r).await;
    assert_headers(&a, &format!("{method} {path}"));
    a
}

/// The headers every answer of the face carries (no `Accept` asked for a compatible type).
#[track_caller]
pub fn assert_headers(a: &Answer, what: &str) {
    assert_eq!(
        a.header("x-elastic-product"),
        Some("Elasticsearch"),
        "{what}: {} {}",
        a.status,
        a.text
    );
    if !a.text.is_empty() {
        assert_eq!(
            a.header("content-type"),
            Some("application/json"),
            "{what}: {}",
            a.text
        );
    }
}

pub const KEYS: &str = "/_security/api_key";
pub const WHOAMI: &str = "/_security/_authenticate";

/// GET `path` as `who`.
pub async fn get(server: &TestServer, who: Who<'_>, path: &str) -> Answer {
    es(server, who, Method::GET, path, None).await
}

/// PUT `path` with `body` as `who`.
pub async fn put(server: &TestServer, who: Who<'_>, path: &str, body: Value) -> Answer {
    es(server, who, Method::PUT, path, Some(body)).await
}

/// An answer's status and body, to compare at once.
pub fn outcome(a: &Answer) -> (u16, &Value) {
    (a.status.as_u16(), &a.body)
}

/// GET /_security/_authenticate as `who`.
pub async fn whoami(server: &TestServer, who: Who<'_>) -> Answer {
    get(server, who, WHOAMI).await
}

/// POST /_security/_query/api_key as `who`.
pub async fn query(server: &TestServer, who: Who<'_>, body: Value) -> Answer {
    let path = "/_security/_query/api_key";
    es(server, who, Method::POST, path, Some(body)).await
}

/// Asserts an invalidation that found exactly these keys invalidated before (in any order).
#[track_caller]
pub fn assert_previously(a: &Answer, ids: &[&String]) {
    let listed = sorted_list(&a.body["previously_invalidated_api_keys"]);
    assert_eq!(listed, sorted(ids), "{}", a.text);
}

/// Asserts a 200 invalidation that invalidated exactly these keys (in any order).
#[track_caller]
pub fn assert_invalidated(a: &Answer, ids: &[&String]) {
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        sorted_list(&a.body["invalidated_api_keys"]),
        sorted(ids),
        "{}",
        a.text
    );
}

/// Shorthands as the admin.
pub async fn admin(server: &TestServer, method: Method, path: &str, body: Option<Value>) -> Answer {
    es(server, Who::Admin, method, path, body).await
}

/// Asserts Elasticsearch's error body: `{"error": {"root_cause": [{type, reason}], type,
/// reason}, "status"}`; answers the reason.
#[track_caller]
pub fn assert_error(a: &Answer, status: u16, kind: &str) -> String {
    assert_eq!(a.status.as_u16(), status, "{}", a.text);
    let e = &a.body["error"];
    assert_eq!(e["type"], kind, "{}", a.text);
    let reason = e["reason"].as_str().expect("reason").to_owned();
    assert!(!reason.is_empty(), "{}", a.text);
    assert_eq!(
        e["root_cause"],
        json!([{"type": kind, "reason": reason}]),
        "{}",
        a.text
    );
    assert_eq!(a.body["status"], status, "{}", a.text);
    reason
}

/// Asserts a 400 `action_request_validation_exception` whose failures are listed as
/// `Validation Failed: 1: …;`; answers the reason.
#[track_caller]
pub fn assert_validation(a: &Answer) -> String {
    let reason = assert_error(a, 400, "action_request_validation_exception");
    assert!(
        reason.starts_with("Validation Failed: 1: ") && reason.ends_with(';'),
        "{reason}"
    );
    reason
}

/// Asserts the 401 of the face, with its three challenges.
#[track_caller]
pub fn assert_unauthenticated(a: &Answer) {
    let reason = assert_error(a, 401, "security_exception");
    assert_eq!(
        reason,
        "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
    );
    let challenges: Vec<&str> = a
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        challenges
            .iter()
            .any(|c| c.starts_with("Basic") && c.contains("realm=\"security\"")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("ApiKey")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer")),
        "{challenges:?}"
    );
}

/// Asserts a 403 `security_exception` naming the action and the user; answers the reason.
#[track_caller]
pub fn assert_forbidden(a: &Answer, action: &str, user: &str) -> String {
    let reason = assert_error(a, 403, "security_exception");
    assert!(
        reason.contains(&format!("action [{action}] is unauthorized for")),
        "{reason}"
    );
    assert!(reason.contains(&format!("user [{user}]")), "{reason}");
    reason
}

/// Creates (or replaces) a role with these cluster privileges.
pub async fn put_role(server: &TestServer, name: &str, cluster: &[&str]) {
    let a = admin(
        server,
        Method::PUT,
        &format!("/_security/role/{name}"),
        Some(json!({"cluster": cluster})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// Creates a user with [`PASSWORD`] and these roles.
pub async fn put_user(server: &TestServer, name: &str, roles: &[&str]) {
    let a = admin(
        server,
        Method::PUT,
        &format!("/_security/user/{name}"),
        Some(json!({"password": PASSWORD, "roles": roles})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// A user holding only a role `<name>-role` with these cluster privileges.
pub async fn user_with(server: &TestServer, name: &str, cluster: &[&str]) {
    let role = format!("{name}-role");
    put_role(server, &role, cluster).await;
    put_user(server, name, &[&role]).await;
}

/// A key as created.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub name: String,
    pub encoded: String,
    pub body: Value,
}

/// Creates a key as `who` with `body`; answers it.
pub async fn create_key_with(server: &TestServer, who: Who<'_>, body: Value) -> Key {
    let a = es(server, who, Method::POST, "/_security/api_key", Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let s = |f: &str| a.body[f].as_str().expect(f).to_owned();
    Key {
        id: s("id"),
        name: s("name"),
        encoded: s("encoded"),
        body: a.body,
    }
}

/// Creates a key named `name` as `who`.
pub async fn create_key(server: &TestServer, who: Who<'_>, name: &str) -> Key {
    create_key_with(server, who, json!({"name": name})).await
}

/// DELETE /_security/api_key with `body` as `who`.
pub async fn invalidate(server: &TestServer, who: Who<'_>, body: Value) -> Answer {
    es(
        server,
        who,
        Method::DELETE,
        "/_security/api_key",
        Some(body),
    )
    .await
}

/// The ids of the `api_keys` of a get or query answer, in order.
#[track_caller]
pub fn key_ids(a: &Answer) -> Vec<String> {
    a.body["api_keys"]
        .as_array()
        .unwrap_or_else(|| panic!("api_keys in {}", a.text))
        .iter()
        .map(|k| k["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Sorted copies of ids, to compare as sets.
pub fn sorted<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.as_ref().to_owned()).collect();
    v.sort();
    v
}

/// A JSON list of ids, sorted.
#[track_caller]
pub fn sorted_list(v: &Value) -> Vec<String> {
    let ids: Vec<&str> = v
        .as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|i| i.as_str().expect("id"))
        .collect();
    sorted(&ids)
}

pub fn sorted_ids(a: &Answer) -> Vec<String> {
    let mut v = key_ids(a);
    v.sort();
    v
}

/// GET /_security/api_key with a query string, as `who`.
pub async fn get_keys(server: &TestServer, who: Who<'_>, query: &str) -> Answer {
    es(
        server,
        who,
        Method::GET,
        &format!("/_security/api_key{query}"),
        None,
    )
    .await
}

/// base64 of text, for `Authorization: ApiKey` values.
pub fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

/// Whether every character is url-safe base64.
pub fn url_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn owned(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

/// The query string of a get by id.
pub fn by_id(id: &str) -> String {
    format!("?id={id}")
}

/// A server of its own on a fresh store of the same kind as `like`'s, its configuration
/// adjusted.
pub async fn another_server(
    like: &TestServer,
    adjust: impl FnOnce(&mut ServerConfig),
) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ServerConfig::for_data_dir(dir.path());
    if like.database_url.is_some() {
        let base = sigil_store::testing::postgres_test_url().expect("PostgreSQL");
        let url = sigil_store::testing::fresh_postgres_database(&base).await;
        config.database_url = Some(url.expect("database"));
    }
    adjust(&mut config);
    TestServer::start_with(config, dir).await
}
