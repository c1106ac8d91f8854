//! The OAuth 2.0 token endpoint (RFC 6749 §4.4, §2.3.1, §5.2), Sigil's access tokens as JWTs
//! (RFC 9068, RFC 7515), discovery and JWKS (RFC 8414, RFC 7517), and the OpenAPI document.

use crate::atlas_support::*;
use crate::credentials_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer};

const TOKEN: &str = "/api/oauth/token";

async fn client_credentials_with_basic_and_post(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let jwks = server
        .anonymous(Method::GET, "/.well-known/jwks.json", None)
        .await;
    assert_eq!(jwks.status, 200);
    let basic = post_form(
        server,
        TOKEN,
        &[("grant_type", "client_credentials")],
        Some((&sa.client_id, &sa.secret)),
    )
    .await;
    let posted = post_form(
        server,
        TOKEN,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &sa.client_id),
            ("client_secret", &sa.secret),
        ],
        None,
    )
    .await;
    for a in [&basic, &posted] {
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.header("cache-control"), Some("no-store"));
        assert!(a
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")));
        assert_eq!(a.body["token_type"], "Bearer");
        assert_eq!(a.body["expires_in"], 3600);
        let token = a.body["access_token"].as_str().unwrap();
        let (header, claims) = jwt_parts(token);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["typ"], "at+jwt");
        let kid = header["kid"].as_str().expect("kid");
        assert!(
            jwks.body["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid),
            "kid {kid} in {}",
            jwks.text
        );
        assert_eq!(claims["iss"], server.url.as_str());
        assert_eq!(claims["sub"], sa.client_id.as_str());
        assert_eq!(claims["client_id"], sa.client_id.as_str());
        assert_eq!(claims["org_id"], org.as_str());
        assert_eq!(claims["roles"], json!(["ORG_MEMBER"]));
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        assert!(claims["aud"].is_string());
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        assert_eq!(exp - iat, 3600);
        assert!(!token.contains(&sa.secret));
    }
    let (_, c1) = jwt_parts(basic.body["access_token"].as_str().unwrap());
    let (_, c2) = jwt_parts(posted.body["access_token"].as_str().unwrap());
    assert_ne!(c1["jti"], c2["jti"], "every token has its own jti");
}

async fn tokens_work_on_both_faces_with_the_accounts_roles(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let member = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let t = token(server, &member.client_id, &member.secret).await;
    let got = bearer(server, Method::GET, &format!("{V2}/orgs/{org}"), &t, None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    let refused = bearer(
        server,
        Method::POST,
        &sa_path(V2, &org),
        &t,
        Some(sa_body("x", &["ORG_MEMBER"], json!(8))),
    )
    .await;
    assert_error(&refused, 403, "INSUFFICIENT_ROLE");
    let cm = bearer(
        server,
        Method::GET,
        &format!("{}/", sa_path(CM, &org)),
        &t,
        None,
    )
    .await;
    assert_eq!(cm.status, 403, "{}", cm.text);
    assert_eq!(cm.body["errorCode"], "INSUFFICIENT_ROLE");

    let owner = create_sa(server, &org, &["ORG_OWNER"]).await;
    let t = token(server, &owner.client_id, &owner.secret).await;
    let created = bearer(
        server,
        Method::POST,
        &format!("{}/", sa_path(CM, &org)),
        &t,
        Some(sa_body("made-by-a-robot", &["ORG_MEMBER"], json!("3600"))),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let listed = bearer(server, Method::GET, &sa_path(V2, &org), &t, None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["totalCount"], 3);
    // The account's roles are read at use: demoting it takes effect on its live token.
    let path = format!("{}/{}", sa_path(V2, &org), owner.client_id);
    let demoted = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"roles": ["ORG_READ_ONLY"]})),
        )
        .await;
    assert_eq!(demoted.status, 200);
    let after = bearer(server, Method::GET, &sa_path(V2, &org), &t, None).await;
    assert_error(&after, 403, "INSUFFICIENT_ROLE");
}

async fn token_endpoint_errors(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let cc = ("grant_type", "client_credentials");
    let creds = Some((sa.client_id.as_str(), sa.secret.as_str()));
    let wrong = post_form(
        server,
        TOKEN,
        &[cc],
        Some((&sa.client_id, "mdb_sa_sk_wrong")),
    )
    .await;
    assert_oauth_error(&wrong, 401, "invalid_client");
    let other_id = format!("mdb_sa_id_{}", unknown_id());
    let unknown = post_form(server, TOKEN, &[cc], Some((&other_id, &sa.secret))).await;
    assert_oauth_error(&unknown, 401, "invalid_client");
    let wrong_post = post_form(
        server,
        TOKEN,
        &[cc, ("client_id", &sa.client_id), ("client_secret", "nope")],
        None,
    )
    .await;
    assert_oauth_error(&wrong_post, 401, "invalid_client");
    let none = post_form(server, TOKEN, &[cc], None).await;
    assert_oauth_error(&none, 401, "invalid_client");
    let missing = post_form(server, TOKEN, &[], creds).await;
    assert_oauth_error(&missing, 400, "invalid_request");
    let password = post_form(
        server,
        TOKEN,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "x"),
        ],
        creds,
    )
    .await;
    assert_oauth_error(&password, 400, "unsupported_grant_type");
    let twice = post_form(server, TOKEN, &[cc, cc], creds).await;
    assert_oauth_error(&twice, 400, "invalid_request");
    let both = post_form(
        server,
        TOKEN,
        &[
            cc,
            ("client_id", &sa.client_id),
            ("client_secret", &sa.secret),
        ],
        creds,
    )
    .await;
    assert_oauth_error(&both, 400, "invalid_request");
    let id_only = post_form(server, TOKEN, &[cc, ("client_id", &sa.client_id)], None).await;
    assert_oauth_error(&id_only, 400, "invalid_request");
    let scope = post_form(server, TOKEN, &[cc, ("scope", "openid")], creds).await;
    assert_oauth_error(&scope, 400, "invalid_scope");
    // Basic with client_id repeated in the body is one method (RFC 6749 §2.3.1 allows it).
    let with_id = post_form(server, TOKEN, &[cc, ("client_id", &sa.client_id)], creds).await;
    assert_eq!(with_id.status, 200, "{}", with_id.text);
    // The admin's password is no client secret.
    let admin = post_form(
        server,
        TOKEN,
        &[cc],
        Some(("admin", sigil_testkit::ADMIN_PASSWORD)),
    )
    .await;
    assert_oauth_error(&admin, 401, "invalid_client");
    let get = server.anonymous(Method::GET, TOKEN, None).await;
    assert_eq!(get.status, 405);
    // Failed client authentications are audited, without the secret offered.
    let text = events_text(server, &org).await;
    assert!(!text.contains(&sa.secret));
}

async fn a_deleted_secret_no_longer_gets_tokens(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (_, second) = add_secret(server, &org, &sa.client_id).await;
    token(server, &sa.client_id, &second).await;
    delete_first_secret(server, &org, &sa).await;
    let refused = post_form(
        server,
        TOKEN,
        &[("grant_type", "client_credentials")],
        Some((&sa.client_id, &sa.secret)),
    )
    .await;
    assert_oauth_error(&refused, 401, "invalid_client");
    token(server, &sa.client_id, &second).await;
}

async fn discovery_and_jwks(server: &TestServer) {
    let a = server
        .anonymous(Method::GET, "/.well-known/openid-configuration", None)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let u = &server.url;
    assert_eq!(a.body["issuer"], u.as_str());
    assert_eq!(a.body["token_endpoint"], format!("{u}/api/oauth/token"));
    assert_eq!(
        a.body["revocation_endpoint"],
        format!("{u}/api/oauth/revoke")
    );
    assert_eq!(
        a.body["introspection_endpoint"],
        format!("{u}/api/oauth/introspect")
    );
    assert_eq!(a.body["jwks_uri"], format!("{u}/.well-known/jwks.json"));
    assert!(a.body["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("client_credentials")));
    let methods = a.body["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&json!("client_secret_basic")));
    assert!(methods.contains(&json!("client_secret_post")));
    let jwks = server
        .anonymous(Method::GET, "/.well-known/jwks.json", None)
        .await;
    assert_eq!(jwks.status, 200);
    let keys = jwks.body["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        assert_eq!(k["kty"], "EC");
        assert_eq!(k["crv"], "P-256");
        assert_eq!(k["alg"], "ES256");
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(k["x"].as_str().map(str::len), Some(43));
        assert_eq!(k["y"].as_str().map(str::len), Some(43));
        assert!(k.get("d").is_none(), "no private part: {k}");
    }
}

async fn openapi_lists_every_operation_of_spec_20(server: &TestServer) {
    let a = server.anonymous(Method::GET, "/openapi.json", None).await;
    assert_eq!(a.status, 200);
    let mut ops = vec![];
    for (path, item) in a.body["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                ops.push((path.clone(), id.to_owned()));
            }
        }
    }
    for id in [
        "createServiceAccount",
        "listServiceAccounts",
        "getServiceAccount",
        "updateServiceAccount",
        "deleteServiceAccount",
        "createServiceAccountSecret",
        "deleteServiceAccountSecret",
        "createApiKey",
        "listApiKeys",
        "getApiKey",
        "updateApiKey",
        "deleteApiKey",
        "createToken",
        "revokeToken",
        "introspectToken",
        "getOpenIdConfiguration",
        "getJwks",
    ] {
        assert!(ops.iter().any(|(_, o)| o == id), "operationId {id} missing");
    }
    let paths = a.body["paths"].as_object().unwrap();
    for p in [
        "/api/public/v1.0/orgs/{orgId}/serviceAccounts",
        "/api/public/v1.0/orgs/{orgId}/serviceAccounts/{clientId}",
        "/api/public/v1.0/orgs/{orgId}/serviceAccounts/{clientId}/secrets",
        "/api/public/v1.0/orgs/{orgId}/serviceAccounts/{clientId}/secrets/{secretId}",
        "/api/atlas/v2/orgs/{orgId}/apiKeys/{apiUserId}",
        "/api/oauth/token",
    ] {
        assert!(paths.contains_key(p), "path {p} missing");
    }
    let cm = &paths["/api/public/v1.0/orgs/{orgId}/serviceAccounts/{clientId}/secrets"];
    assert!(cm["post"]["operationId"].is_string());
    // operationIds are unique across the document.
    let mut ids: Vec<&String> = ops.iter().map(|(_, o)| o).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operationIds");
}

store_tests!(
    client_credentials_with_basic_and_post,
    tokens_work_on_both_faces_with_the_accounts_roles,
    token_endpoint_errors,
    a_deleted_secret_no_longer_gets_tokens,
    discovery_and_jwks,
    openapi_lists_every_operation_of_spec_20,
);
