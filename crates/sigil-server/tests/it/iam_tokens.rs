//! `POST /v3/auth/tokens` and `X-Auth-Token` (spec 40, "Tokens"): a password token scoped to a
//! domain, accepted on every face, and every way to be refused.

use crate::atlas_support::*;
use crate::credentials_support::*;
use crate::federation_support as fed;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};

fn seconds(v: &serde_json::Value) -> i64 {
    let text = v.as_str().unwrap_or_else(|| panic!("a time: {v}"));
    assert!(
        text.ends_with('Z') && text.contains('.'),
        "Keystone's time form: {text}"
    );
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp()
}

async fn a_password_token_names_its_user_domain_and_roles(server: &TestServer) {
    let a = password_login(server, password_body("admin", ADMIN_PASSWORD, "default")).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let token = a.header("x-subject-token").expect("X-Subject-Token");
    assert!(!token.is_empty());
    assert!(a.header("x-request-id").is_some());
    let t = &a.body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(t["user"]["name"], "admin");
    assert_eq!(t["user"]["domain"]["name"], "default");
    let (org, _) = server.default_org().await;
    assert_eq!(t["user"]["domain"]["id"], org);
    assert_eq!(t["domain"]["name"], "default");
    assert_eq!(
        t["roles"],
        json!([{"id": "ORG_OWNER", "name": "ORG_OWNER"}])
    );
    assert_eq!(seconds(&t["expires_at"]) - seconds(&t["issued_at"]), 3600);
    assert!(!a.text.contains(token), "the token is only in the header");
}

async fn x_auth_token_works_on_every_face(server: &TestServer) {
    let token = admin_token(server).await;
    let orgs = with_token(server, Method::GET, &format!("{V2}/orgs"), &token, None).await;
    assert_eq!(orgs.status, 200, "{}", orgs.text);
    let me = with_token(
        server,
        Method::GET,
        "/_security/_authenticate",
        &token,
        None,
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["username"], "admin");
    let idps = with_token(server, Method::GET, IDP_V3, &token, None).await;
    assert_eq!(idps.status, 200, "{}", idps.text);
    // It is an ordinary Sigil access token: Bearer takes it too.
    let bearer = bearer(server, Method::GET, &format!("{V2}/orgs"), &token, None).await;
    assert_eq!(bearer.status, 200, "{}", bearer.text);
}

async fn wrong_credentials_and_unknown_domains_are_401_in_keystones_shape(server: &TestServer) {
    for body in [
        password_body("admin", "not-the-password", "default"),
        password_body("nobody", ADMIN_PASSWORD, "default"),
        password_body("admin", ADMIN_PASSWORD, "no-such-domain"),
    ] {
        let a = password_login(server, body).await;
        assert_keystone(&a, 401);
        assert_eq!(a.body["error"]["title"], "Unauthorized");
        assert!(a.header("x-subject-token").is_none());
    }
    let (org, _) = server.default_org().await;
    let by_id = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": ADMIN_PASSWORD, "domain": {"id": org}}}},
        "scope": {"domain": {"id": org}}}});
    assert_eq!(
        password_login(server, by_id).await.status,
        201,
        "domains by id"
    );
}

async fn a_user_without_a_role_in_the_domain_gets_no_token(server: &TestServer) {
    let put = server
        .admin(
            Method::PUT,
            "/_security/user/norole",
            Some(json!({"password": "norole-password", "roles": []})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let a = password_login(
        server,
        password_body("norole", "norole-password", "default"),
    )
    .await;
    assert_keystone(&a, 401);
}

async fn malformed_token_requests_are_400_naming_the_field(server: &TestServer) {
    let mut no_scope = password_body("admin", ADMIN_PASSWORD, "default");
    no_scope["auth"].as_object_mut().unwrap().remove("scope");
    let mut project = password_body("admin", ADMIN_PASSWORD, "default");
    project["auth"]["scope"] = json!({"project": {"name": "p"}});
    let mut methods = password_body("admin", ADMIN_PASSWORD, "default");
    methods["auth"]["identity"]["methods"] = json!(["token"]);
    let mut no_password = password_body("admin", ADMIN_PASSWORD, "default");
    no_password["auth"]["identity"]["password"]["user"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    let mut no_user_domain = password_body("admin", ADMIN_PASSWORD, "default");
    no_user_domain["auth"]["identity"]["password"]["user"]
        .as_object_mut()
        .unwrap()
        .remove("domain");
    let mut wrong_type = password_body("admin", ADMIN_PASSWORD, "default");
    wrong_type["auth"]["identity"]["methods"] = json!("password");
    for (body, field) in [
        (no_scope, "auth.scope.domain"),
        (project, "auth.scope.project"),
        // The token method, without its token.
        (methods, "auth.identity.token.id"),
        (no_password, "auth.identity.password.user.password"),
        (no_user_domain, "auth.identity.password.user.domain"),
        (wrong_type, "auth.identity.methods"),
        (json!({}), "auth"),
    ] {
        let a = password_login(server, body).await;
        assert_keystone(&a, 400);
        let message = a.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{field}: {}", a.text);
    }
    let not_json = server
        .send(
            server
                .client
                .post(format!("{}{TOKENS}", server.url))
                .header("content-type", "application/json;charset=utf8")
                .body("{not json"),
        )
        .await;
    assert_keystone(&not_json, 400);
}

async fn bad_auth_tokens_are_refused_on_every_face(server: &TestServer) {
    for path in [IDP_V3.to_owned(), format!("{V2}/orgs")] {
        let a = with_token(server, Method::GET, &path, "not-a-token", None).await;
        assert_eq!(a.status, 401, "{path}: {}", a.text);
    }
    assert_keystone(
        &with_token(server, Method::GET, IDP_V3, "not-a-token", None).await,
        401,
    );
    assert_iam(
        &with_token(
            server,
            Method::GET,
            &oidc_config_path("x"),
            "not-a-token",
            None,
        )
        .await,
        401,
        "IAM.0007",
    );
    assert_iam(
        &server
            .anonymous(Method::GET, &oidc_config_path("x"), None)
            .await,
        401,
        "IAM.0007",
    );
    assert_keystone(&server.anonymous(Method::GET, IDP_V3, None).await, 401);
}

/// X-Auth-Token carries tokens Sigil issued: an identity provider's own JWT, which works as
/// Bearer, is refused there.
async fn an_identity_providers_jwt_is_not_an_auth_token(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let f = fed::setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let jwt = issuer.mint(&f.claims(&issuer, "robot", &[fed::GROUP]));
    let path = format!("{V2}/orgs/{}", f.org);
    assert_eq!(
        bearer(server, Method::GET, &path, &jwt, None).await.status,
        200
    );
    let a = with_token(server, Method::GET, &path, &jwt, None).await;
    assert_error(&a, 401, "NOT_AUTHENTICATED");
}

/// A token for another domain carries that domain only: the admin's token for `second`
/// creates providers in `second`'s federation, which `default`'s token does not see. Scoped,
/// the superuser is ORG_OWNER of that domain and no more.
async fn a_token_speaks_for_its_domain_only(server: &TestServer) {
    create_org(server, "second").await;
    let second = admin_token_for(server, "second").await;
    let login = password_login(server, password_body("admin", ADMIN_PASSWORD, "second")).await;
    assert_eq!(
        login.body["token"]["roles"],
        json!([{"id": "ORG_OWNER", "name": "ORG_OWNER"}]),
        "the superuser's implicit role in second: {}",
        login.text
    );
    create_provider(server, &second, "only-in-second").await;
    let first = admin_token(server).await;
    let seen = with_token(
        server,
        Method::GET,
        &format!("{IDP_V3}/only-in-second"),
        &first,
        None,
    )
    .await;
    assert_keystone(&seen, 404);
    let there = with_token(
        server,
        Method::GET,
        &format!("{IDP_V3}/only-in-second"),
        &second,
        None,
    )
    .await;
    assert_eq!(there.status, 200, "{}", there.text);
}

store_tests!(
    a_password_token_names_its_user_domain_and_roles,
    x_auth_token_works_on_every_face,
    wrong_credentials_and_unknown_domains_are_401_in_keystones_shape,
    a_user_without_a_role_in_the_domain_gets_no_token,
    malformed_token_requests_are_400_naming_the_field,
    bad_auth_tokens_are_refused_on_every_face,
    an_identity_providers_jwt_is_not_an_auth_token,
    a_token_speaks_for_its_domain_only,
);
