//! Shared helpers of the Atlas v2 face tests: paths, resources and error assertions (spec 00, spec 10).

use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{Answer, TestServer};

pub const V2: &str = "/api/atlas/v2";

/// Asserts an Atlas error body: the status, the code, and the body's own copy of the status.
#[track_caller]
pub fn assert_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "status of {}", a.text);
    assert_eq!(a.body["errorCode"], code, "errorCode of {}", a.text);
    assert_eq!(a.body["error"], status, "error of {}", a.text);
    assert!(a.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(a.body["reason"].is_string(), "reason of {}", a.text);
    assert!(a.body["parameters"].is_array(), "parameters of {}", a.text);
    assert!(
        a.header("content-type")
            .is_some_and(|c| c.starts_with("application/vnd.atlas.")),
        "content type of {:?}",
        a.header("content-type")
    );
}

/// Asserts a 400 about one field: the code, `badRequestDetail.fields[0].field` and `parameters`.
#[track_caller]
pub fn assert_field(a: &Answer, code: &str, field: &str) {
    assert_error(a, 400, code);
    assert_eq!(
        a.body["badRequestDetail"]["fields"][0]["field"], field,
        "field of {}",
        a.text
    );
    assert_eq!(
        a.body["parameters"],
        json!([field]),
        "parameters of {}",
        a.text
    );
    assert!(
        a.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains(field.split('[').next().unwrap_or(field))),
        "detail names {field}: {}",
        a.text
    );
}

/// Asserts an Atlas time: RFC 3339, UTC with a `Z`, whole seconds (`2024-08-08T22:19:45Z`).
#[track_caller]
pub fn assert_time(v: &Value) {
    let text = v.as_str().unwrap_or_else(|| panic!("a time: {v}"));
    let shape = text.len() == 20
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(
        shape && chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "{text}"
    );
}

/// The ids of a list's results, in order.
pub fn ids(a: &Answer) -> Vec<String> {
    a.body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", a.text))
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `href` of the link `rel`, if any.
pub fn link(a: &Answer, rel: &str) -> Option<String> {
    a.body["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
        .map(str::to_owned)
}

/// A fresh 24-hex id that names nothing.
pub fn unknown_id() -> String {
    sigil_core::ids::HexId::random().to_string()
}

/// Creates an organization; answers its id and its federation settings id.
pub async fn create_org(server: &TestServer, name: &str) -> (String, String) {
    let a = server
        .admin(
            Method::POST,
            &format!("{V2}/orgs"),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let org = a.body["id"].as_str().expect("id").to_owned();
    let fs = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{org}/federationSettings"),
            None,
        )
        .await;
    assert_eq!(fs.status, 200, "{}", fs.text);
    (org, fs.body["id"].as_str().expect("fs id").to_owned())
}

/// A valid WORKLOAD identity provider body.
/// A fresh audience: no two providers may share an issuer and an audience.
pub fn unique_audience(base: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{base}-{n}")
}

pub fn workload(name: &str) -> Value {
    json!({
        "protocol": "OIDC",
        "idpType": "WORKLOAD",
        "displayName": name,
        "issuerUri": "https://issuer.example.com",
        "audience": unique_audience("sigil"),
        "authorizationType": "GROUP",
    })
}

/// A valid WORKFORCE identity provider body.
pub fn workforce(name: &str) -> Value {
    json!({
        "protocol": "OIDC",
        "idpType": "WORKFORCE",
        "displayName": name,
        "issuerUri": "https://login.example.com/realms/staff",
        "clientId": "sigil-console",
        "audience": unique_audience("sigil-console"),
        "authorizationType": "USER",
        "requestedScopes": ["openid", "profile"],
        "associatedDomains": ["example.com"],
    })
}

/// `body` with `key` set to `value` (`Value::Null` removes it).
pub fn with(mut body: Value, key: &str, value: Value) -> Value {
    let map = body.as_object_mut().expect("an object");
    if value.is_null() {
        map.remove(key);
    } else {
        map.insert(key.to_owned(), value);
    }
    body
}

pub fn idps_path(fs: &str) -> String {
    format!("{V2}/federationSettings/{fs}/identityProviders")
}

pub fn config_path(fs: &str, org: &str) -> String {
    format!("{V2}/federationSettings/{fs}/connectedOrgConfigs/{org}")
}

pub fn mappings_path(fs: &str, org: &str) -> String {
    format!("{}/roleMappings", config_path(fs, org))
}

/// Creates an identity provider (answered 200, as Atlas does); answers its id.
pub async fn create_idp(server: &TestServer, fs: &str, body: Value) -> String {
    let a = server.admin(Method::POST, &idps_path(fs), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["id"].as_str().expect("id").to_owned()
}

/// A role mapping body granting `role` in `org` to members of `group`.
pub fn mapping(group: &str, org: &str, role: &str) -> Value {
    json!({"externalGroupName": group, "roleAssignments": [{"orgId": org, "role": role}]})
}

/// The organization's audit events, newest first.
pub async fn events(server: &TestServer, org: &str) -> Vec<Value> {
    let a = server
        .admin(Method::GET, &format!("{V2}/orgs/{org}/events"), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["results"].as_array().expect("results").clone()
}
