//! `POST /v3.0/OS-AUTH/id-token/tokens` (spec 40): an ID token checked against the provider's
//! OpenID Connect configuration — its issuer, audience, pinned keys, times and JWKS cutoff —
//! for a Sigil token with the roles of the domain's role mappings. Changing `signing_key`
//! takes effect from the next request, on every node.

use crate::atlas_support::*;
use crate::federation_support as fed;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::{FakeIssuer, KeyAlg};
use sigil_testkit::{store_tests, StoreKind, TestServer};

const CLIENT: &str = "sigil-console";

async fn login(server: &TestServer, idp: &str, issuer: &FakeIssuer) -> sigil_testkit::Answer {
    let id_token = issuer.mint(&issuer.claims("alice", CLIENT, &[GROUP]));
    id_token_login(server, idp, &id_token, "default").await
}

/// The issue's flow: sign an ID token, pin the JWKS, log in; rotate the pinned key with PUT:
/// the old key's token fails and a new one works.
async fn an_id_token_logs_in_until_its_key_is_unpinned(server: &TestServer) {
    let issuer = FakeIssuer::start_with(KeyAlg::Rs256).await;
    let admin = admin_token(server).await;
    let idp = federated_provider(server, &admin, &issuer, CLIENT).await;
    let old_token = issuer.mint(&issuer.claims("alice", CLIENT, &[GROUP]));

    let a = id_token_login(server, &idp, &old_token, "default").await;
    assert_eq!(a.status, 201, "{}", a.text);
    let t = &a.body["token"];
    assert_eq!(t["methods"], json!(["mapped"]));
    assert_eq!(t["user"]["name"], "alice");
    assert_eq!(t["user"]["domain"]["name"], "default");
    assert_eq!(
        t["roles"],
        json!([{"id": "ORG_OWNER", "name": "ORG_OWNER"}])
    );
    assert_eq!(t["user"]["OS-FEDERATION"]["identity_provider"]["id"], idp);
    assert_eq!(t["user"]["OS-FEDERATION"]["groups"][0]["name"], GROUP);
    let session = a
        .header("x-subject-token")
        .expect("X-Subject-Token")
        .to_owned();
    let listed = with_token(server, Method::GET, IDP_V3, &session, None).await;
    assert_eq!(
        listed.status, 200,
        "the mapped ORG_OWNER administers the domain: {}",
        listed.text
    );

    // Rotate: the issuer's new key replaces the pinned one.
    issuer.rotate();
    let put = with_token(
        server,
        Method::PUT,
        &oidc_config_path(&idp),
        &admin,
        Some(json!({"openid_connect_config": {"signing_key": issuer.current_jwks()}})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let a = id_token_login(server, &idp, &old_token, "default").await;
    assert_iam(&a, 401, "IAM.0007");
    assert_eq!(
        login(server, &idp, &issuer).await.status,
        201,
        "a token of the new key"
    );

    // The change is audited as an update of the provider.
    let (org, _) = server.default_org().await;
    let events = events(server, &org).await;
    assert!(
        events
            .iter()
            .any(|e| e["eventTypeName"] == "IDENTITY_PROVIDER_UPDATED"),
        "{events:?}"
    );
}

async fn id_tokens_are_checked_against_the_configuration(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(server).await;
    let idp = federated_provider(server, &admin, &issuer, CLIENT).await;
    let claims = issuer.claims("alice", CLIENT, &[GROUP]);
    let now = fed::now();
    let other = FakeIssuer::start().await;
    for (what, token) in [
        (
            "another audience",
            issuer.mint(&fed::claim(claims.clone(), "aud", json!("someone-else"))),
        ),
        (
            "another issuer",
            issuer.mint(&fed::claim(
                claims.clone(),
                "iss",
                json!("https://elsewhere.example"),
            )),
        ),
        (
            "expired",
            issuer.mint(&fed::claim(claims.clone(), "exp", json!(now - 120))),
        ),
        (
            "not yet valid",
            issuer.mint(&fed::claim(claims.clone(), "nbf", json!(now + 600))),
        ),
        (
            "no iat",
            issuer.mint(&fed::claim(claims.clone(), "iat", json!(null))),
        ),
        ("another key", other.mint(&claims)),
        ("alg none", issuer.mint_alg_none(&claims)),
        (
            "no mapped group",
            issuer.mint(&issuer.claims("bob", CLIENT, &["strangers"])),
        ),
        ("not a JWT", "not.a.jwt".to_owned()),
    ] {
        let a = id_token_login(server, &idp, &token, "default").await;
        assert_iam(&a, 401, "IAM.0007");
        assert!(a.header("x-subject-token").is_none(), "{what}");
    }
    let good = issuer.mint(&claims);
    assert_iam(
        &id_token_login(server, "no-such-idp", &good, "default").await,
        401,
        "IAM.0007",
    );
    assert_iam(
        &id_token_login(server, &idp, &good, "no-such-domain").await,
        401,
        "IAM.0007",
    );
    assert_eq!(
        id_token_login(server, &idp, &good, "default").await.status,
        201
    );
}

async fn malformed_logins_are_400_naming_the_field(server: &TestServer) {
    let no_header = server
        .anonymous(Method::POST, ID_TOKENS, Some(json!({"auth": {"id_token": {"id": "x"}, "scope": {"domain": {"name": "default"}}}})))
        .await;
    assert_invalid(&no_header, "X-Idp-Id");
    for (body, field) in [
        (
            json!({"auth": {"scope": {"domain": {"name": "default"}}}}),
            "auth.id_token",
        ),
        // Without a scope it is an unscoped login (iam_temporary_keys.rs); an empty one is not.
        (
            json!({"auth": {"id_token": {"id": "x"}, "scope": {}}}),
            "auth.scope.domain",
        ),
        (
            json!({"auth": {"id_token": {"id": 5}, "scope": {"domain": {"name": "default"}}}}),
            "auth.id_token.id",
        ),
        (
            json!({"auth": {"id_token": {"id": "x"}, "scope": {"domain": {}}}}),
            "auth.scope.domain.name",
        ),
    ] {
        let a = server
            .send(
                server
                    .client
                    .post(format!("{}{ID_TOKENS}", server.url))
                    .header("X-Idp-Id", "idp")
                    .json(&body),
            )
            .await;
        assert_invalid(&a, field);
    }
}

/// A disabled provider refuses logins, and the sessions it gave, until it is enabled again.
async fn a_disabled_provider_refuses_logins(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(server).await;
    let idp = federated_provider(server, &admin, &issuer, CLIENT).await;
    let a = login(server, &idp, &issuer).await;
    let session = a.header("x-subject-token").expect("a session").to_owned();
    let path = format!("{IDP_V3}/{idp}");
    let off = with_token(
        server,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"identity_provider": {"enabled": false}})),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_iam(&login(server, &idp, &issuer).await, 401, "IAM.0007");
    assert_keystone(
        &with_token(server, Method::GET, IDP_V3, &session, None).await,
        401,
    );
    let on = with_token(
        server,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"identity_provider": {"enabled": true}})),
    )
    .await;
    assert_eq!(on.status, 200, "{}", on.text);
    assert_eq!(login(server, &idp, &issuer).await.status, 201);
}

/// The Atlas face's JWKS revoke holds for IAM logins: tokens issued up to the cutoff are
/// refused, and so are the sessions they gave. The pinned key itself is dropped (it cannot be
/// refetched, and would otherwise go on signing tokens after the cutoff): nothing logs in until
/// a new key is pinned.
async fn a_jwks_revoke_ends_id_token_logins_and_their_sessions(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(server).await;
    let idp = federated_provider(server, &admin, &issuer, CLIENT).await;
    let before = issuer.mint(&issuer.claims("alice", CLIENT, &[GROUP]));
    let a = id_token_login(server, &idp, &before, "default").await;
    let session = a.header("x-subject-token").expect("a session").to_owned();
    let (_, fs) = server.default_org().await;
    let listed = server.admin(Method::GET, &idps_path(&fs), None).await;
    let id = listed.body["results"][0]["id"].as_str().unwrap().to_owned();
    let revoke = server
        .admin(
            Method::DELETE,
            &format!("{}/{id}/jwks", idps_path(&fs)),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.text);
    assert_iam(
        &id_token_login(server, &idp, &before, "default").await,
        401,
        "IAM.0007",
    );
    assert_keystone(
        &with_token(server, Method::GET, IDP_V3, &session, None).await,
        401,
    );
    server.clock().next_second();
    let fresh = |issuer: &FakeIssuer| {
        issuer.mint(&fed::stamped_after_cutoff(
            server,
            issuer.claims("alice", CLIENT, &[GROUP]),
        ))
    };
    assert_iam(
        &id_token_login(server, &idp, &fresh(&issuer), "default").await,
        401,
        "IAM.0007",
    );
    let config = with_token(server, Method::GET, &oidc_config_path(&idp), &admin, None).await;
    assert_eq!(
        config.body["openid_connect_config"]["signing_key"], r#"{"keys":[]}"#,
        "{}",
        config.text
    );
    issuer.rotate();
    let put = with_token(
        server,
        Method::PUT,
        &oidc_config_path(&idp),
        &admin,
        Some(json!({"openid_connect_config": {"signing_key": issuer.current_jwks()}})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let a = id_token_login(server, &idp, &fresh(&issuer), "default").await;
    assert_eq!(
        a.status, 201,
        "a token of the new key after the cutoff: {}",
        a.text
    );
}

store_tests!(
    an_id_token_logs_in_until_its_key_is_unpinned,
    id_tokens_are_checked_against_the_configuration,
    malformed_logins_are_400_naming_the_field,
    a_disabled_provider_refuses_logins,
    a_jwks_revoke_ends_id_token_logins_and_their_sessions,
);

/// Two nodes on one PostgreSQL database: a new `signing_key` PUT on node A makes node B
/// refuse the removed key's tokens once B applies the change log (how soon it does is
/// `multi_node`'s test).
#[tokio::test]
async fn a_new_signing_key_reaches_every_node() {
    let Some(a) = TestServer::start(StoreKind::Postgres).await else {
        return;
    };
    let b = a.second_node().await;
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(&a).await;
    let idp = federated_provider(&a, &admin, &issuer, CLIENT).await;
    let old = issuer.mint(&issuer.claims("alice", CLIENT, &[GROUP]));
    assert_eq!(
        id_token_login(&b, &idp, &old, "default").await.status,
        201,
        "B knows the old key"
    );
    issuer.rotate();
    let put = with_token(
        &a,
        Method::PUT,
        &oidc_config_path(&idp),
        &admin,
        Some(json!({"openid_connect_config": {"signing_key": issuer.current_jwks()}})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    b.sync_now().await;
    assert_iam(
        &id_token_login(&b, &idp, &old, "default").await,
        401,
        "IAM.0007",
    );
    assert_eq!(
        login(&b, &idp, &issuer).await.status,
        201,
        "B takes the new key"
    );
}
