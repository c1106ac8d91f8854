//! Access keys and `SDK-HMAC-SHA256` request signing (issue 9): keys shown once, at most two
//! per user, and every refusal of a signature — wrong, changed body, changed signed header,
//! stale date, inactive, deleted, another domain's. Requests are signed here with the core's
//! signer, whose canonical form is checked against the official SDK's vectors in
//! sigil-core/src/iam/signature_tests.rs and against the SDK itself in tests/clients.

use crate::atlas_support::*;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sigil_core::iam::signature::{canonical_request, sign, string_to_sign, ReceivedRequest};
use sigil_testkit::{store_tests, Answer, StoreKind, TestServer, ADMIN_PASSWORD};

const CREDENTIALS: &str = "/v3.0/OS-CREDENTIAL/credentials";

pub struct Key {
    pub access: String,
    pub secret: String,
}

/// How a signed request is made, and how a test may spoil it after signing.
#[derive(Default)]
pub struct Signing<'a> {
    pub domain: Option<&'a str>,
    /// Seconds added to the clock for `X-Sdk-Date`.
    pub skew: i64,
    pub body: Option<Value>,
    /// Sent instead of the signed body.
    pub sent_body: Option<Value>,
    /// Sent instead of the signed `X-Domain-Id`.
    pub sent_domain: Option<&'a str>,
    /// Replaces the signature's last hex digit.
    pub flip: bool,
}

pub async fn signed(
    server: &TestServer,
    method: Method,
    path_and_query: &str,
    key: &Key,
    how: Signing<'_>,
) -> Answer {
    let host = server.url.trim_start_matches("http://").to_owned();
    let date = (chrono::Utc::now() + chrono::Duration::seconds(how.skew))
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    let body = how.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
    let mut headers = vec![
        ("host".to_owned(), host),
        ("x-sdk-date".to_owned(), date.clone()),
    ];
    if !body.is_empty() {
        headers.push((
            "content-type".to_owned(),
            "application/json;charset=UTF-8".to_owned(),
        ));
    }
    if let Some(d) = how.domain {
        headers.push(("x-domain-id".to_owned(), d.to_owned()));
    }
    headers.sort();
    let names: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
    let (path, query) = path_and_query
        .split_once('?')
        .map_or((path_and_query, None), |(p, q)| (p, Some(q)));
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    let request = ReceivedRequest {
        method: method.as_str(),
        path,
        query,
        headers: &headers,
        body_sha256: &hash,
        body_is_empty: body.is_empty(),
    };
    let canonical = canonical_request(&request, &names).expect("canonical");
    let mut signature = sign(key.secret.as_bytes(), &string_to_sign(&date, &canonical));
    if how.flip {
        let last = if signature.ends_with('0') { "1" } else { "0" };
        signature.pop();
        signature.push_str(last);
    }
    let mut r = server
        .client
        .request(method, format!("{}{path_and_query}", server.url))
        .header("X-Sdk-Date", date)
        .header(
            "Authorization",
            format!(
                "SDK-HMAC-SHA256 Access={}, SignedHeaders={}, Signature={signature}",
                key.access,
                names.join(";")
            ),
        );
    if let Some(d) = how.sent_domain.or(how.domain) {
        r = r.header("X-Domain-Id", d);
    }
    let sent = how
        .sent_body
        .as_ref()
        .map(|b| b.to_string())
        .unwrap_or(body);
    if !sent.is_empty() {
        r = r
            .header("Content-Type", "application/json;charset=UTF-8")
            .body(sent);
    }
    server.send(r).await
}

/// The admin's user id and domain id, from a token's body.
pub async fn admin_ids(server: &TestServer) -> (String, String) {
    let a = password_login(server, password_body("admin", ADMIN_PASSWORD, "default")).await;
    (
        a.body["token"]["user"]["id"].as_str().unwrap().to_owned(),
        a.body["token"]["domain"]["id"].as_str().unwrap().to_owned(),
    )
}

pub async fn create_key(server: &TestServer, token: &str, user: &str) -> Key {
    let a = with_token(
        server,
        Method::POST,
        CREDENTIALS,
        token,
        Some(json!({"credential": {"user_id": user, "description": "test"}})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    Key {
        access: a.body["credential"]["access"].as_str().unwrap().to_owned(),
        secret: a.body["credential"]["secret"].as_str().unwrap().to_owned(),
    }
}

async fn keys_are_shown_once_and_two_per_user(server: &TestServer) {
    let token = admin_token(server).await;
    let (user, _) = admin_ids(server).await;
    let a = with_token(
        server,
        Method::POST,
        CREDENTIALS,
        &token,
        Some(json!({"credential": {"user_id": user, "description": "ci"}})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let c = &a.body["credential"];
    let access = c["access"].as_str().unwrap().to_owned();
    let secret = c["secret"].as_str().unwrap().to_owned();
    assert!(access.starts_with("SGAK") && access.len() == 20, "{access}");
    assert!(secret.starts_with("SGSK") && secret.len() >= 40, "{secret}");
    assert_eq!(c["status"], "active");
    assert_eq!(c["user_id"], user);
    assert_eq!(c["description"], "ci");
    assert!(c["create_time"].as_str().is_some_and(|t| t.ends_with('Z')));

    let shown = with_token(
        server,
        Method::GET,
        &format!("{CREDENTIALS}/{access}"),
        &token,
        None,
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(!shown.text.contains(&secret), "never shown again");
    let listed = with_token(
        server,
        Method::GET,
        &format!("{CREDENTIALS}?user_id={user}"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        listed.body["credentials"][0]["access"], access,
        "{}",
        listed.text
    );
    assert!(!listed.text.contains(&secret));
    let (org, _) = server.default_org().await;
    let events = events(server, &org).await;
    assert!(
        !serde_json::to_string(&events).unwrap().contains(&secret),
        "not in the audit trail"
    );

    create_key(server, &token, &user).await;
    let third = with_token(
        server,
        Method::POST,
        CREDENTIALS,
        &token,
        Some(json!({"credential": {"user_id": user}})),
    )
    .await;
    assert_iam(&third, 409, "IAM.0009");

    for (body, field) in [
        (json!({"credential": {}}), "user_id"),
        (json!({"credential": {"user_id": "nope"}}), "user_id"),
        (
            json!({"credential": {"user_id": user, "description": "d".repeat(256)}}),
            "description",
        ),
        (
            json!({"credential": {"user_id": user, "status": "inactive"}}),
            "status",
        ),
        (
            json!({"credential": {"user_id": user, "extra": 1}}),
            "extra",
        ),
    ] {
        assert_invalid(
            &with_token(server, Method::POST, CREDENTIALS, &token, Some(body)).await,
            field,
        );
    }
    let bad_status = with_token(
        server,
        Method::PUT,
        &format!("{CREDENTIALS}/{access}"),
        &token,
        Some(json!({"credential": {"status": "paused"}})),
    )
    .await;
    assert_invalid(&bad_status, "status");
    assert_iam(
        &with_token(
            server,
            Method::GET,
            &format!("{CREDENTIALS}/SGAKNOSUCHKEY0000000"),
            &token,
            None,
        )
        .await,
        404,
        "IAM.0004",
    );
    assert_iam(
        &server.anonymous(Method::GET, CREDENTIALS, None).await,
        401,
        "IAM.0007",
    );
}

async fn a_signed_request_authenticates_on_every_face(server: &TestServer) {
    let token = admin_token(server).await;
    let (user, domain) = admin_ids(server).await;
    let key = create_key(server, &token, &user).await;
    let how = || Signing {
        domain: Some(&domain),
        ..Default::default()
    };
    let listed = signed(
        server,
        Method::GET,
        &format!("{CREDENTIALS}?user_id={user}"),
        &key,
        how(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let idps = signed(server, Method::GET, IDP_V3, &key, how()).await;
    assert_eq!(idps.status, 200, "{}", idps.text);
    let org = signed(
        server,
        Method::GET,
        &format!("{V2}/orgs/{domain}"),
        &key,
        how(),
    )
    .await;
    assert_eq!(org.status, 200, "the Atlas face too: {}", org.text);
    let created = signed(
        server,
        Method::POST,
        &format!("{IDP_V30}/signed-idp"),
        &key,
        Signing {
            body: Some(json!({"identity_provider": {"description": "by a signed request"}})),
            ..how()
        },
    )
    .await;
    assert_eq!(created.status, 201, "a body: {}", created.text);
    let no_domain = signed(server, Method::GET, IDP_V3, &key, Signing::default()).await;
    assert_eq!(
        no_domain.status, 200,
        "X-Domain-Id is optional: {}",
        no_domain.text
    );
}

async fn every_spoiled_signature_is_refused(server: &TestServer) {
    let token = admin_token(server).await;
    let (user, domain) = admin_ids(server).await;
    let key = create_key(server, &token, &user).await;
    let body = json!({"identity_provider": {"description": "x"}});
    let path = format!("{IDP_V30}/spoiled");
    for (what, how) in [
        (
            "a wrong signature",
            Signing {
                flip: true,
                ..Default::default()
            },
        ),
        (
            "a changed body",
            Signing {
                body: Some(body.clone()),
                sent_body: Some(json!({"identity_provider": {"description": "y"}})),
                ..Default::default()
            },
        ),
        (
            "a changed signed header",
            Signing {
                domain: Some(&domain),
                sent_domain: Some("0123456789abcdef01234567"),
                ..Default::default()
            },
        ),
        (
            "a date 16 minutes old",
            Signing {
                skew: -16 * 60,
                ..Default::default()
            },
        ),
        (
            "a date 16 minutes ahead",
            Signing {
                skew: 16 * 60,
                ..Default::default()
            },
        ),
    ] {
        let a = signed(
            server,
            Method::POST,
            &path,
            &key,
            Signing {
                body: how.body.clone().or(Some(body.clone())),
                ..how
            },
        )
        .await;
        assert_iam(&a, 401, "IAM.0007");
        assert!(a.status == 401, "{what}");
    }
    let within = signed(
        server,
        Method::GET,
        IDP_V3,
        &key,
        Signing {
            skew: -14 * 60,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        within.status, 200,
        "14 minutes is within the window: {}",
        within.text
    );
    let unknown = Key {
        access: "SGAKNOSUCHKEY0000000".into(),
        secret: key.secret.clone(),
    };
    assert_keystone(
        &signed(server, Method::GET, IDP_V3, &unknown, Signing::default()).await,
        401,
    );
    let wrong_secret = Key {
        access: key.access.clone(),
        secret: "SGSKnot-the-secret".into(),
    };
    assert_keystone(
        &signed(
            server,
            Method::GET,
            IDP_V3,
            &wrong_secret,
            Signing::default(),
        )
        .await,
        401,
    );
}

async fn inactive_and_deleted_keys_are_refused_at_once(server: &TestServer) {
    let token = admin_token(server).await;
    let (user, _) = admin_ids(server).await;
    let key = create_key(server, &token, &user).await;
    let path = format!("{CREDENTIALS}/{}", key.access);
    assert_eq!(
        signed(server, Method::GET, IDP_V3, &key, Signing::default())
            .await
            .status,
        200
    );
    let off = with_token(
        server,
        Method::PUT,
        &path,
        &token,
        Some(json!({"credential": {"status": "inactive", "description": "paused"}})),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body["credential"]["status"], "inactive");
    assert_eq!(off.body["credential"]["description"], "paused");
    assert_keystone(
        &signed(server, Method::GET, IDP_V3, &key, Signing::default()).await,
        401,
    );
    let on = with_token(
        server,
        Method::PUT,
        &path,
        &token,
        Some(json!({"credential": {"status": "active"}})),
    )
    .await;
    assert_eq!(on.status, 200, "{}", on.text);
    assert_eq!(
        signed(server, Method::GET, IDP_V3, &key, Signing::default())
            .await
            .status,
        200
    );
    let deleted = with_token(server, Method::DELETE, &path, &token, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_keystone(
        &signed(server, Method::GET, IDP_V3, &key, Signing::default()).await,
        401,
    );
    assert_iam(
        &with_token(server, Method::DELETE, &path, &token, None).await,
        404,
        "IAM.0004",
    );
}

/// A key speaks for its own domain: with another domain's X-Domain-Id it is refused, and it
/// carries no role outside its domain.
async fn a_key_of_another_domain_is_refused(server: &TestServer) {
    let (other, _) = create_org(server, "elsewhere").await;
    let token = admin_token_for(server, "elsewhere").await;
    let (user, default_domain) = admin_ids(server).await;
    let key = create_key(server, &token, &user).await;
    let wrong = signed(
        server,
        Method::GET,
        IDP_V3,
        &key,
        Signing {
            domain: Some(&default_domain),
            ..Default::default()
        },
    )
    .await;
    assert_keystone(&wrong, 401);
    let right = signed(
        server,
        Method::GET,
        IDP_V3,
        &key,
        Signing {
            domain: Some(&other),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(right.status, 200, "{}", right.text);
}

/// Only the user itself, or the ORG_OWNER of the domain, manages a user's keys.
async fn only_the_user_or_the_domains_owner_manages_keys(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let admin = admin_token(server).await;
    let (admin_user, _) = admin_ids(server).await;
    let member = crate::credentials_support::create_sa(server, &org, &["ORG_MEMBER"]).await;
    let member_token =
        crate::credentials_support::token(server, &member.client_id, &member.secret).await;
    let key = create_key(server, &admin, &admin_user).await;
    let a = with_token(
        server,
        Method::POST,
        CREDENTIALS,
        &member_token,
        Some(json!({"credential": {"user_id": admin_user}})),
    )
    .await;
    assert_iam(&a, 403, "IAM.0003");
    let a = with_token(
        server,
        Method::DELETE,
        &format!("{CREDENTIALS}/{}", key.access),
        &member_token,
        None,
    )
    .await;
    assert_iam(&a, 403, "IAM.0003");
}

store_tests!(
    keys_are_shown_once_and_two_per_user,
    a_signed_request_authenticates_on_every_face,
    every_spoiled_signature_is_refused,
    inactive_and_deleted_keys_are_refused_at_once,
    a_key_of_another_domain_is_refused,
    only_the_user_or_the_domains_owner_manages_keys,
);

/// Two nodes on one PostgreSQL database: a key deleted on node A is refused by node B, which
/// had it in memory, once B applies the change log (how soon it does is `multi_node`'s test).
#[tokio::test]
async fn a_deleted_key_is_refused_on_every_node() {
    let Some(a) = TestServer::start(StoreKind::Postgres).await else {
        return;
    };
    let b = a.second_node().await;
    let token = admin_token(&a).await;
    let (user, _) = admin_ids(&a).await;
    let key = create_key(&a, &token, &user).await;
    assert_eq!(
        signed(&b, Method::GET, IDP_V3, &key, Signing::default())
            .await
            .status,
        200
    );
    let deleted = with_token(
        &a,
        Method::DELETE,
        &format!("{CREDENTIALS}/{}", key.access),
        &token,
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    b.sync_now().await;
    let answer = signed(&b, Method::GET, IDP_V3, &key, Signing::default()).await;
    assert_keystone(&answer, 401);
}
