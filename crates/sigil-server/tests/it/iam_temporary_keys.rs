//! Federated programmatic access on the IAM face, end to end (Huawei Cloud IAM): an ID-token
//! login without a scope (an unscoped token, which acts nowhere), the token method of
//! `POST /v3/auth/tokens`, and `POST /v3.0/OS-CREDENTIAL/securitytokens` — temporary access
//! keys whose requests carry their security token (signed), act with the identity's roles as
//! they are at each request, expire on time and never outlive their token. Every refusal on
//! both stores, and on two nodes.

use crate::atlas_support::*;
use crate::federation_support::fresh_client;
use crate::iam_access_keys::{admin_ids, create_key, Key};
use crate::iam_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sigil_core::iam::signature::{canonical_request, sign, string_to_sign, ReceivedRequest};
use sigil_testkit::issuer::{FakeIssuer, KeyAlg};
use sigil_testkit::{store_tests, Answer, StoreKind, TestServer};

pub const SECURITY_TOKENS: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
const CLIENT: &str = "sigil-workload";

/// A temporary access key as `securitytokens` answers it.
#[derive(Debug, Clone)]
pub struct TemporaryKey {
    pub access: String,
    pub secret: String,
    pub security_token: String,
    pub expires_at: String,
}

/// How a request with a temporary key is signed and sent.
#[derive(Clone, Copy)]
pub struct Sending<'a> {
    /// The security token sent (and signed, when `sign_token`); `None`: no header.
    pub security_token: Option<&'a str>,
    pub sign_token: bool,
    pub domain: Option<&'a str>,
}

/// `GET path`, signed with `access`/`secret` as the Go SDK signs (no `host`), the date by the
/// server's clock.
pub async fn get_signed_with(
    server: &TestServer,
    path: &str,
    access: &str,
    secret: &str,
    how: Sending<'_>,
) -> Answer {
    let date = server.now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        (
            "user-agent".to_owned(),
            "huaweicloud-usdk-go/3.0".to_owned(),
        ),
        ("x-sdk-date".to_owned(), date.clone()),
    ];
    if let Some(d) = how.domain {
        headers.push(("x-domain-id".to_owned(), d.to_owned()));
    }
    if let (Some(t), true) = (how.security_token, how.sign_token) {
        headers.push(("x-security-token".to_owned(), t.to_owned()));
    }
    headers.sort();
    let names: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
    let empty = hex::encode(Sha256::digest(b""));
    let request = ReceivedRequest {
        method: "GET",
        path,
        query: None,
        headers: &headers,
        body_sha256: &empty,
        body_is_empty: true,
    };
    let canonical = canonical_request(&request, &names).expect("canonical");
    let signature = sign(secret.as_bytes(), &string_to_sign(&date, &canonical));
    let mut r = fresh_client()
        .get(format!("{}{path}", server.url))
        .header("User-Agent", "huaweicloud-usdk-go/3.0")
        .header("X-Sdk-Date", date)
        .header(
            "Authorization",
            format!(
                "SDK-HMAC-SHA256 Access={access}, SignedHeaders={}, Signature={signature}",
                names.join(";")
            ),
        );
    if let Some(d) = how.domain {
        r = r.header("X-Domain-Id", d);
    }
    if let Some(t) = how.security_token {
        r = r.header("X-Security-Token", t);
    }
    server.send(r).await
}

/// `GET path` signed with the temporary key, its security token sent and signed.
pub async fn get_with(server: &TestServer, path: &str, key: &TemporaryKey) -> Answer {
    get_signed_with(
        server,
        path,
        &key.access,
        &key.secret,
        Sending {
            security_token: Some(&key.security_token),
            sign_token: true,
            domain: None,
        },
    )
    .await
}

/// A provider of `issuer` (program mode, its keys pinned), its own group mapped to ORG_OWNER
/// of `default`.
pub struct Provider {
    pub name: String,
    /// Its `client_id`, the ID tokens' audience (issuer and audience name one provider).
    pub client: String,
    pub group: String,
    pub mapping_id: String,
}

pub async fn provider(server: &TestServer, admin: &str, issuer: &FakeIssuer) -> Provider {
    let name = format!("tmp-{}", &unique_audience("x")[2..]);
    let client = unique_audience(CLIENT);
    create_provider(server, admin, &name).await;
    let c = with_token(
        server,
        Method::POST,
        &oidc_config_path(&name),
        admin,
        Some(program_config(issuer, &client)),
    )
    .await;
    assert_eq!(c.status, 201, "{}", c.text);
    let group = format!("g-{name}");
    let (org, fs) = server.default_org().await;
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping(&group, &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    Provider {
        name,
        client,
        group,
        mapping_id: m.body["id"].as_str().unwrap().to_owned(),
    }
}

/// `POST /v3.0/OS-AUTH/id-token/tokens` without a scope, as the SDKs' workload-identity
/// credentials send it.
pub async fn unscoped_login(server: &TestServer, idp: &str, id_token: &str) -> Answer {
    server
        .send(
            fresh_client()
                .post(format!("{}{ID_TOKENS}", server.url))
                .header("X-Idp-Id", idp)
                .json(&json!({"auth": {"id_token": {"id": id_token}}})),
        )
        .await
}

pub async fn unscoped_token(server: &TestServer, p: &Provider, issuer: &FakeIssuer) -> String {
    let id_token = issuer.mint(&issuer.claims("wanda", &p.client, &[&p.group]));
    let a = unscoped_login(server, &p.name, &id_token).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.header("x-subject-token").unwrap().to_owned()
}

pub async fn security_tokens(server: &TestServer, body: Value, auth_token: Option<&str>) -> Answer {
    let mut r = fresh_client()
        .post(format!("{}{SECURITY_TOKENS}", server.url))
        .json(&body);
    if let Some(t) = auth_token {
        r = r.header("X-Auth-Token", t);
    }
    server.send(r).await
}

pub fn token_body(token: &str, duration: Option<i64>) -> Value {
    let mut t = json!({"id": token});
    if let Some(d) = duration {
        t["duration_seconds"] = json!(d);
    }
    json!({"auth": {"identity": {"methods": ["token"], "token": t}}})
}

pub fn temporary_key(a: &Answer) -> TemporaryKey {
    assert_eq!(a.status, 201, "{}", a.text);
    let c = &a.body["credential"];
    let text = |f: &str| {
        c[f].as_str()
            .unwrap_or_else(|| panic!("{f}: {}", a.text))
            .to_owned()
    };
    TemporaryKey {
        access: text("access"),
        secret: text("secret"),
        security_token: text("securitytoken"),
        expires_at: text("expires_at"),
    }
}

/// The whole chain for a fresh provider: its unscoped token and a temporary key of it.
async fn chain(server: &TestServer, issuer: &FakeIssuer) -> (Provider, String, TemporaryKey) {
    let admin = admin_token(server).await;
    let p = provider(server, &admin, issuer).await;
    let unscoped = unscoped_token(server, &p, issuer).await;
    let key = temporary_key(&security_tokens(server, token_body(&unscoped, Some(900)), None).await);
    (p, unscoped, key)
}

fn seconds(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .unwrap_or_else(|e| panic!("{time}: {e}"))
        .timestamp()
}

async fn the_whole_chain_and_what_an_unscoped_token_cannot_do(server: &TestServer) {
    let issuer = FakeIssuer::start_with(KeyAlg::Rs256).await;
    let admin = admin_token(server).await;
    let p = provider(server, &admin, &issuer).await;
    let id_token = issuer.mint(&issuer.claims("wanda", &p.client, &[&p.group]));

    // 1. The unscoped login: no domain, no roles; X-Request-Id (the Go SDK needs it).
    let a = unscoped_login(server, &p.name, &id_token).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert!(a.header("x-request-id").is_some_and(|v| !v.is_empty()));
    let t = &a.body["token"];
    assert_eq!(t["methods"], json!(["mapped"]));
    assert_eq!(t["user"]["name"], "wanda");
    assert!(t.get("domain").is_none() && t.get("roles").is_none(), "{t}");
    assert!(t["expires_at"].is_string());
    let unscoped = a.header("x-subject-token").unwrap().to_owned();
    // It acts nowhere: not as X-Auth-Token, not as a Bearer, on no face.
    assert_keystone(
        &with_token(server, Method::GET, IDP_V3, &unscoped, None).await,
        401,
    );
    let (org, _) = server.default_org().await;
    let bearer = crate::federation_support::bearer_at(
        server,
        Method::GET,
        &format!("{V2}/orgs/{org}"),
        &unscoped,
    )
    .await;
    assert_eq!(bearer.status, 401, "{}", bearer.text);
    // A name that is not the provider's, or an ID token of another key: refused.
    assert_iam(
        &unscoped_login(server, "someone-else", &id_token).await,
        401,
        "IAM.0007",
    );
    let foreign = FakeIssuer::start().await;
    let forged = foreign.mint(&issuer.claims("wanda", &p.client, &[&p.group]));
    assert_iam(
        &unscoped_login(server, &p.name, &forged).await,
        401,
        "IAM.0007",
    );

    // 2. The token method: the unscoped token for one scoped to `default`, expiring with it.
    let body = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}},
        "scope": {"domain": {"name": "default"}}}});
    let scoped = server.anonymous(Method::POST, TOKENS, Some(body)).await;
    assert_eq!(scoped.status, 201, "{}", scoped.text);
    let s = &scoped.body["token"];
    assert_eq!(s["methods"], json!(["token"]));
    assert_eq!(s["domain"]["name"], "default");
    assert_eq!(
        s["roles"],
        json!([{"id": "ORG_OWNER", "name": "ORG_OWNER"}])
    );
    assert_eq!(
        s["user"]["OS-FEDERATION"]["identity_provider"]["id"],
        p.name
    );
    assert!(
        seconds(s["expires_at"].as_str().unwrap()) <= seconds(t["expires_at"].as_str().unwrap())
    );
    let scoped_token = scoped.header("x-subject-token").unwrap().to_owned();
    let listed = with_token(server, Method::GET, IDP_V3, &scoped_token, None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    // Another domain, where the identity holds no role: refused; so is a scope-less exchange.
    let (_, _) = create_org(server, "tmp-other-domain").await;
    let elsewhere = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}},
        "scope": {"domain": {"name": "tmp-other-domain"}}}});
    assert_keystone(
        &server
            .anonymous(Method::POST, TOKENS, Some(elsewhere))
            .await,
        401,
    );
    let scopeless =
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}}}});
    let a = server
        .anonymous(Method::POST, TOKENS, Some(scopeless))
        .await;
    assert_keystone(&a, 400);
    assert!(a.text.contains("auth.scope.domain"), "{}", a.text);

    // 3. A temporary key for the unscoped token (in the body), then for the scoped one (in
    // X-Auth-Token): each reads the configuration, signed as the Go SDK signs.
    let key =
        temporary_key(&security_tokens(server, token_body(&unscoped, Some(3600)), None).await);
    assert!(key.access.starts_with("SGTA") && key.secret.starts_with("SGTS"));
    assert!(key.security_token.starts_with("SGST"));
    // Never past the token: the ID token lives 600 s.
    assert!(seconds(&key.expires_at) <= seconds(t["expires_at"].as_str().unwrap()));
    let shown = get_with(server, &oidc_config_path(&p.name), &key).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["openid_connect_config"]["client_id"], p.client);
    let (_, domain) = admin_ids(server).await;
    let in_domain = get_signed_with(
        server,
        &oidc_config_path(&p.name),
        &key.access,
        &key.secret,
        Sending {
            security_token: Some(&key.security_token),
            sign_token: true,
            domain: Some(&domain),
        },
    )
    .await;
    assert_eq!(in_domain.status, 200, "{}", in_domain.text);
    let header_form =
        json!({"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 900}}}});
    let key2 = temporary_key(&security_tokens(server, header_form, Some(&scoped_token)).await);
    assert_eq!(
        get_with(server, &oidc_config_path(&p.name), &key2)
            .await
            .status,
        200
    );

    // Issuing is audited.
    let events = events(server, &org).await;
    assert!(
        events
            .iter()
            .any(|e| e["eventTypeName"] == "IAM_TEMPORARY_ACCESS_KEY_CREATED"),
        "{events:?}"
    );
}

async fn bad_requests_name_the_field(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(server).await;
    let p = provider(server, &admin, &issuer).await;
    let unscoped = unscoped_token(server, &p, &issuer).await;
    for (body, field) in [
        (
            token_body(&unscoped, Some(899)),
            "auth.identity.token.duration_seconds",
        ),
        (
            token_body(&unscoped, Some(86_401)),
            "auth.identity.token.duration_seconds",
        ),
        (
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped, "duration_seconds": "900"}}}}),
            "duration_seconds",
        ),
        (
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped},
                "policy": {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["iam:*:get*"]}]}}}}),
            "auth.identity.policy",
        ),
        (
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}, "policy_ids": ["x"]}}}),
            "auth.identity.policy_ids",
        ),
        (
            json!({"auth": {"identity": {"methods": ["assume_role"], "token": {"id": unscoped}}}}),
            "auth.identity.methods",
        ),
        (
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped}, "extra": 1}}}),
            "extra",
        ),
        (json!({"auth": {}}), "auth.identity"),
    ] {
        let a = security_tokens(server, body.clone(), None).await;
        assert_invalid(&a, field);
    }
    // No token (no credential at all): 401 naming the field.
    let none = security_tokens(
        server,
        json!({"auth": {"identity": {"methods": ["token"]}}}),
        None,
    )
    .await;
    assert_iam(&none, 401, "IAM.0007");
    assert!(
        none.text.contains("auth.identity.token.id"),
        "{}",
        none.text
    );
    // A token that is not Sigil's, or garbage: 401.
    for token in ["not-a-token", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"] {
        assert_iam(
            &security_tokens(server, token_body(token, None), None).await,
            401,
            "IAM.0007",
        );
    }
}

async fn security_tokens_are_required_signed_and_their_own(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let (p, _, key) = chain(server, &issuer).await;
    let (_, _, other) = chain(server, &issuer).await;
    let path = oidc_config_path(&p.name);
    let send = |access: String, secret: String, token: Option<String>, sign_token: bool| {
        let path = path.clone();
        async move {
            get_signed_with(
                server,
                &path,
                &access,
                &secret,
                Sending {
                    security_token: token.as_deref(),
                    sign_token,
                    domain: None,
                },
            )
            .await
        }
    };
    let k = key.clone();
    assert_eq!(
        send(
            k.access.clone(),
            k.secret.clone(),
            Some(k.security_token.clone()),
            true
        )
        .await
        .status,
        200
    );
    // Missing, or sent but not signed; another key's security token, a tampered one, a
    // wrong secret key: each is 401.
    let mut tampered = k.security_token.clone();
    let last = if tampered.ends_with('A') { 'B' } else { 'A' };
    tampered.pop();
    tampered.push(last);
    let refused = [
        ("missing", &k.secret, None, false),
        ("not signed", &k.secret, Some(&k.security_token), false),
        (
            "another key's",
            &k.secret,
            Some(&other.security_token),
            true,
        ),
        ("tampered", &k.secret, Some(&tampered), true),
        (
            "wrong secret key",
            &other.secret,
            Some(&k.security_token),
            true,
        ),
    ];
    for (case, secret, token, signed) in refused {
        let a = send(k.access.clone(), secret.clone(), token.cloned(), signed).await;
        assert_eq!(a.status, 401, "{case}: {}", a.text);
        assert_iam(&a, 401, "IAM.0007");
    }
    // X-Domain-Id of a domain the identity holds no role in.
    let (other_org, _) = create_org(server, "tmp-foreign-domain").await;
    let foreign = get_signed_with(
        server,
        &path,
        &k.access,
        &k.secret,
        Sending {
            security_token: Some(&k.security_token),
            sign_token: true,
            domain: Some(&other_org),
        },
    )
    .await;
    assert_iam(&foreign, 401, "IAM.0007");
    // A permanent key takes no security token.
    let admin = admin_token(server).await;
    let (user, _) = admin_ids(server).await;
    let permanent: Key = create_key(server, &admin, &user).await;
    assert_iam(
        &send(
            permanent.access.clone(),
            permanent.secret.clone(),
            Some(k.security_token.clone()),
            true,
        )
        .await,
        401,
        "IAM.0007",
    );
    assert_eq!(
        send(permanent.access, permanent.secret, None, false)
            .await
            .status,
        200
    );
}

/// A key works up to the second before `expires_at` and is refused from that second on; it
/// never outlives its token, whatever `duration_seconds` asked.
async fn temporary_keys_expire_on_time(server: &TestServer) {
    let issuer = FakeIssuer::start().await;
    let admin = admin_token(server).await;
    let p = provider(server, &admin, &issuer).await;
    let unscoped = unscoped_token(server, &p, &issuer).await;
    server.clock().freeze();
    let key =
        temporary_key(&security_tokens(server, token_body(&unscoped, Some(86_400)), None).await);
    let left = seconds(&key.expires_at) - server.now().timestamp();
    assert!(
        (1..=600).contains(&left),
        "the ID token's 600 s bound the key: {left}"
    );
    let path = oidc_config_path(&p.name);
    server
        .clock()
        .advance(std::time::Duration::from_secs(left as u64 - 1));
    assert_eq!(get_with(server, &path, &key).await.status, 200);
    server.clock().advance(std::time::Duration::from_secs(1));
    assert_iam(&get_with(server, &path, &key).await, 401, "IAM.0007");
    // Its token has expired too: no new key, no exchange.
    server.clock().advance(std::time::Duration::from_secs(120));
    assert_iam(
        &security_tokens(server, token_body(&unscoped, None), None).await,
        401,
        "IAM.0007",
    );
}

/// Each change of the identity behind a key refuses it at once, on `b` as on `a` (the same
/// server, or a second node that applies the change log).
async fn each_change_refuses_the_key(a: &TestServer, b: &TestServer) {
    let issuer = FakeIssuer::start_with(KeyAlg::Rs256).await;
    let admin = admin_token(a).await;
    let (org, fs) = a.default_org().await;

    // The role mapping deleted: no role left.
    let (p, unscoped, key) = chain(a, &issuer).await;
    let path = oidc_config_path(&p.name);
    b.sync_now().await;
    assert_eq!(
        get_with(b, &path, &key).await.status,
        200,
        "node b takes the key"
    );
    let gone = a
        .admin(
            Method::DELETE,
            &format!("{}/{}", mappings_path(&fs, &org), p.mapping_id),
            None,
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    b.sync_now().await;
    assert_iam(&get_with(b, &path, &key).await, 401, "IAM.0007");
    assert_iam(
        &security_tokens(b, token_body(&unscoped, None), None).await,
        401,
        "IAM.0007",
    );

    // The provider disabled.
    let (p, _, key) = chain(a, &issuer).await;
    let path = oidc_config_path(&p.name);
    b.sync_now().await;
    assert_eq!(get_with(b, &path, &key).await.status, 200);
    let off = with_token(
        a,
        Method::PATCH,
        &format!("{IDP_V3}/{}", p.name),
        &admin,
        Some(json!({"identity_provider": {"enabled": false}})),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.text);
    b.sync_now().await;
    let refused = get_with(b, &path, &key).await;
    assert_iam(&refused, 401, "IAM.0007");

    // The provider's signing_key changed.
    let (p, _, key) = chain(a, &issuer).await;
    let path = oidc_config_path(&p.name);
    b.sync_now().await;
    assert_eq!(get_with(b, &path, &key).await.status, 200);
    // Another key (the fake issuers' RS256 key is one fixed key: an ES256 one is fresh).
    let other = FakeIssuer::start().await;
    let put = with_token(
        a,
        Method::PUT,
        &path,
        &admin,
        Some(json!({"openid_connect_config": {"signing_key": other.current_jwks()}})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    b.sync_now().await;
    assert_iam(&get_with(b, &path, &key).await, 401, "IAM.0007");

    // The provider's JWKS revoked (the Atlas face's revoke).
    let own_issuer = FakeIssuer::start().await;
    let (p, _, key) = chain(a, &own_issuer).await;
    let path = oidc_config_path(&p.name);
    b.sync_now().await;
    assert_eq!(get_with(b, &path, &key).await.status, 200);
    let listed = a.admin(Method::GET, &idps_path(&fs), None).await;
    let id = listed.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["issuerUri"] == own_issuer.issuer())
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("the provider on the Atlas face: {}", listed.text))
        .to_owned();
    let revoke = a
        .admin(
            Method::DELETE,
            &format!("{}/{id}/jwks", idps_path(&fs)),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.text);
    b.sync_now().await;
    assert_iam(&get_with(b, &path, &key).await, 401, "IAM.0007");
}

async fn each_change_refuses_the_key_on_one_node(server: &TestServer) {
    each_change_refuses_the_key(server, server).await;
}

store_tests!(
    the_whole_chain_and_what_an_unscoped_token_cannot_do,
    bad_requests_name_the_field,
    security_tokens_are_required_signed_and_their_own,
    temporary_keys_expire_on_time,
    each_change_refuses_the_key_on_one_node,
);

/// Two nodes on one PostgreSQL database: the key issued on node A works on node B, and every
/// change made on A refuses it on B once B has applied the change log.
#[tokio::test]
async fn each_change_refuses_the_key_on_the_other_node() {
    let Some(a) = TestServer::start(StoreKind::Postgres).await else {
        return;
    };
    let b = a.second_node().await;
    each_change_refuses_the_key(&a, &b).await;
}
