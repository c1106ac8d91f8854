//! Revocation (RFC 7009), introspection (RFC 7662), and what deleting a secret or a service
//! account does to live tokens (spec 20); both survive a restart.

use crate::atlas_support::*;
use crate::credentials_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, StoreKind, TestServer};

const REVOKE: &str = "/api/oauth/revoke";

async fn org_path(server: &TestServer) -> (String, String) {
    let (org, _) = server.default_org().await;
    let path = format!("{V2}/orgs/{org}");
    (org, path)
}

async fn the_owning_client_revokes_its_token(server: &TestServer) {
    let (org, path) = org_path(server).await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let me = (sa.client_id.as_str(), sa.secret.as_str());
    let t = token(server, &sa.client_id, &sa.secret).await;
    let keep = token(server, &sa.client_id, &sa.secret).await;
    assert_eq!(
        bearer(server, Method::GET, &path, &t, None).await.status,
        200
    );
    let a = post_form(
        server,
        REVOKE,
        &[("token", &t), ("token_type_hint", "access_token")],
        Some(me),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header("cache-control"), Some("no-store"));
    let refused = bearer(server, Method::GET, &path, &t, None).await;
    assert_error(&refused, 401, "NOT_AUTHENTICATED");
    assert_eq!(
        introspect(server, &t, me).await.body,
        json!({"active": false})
    );
    // Revoking twice is fine; the client's other token lives on.
    let again = post_form(server, REVOKE, &[("token", &t)], Some(me)).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        bearer(server, Method::GET, &path, &keep, None).await.status,
        200
    );
    // client_secret_post works too.
    let posted = post_form(
        server,
        REVOKE,
        &[
            ("token", &keep),
            ("client_id", me.0),
            ("client_secret", me.1),
        ],
        None,
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(
        bearer(server, Method::GET, &path, &keep, None).await.status,
        401
    );
    let events = events(server, &org).await;
    assert!(events.iter().any(|e| e["eventTypeName"] == "TOKEN_REVOKED"));
    let text = events_text(server, &org).await;
    assert!(!text.contains(&t) && !text.contains(&sa.secret));
}

async fn revocation_errors(server: &TestServer) {
    let (org, path) = org_path(server).await;
    let a = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let b = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let me = (a.client_id.as_str(), a.secret.as_str());
    for unknown in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        let r = post_form(server, REVOKE, &[("token", unknown)], Some(me)).await;
        assert_eq!(r.status, 200, "{unknown}: {}", r.text);
    }
    let theirs = token(server, &b.client_id, &b.secret).await;
    let r = post_form(server, REVOKE, &[("token", &theirs)], Some(me)).await;
    assert_oauth_error(&r, 400, "unauthorized_client");
    assert_eq!(
        bearer(server, Method::GET, &path, &theirs, None)
            .await
            .status,
        200
    );
    let missing = post_form(server, REVOKE, &[], Some(me)).await;
    assert_oauth_error(&missing, 400, "invalid_request");
    let twice = post_form(
        server,
        REVOKE,
        &[("token", &theirs), ("token", &theirs)],
        Some(me),
    )
    .await;
    assert_oauth_error(&twice, 400, "invalid_request");
    let anonymous = post_form(server, REVOKE, &[("token", &theirs)], None).await;
    assert_oauth_error(&anonymous, 401, "invalid_client");
    let wrong = post_form(server, REVOKE, &[("token", &theirs)], Some((me.0, "nope"))).await;
    assert_oauth_error(&wrong, 401, "invalid_client");
    assert_eq!(
        bearer(server, Method::GET, &path, &theirs, None)
            .await
            .status,
        200
    );
}

async fn introspection(server: &TestServer) {
    let (org, _) = org_path(server).await;
    let a = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let b = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let t = token(server, &a.client_id, &a.secret).await;
    let (_, claims) = jwt_parts(&t);
    let own = introspect(server, &t, (&a.client_id, &a.secret)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.header("cache-control"), Some("no-store"));
    let body = &own.body;
    assert_eq!(body["active"], true);
    assert_eq!(body["sub"], a.client_id.as_str());
    assert_eq!(body["client_id"], a.client_id.as_str());
    assert_eq!(body["iss"], server.url.as_str());
    assert_eq!(body["exp"], claims["exp"]);
    assert_eq!(body["iat"], claims["iat"]);
    assert!(body["scope"].is_string());
    assert_eq!(body["token_type"], "Bearer");
    let other = introspect(server, &t, (&b.client_id, &b.secret)).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body, json!({"active": false}));
    let admin = introspect(server, &t, ("admin", sigil_testkit::ADMIN_PASSWORD)).await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    assert_eq!(admin.body["active"], true);
    assert_eq!(admin.body["sub"], a.client_id.as_str());
    let posted = post_form(
        server,
        "/api/oauth/introspect",
        &[
            ("token", &t),
            ("client_id", &a.client_id),
            ("client_secret", &a.secret),
        ],
        None,
    )
    .await;
    assert_eq!(posted.body["active"], true, "{}", posted.text);
    let anonymous = post_form(server, "/api/oauth/introspect", &[("token", &t)], None).await;
    assert_oauth_error(&anonymous, 401, "invalid_client");
    let wrong = introspect(server, &t, (&a.client_id, "nope")).await;
    assert_oauth_error(&wrong, 401, "invalid_client");
    let garbage = introspect(server, "garbage", ("admin", sigil_testkit::ADMIN_PASSWORD)).await;
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.body, json!({"active": false}));
    let missing = post_form(
        server,
        "/api/oauth/introspect",
        &[],
        Some(("admin", sigil_testkit::ADMIN_PASSWORD)),
    )
    .await;
    assert_oauth_error(&missing, 400, "invalid_request");
    // An ORG_OWNER API key holds no read_security: it learns nothing of the token.
    let key = server
        .admin(
            Method::POST,
            &format!("{V2}/orgs/{org}/apiKeys"),
            Some(json!({"desc": "k", "roles": ["ORG_OWNER"]})),
        )
        .await;
    let (public, private) = (
        key.body["publicKey"].as_str().unwrap(),
        key.body["privateKey"].as_str().unwrap(),
    );
    let url = format!("{}/api/oauth/introspect", server.url);
    let by_key = sigil_testkit::answer(
        server
            .client
            .post(&url)
            .header(
                "authorization",
                sigil_testkit::digest::authorization(
                    &challenge(server).await,
                    &Method::POST,
                    "/api/oauth/introspect",
                    public,
                    private,
                    "MD5",
                    1,
                ),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("token", &t)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_key.status, 200, "{}", by_key.text);
    assert_eq!(by_key.body, json!({"active": false}));
}

/// A fresh Digest challenge from the Atlas face.
async fn challenge(server: &TestServer) -> String {
    let a = server
        .anonymous(Method::GET, &format!("{V2}/orgs"), None)
        .await;
    a.header("www-authenticate").unwrap().to_owned()
}

async fn deleting_a_secret_revokes_its_tokens_only(server: &TestServer) {
    let (org, path) = org_path(server).await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (_, second) = add_secret(server, &org, &sa.client_id).await;
    let of_first = token(server, &sa.client_id, &sa.secret).await;
    let of_second = token(server, &sa.client_id, &second).await;
    for t in [&of_first, &of_second] {
        assert_eq!(
            bearer(server, Method::GET, &path, t, None).await.status,
            200
        );
    }
    delete_first_secret(server, &org, &sa).await;
    assert_error(
        &bearer(server, Method::GET, &path, &of_first, None).await,
        401,
        "NOT_AUTHENTICATED",
    );
    let admin = ("admin", sigil_testkit::ADMIN_PASSWORD);
    assert_eq!(
        introspect(server, &of_first, admin).await.body,
        json!({"active": false})
    );
    assert_eq!(
        bearer(server, Method::GET, &path, &of_second, None)
            .await
            .status,
        200
    );
    assert_eq!(
        introspect(server, &of_second, admin).await.body["active"],
        true
    );
}

async fn deleting_the_account_revokes_everything(server: &TestServer) {
    let (org, path) = org_path(server).await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (_, second) = add_secret(server, &org, &sa.client_id).await;
    let t1 = token(server, &sa.client_id, &sa.secret).await;
    let t2 = token(server, &sa.client_id, &second).await;
    let other = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let t3 = token(server, &other.client_id, &other.secret).await;
    let del = server
        .admin(
            Method::DELETE,
            &format!("{}/{}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    for t in [&t1, &t2] {
        assert_error(
            &bearer(server, Method::GET, &path, t, None).await,
            401,
            "NOT_AUTHENTICATED",
        );
    }
    for secret in [&sa.secret, &second] {
        let a = post_form(
            server,
            "/api/oauth/token",
            &[("grant_type", "client_credentials")],
            Some((&sa.client_id, secret)),
        )
        .await;
        assert_oauth_error(&a, 401, "invalid_client");
    }
    assert_eq!(
        bearer(server, Method::GET, &path, &t3, None).await.status,
        200
    );
    let admin = ("admin", sigil_testkit::ADMIN_PASSWORD);
    assert_eq!(
        introspect(server, &t1, admin).await.body,
        json!({"active": false})
    );
}

/// Tokens and revocations made before a restart hold after it (keys and revocations are stored).
async fn survives_a_restart(server: TestServer) {
    let (org, path) = org_path(&server).await;
    let sa = create_sa(&server, &org, &["ORG_MEMBER"]).await;
    let (second_id, second) = add_secret(&server, &org, &sa.client_id).await;
    let live = token(&server, &sa.client_id, &sa.secret).await;
    let revoked = token(&server, &sa.client_id, &sa.secret).await;
    let of_second = token(&server, &sa.client_id, &second).await;
    let me = (sa.client_id.as_str(), sa.secret.as_str());
    assert_eq!(
        post_form(&server, REVOKE, &[("token", &revoked)], Some(me))
            .await
            .status,
        200
    );
    let del = server
        .admin(
            Method::DELETE,
            &format!("{}/{}/secrets/{second_id}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    let jwks_before = server
        .anonymous(Method::GET, "/.well-known/jwks.json", None)
        .await;

    let server = server.restart(None).await;
    let jwks_after = server
        .anonymous(Method::GET, "/.well-known/jwks.json", None)
        .await;
    assert_eq!(
        jwks_before.body, jwks_after.body,
        "the signing keys are stored"
    );
    let ok = bearer(&server, Method::GET, &path, &live, None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(introspect(&server, &live, me).await.body["active"], true);
    for t in [&revoked, &of_second] {
        assert_error(
            &bearer(&server, Method::GET, &path, t, None).await,
            401,
            "NOT_AUTHENTICATED",
        );
        assert_eq!(
            introspect(&server, t, me).await.body,
            json!({"active": false})
        );
    }
    // The secret still gets tokens, signed by the same key.
    let fresh = token(&server, &sa.client_id, &sa.secret).await;
    assert_eq!(jwt_parts(&fresh).0["kid"], jwt_parts(&live).0["kid"]);
    server.stop().await;
}

#[tokio::test]
async fn sqlite_survives_a_restart() {
    survives_a_restart(TestServer::sqlite().await).await;
}

#[tokio::test]
async fn postgres_survives_a_restart() {
    if let Some(server) = TestServer::start(StoreKind::Postgres).await {
        survives_a_restart(server).await;
    }
}

store_tests!(
    the_owning_client_revokes_its_token,
    revocation_errors,
    introspection,
    deleting_a_secret_revokes_its_tokens_only,
    deleting_the_account_revokes_everything,
);
