//! Tokens from an identity provider (spec 10): which are accepted as `Bearer` and exchanged,
//! the roles they carry, the attacks and malformed tokens refused, and how Sigil copes with an
//! issuer whose key set is broken, huge or never answers.

use crate::atlas_support::*;
use crate::credentials_support::*;
use crate::federation_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::{FakeIssuer, JwksBehaviour, KeyAlg};
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};
use std::time::{Duration, Instant};

async fn group_mapping_grants_the_role(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let owner = issuer.mint(&fed.claims(&issuer, "alice", &["other", GROUP]));
    let a = get_org(server, &fed, &owner).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["id"], fed.org.as_str());
    // ORG_OWNER: the federation settings of the organization too.
    let fs = get_fs(server, &fed, &owner).await;
    assert_eq!(fs.status, 200, "{}", fs.text);
    let list = bearer_at(server, Method::GET, &format!("{V2}/orgs"), &owner).await;
    assert_eq!(ids(&list), vec![fed.org.clone()], "{}", list.text);

    // Without the group: authenticated, but no role.
    let nobody = issuer.mint(&fed.claims(&issuer, "bob", &["other"]));
    assert_forbidden(&get_org(server, &fed, &nobody).await);
    let list = bearer_at(server, Method::GET, &format!("{V2}/orgs"), &nobody).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["results"], json!([]), "{}", list.text);
    assert_eq!(list.body["totalCount"], 0, "{}", list.text);
    // No groups claim at all: the same.
    let bare = issuer.mint(&claim(
        fed.claims(&issuer, "carol", &[]),
        "groups",
        Value::Null,
    ));
    assert_forbidden(&get_org(server, &fed, &bare).await);
    // An exchanged token carries the roles the same way.
    let session = exchanged(server, &owner).await;
    assert_eq!(get_org(server, &fed, &session).await.status, 200);
    let session = exchanged(server, &nobody).await;
    assert_forbidden(&get_org(server, &fed, &session).await);
}

async fn user_authorization_matches_the_user_claim(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "USER", "WORKLOAD", "ORG_MEMBER").await;
    let with_email = |email: &str| {
        // The group claim is ignored for USER providers: it names the mapping, in vain.
        claim(
            fed.claims(&issuer, "sub-1", &[USER_EMAIL]),
            "email",
            json!(email),
        )
    };
    let alice = issuer.mint(&with_email(USER_EMAIL));
    let a = get_org(server, &fed, &alice).await;
    assert_eq!(a.status, 200, "{}", a.text);
    // ORG_MEMBER only.
    let fs = get_fs(server, &fed, &alice).await;
    assert_forbidden(&fs);
    let bob = issuer.mint(&with_email("bob@example.com"));
    assert_forbidden(&get_org(server, &fed, &bob).await);
    // `sub` is not the user claim of this provider.
    let by_sub = issuer.mint(&fed.claims(&issuer, USER_EMAIL, &[]));
    let a = get_org(server, &fed, &by_sub).await;
    assert!(a.status == 401 || a.status == 403, "{}", a.text);
    let session = exchanged(server, &alice).await;
    assert_eq!(get_org(server, &fed, &session).await.status, 200);
}

async fn es256_rs256_and_at_jwt_tokens_are_accepted(server: &TestServer) {
    for alg in [KeyAlg::Es256, KeyAlg::Rs256] {
        let issuer = FakeIssuer::start_with(alg).await;
        let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
        let claims = fed.claims(&issuer, "robot", &[GROUP]);
        let plain = issuer.mint(&claims);
        assert_eq!(
            jwt_parts(&plain).0["alg"],
            format!("{alg:?}").to_uppercase()
        );
        let a = get_org(server, &fed, &plain).await;
        assert_eq!(a.status, 200, "{alg:?}: {}", a.text);
        let typed = issuer.mint_typed("at+jwt", &claims);
        let a = get_org(server, &fed, &typed).await;
        assert_eq!(a.status, 200, "{alg:?} at+jwt: {}", a.text);
        exchanged(server, &typed).await;
        let dpop = issuer.mint_typed("dpop+jwt", &claims);
        assert_refused(&get_org(server, &fed, &dpop).await, "typ dpop+jwt");
        // The key-confusion attack on this key type.
        let hs = issuer.mint_hs256_with_public_key(&claims);
        assert_refused(
            &get_org(server, &fed, &hs).await,
            "HS256 keyed with the public key",
        );
    }
}

async fn workforce_tokens_are_exchanged_not_bearer(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKFORCE", "ORG_OWNER").await;
    let person = issuer.mint(&fed.claims(&issuer, "dana", &[GROUP]));
    assert_refused(
        &get_org(server, &fed, &person).await,
        "a WORKFORCE JWT as Bearer",
    );
    let session = exchanged(server, &person).await;
    let a = get_org(server, &fed, &session).await;
    assert_eq!(a.status, 200, "the exchanged token: {}", a.text);
    let i = introspect(server, &session, ("admin", ADMIN_PASSWORD)).await;
    assert_eq!(i.body["active"], true, "{}", i.text);
    assert_eq!(i.body["identity_provider_id"], fed.idp, "{}", i.text);
    assert_eq!(i.body["sub"], "dana", "{}", i.text);
}

async fn introspection_of_a_federated_jwt(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_MEMBER").await;
    let claims = fed.claims(&issuer, "erin", &[GROUP]);
    let t = issuer.mint(&claims);
    let admin = ("admin", ADMIN_PASSWORD);
    let i = introspect(server, &t, admin).await;
    assert_eq!(i.status, 200, "{}", i.text);
    assert_eq!(i.header("cache-control"), Some("no-store"));
    assert_eq!(i.body["active"], true, "{}", i.text);
    assert_eq!(i.body["iss"], issuer.issuer(), "{}", i.text);
    assert_eq!(i.body["sub"], "erin", "{}", i.text);
    assert_eq!(i.body["identity_provider_id"], fed.idp, "{}", i.text);
    assert_eq!(i.body["exp"], claims["exp"], "{}", i.text);
    assert_eq!(i.body["iat"], claims["iat"], "{}", i.text);
    assert_eq!(i.body["jti"], claims["jti"], "{}", i.text);
    // An expired one is not active.
    let expired = issuer.mint(&claim(claims.clone(), "exp", json!(now() - 120)));
    assert_eq!(
        introspect(server, &expired, admin).await.body,
        json!({"active": false})
    );
}

/// The Sigil token lives no longer than the subject token, nor than an hour.
async fn exchange_lifetime_and_subject_token_types(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_MEMBER").await;
    let long = claim(
        fed.claims(&issuer, "frank", &[GROUP]),
        "exp",
        json!(now() + 7200),
    );
    let a = exchange(server, &issuer.mint(&long)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header("cache-control"), Some("no-store"));
    assert_eq!(a.body["expires_in"], 3600, "{}", a.text);
    let short = claim(long.clone(), "exp", json!(now() + 120));
    let a = exchange(server, &issuer.mint(&short)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let expires_in = a.body["expires_in"].as_i64().unwrap();
    assert!((100..=120).contains(&expires_in), "{}", a.text);
    let (_, payload) = jwt_parts(a.body["access_token"].as_str().unwrap());
    assert!(payload["exp"].as_i64().unwrap() <= short["exp"].as_i64().unwrap());

    let subject = issuer.mint(&long);
    for kind in [
        "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:token-type:access_token",
    ] {
        let a = token_form(
            server,
            &[
                ("grant_type", EXCHANGE_GRANT),
                ("subject_token", &subject),
                ("subject_token_type", kind),
            ],
        )
        .await;
        assert_eq!(a.status, 200, "{kind}: {}", a.text);
    }
}

async fn exchange_request_errors(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_MEMBER").await;
    let subject = issuer.mint(&fed.claims(&issuer, "gus", &[GROUP]));
    exchanged(server, &subject).await;
    let s = subject.as_str();
    let base = [
        ("grant_type", EXCHANGE_GRANT),
        ("subject_token", s),
        ("subject_token_type", JWT_TYPE),
    ];
    let saml = (
        "subject_token_type",
        "urn:ietf:params:oauth:token-type:saml2",
    );
    let refresh = (
        "requested_token_type",
        "urn:ietf:params:oauth:token-type:refresh_token",
    );
    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        ("no subject_token", vec![base[0], base[2]]),
        ("no subject_token_type", base[..2].to_vec()),
        ("a SAML token type", [&base[..2], &[saml]].concat()),
        (
            "an actor_token",
            [&base[..], &[("actor_token", s)]].concat(),
        ),
        (
            "a refresh token asked for",
            [&base[..], &[refresh]].concat(),
        ),
    ];
    for (what, pairs) in cases {
        let a = token_form(server, &pairs).await;
        assert_oauth_error(&a, 400, "invalid_request");
        assert!(a.body["access_token"].is_null(), "{what}: {}", a.text);
    }
    let a = exchange(server, "not-a-jwt").await;
    assert_oauth_error(&a, 400, "invalid_grant");
}

/// Attacks and malformed tokens: each refused as a Bearer (401), a few exchanged (400).
async fn bad_tokens_are_refused(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let good = fed.claims(&issuer, "henry", &[GROUP]);
    let ok = get_org(server, &fed, &issuer.mint(&good)).await;
    assert_eq!(ok.status, 200, "the good token: {}", ok.text);
    let t = now();
    let iss = issuer.issuer().to_owned();
    let changed = |key: &str, value: Value| issuer.mint(&claim(good.clone(), key, value));
    let expired = claim(
        claim(good.clone(), "exp", json!(t - 120)),
        "iat",
        json!(t - 720),
    );
    let cases: Vec<(&str, String, bool)> = vec![
        ("alg none", issuer.mint_alg_none(&good), true),
        (
            "HS256 keyed with the pubkey",
            issuer.mint_hs256_with_public_key(&good),
            true,
        ),
        (
            "a forged signature",
            issuer.mint_unknown_kid(&issuer.current_kid(), &good),
            false,
        ),
        (
            "wrong iss",
            changed("iss", json!("http://127.0.0.1:9/x")),
            false,
        ),
        (
            "iss with a slash",
            changed("iss", json!(format!("{iss}/"))),
            false,
        ),
        ("no iss", changed("iss", Value::Null), false),
        ("wrong aud", changed("aud", json!("someone-else")), true),
        ("no aud", changed("aud", Value::Null), false),
        ("expired 2 minutes ago", issuer.mint(&expired), true),
        ("no exp", changed("exp", Value::Null), false),
        ("nbf in 5 minutes", changed("nbf", json!(t + 300)), false),
        ("no iat", changed("iat", Value::Null), true),
        ("iat in 5 minutes", changed("iat", json!(t + 300)), false),
        ("not a JWT", "garbage".to_owned(), false),
    ];
    for (what, token, exchange_too) in &cases {
        assert_refused(&get_org(server, &fed, token).await, what);
        if *exchange_too {
            let a = exchange(server, token).await;
            assert_eq!(a.status, 400, "{what} exchanged: {}", a.text);
            assert_eq!(a.body["error"], "invalid_grant", "{what}: {}", a.text);
        }
    }
    // Within the 60 s skew is fine.
    let skewed = claim(good.clone(), "iat", json!(t + 30));
    assert_eq!(
        get_org(server, &fed, &issuer.mint(&skewed)).await.status,
        200
    );
    // Each refusal is a failed authentication in the audit trail, without the token.
    let text = events_text(server, &fed.org).await;
    assert!(text.contains("AUTHENTICATION_FAILED"));
    assert!(!text.contains(&cases[1].1), "no token in the audit");
}

/// Federated JWTs over 16 KiB are refused: exchanged (400 invalid_grant) and as a Bearer (401,
/// or 431 since such an `Authorization` header is over the Atlas face's header limit).
async fn tokens_over_16_kib_are_refused(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let small = padded(&issuer, &fed, 5_000);
    assert!(small.len() < 8 * 1024, "{}", small.len());
    let a = get_org(server, &fed, &small).await;
    assert_eq!(a.status, 200, "a {} byte token: {}", small.len(), a.text);
    let under = padded(&issuer, &fed, 11_000);
    assert!(under.len() < 16 * 1024 - 512, "{}", under.len());
    exchanged(server, &under).await;

    let over = padded(&issuer, &fed, 13_000);
    assert!(over.len() > 16 * 1024, "{}", over.len());
    let a = exchange(server, &over).await;
    assert_oauth_error(&a, 400, "invalid_grant");
    let a = get_org(server, &fed, &over).await;
    assert!(a.status == 401 || a.status == 431, "{}", a.text);
    assert!(
        a.body["errorCode"] == "NOT_AUTHENTICATED" || a.body["errorCode"] == "HEADER_TOO_LARGE",
        "{}",
        a.text
    );
}

/// A federated JWT under 16 KiB, which the exchange accepts, works as a Bearer too.
async fn tokens_under_16_kib_work_as_bearer(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let under = padded(&issuer, &fed, 11_000);
    assert!(under.len() < 16 * 1024 - 512, "{}", under.len());
    exchanged(server, &under).await;
    let a = get_org(server, &fed, &under).await;
    assert_eq!(
        a.status,
        200,
        "a {} byte token as Bearer: {}",
        under.len(),
        a.text
    );
}

/// 20 concurrent unknown `kid`s fetch the key set at most once.
async fn unknown_kid_flood_fetches_once(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    server.sync_now().await;
    let flood = |label: &str| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..20 {
            let token = issuer.mint_unknown_kid(
                &format!("{label}-{i}"),
                &fed.claims(&issuer, "jack", &[GROUP]),
            );
            let url = format!("{}{}", server.url, fed.org_path());
            tasks.spawn(async move {
                fresh_client()
                    .get(url)
                    .header("authorization", format!("Bearer {token}"))
                    .send()
                    .await
                    .expect("send")
                    .status()
                    .as_u16()
            });
        }
        tasks
    };
    // The first use: the set is fetched once for all twenty.
    assert_eq!(issuer.jwks_fetches(), 0);
    let statuses = flood("first").join_all().await;
    assert_eq!(statuses, vec![401; 20]);
    assert_eq!(issuer.jwks_fetches(), 1, "one fetch for the first use");
    // The key set is there: a good token needs no fetch.
    let good = issuer.mint(&fed.claims(&issuer, "jack", &[GROUP]));
    assert_eq!(get_org(server, &fed, &good).await.status, 200);
    assert_eq!(issuer.jwks_fetches(), 1);
    // Again, the set loaded: at most one more fetch.
    let before = issuer.jwks_fetches();
    let statuses = flood("again").join_all().await;
    assert_eq!(statuses, vec![401; 20]);
    assert!(
        issuer.jwks_fetches() - before <= 1,
        "{}",
        issuer.jwks_fetches()
    );
    assert_eq!(get_org(server, &fed, &good).await.status, 200);
}

/// A key set that is not a JWKS: refused, never a 500, the error shown in `keySet`.
async fn malformed_jwks(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    server.sync_now().await;
    issuer.set_jwks_behaviour(JwksBehaviour::Malformed);
    let t = issuer.mint(&fed.claims(&issuer, "kate", &[GROUP]));
    assert_refused(&get_org(server, &fed, &t).await, "with a malformed JWKS");
    assert!(issuer.jwks_fetches() >= 1);
    let idp = get_idp(server, &fed).await;
    assert!(
        idp["keySet"]["lastError"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{idp}"
    );
    assert_eq!(idp["keySet"]["keyIds"], json!([]), "{idp}");
    // Repaired: within the 30 s throttle a refusal is acceptable, a 500 is not.
    issuer.set_jwks_behaviour(JwksBehaviour::Normal);
    let a = get_org(server, &fed, &t).await;
    assert!(a.status == 200 || a.status == 401, "{}", a.text);
    let a = exchange(server, &t).await;
    assert!(a.status == 200 || a.status == 400, "{}", a.text);
}

async fn oversized_jwks(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    server.sync_now().await;
    issuer.set_jwks_behaviour(JwksBehaviour::Oversized);
    let t = issuer.mint(&fed.claims(&issuer, "liam", &[GROUP]));
    assert_refused(&get_org(server, &fed, &t).await, "with a 2 MiB JWKS");
    assert_eq!(issuer.jwks_fetches(), 1);
    let idp = get_idp(server, &fed).await;
    assert!(idp["keySet"]["lastError"].is_string(), "{idp}");
}

/// An issuer whose JWKS never answers: refused within the fetch timeout, never a 500.
async fn hanging_issuer(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let fed = setup(server, &issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    server.sync_now().await;
    issuer.set_jwks_behaviour(JwksBehaviour::Hang);
    let t = issuer.mint(&fed.claims(&issuer, "mona", &[GROUP]));
    let started = Instant::now();
    assert_refused(&get_org(server, &fed, &t).await, "with a hanging issuer");
    let took = started.elapsed();
    assert!(took < Duration::from_millis(7500), "took {took:?}");
    assert_eq!(issuer.jwks_fetches(), 1);
    let idp = get_idp(server, &fed).await;
    assert!(idp["keySet"]["lastError"].is_string(), "{idp}");
}

async fn duplicate_issuer_and_audience(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let (_, other_fs) = create_org(server, "dup-other").await;
    let audience = unique_audience("dup");
    let body = |aud: &str| {
        with(
            with(
                workload("dup"),
                "issuerUri",
                json!("https://dup.example.com"),
            ),
            "audience",
            json!(aud),
        )
    };
    let first = create_idp(server, &fs, body(&audience)).await;
    let again = server
        .admin(Method::POST, &idps_path(&fs), Some(body(&audience)))
        .await;
    assert_error(&again, 409, "DUPLICATE_RESOURCE");
    let elsewhere = server
        .admin(Method::POST, &idps_path(&other_fs), Some(body(&audience)))
        .await;
    assert_error(&elsewhere, 409, "DUPLICATE_RESOURCE");
    // Another audience of the same issuer is another provider.
    let second = create_idp(server, &fs, body(&format!("{audience}-2"))).await;
    let path = format!("{}/{second}", idps_path(&fs));
    let a = server
        .admin(Method::PATCH, &path, Some(json!({"audience": audience})))
        .await;
    assert_error(&a, 409, "DUPLICATE_RESOURCE");
    let a = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"description": "still mine"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["audience"], format!("{audience}-2"));
    // Once the first is gone its pair is free.
    let gone = format!("{}/{first}", idps_path(&fs));
    assert_eq!(server.admin(Method::DELETE, &gone, None).await.status, 204);
    create_idp(server, &other_fs, body(&audience)).await;
}

store_tests!(
    group_mapping_grants_the_role,
    user_authorization_matches_the_user_claim,
    es256_rs256_and_at_jwt_tokens_are_accepted,
    workforce_tokens_are_exchanged_not_bearer,
    introspection_of_a_federated_jwt,
    exchange_lifetime_and_subject_token_types,
    exchange_request_errors,
    bad_tokens_are_refused,
    tokens_over_16_kib_are_refused,
    tokens_under_16_kib_work_as_bearer,
    unknown_kid_flood_fetches_once,
    malformed_jwks,
    oversized_jwks,
    hanging_issuer,
    duplicate_issuer_and_audience,
);
