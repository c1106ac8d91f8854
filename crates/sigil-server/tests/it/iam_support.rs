//! Shared helpers of the IAM face tests (spec 40, seed 002): paths, tokens, error assertions,
//! and an identity provider configured with a fake issuer's keys pinned.

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{Answer, TestServer, ADMIN_PASSWORD};

pub const TOKENS: &str = "/v3/auth/tokens";
pub const ID_TOKENS: &str = "/v3.0/OS-AUTH/id-token/tokens";
/// Where providers are created (`/{idp_id}`) and configured (`/{idp_id}/openid-connect-config`).
pub const IDP_V30: &str = "/v3.0/OS-FEDERATION/identity-providers";
/// Where providers are listed, read, changed and deleted (Keystone).
pub const IDP_V3: &str = "/v3/OS-FEDERATION/identity_providers";
/// The group mapped to a role in the tests' role mappings.
pub const GROUP: &str = "iam-admins";

pub fn oidc_config_path(name: &str) -> String {
    format!("{IDP_V30}/{name}/openid-connect-config")
}

pub fn password_body(user: &str, password: &str, domain: &str) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": domain}}}},
        "scope": {"domain": {"name": domain}},
    }})
}

/// `POST /v3/auth/tokens` with `body`.
pub async fn password_login(server: &TestServer, body: Value) -> Answer {
    server.anonymous(Method::POST, TOKENS, Some(body)).await
}

/// The admin's token for `domain` (from `X-Subject-Token`).
pub async fn admin_token_for(server: &TestServer, domain: &str) -> String {
    let a = password_login(server, password_body("admin", ADMIN_PASSWORD, domain)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.header("x-subject-token")
        .expect("X-Subject-Token")
        .to_owned()
}

pub async fn admin_token(server: &TestServer) -> String {
    admin_token_for(server, "default").await
}

/// A request with `X-Auth-Token`.
pub async fn with_token(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.url))
        .header("X-Auth-Token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.send(request).await
}

/// Asserts the `/v3.0` error shape: `{"error_code", "error_msg"}`.
#[track_caller]
pub fn assert_iam(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "status of {}", a.text);
    assert_eq!(a.body["error_code"], code, "error_code of {}", a.text);
    assert!(
        a.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        a.text
    );
    assert!(a.header("x-request-id").is_some(), "X-Request-Id");
}

/// Asserts a 400 of the `/v3.0` APIs whose message names `field`.
#[track_caller]
pub fn assert_invalid(a: &Answer, field: &str) {
    assert_iam(a, 400, "IAM.0011");
    assert!(
        a.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains(field)),
        "error_msg names {field}: {}",
        a.text
    );
}

/// Asserts the Keystone error shape: `{"error": {"code", "title", "message"}}`.
#[track_caller]
pub fn assert_keystone(a: &Answer, status: u16) {
    assert_eq!(a.status.as_u16(), status, "status of {}", a.text);
    assert_eq!(a.body["error"]["code"], status, "{}", a.text);
    assert!(a.body["error"]["title"].is_string(), "{}", a.text);
    assert!(a.body["error"]["message"].is_string(), "{}", a.text);
    assert!(a.header("x-request-id").is_some(), "X-Request-Id");
}

/// Creates a provider named `name` with the admin's token; answers the created view.
pub async fn create_provider(server: &TestServer, token: &str, name: &str) -> Value {
    let a = with_token(
        server,
        Method::POST,
        &format!("{IDP_V30}/{name}"),
        token,
        Some(json!({"identity_provider": {"sso_type": "virtual_user_sso", "description": "made by a test", "enabled": true}})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body["identity_provider"].clone()
}

/// A `program` configuration of `issuer` with its current keys pinned.
pub fn program_config(issuer: &FakeIssuer, client_id: &str) -> Value {
    json!({"openid_connect_config": {
        "access_mode": "program",
        "idp_url": issuer.issuer(),
        "client_id": client_id,
        "signing_key": issuer.current_jwks(),
    }})
}

/// A provider of `issuer`, configured (program), connected to `default`, whose [`GROUP`] is
/// mapped to ORG_OWNER there. Answers the provider's name.
pub async fn federated_provider(
    server: &TestServer,
    token: &str,
    issuer: &FakeIssuer,
    client_id: &str,
) -> String {
    let name = format!("idp-{}", &unique_audience("x")[2..]);
    create_provider(server, token, &name).await;
    let c = with_token(
        server,
        Method::POST,
        &oidc_config_path(&name),
        token,
        Some(program_config(issuer, client_id)),
    )
    .await;
    assert_eq!(c.status, 201, "{}", c.text);
    let (org, fs) = server.default_org().await;
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping(GROUP, &org, "ORG_OWNER")),
        )
        .await;
    assert!(m.status == 200 || m.status == 409, "{}", m.text);
    name
}

/// `POST /v3.0/OS-AUTH/id-token/tokens` for `id_token` of the provider `idp` into `domain`,
/// from an address of its own (refusals never use up another request's failure budget).
pub async fn id_token_login(
    server: &TestServer,
    idp: &str,
    id_token: &str,
    domain: &str,
) -> Answer {
    server
        .send(
            crate::federation_support::fresh_client()
                .post(format!("{}{ID_TOKENS}", server.url))
                .header("X-Idp-Id", idp)
                .json(&json!({"auth": {"id_token": {"id": id_token}, "scope": {"domain": {"name": domain}}}})),
        )
        .await
}
