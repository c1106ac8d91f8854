//! Authentication of every request (spec 00 "Authentication"): the Digest challenge byte for
//! byte, Digest (RFC 7616) and Basic (RFC 7617) success and failure, the audit of failures,
//! malformed headers, and the per-address limit on failures.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::header::HeaderValue;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::digest::authorization;
use sigil_testkit::{store_tests, Answer, TestServer, ADMIN_PASSWORD};

const ORGS: &str = "/api/atlas/v2/orgs";

/// The challenge, exactly as the Go digest client of the Atlas CLI and SDK needs it.
const CHALLENGE_HEAD: &str = r#"Digest realm="MMS Public API", domain="", nonce=""#;
const CHALLENGE_TAIL: &str = r#"", algorithm=MD5, qop="auth", stale=false"#;

/// A request with no credentials: answered 401 with a challenge, which is returned.
async fn challenge(server: &TestServer) -> String {
    let a = server.anonymous(Method::GET, ORGS, None).await;
    assert_eq!(a.status, 401, "{}", a.text);
    a.header("www-authenticate")
        .expect("a challenge")
        .to_owned()
}

/// The nonce of a well-formed challenge.
fn nonce_of(challenge: &str) -> &str {
    challenge
        .strip_prefix(CHALLENGE_HEAD)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("not a Sigil challenge: {challenge}"))
}

/// `GET path` with this exact `Authorization` header.
async fn get_with(server: &TestServer, path: &str, authorization: &str) -> Answer {
    server
        .send(
            server
                .client
                .get(format!("{}{path}", server.url))
                .header("authorization", authorization),
        )
        .await
}

/// A full Digest exchange (challenge, then answer) as `user`.
async fn digest(
    server: &TestServer,
    method: Method,
    path: &str,
    user: &str,
    password: &str,
    algorithm: &str,
    body: Option<Value>,
) -> Answer {
    let url = format!("{}{path}", server.url);
    sigil_testkit::digest::send(
        &server.client,
        method,
        &url,
        user,
        password,
        algorithm,
        body,
    )
    .await
}

/// A 401 in the Atlas format, with a fresh challenge that does not say `stale=true`.
#[track_caller]
fn assert_refused(a: &Answer) {
    assert_eq!(a.status, 401, "{}", a.text);
    assert_eq!(a.body["errorCode"], "NOT_AUTHENTICATED", "{}", a.text);
    assert_eq!(a.body["error"], 401, "{}", a.text);
    let c = a.header("www-authenticate").expect("a challenge");
    assert!(
        c.starts_with(CHALLENGE_HEAD) && c.ends_with(CHALLENGE_TAIL),
        "{c}"
    );
}

/// Any 4xx but a rate limit, in the Atlas error format.
#[track_caller]
fn assert_atlas_4xx(what: &str, a: &Answer) {
    let status = a.status.as_u16();
    assert!((400..500).contains(&status), "{what}: {status} {}", a.text);
    assert_ne!(status, 429, "{what}: rate limited too early");
    assert_eq!(a.body["error"], status, "{what}: {}", a.text);
    assert!(a.body["errorCode"].is_string(), "{what}: {}", a.text);
    assert!(a.body["detail"].is_string(), "{what}: {}", a.text);
    assert!(
        a.header("content-type")
            .is_some_and(|c| c.starts_with("application/vnd.atlas.")),
        "{what}: content type {:?}",
        a.header("content-type")
    );
}

async fn the_challenge_is_byte_exact(server: &TestServer) {
    let a = server.anonymous(Method::GET, ORGS, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.body["errorCode"], "NOT_AUTHENTICATED");
    assert_eq!(a.headers.get_all("www-authenticate").iter().count(), 1);
    let c = a.header("www-authenticate").expect("a challenge");
    let nonce = nonce_of(c);
    assert_eq!(
        c,
        format!("{CHALLENGE_HEAD}{nonce}{CHALLENGE_TAIL}"),
        "byte for byte"
    );
    assert!(
        !nonce.is_empty()
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "a nonce needs no quoting: {nonce}"
    );
    // The Go client splits on ", " and refuses keys it does not know.
    let keys: Vec<&str> = c["Digest ".len()..]
        .split(", ")
        .map(|part| part.split_once('=').map_or(part, |(k, _)| k))
        .collect();
    assert_eq!(
        keys,
        ["realm", "domain", "nonce", "algorithm", "qop", "stale"]
    );
    // Every challenge carries a nonce of its own, on every route of the face.
    let again = challenge(server).await;
    assert_ne!(nonce_of(&again), nonce);
    let (_, fs) = server.default_org().await;
    let post = server
        .anonymous(
            Method::POST,
            &format!("/api/atlas/v2/federationSettings/{fs}/identityProviders"),
            Some(json!({})),
        )
        .await;
    assert_refused(&post);
}

async fn digest_md5_and_sha256_succeed(server: &TestServer) {
    for algorithm in ["MD5", "SHA-256"] {
        // The query string is part of the digested `uri` (RFC 7616 §3.4).
        let a = digest(
            server,
            Method::GET,
            &format!("{ORGS}?pretty=true&itemsPerPage=5"),
            "admin",
            ADMIN_PASSWORD,
            algorithm,
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{algorithm}: {}", a.text);
        assert_eq!(a.body["results"][0]["name"], "default", "{algorithm}");
    }
    // A request with a body, answered with Digest.
    let (org, fs) = server.default_org().await;
    let created = digest(
        server,
        Method::POST,
        &format!("/api/atlas/v2/federationSettings/{fs}/identityProviders"),
        "admin",
        ADMIN_PASSWORD,
        "SHA-256",
        Some(json!({
            "protocol": "OIDC",
            "idpType": "WORKLOAD",
            "displayName": "digest-made",
            "issuerUri": "https://issuer.example.com",
            "audience": "sigil",
            "authorizationType": "GROUP",
        })),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let events = server
        .admin(Method::GET, &format!("{ORGS}/{org}/events"), None)
        .await;
    let newest = &events.body["results"][0];
    assert_eq!(newest["eventTypeName"], "IDENTITY_PROVIDER_CREATED");
    assert_eq!(newest["principal"], "default_native:admin", "{newest}");
}

async fn a_wrong_password_is_refused_and_audited(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let wrong_digest = digest(
        server,
        Method::GET,
        ORGS,
        "admin",
        "wrong-digest-pw",
        "MD5",
        None,
    )
    .await;
    assert_refused(&wrong_digest);
    let wrong_basic = server
        .request(Method::GET, ORGS, None, Some(("admin", "wrong-basic-pw")))
        .await;
    assert_refused(&wrong_basic);
    let unknown = digest(
        server,
        Method::GET,
        ORGS,
        "nobody",
        ADMIN_PASSWORD,
        "SHA-256",
        None,
    )
    .await;
    assert_refused(&unknown);

    let events = server
        .admin(Method::GET, &format!("{ORGS}/{org}/events"), None)
        .await;
    assert_eq!(events.status, 200, "{}", events.text);
    let failures: Vec<&Value> = events.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|e| e["eventTypeName"] == "AUTHENTICATION_FAILED")
        .collect();
    let principals: Vec<&Value> = failures.iter().map(|e| &e["principal"]).collect();
    assert_eq!(
        principals,
        [&json!("nobody"), &json!("admin"), &json!("admin")],
        "newest first: {}",
        events.text
    );
    for e in &failures {
        assert_eq!(e["outcome"], "FAILURE", "{e}");
        assert_eq!(e["remoteAddress"], "127.0.0.1", "{e}");
    }
    assert!(
        !events.text.contains("wrong-digest-pw") && !events.text.contains("wrong-basic-pw"),
        "a tried password is never in the audit trail: {}",
        events.text
    );
}

async fn a_replayed_nonce_count_is_refused(server: &TestServer) {
    let c = challenge(server).await;
    let first = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
    assert_eq!(get_with(server, ORGS, &first).await.status, 200);
    assert_refused(&get_with(server, ORGS, &first).await);
    // The same nonce with a higher count is a new request (RFC 7616 §3.4).
    let second = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 2);
    assert_eq!(get_with(server, ORGS, &second).await.status, 200);
    // An old count with a new cnonce is still a replay of the count.
    let old = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
    assert_refused(&get_with(server, ORGS, &old).await);
}

async fn the_response_is_bound_to_uri_and_method(server: &TestServer) {
    let c = challenge(server).await;
    let other_path = authorization(
        &c,
        &Method::GET,
        "/api/atlas/v2/orgs/0123456789abcdef01234567",
        "admin",
        ADMIN_PASSWORD,
        "MD5",
        1,
    );
    assert_refused(&get_with(server, ORGS, &other_path).await);
    let without_query = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
    assert_refused(&get_with(server, &format!("{ORGS}?pretty=true"), &without_query).await);
    let other_method = authorization(&c, &Method::POST, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
    assert_refused(&get_with(server, ORGS, &other_method).await);
    // The nonce itself was good: the same answer for the right request passes.
    let right = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
    assert_eq!(get_with(server, ORGS, &right).await.status, 200);
}

async fn forged_and_foreign_nonces_are_refused_not_stale(server: &TestServer) {
    let real = challenge(server).await;
    let nonce = nonce_of(&real).to_owned();
    // The shape of a real nonce, not minted here.
    let forged = URL_SAFE_NO_PAD.encode(forged_nonce_bytes());
    assert_eq!(forged.len(), nonce.len());
    // A real nonce with its minting time moved forward by one second.
    let mut raw = URL_SAFE_NO_PAD.decode(&nonce).expect("base64url nonce");
    raw[7] = raw[7].wrapping_add(1);
    let tampered = URL_SAFE_NO_PAD.encode(raw);
    for (what, fake) in [("forged", forged), ("tampered", tampered)] {
        let c = real.replace(&nonce, &fake);
        let auth = authorization(&c, &Method::GET, ORGS, "admin", ADMIN_PASSWORD, "MD5", 1);
        let a = get_with(server, ORGS, &auth).await;
        assert_refused(&a);
        assert!(
            a.header("www-authenticate")
                .is_some_and(|h| h.ends_with("stale=false")),
            "{what}"
        );
    }
    // A nonce minted by another Sigil (another master key) is not ours either.
    let other = TestServer::sqlite().await;
    let foreign = challenge(&other).await;
    let auth = authorization(
        &foreign,
        &Method::GET,
        ORGS,
        "admin",
        ADMIN_PASSWORD,
        "MD5",
        1,
    );
    assert_refused(&get_with(server, ORGS, &auth).await);
    assert_eq!(get_with(&other, ORGS, &auth).await.status, 200);
}

/// 32 bytes, like a real nonce (time, random, MAC), that no Sigil minted.
fn forged_nonce_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    bytes
}

async fn basic_success_and_failure(server: &TestServer) {
    let ok = server.admin(Method::GET, ORGS, None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["results"][0]["name"], "default");
    // The scheme is case-insensitive (RFC 7235 §2.1).
    let lower = format!(
        "basic {}",
        STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"))
    );
    assert_eq!(get_with(server, ORGS, &lower).await.status, 200);
    assert_refused(
        &server
            .request(Method::GET, ORGS, None, Some(("admin", "not-the-password")))
            .await,
    );
    assert_refused(
        &server
            .request(Method::GET, ORGS, None, Some(("nobody", ADMIN_PASSWORD)))
            .await,
    );
    // The password is everything after the first colon, not a prefix of it.
    assert_refused(
        &server
            .request(
                Method::GET,
                ORGS,
                None,
                Some(("admin", &format!("{ADMIN_PASSWORD}:more"))),
            )
            .await,
    );
}

async fn malformed_authorization_headers_are_4xx_never_500(server: &TestServer) {
    let huge = "A".repeat(10 * 1024);
    let text_cases = [
        ("bad base64", "Basic !!!not-base64!!!".to_owned()),
        ("no colon", format!("Basic {}", STANDARD.encode("admin"))),
        ("bare Basic", "Basic".to_owned()),
        ("bare Digest", "Digest".to_owned()),
        ("Digest garbage", "Digest garbage".to_owned()),
        (
            "unterminated quote",
            r#"Digest username="admin, realm="MMS Public API"#.to_owned(),
        ),
        (
            "Digest of 5 KB",
            format!(r#"Digest username="{}""#, "a".repeat(5000)),
        ),
        ("unknown scheme", "Negotiate YII=".to_owned()),
        ("10 KB Basic", format!("Basic {huge}")),
        (
            "10 KB Digest",
            format!(r#"Digest username="admin", nonce="{huge}""#),
        ),
    ];
    // Each from its own address: long credentials now reach verification (the Authorization
    // header may carry a 16 KiB JWT) and count as failures of their address.
    for (what, value) in &text_cases {
        let request = crate::federation_support::fresh_client()
            .get(format!("{}{ORGS}", server.url))
            .header("authorization", value);
        assert_atlas_4xx(what, &server.send(request).await);
    }
    let binary = HeaderValue::from_bytes(b"Basic \xff\xfe").expect("obs-text is a valid value");
    let a = server
        .send(
            server
                .client
                .get(format!("{}{ORGS}", server.url))
                .header("authorization", binary),
        )
        .await;
    assert_atlas_4xx("non-ASCII header", &a);
    // The server is still well afterwards.
    assert_eq!(server.admin(Method::GET, ORGS, None).await.status, 200);
}

async fn ten_failures_then_429_even_with_the_right_password(server: &TestServer) {
    let wrong = || digest(server, Method::GET, ORGS, "admin", "guess", "MD5", None);
    for _ in 0..9 {
        assert_refused(&wrong().await);
    }
    // Nine failures are not yet the limit.
    assert_eq!(server.admin(Method::GET, ORGS, None).await.status, 200);
    assert_refused(&wrong().await);

    let limited = server.admin(Method::GET, ORGS, None).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert_eq!(limited.body["errorCode"], "RATE_LIMITED");
    assert_eq!(limited.body["error"], 429);
    let retry = limited
        .header("retry-after")
        .and_then(|r| r.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s >= 1), "{:?}", limited.headers);
    let limited_digest = digest(
        server,
        Method::GET,
        ORGS,
        "admin",
        ADMIN_PASSWORD,
        "SHA-256",
        None,
    )
    .await;
    assert_eq!(limited_digest.status, 429, "{}", limited_digest.text);
    // The challenge itself stays cheap and unlimited: Digest clients always ask for it first.
    assert!(challenge(server).await.starts_with(CHALLENGE_HEAD));

    // Another address is not affected (all of 127.0.0.0/8 is loopback on Linux).
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let a = server
        .send(
            elsewhere
                .get(format!("{}{ORGS}", server.url))
                .basic_auth("admin", Some(ADMIN_PASSWORD)),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

async fn concurrent_guesses_cannot_outrun_the_limit(server: &TestServer) {
    // Thirty wrong passwords at once: the limit counts attempts in flight, not only the
    // failures already finished, or a parallel guesser gets far more than ten tries.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..30 {
        let request = server
            .client
            .get(format!("{}{ORGS}", server.url))
            .basic_auth("admin", Some(format!("guess-{i}")));
        guesses.spawn(async move { request.send().await.expect("send").status().as_u16() });
    }
    let mut statuses = vec![];
    while let Some(status) = guesses.join_next().await {
        statuses.push(status.expect("a guess"));
    }
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused + limited, 30, "{statuses:?}");
    // Ten, plus at most one token refilled (one per 5 s) while the test runs.
    assert!(
        (10..=11).contains(&refused),
        "{refused} guesses were checked: {statuses:?}"
    );
}

store_tests!(
    the_challenge_is_byte_exact,
    digest_md5_and_sha256_succeed,
    a_wrong_password_is_refused_and_audited,
    a_replayed_nonce_count_is_refused,
    the_response_is_bound_to_uri_and_method,
    forged_and_foreign_nonces_are_refused_not_stale,
    basic_success_and_failure,
    malformed_authorization_headers_are_4xx_never_500,
    ten_failures_then_429_even_with_the_right_password,
    concurrent_guesses_cannot_outrun_the_limit,
);
