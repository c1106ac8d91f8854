//! The Cloud Manager v1.0 face of seed 004 (`/api/public/v1.0/orgs/{ORG-ID}/serviceAccounts…`):
//! every path with and without a trailing slash, `application/json`, lifetimes 8..=8766, the
//! seed's exact request, and its Digest challenge byte for byte.

use crate::atlas_support::{assert_field, assert_time, unknown_id, V2};
use crate::credentials_support::*;
use chrono::DateTime;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer};

#[track_caller]
fn assert_json(a: &sigil_testkit::Answer) {
    assert_eq!(
        a.header("content-type"),
        Some("application/json"),
        "{}",
        a.text
    );
}

#[track_caller]
fn assert_cm_error(a: &sigil_testkit::Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.text);
    assert_eq!(a.body["errorCode"], code, "{}", a.text);
    assert_eq!(a.body["error"], status);
    assert_json(a);
}

async fn every_operation_with_and_without_a_trailing_slash(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let base = sa_path(CM, &org);
    for slash in ["", "/"] {
        let created = server
            .admin(
                Method::POST,
                &format!("{base}{slash}"),
                Some(sa_body(&format!("cm{slash}"), &["ORG_MEMBER"], json!(8766))),
            )
            .await;
        assert_eq!(created.status, 201, "{slash:?}: {}", created.text);
        assert_json(&created);
        let client = created.body["clientId"].as_str().unwrap().to_owned();
        assert!(client.starts_with("mdb_sa_id_"));
        let secret = &created.body["secrets"][0];
        assert!(secret["secret"].as_str().unwrap().starts_with("mdb_sa_sk_"));
        let list = server
            .admin(Method::GET, &format!("{base}{slash}"), None)
            .await;
        assert_eq!(list.status, 200, "{slash:?}: {}", list.text);
        assert_json(&list);
        assert!(list.body["totalCount"].as_u64().unwrap() >= 1);
        assert!(!list.text.contains(secret["secret"].as_str().unwrap()));
        let one = format!("{base}/{client}");
        let got = server
            .admin(Method::GET, &format!("{one}{slash}"), None)
            .await;
        assert_eq!(got.status, 200, "{slash:?}: {}", got.text);
        assert_json(&got);
        assert!(got.body["secrets"][0].get("secret").is_none());
        let patched = server
            .admin(
                Method::PATCH,
                &format!("{one}{slash}"),
                Some(json!({"description": "patched"})),
            )
            .await;
        assert_eq!(patched.status, 200, "{slash:?}: {}", patched.text);
        assert_eq!(patched.body["description"], "patched");
        let added = server
            .admin(
                Method::POST,
                &format!("{one}/secrets{slash}"),
                Some(json!({"secretExpiresAfterHours": 8})),
            )
            .await;
        assert_eq!(added.status, 201, "{slash:?}: {}", added.text);
        assert_json(&added);
        let secret_id = added.body["id"].as_str().unwrap();
        let deleted = server
            .admin(
                Method::DELETE,
                &format!("{one}/secrets/{secret_id}{slash}"),
                None,
            )
            .await;
        assert_eq!(deleted.status, 204, "{slash:?}: {}", deleted.text);
        let gone = server
            .admin(Method::DELETE, &format!("{one}{slash}"), None)
            .await;
        assert_eq!(gone.status, 204, "{slash:?}: {}", gone.text);
        let missing = server
            .admin(Method::GET, &format!("{one}{slash}"), None)
            .await;
        assert_cm_error(&missing, 404, "SERVICE_ACCOUNT_NOT_FOUND");
    }
}

async fn the_seeds_request_and_answer(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let url = format!(
        "{}{}/{}/secrets/?pretty=true",
        server.url,
        sa_path(CM, &org),
        sa.client_id
    );
    let request = server
        .client
        .post(url)
        .basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(r#"{ "secretExpiresAfterHours": "3600" }"#);
    let a = server.send(request).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_json(&a);
    assert!(a.text.contains("\n  "), "pretty: {}", a.text);
    let id = a.body["id"].as_str().unwrap();
    assert!(id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(a.body["secret"].as_str().unwrap().starts_with("mdb_sa_sk_"));
    assert_time(&a.body["createdAt"]);
    assert_time(&a.body["expiresAt"]);
    let at = |k: &str| DateTime::parse_from_rfc3339(a.body[k].as_str().unwrap()).unwrap();
    assert_eq!((at("expiresAt") - at("createdAt")).num_hours(), 3600);
    // Two secrets now: a third, on either face, is refused.
    let atlas = server
        .admin(
            Method::POST,
            &format!("{}/{}/secrets", sa_path(V2, &org), sa.client_id),
            Some(json!({"secretExpiresAfterHours": "3600"})),
        )
        .await;
    assert_eq!(atlas.status, 409, "the third secret: {}", atlas.text);
    assert_eq!(atlas.body["errorCode"], "MAX_SECRETS_REACHED");
}

async fn lifetimes_8_to_8766_hours(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let base = sa_path(CM, &org);
    for hours in [json!(8), json!(8766), json!("8766")] {
        let a = server
            .admin(
                Method::POST,
                &base,
                Some(sa_body("life", &["ORG_MEMBER"], hours.clone())),
            )
            .await;
        assert_eq!(a.status, 201, "{hours}: {}", a.text);
    }
    let sa = create_sa_at(server, CM, &org, sa_body("x", &["ORG_MEMBER"], json!(8))).await;
    let secrets = format!("{base}/{}/secrets/", sa.client_id);
    for bad in [
        json!(7),
        json!(8767),
        json!(-1),
        json!(8.5),
        json!("abc"),
        json!("8.5"),
        json!(null),
    ] {
        let a = server
            .admin(
                Method::POST,
                &secrets,
                Some(json!({"secretExpiresAfterHours": bad})),
            )
            .await;
        let code = if bad.is_null() {
            "MISSING_ATTRIBUTE"
        } else {
            "INVALID_ATTRIBUTE"
        };
        assert_eq!(a.status, 400, "{bad}: {}", a.text);
        assert_eq!(a.body["errorCode"], code, "{bad}");
        assert_eq!(
            a.body["badRequestDetail"]["fields"][0]["field"],
            "secretExpiresAfterHours"
        );
        assert!(a.body["detail"]
            .as_str()
            .unwrap()
            .contains("secretExpiresAfterHours"));
        assert_json(&a);
    }
    let ok = server
        .admin(
            Method::POST,
            &secrets,
            Some(json!({"secretExpiresAfterHours": 8766})),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let third = server
        .admin(
            Method::POST,
            &secrets,
            Some(json!({"secretExpiresAfterHours": 8})),
        )
        .await;
    assert_cm_error(&third, 409, "MAX_SECRETS_REACHED");
}

async fn the_digest_challenge_is_the_seeds(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    for (method, path) in [
        (
            Method::POST,
            format!(
                "{}/{}/secrets/?pretty=true",
                sa_path(CM, &org),
                sa.client_id
            ),
        ),
        (
            Method::POST,
            format!("{}/{}/secrets", sa_path(CM, &org), sa.client_id),
        ),
        (Method::GET, format!("{}/", sa_path(CM, &org))),
        (Method::GET, format!("{V2}/orgs/{org}")),
    ] {
        let body = (method == Method::POST).then(|| json!({"secretExpiresAfterHours": "3600"}));
        let a = server.anonymous(method, &path, body).await;
        assert_eq!(a.status, 401, "{path}: {}", a.text);
        assert_eq!(a.body["errorCode"], "NOT_AUTHENTICATED");
        let challenge = a.header("www-authenticate").expect("a challenge");
        let (head, nonce_rest) = challenge
            .split_once("nonce=\"")
            .unwrap_or_else(|| panic!("{challenge}"));
        assert_eq!(head, r#"Digest realm="MMS Public API", domain="", "#);
        let (nonce, tail) = nonce_rest.split_once('"').unwrap();
        assert!(!nonce.is_empty() && !nonce.contains(' '), "{nonce}");
        assert_eq!(tail, r#", algorithm=MD5, qop="auth", stale=false"#);
    }
    let cm = server
        .anonymous(Method::GET, &sa_path(CM, &org), None)
        .await;
    assert_cm_error(&cm, 401, "NOT_AUTHENTICATED");
}

async fn cloud_manager_errors_and_conventions(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let base = sa_path(CM, &org);
    let bad = server
        .admin(Method::GET, &format!("{base}/not-a-client/"), None)
        .await;
    assert_cm_error(&bad, 400, "INVALID_PATH_PARAMETER");
    assert_eq!(bad.body["parameters"], json!(["clientId"]));
    let unknown = server
        .admin(
            Method::GET,
            &format!("{base}/mdb_sa_id_{}", unknown_id()),
            None,
        )
        .await;
    assert_cm_error(&unknown, 404, "SERVICE_ACCOUNT_NOT_FOUND");
    let name = server
        .admin(
            Method::POST,
            &format!("{base}/"),
            Some(sa_body(&"n".repeat(65), &["ORG_MEMBER"], json!(8))),
        )
        .await;
    assert_field_json(&name, "name");
    let envelope = server
        .admin(
            Method::GET,
            &format!("{base}/mdb_sa_id_{}?envelope=true", unknown_id()),
            None,
        )
        .await;
    assert_eq!(envelope.status, 200);
    assert_eq!(envelope.body["status"], 404);
    assert_eq!(
        envelope.body["content"]["errorCode"],
        "SERVICE_ACCOUNT_NOT_FOUND"
    );
    // A version in Accept does not change the Cloud Manager face's media type.
    let list = server
        .send(
            server
                .client
                .get(format!("{}{base}", server.url))
                .basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD))
                .header("accept", "application/vnd.atlas.2024-08-05+json"),
        )
        .await;
    assert_eq!(list.status, 200);
    assert_json(&list);
    let other = server
        .admin(Method::GET, &format!("{CM}/orgs/{org}/nothing"), None)
        .await;
    assert_cm_error(&other, 404, "RESOURCE_NOT_FOUND");
}

#[track_caller]
fn assert_field_json(a: &sigil_testkit::Answer, field: &str) {
    assert_cm_error(a, 400, "INVALID_ATTRIBUTE");
    assert_eq!(a.body["badRequestDetail"]["fields"][0]["field"], field);
}

/// The same accounts through both faces: created on one, read and managed on the other.
async fn both_faces_share_the_accounts(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa_at(
        server,
        CM,
        &org,
        sa_body("shared", &["ORG_MEMBER"], json!(8)),
    )
    .await;
    let via_atlas = server
        .admin(
            Method::GET,
            &format!("{}/{}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    assert_eq!(via_atlas.status, 200);
    assert_eq!(via_atlas.body["name"], "shared");
    assert_field(
        &server
            .admin(
                Method::POST,
                &format!("{}/{}/secrets", sa_path(V2, &org), sa.client_id),
                Some(json!({"secretExpiresAfterHours": 8766})),
            )
            .await,
        "INVALID_ATTRIBUTE",
        "secretExpiresAfterHours",
    );
    let t = token(server, &sa.client_id, &sa.secret).await;
    let own = bearer(server, Method::GET, &sa_path(CM, &org), &t, None).await;
    assert_cm_error(&own, 403, "INSUFFICIENT_ROLE");
}

store_tests!(
    every_operation_with_and_without_a_trailing_slash,
    the_seeds_request_and_answer,
    lifetimes_8_to_8766_hours,
    the_digest_challenge_is_the_seeds,
    cloud_manager_errors_and_conventions,
    both_faces_share_the_accounts,
);
