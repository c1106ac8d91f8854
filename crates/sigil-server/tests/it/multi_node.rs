//! Two nodes on one PostgreSQL database behave as one: a revocation made on node A reaches
//! node B, whose caches already hold the credential, within the bound PostgreSQL notifications
//! give (2 s here; the periodic read of the change log alone is 1 s), and a credential created
//! on A works on B at once. PostgreSQL only: SQLite is one process's store.

use crate::atlas_support::*;
use crate::credentials_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{Answer, StoreKind, TestServer};
use std::future::Future;
use std::time::{Duration, Instant};

/// How long node B may keep accepting a credential revoked on node A.
const BOUND: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(10);
const REVOKE: &str = "/api/oauth/revoke";

/// Node A on a fresh PostgreSQL database and node B beside it; `None` when PostgreSQL is not
/// configured (outside CI only).
async fn two_nodes() -> Option<(TestServer, TestServer)> {
    let a = TestServer::start(StoreKind::Postgres).await?;
    let b = a.second_node().await;
    Some((a, b))
}

/// Sends `request` every 10 ms until it answers something other than 200; asserts that
/// answer is `expected` and came within [`BOUND`].
async fn refused_within_bound<F, Fut>(what: &str, expected: u16, request: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Answer>,
{
    let start = Instant::now();
    loop {
        let a = request().await;
        if a.status != 200 {
            assert_eq!(a.status, expected, "{what}: {}", a.text);
            assert!(
                start.elapsed() <= BOUND,
                "{what}: refused only after {:?}",
                start.elapsed()
            );
            return;
        }
        assert!(
            start.elapsed() <= BOUND,
            "{what}: node B still accepts it after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn org_path(server: &TestServer) -> (String, String) {
    let (org, _) = server.default_org().await;
    let path = format!("{V2}/orgs/{org}");
    (org, path)
}

#[tokio::test]
async fn a_revoked_token_is_refused_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, path) = org_path(&a).await;
    let sa = create_sa(&a, &org, &["ORG_MEMBER"]).await;
    let revoked = token(&a, &sa.client_id, &sa.secret).await;
    let kept = token(&a, &sa.client_id, &sa.secret).await;
    for t in [&revoked, &kept] {
        for node in [&a, &b] {
            let ok = bearer(node, Method::GET, &path, t, None).await;
            assert_eq!(ok.status, 200, "{}", ok.text);
        }
    }
    let r = post_form(
        &a,
        REVOKE,
        &[("token", &revoked)],
        Some((&sa.client_id, &sa.secret)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    refused_within_bound("a revoked token", 401, || {
        bearer(&b, Method::GET, &path, &revoked, None)
    })
    .await;
    assert_eq!(
        bearer(&b, Method::GET, &path, &kept, None).await.status,
        200
    );
}

#[tokio::test]
async fn a_deleted_secret_is_refused_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, path) = org_path(&a).await;
    let sa = create_sa(&a, &org, &["ORG_MEMBER"]).await;
    let (_, second) = add_secret(&a, &org, &sa.client_id).await;
    let of_first = token(&a, &sa.client_id, &sa.secret).await;
    // Node B has verified the token and holds the client with both secrets.
    assert_eq!(
        bearer(&b, Method::GET, &path, &of_first, None).await.status,
        200
    );
    token(&b, &sa.client_id, &sa.secret).await;
    token(&b, &sa.client_id, &second).await;
    delete_first_secret(&a, &org, &sa).await;
    refused_within_bound("a token of a deleted secret", 401, || {
        bearer(&b, Method::GET, &path, &of_first, None)
    })
    .await;
    let grant = [("grant_type", "client_credentials")];
    let refused = post_form(
        &b,
        "/api/oauth/token",
        &grant,
        Some((&sa.client_id, &sa.secret)),
    )
    .await;
    assert_oauth_error(&refused, 401, "invalid_client");
    // The other secret still gets tokens on node B.
    token(&b, &sa.client_id, &second).await;
}

#[tokio::test]
async fn a_deleted_service_account_is_refused_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, path) = org_path(&a).await;
    let sa = create_sa(&a, &org, &["ORG_MEMBER"]).await;
    let t = token(&a, &sa.client_id, &sa.secret).await;
    assert_eq!(bearer(&b, Method::GET, &path, &t, None).await.status, 200);
    token(&b, &sa.client_id, &sa.secret).await;
    let del = a
        .admin(
            Method::DELETE,
            &format!("{}/{}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    assert_eq!(del.status, 204, "{}", del.text);
    refused_within_bound("a token of a deleted account", 401, || {
        bearer(&b, Method::GET, &path, &t, None)
    })
    .await;
    let refused = post_form(
        &b,
        "/api/oauth/token",
        &[("grant_type", "client_credentials")],
        Some((&sa.client_id, &sa.secret)),
    )
    .await;
    assert_oauth_error(&refused, 401, "invalid_client");
}

#[tokio::test]
async fn a_deleted_api_key_is_refused_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, path) = org_path(&a).await;
    let key = a
        .admin(
            Method::POST,
            &format!("{V2}/orgs/{org}/apiKeys"),
            Some(json!({"desc": "two nodes", "roles": ["ORG_OWNER"]})),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let public = key.body["publicKey"]
        .as_str()
        .expect("publicKey")
        .to_owned();
    let private = key.body["privateKey"]
        .as_str()
        .expect("privateKey")
        .to_owned();
    let id = key.body["id"].as_str().expect("id").to_owned();
    let on_b = || digest(&b, Method::GET, &path, &public, &private, "MD5", None);
    for _ in 0..2 {
        let ok = on_b().await;
        assert_eq!(ok.status, 200, "{}", ok.text);
    }
    let del = a
        .admin(
            Method::DELETE,
            &format!("{V2}/orgs/{org}/apiKeys/{id}"),
            None,
        )
        .await;
    assert_eq!(del.status, 204, "{}", del.text);
    refused_within_bound("a deleted API key", 401, on_b).await;
}

#[tokio::test]
async fn a_role_change_holds_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, _) = org_path(&a).await;
    let sa = create_sa(&a, &org, &["ORG_OWNER"]).await;
    let t = token(&a, &sa.client_id, &sa.secret).await;
    // Listing service accounts needs ORG_OWNER.
    let owners_only = sa_path(V2, &org);
    let ok = bearer(&b, Method::GET, &owners_only, &t, None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let patched = a
        .admin(
            Method::PATCH,
            &format!("{owners_only}/{}", sa.client_id),
            Some(json!({"roles": ["ORG_MEMBER"]})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    refused_within_bound("an owner-only request after a demotion", 403, || {
        bearer(&b, Method::GET, &owners_only, &t, None)
    })
    .await;
}

#[tokio::test]
async fn a_jwks_revoke_holds_on_the_other_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let issuer = FakeIssuer::start().await;
    let (org, fs) = a.default_org().await;
    let audience = unique_audience("sigil-two-nodes");
    let idp = create_idp(
        &a,
        &fs,
        json!({
            "protocol": "OIDC",
            "idpType": "WORKLOAD",
            "displayName": "two nodes",
            "issuerUri": issuer.issuer(),
            "audience": audience,
            "authorizationType": "GROUP",
            "groupsClaim": "groups",
        }),
    )
    .await;
    let connected = a
        .admin(
            Method::PATCH,
            &config_path(&fs, &org),
            Some(json!({"dataAccessIdentityProviderIds": [idp]})),
        )
        .await;
    assert_eq!(connected.status, 200, "{}", connected.text);
    let mapped = a
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping("ci", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(mapped.status, 200, "{}", mapped.text);
    let jwt = issuer.mint(&issuer.claims("workload", &audience, &["ci"]));
    let path = format!("{V2}/orgs/{org}");
    for node in [&a, &b] {
        let ok = bearer(node, Method::GET, &path, &jwt, None).await;
        assert_eq!(ok.status, 200, "{}", ok.text);
    }
    let revoked = a
        .admin(
            Method::DELETE,
            &format!("{}/{idp}/jwks", idps_path(&fs)),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    refused_within_bound("a token of a provider whose JWKS was revoked", 401, || {
        bearer(&b, Method::GET, &path, &jwt, None)
    })
    .await;
}

#[tokio::test]
async fn an_account_created_on_one_node_works_on_the_other_at_once() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, path) = org_path(&a).await;
    let fresh = create_sa(&a, &org, &["ORG_MEMBER"]).await;
    let t = token(&b, &fresh.client_id, &fresh.secret).await;
    assert_eq!(bearer(&a, Method::GET, &path, &t, None).await.status, 200);
    assert_eq!(bearer(&b, Method::GET, &path, &t, None).await.status, 200);
}

/// Node B holds the account in its client cache; a secret added on node A must work on B
/// at once, not only once B has applied the change. Each round is one chance for the race, so
/// ten make a failure all but certain while the bug lasts.
#[tokio::test]
async fn a_secret_created_on_one_node_works_on_the_other_at_once() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (org, _) = org_path(&a).await;
    for round in 0..10 {
        let sa = create_sa(&a, &org, &["ORG_MEMBER"]).await;
        token(&b, &sa.client_id, &sa.secret).await;
        let (_, second) = add_secret(&a, &org, &sa.client_id).await;
        let at_once = post_form(
            &b,
            "/api/oauth/token",
            &[("grant_type", "client_credentials")],
            Some((&sa.client_id, &second)),
        )
        .await;
        assert_eq!(
            at_once.status, 200,
            "round {round}: a secret created on node A, used at once on node B: {}",
            at_once.text
        );
    }
}

/// An Elasticsearch API key node B has verified (and holds in its cache) is refused on B once
/// node A invalidates it; a role losing `manage_own_api_key` on node A stops its user creating
/// keys on node B, which had verified that user with the role.
#[tokio::test]
async fn an_invalidated_es_api_key_and_a_role_change_hold_on_the_other_node() {
    use crate::es_support::{self as es, Who};
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    es::user_with(&a, "carol", &["manage_own_api_key"]).await;
    let carol = Who::User("carol");
    let key = es::create_key(&a, carol, "two nodes").await;
    let on_b = || es::whoami(&b, Who::Key(&key.encoded));
    for _ in 0..2 {
        let ok = on_b().await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        assert_eq!(ok.body["api_key"]["id"], key.id.as_str(), "{}", ok.text);
    }
    let kept = es::create_key(&a, carol, "kept").await;
    let on_b_kept = es::whoami(&b, Who::Key(&kept.encoded)).await;
    assert_eq!(on_b_kept.status, 200, "{}", on_b_kept.text);
    let invalidated = es::invalidate(&a, Who::Admin, json!({"ids": [key.id]})).await;
    es::assert_invalidated(&invalidated, &[&key.id]);
    refused_within_bound("an invalidated Elasticsearch API key", 401, on_b).await;
    let still = es::whoami(&b, Who::Key(&kept.encoded)).await;
    assert_eq!(still.status, 200, "another key of the user: {}", still.text);

    // Node B verifies carol (and her role) by creating a key there.
    let create_on_b = || {
        es::es(
            &b,
            carol,
            Method::POST,
            es::KEYS,
            Some(json!({"name": "on node B"})),
        )
    };
    let made = create_on_b().await;
    assert_eq!(made.status, 200, "{}", made.text);
    es::put_role(&a, "carol-role", &["read_security"]).await;
    refused_within_bound(
        "key creation after the role lost manage_own_api_key",
        403,
        create_on_b,
    )
    .await;
}
