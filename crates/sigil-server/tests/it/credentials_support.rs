//! Shared helpers of the service-account, API-key and OAuth tests (spec 20): paths, creation,
//! token requests, JWT decoding and requests with Bearer or Digest credentials.

use crate::atlas_support::V2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{Answer, TestServer};

/// The Cloud Manager v1.0 face of the seed.
pub const CM: &str = "/api/public/v1.0";

pub fn sa_path(base: &str, org: &str) -> String {
    format!("{base}/orgs/{org}/serviceAccounts")
}

/// A valid createServiceAccount body.
pub fn sa_body(name: &str, roles: &[&str], hours: Value) -> Value {
    json!({"name": name, "description": format!("{name} robot"), "roles": roles, "secretExpiresAfterHours": hours})
}

/// A service account as created: its client id and its first secret's value and id.
pub struct Sa {
    pub client_id: String,
    pub secret: String,
    pub secret_id: String,
    pub created: Answer,
}

/// Creates a service account with `roles` on the Atlas face, as the admin.
pub async fn create_sa(server: &TestServer, org: &str, roles: &[&str]) -> Sa {
    create_sa_at(server, V2, org, sa_body("robot", roles, json!(24))).await
}

pub async fn create_sa_at(server: &TestServer, base: &str, org: &str, body: Value) -> Sa {
    let a = server
        .admin(Method::POST, &sa_path(base, org), Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    Sa {
        client_id: a.body["clientId"].as_str().expect("clientId").to_owned(),
        secret: a.body["secrets"][0]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
        secret_id: a.body["secrets"][0]["id"].as_str().expect("id").to_owned(),
        created: a,
    }
}

/// Adds a secret on the Atlas face; answers (id, value).
pub async fn add_secret(server: &TestServer, org: &str, client_id: &str) -> (String, String) {
    let a = server
        .admin(
            Method::POST,
            &format!("{}/{client_id}/secrets", sa_path(V2, org)),
            Some(json!({"secretExpiresAfterHours": 8})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    (
        a.body["id"].as_str().expect("id").to_owned(),
        a.body["secret"].as_str().expect("secret").to_owned(),
    )
}

/// `application/x-www-form-urlencoded` from pairs (a name may repeat).
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// POSTs a form to an OAuth endpoint, with Basic client credentials when given.
pub async fn post_form(
    server: &TestServer,
    path: &str,
    pairs: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Answer {
    let mut r = server
        .client
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs));
    if let Some((id, secret)) = basic {
        r = r.basic_auth(id, Some(secret));
    }
    server.send(r).await
}

/// A client_credentials token with client_secret_basic.
pub async fn token(server: &TestServer, client_id: &str, secret: &str) -> String {
    let a = post_form(
        server,
        "/api/oauth/token",
        &[("grant_type", "client_credentials")],
        Some((client_id, secret)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Sends a request with `Authorization: Bearer <token>`.
pub async fn bearer(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let mut r = server
        .client
        .request(method, format!("{}{path}", server.url))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    server.send(r).await
}

/// Sends a request with Digest credentials (the testkit's RFC 7616 client).
pub async fn digest(
    server: &TestServer,
    method: Method,
    path: &str,
    user: &str,
    password: &str,
    algorithm: &str,
    body: Option<Value>,
) -> Answer {
    sigil_testkit::digest::send(
        &server.client,
        method,
        &format!("{}{path}", server.url),
        user,
        password,
        algorithm,
        body,
    )
    .await
}

/// The header and payload of a JWT, decoded without verification.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS compact serialization: {token}");
    let decode = |p: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("base64url")).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

/// A JWT built by hand from a header, a payload and a signature part.
pub fn jwt(header: &Value, payload: &Value, signature: &str) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
    format!("{}.{}.{signature}", enc(header), enc(payload))
}

/// Asserts an RFC 6749 §5.2 error answer.
#[track_caller]
pub fn assert_oauth_error(a: &Answer, status: u16, error: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.text);
    assert_eq!(a.body["error"], error, "{}", a.text);
    assert!(
        a.body["error_description"].is_string(),
        "error_description of {}",
        a.text
    );
    assert_eq!(a.header("cache-control"), Some("no-store"));
    if status == 401 {
        assert!(
            a.header("www-authenticate")
                .is_some_and(|w| w.starts_with("Basic")),
            "{:?}",
            a.header("www-authenticate")
        );
    }
}

/// Introspects `token` with the given Basic credentials.
pub async fn introspect(server: &TestServer, token: &str, basic: (&str, &str)) -> Answer {
    post_form(
        server,
        "/api/oauth/introspect",
        &[("token", token)],
        Some(basic),
    )
    .await
}

/// The organization's audit events (up to 500), as the admin sees them.
pub async fn all_events(server: &TestServer, org: &str) -> Answer {
    let a = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{org}/events?itemsPerPage=500"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a
}

/// Whether `secret` appears anywhere in the organization's audit events.
pub async fn events_text(server: &TestServer, org: &str) -> String {
    all_events(server, org).await.text
}

/// Deletes the secret the account was created with, as the admin; expects 204.
pub async fn delete_first_secret(server: &TestServer, org: &str, sa: &Sa) {
    let del = server
        .admin(
            Method::DELETE,
            &format!(
                "{}/{}/secrets/{}",
                sa_path(V2, org),
                sa.client_id,
                sa.secret_id
            ),
            None,
        )
        .await;
    assert_eq!(del.status, 204, "{}", del.text);
}
