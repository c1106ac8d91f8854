//! Revoking an identity provider's JWKS (seed 000, spec 10 "Revoking the JWKS"): the cutoff,
//! the end of the Sigil sessions exchanged from it, the refetch (and what happens when the
//! issuer is down), and the route's errors.

use crate::atlas_support::*;
use crate::credentials_support::*;
use crate::federation_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::{FakeIssuer, JwksBehaviour};
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};

const ADMIN: (&str, &str) = ("admin", ADMIN_PASSWORD);

/// The owner revokes the JWKS: 204 and no body.
async fn revoke(server: &TestServer, fed: &Fed) {
    let a = server.admin(Method::DELETE, &fed.jwks_path(), None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert!(a.text.is_empty(), "a 204 has no body: {:?}", a.text);
}

/// The event of `kind` among `events`.
fn event<'a>(events: &'a [Value], kind: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["eventTypeName"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event among {events:?}"))
}

/// The scenario: T1 (key k1) and the Sigil token S1 exchanged for it work; the issuer
/// rotates to k2; the owner revokes the JWKS; T1, S1, a k2 token issued before the revoke and
/// one the issuer stamped with an `iat` ahead of Sigil's clock are refused; a k2 token stamped
/// after the cutoff (and the tolerated skew) works.
async fn revoke_ends_old_tokens_and_sessions_new_ones_work(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let k1 = issuer.current_kid();
    let t1 = issuer.mint(&fed.claims(&issuer, "alice", &[GROUP]));
    let ok = get_org(server, &fed, &t1).await;
    assert_eq!(ok.status, 200, "T1 as Bearer: {}", ok.text);
    assert_eq!(ok.body["id"], fed.org.as_str());
    let s1 = exchanged(server, &t1).await;
    assert_eq!(get_org(server, &fed, &s1).await.status, 200, "S1 as Bearer");
    let i = introspect(server, &t1, ADMIN).await;
    assert_eq!(i.body["active"], true, "{}", i.text);
    let i = introspect(server, &s1, ADMIN).await;
    assert_eq!(i.body["active"], true, "{}", i.text);
    assert_eq!(
        i.body["identity_provider_id"],
        fed.idp.as_str(),
        "{}",
        i.text
    );

    // The issuer rotates: k2 is published, k1 is not. T1 still verifies (Sigil has k1).
    let k2 = issuer.rotate();
    assert_ne!(k1, k2);
    let t2_before = issuer.mint_with_kid(&k2, &fed.claims(&issuer, "bob", &[GROUP]));
    // Minted now by an issuer whose clock runs 50 s ahead: within the tolerated skew.
    let mut ahead = fed.claims(&issuer, "dave", &[GROUP]);
    ahead["iat"] = json!(ahead["iat"].as_u64().unwrap() + 50);
    let t_ahead = issuer.mint_with_kid(&k1, &ahead);
    assert_eq!(
        get_org(server, &fed, &t_ahead).await.status,
        200,
        "accepted before"
    );
    assert_eq!(
        get_org(server, &fed, &t1).await.status,
        200,
        "T1 before the revoke"
    );
    let before = get_idp(server, &fed).await;
    assert_eq!(before["keySet"]["revokedAt"], Value::Null, "{before}");

    revoke(server, &fed).await;

    assert_refused(&get_org(server, &fed, &t1).await, "T1 after the revoke");
    assert_refused(&get_org(server, &fed, &s1).await, "S1 after the revoke");
    assert_refused(
        &get_org(server, &fed, &t_ahead).await,
        "a token minted before the revoke, its iat ahead of Sigil's clock",
    );
    for (what, t) in [("T1", &t1), ("S1", &s1)] {
        let i = introspect(server, t, ADMIN).await;
        assert_eq!(i.status, 200, "{}", i.text);
        assert_eq!(i.body, json!({"active": false}), "introspection of {what}");
    }

    // A k2 token stamped after the cutoff works, as a Bearer and exchanged.
    server.clock().next_second();
    let t3 = issuer.mint(&stamped_after_cutoff(
        server,
        fed.claims(&issuer, "carol", &[GROUP]),
    ));
    let ok = get_org(server, &fed, &t3).await;
    assert_eq!(ok.status, 200, "a k2 token after the revoke: {}", ok.text);
    let s3 = exchanged(server, &t3).await;
    let ok = get_org(server, &fed, &s3).await;
    assert_eq!(ok.status, 200, "its Sigil token: {}", ok.text);
    assert_eq!(introspect(server, &s3, ADMIN).await.body["active"], true);

    // The same key k2, but issued before the revoke: the cutoff refuses it.
    assert_refused(
        &get_org(server, &fed, &t2_before).await,
        "a k2 token of before",
    );
    assert_eq!(
        exchange(server, &t2_before).await.body["error"],
        "invalid_grant"
    );
    // T1 and S1 stay refused.
    assert_refused(&get_org(server, &fed, &t1).await, "T1 later");
    assert_refused(&get_org(server, &fed, &s1).await, "S1 later");

    let idp = get_idp(server, &fed).await;
    let key_set = &idp["keySet"];
    assert_time(&key_set["revokedAt"]);
    assert_eq!(key_set["keyIds"], json!([k2]), "{idp}");
    assert_eq!(key_set["lastError"], Value::Null, "{idp}");

    let events = events_of(server, &fed.org, &fed.idp).await;
    let revoked = event(&events, "IDENTITY_PROVIDER_JWKS_REVOKED");
    assert_eq!(revoked["outcome"], "SUCCESS", "{revoked}");
    let refetched = event(&events, "IDENTITY_PROVIDER_JWKS_REFETCHED");
    assert_eq!(refetched["outcome"], "SUCCESS", "{refetched}");
    let text = serde_json::to_string(&events).unwrap();
    assert!(
        !text.contains(&t1) && !text.contains(&s1),
        "no token in the audit"
    );
}

/// The issuer is down when the JWKS is revoked: 204 all the same, the revocation holds, the
/// failure is in `keySet` and the audit trail, and the keys are fetched on next use.
async fn revoke_while_the_issuer_is_down(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let t1 = issuer.mint(&fed.claims(&issuer, "alice", &[GROUP]));
    assert_eq!(get_org(server, &fed, &t1).await.status, 200, "T1");
    let s1 = exchanged(server, &t1).await;
    assert_eq!(get_org(server, &fed, &s1).await.status, 200, "S1");
    let fetches = issuer.jwks_fetches();
    assert!(fetches >= 1);

    issuer.set_jwks_behaviour(JwksBehaviour::ServerError);
    revoke(server, &fed).await;
    assert!(
        issuer.jwks_fetches() > fetches,
        "the revoke tried to refetch"
    );

    // The Sigil session ends at once, whatever the issuer does.
    assert_refused(&get_org(server, &fed, &s1).await, "S1 with the issuer down");
    let idp = get_idp(server, &fed).await;
    assert_time(&idp["keySet"]["revokedAt"]);
    assert!(
        idp["keySet"]["lastError"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "keySet.lastError: {idp}"
    );
    let events = events_of(server, &fed.org, &fed.idp).await;
    assert_eq!(
        event(&events, "IDENTITY_PROVIDER_JWKS_REVOKED")["outcome"],
        "SUCCESS"
    );
    let refetched = event(&events, "IDENTITY_PROVIDER_JWKS_REFETCHED");
    assert_eq!(refetched["outcome"], "FAILURE", "{refetched}");
    assert!(
        refetched["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{refetched}"
    );

    // The issuer is back: a token of a later second works, the keys fetched on its first use.
    issuer.set_jwks_behaviour(JwksBehaviour::Normal);
    server.sync_now().await;
    server.clock().next_second();
    let t2 = issuer.mint(&stamped_after_cutoff(
        server,
        fed.claims(&issuer, "bob", &[GROUP]),
    ));
    let ok = get_org(server, &fed, &t2).await;
    assert_eq!(
        ok.status, 200,
        "a new token once the issuer is back: {}",
        ok.text
    );
    let s2 = exchanged(server, &t2).await;
    assert_eq!(get_org(server, &fed, &s2).await.status, 200, "S2");
    // T1's key is still published and now fetched: only the cutoff refuses T1.
    assert_refused(&get_org(server, &fed, &t1).await, "T1 after the revoke");
    assert_refused(&get_org(server, &fed, &s1).await, "S1 after the revoke");
    assert_eq!(
        introspect(server, &t1, ADMIN).await.body,
        json!({"active": false})
    );
    let idp = get_idp(server, &fed).await;
    assert_eq!(idp["keySet"]["lastError"], Value::Null, "{idp}");
    assert_eq!(
        idp["keySet"]["keyIds"],
        json!([issuer.current_kid()]),
        "{idp}"
    );
}

/// Bad ids, unknown settings and providers, no credentials.
async fn revoke_errors(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let other = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let jwks = |fs: &str, idp: &str| format!("{}/{idp}/jwks", idps_path(fs));

    for (fs, idp) in [
        (fed.fs.as_str(), "not-an-id"),
        (fed.fs.as_str(), "ABCDEF0123456789ABCDEF01"),
        ("123", fed.idp.as_str()),
    ] {
        let a = server.admin(Method::DELETE, &jwks(fs, idp), None).await;
        assert_error(&a, 400, "INVALID_PATH_PARAMETER");
    }
    let a = server
        .admin(Method::DELETE, &jwks(&unknown_id(), &fed.idp), None)
        .await;
    assert_error(&a, 404, "FEDERATION_SETTINGS_NOT_FOUND");
    let a = server
        .admin(Method::DELETE, &jwks(&fed.fs, &unknown_id()), None)
        .await;
    assert_error(&a, 404, "IDENTITY_PROVIDER_NOT_FOUND");
    // A provider of other federation settings is not one of these.
    let a = server
        .admin(Method::DELETE, &jwks(&fed.fs, &other.idp), None)
        .await;
    assert_error(&a, 404, "IDENTITY_PROVIDER_NOT_FOUND");

    let a = server
        .anonymous(Method::DELETE, &fed.jwks_path(), None)
        .await;
    assert_error(&a, 401, "NOT_AUTHENTICATED");
    let challenge = a.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Digest realm=\"MMS Public API\", "),
        "{challenge:?}"
    );
    assert!(challenge.contains("qop=\"auth\""), "{challenge:?}");

    // None of that revoked anything; the owner's request does.
    let idp = get_idp(server, &fed).await;
    assert_eq!(idp["keySet"]["revokedAt"], Value::Null, "{idp}");
    revoke(server, &fed).await;
    assert_time(&get_idp(server, &fed).await["keySet"]["revokedAt"]);
    assert_eq!(
        get_idp(server, &other).await["keySet"]["revokedAt"],
        Value::Null
    );
    // Revoking again is fine.
    revoke(server, &fed).await;
}

/// Only an ORG_OWNER of a connected organization may revoke: a federated ORG_MEMBER and a
/// service account with ORG_MEMBER are refused, a service account with ORG_OWNER is not.
async fn revoke_needs_an_owner(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_MEMBER").await;
    let member = issuer.mint(&fed.claims(&issuer, "mallory", &[GROUP]));
    let ok = get_org(server, &fed, &member).await;
    assert_eq!(ok.status, 200, "the member reads its org: {}", ok.text);
    let a = bearer_at(server, Method::DELETE, &fed.jwks_path(), &member).await;
    assert_error(&a, 403, "INSUFFICIENT_ROLE");
    let session = exchanged(server, &member).await;
    let a = bearer_at(server, Method::DELETE, &fed.jwks_path(), &session).await;
    assert_error(&a, 403, "INSUFFICIENT_ROLE");

    let sa = create_sa(server, &fed.org, &["ORG_MEMBER"]).await;
    let sa_token = token(server, &sa.client_id, &sa.secret).await;
    assert_eq!(get_org(server, &fed, &sa_token).await.status, 200);
    let a = bearer_at(server, Method::DELETE, &fed.jwks_path(), &sa_token).await;
    assert_error(&a, 403, "INSUFFICIENT_ROLE");
    let idp = get_idp(server, &fed).await;
    assert_eq!(idp["keySet"]["revokedAt"], Value::Null, "{idp}");
    // The member's token still works: nothing was revoked.
    assert_eq!(get_org(server, &fed, &member).await.status, 200);

    let owner = create_sa(server, &fed.org, &["ORG_OWNER"]).await;
    let owner_token = token(server, &owner.client_id, &owner.secret).await;
    let a = bearer_at(server, Method::DELETE, &fed.jwks_path(), &owner_token).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert!(a.text.is_empty());
    assert_time(&get_idp(server, &fed).await["keySet"]["revokedAt"]);
    assert_refused(&get_org(server, &fed, &member).await, "the member's JWT");
    assert_refused(
        &get_org(server, &fed, &session).await,
        "the member's session",
    );
    // The service accounts' tokens are not the provider's: they live on.
    assert_eq!(get_org(server, &fed, &sa_token).await.status, 200);
}

store_tests!(
    revoke_ends_old_tokens_and_sessions_new_ones_work,
    revoke_while_the_issuer_is_down,
    revoke_errors,
    revoke_needs_an_owner,
);
