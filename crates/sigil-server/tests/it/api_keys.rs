//! Programmatic API keys on the Atlas v2 face (spec 20): show-once private keys, masking,
//! Digest (RFC 7616, MD5 and SHA-256) on the Atlas and Cloud Manager faces with the key's
//! roles, and updates and deletions that take effect at once.

use crate::atlas_support::*;
use crate::credentials_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

fn keys_path(org: &str) -> String {
    format!("{V2}/orgs/{org}/apiKeys")
}

/// Creates a key; answers the whole 201 body.
async fn create_key(server: &TestServer, org: &str, roles: &[&str]) -> Value {
    let a = server
        .admin(
            Method::POST,
            &keys_path(org),
            Some(json!({"desc": "automation", "roles": roles})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body
}

fn pair(key: &Value) -> (String, String) {
    (
        key["publicKey"].as_str().unwrap().to_owned(),
        key["privateKey"].as_str().unwrap().to_owned(),
    )
}

fn is_uuid_form(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn create_shows_the_private_key_once(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let key = create_key(server, &org, &["ORG_MEMBER", "ORG_READ_ONLY"]).await;
    let id = key["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    assert_eq!(key["desc"], "automation");
    assert_eq!(
        key["roles"],
        json!([{"orgId": org, "roleName": "ORG_MEMBER"}, {"orgId": org, "roleName": "ORG_READ_ONLY"}])
    );
    let (public, private) = pair(&key);
    assert!(
        public.len() == 8 && public.bytes().all(|b| b.is_ascii_lowercase()),
        "{public}"
    );
    assert!(is_uuid_form(&private), "{private}");
    let masked = format!("********-****-****-****-{}", &private[24..]);
    let got = server
        .admin(Method::GET, &format!("{}/{id}", keys_path(&org)), None)
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["privateKey"], masked);
    assert_eq!(got.body["publicKey"], public.as_str());
    assert!(!got.text.contains(&private));
    let list = server.admin(Method::GET, &keys_path(&org), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalCount"], 1);
    assert_eq!(list.body["results"][0]["privateKey"], masked);
    assert!(!list.text.contains(&private));
    // Audited, never with the private key.
    let text = events_text(server, &org).await;
    assert!(text.contains("API_KEY_CREATED"));
    assert!(!text.contains(&private));
}

async fn body_and_path_errors(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let path = keys_path(&org);
    let ok = server
        .admin(
            Method::POST,
            &path,
            Some(json!({"desc": "d".repeat(250), "roles": ["ORG_MEMBER"]})),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    for (body, code, field) in [
        (
            json!({"desc": "d".repeat(251), "roles": ["ORG_MEMBER"]}),
            "INVALID_ATTRIBUTE",
            "desc",
        ),
        (
            json!({"desc": "", "roles": ["ORG_MEMBER"]}),
            "INVALID_ATTRIBUTE",
            "desc",
        ),
        (
            json!({"roles": ["ORG_MEMBER"]}),
            "MISSING_ATTRIBUTE",
            "desc",
        ),
        (
            json!({"desc": "x", "roles": []}),
            "INVALID_ATTRIBUTE",
            "roles",
        ),
        (json!({"desc": "x"}), "MISSING_ATTRIBUTE", "roles"),
        (
            json!({"desc": "x", "roles": ["GOD"]}),
            "INVALID_ATTRIBUTE",
            "roles[0]",
        ),
    ] {
        let a = server.admin(Method::POST, &path, Some(body)).await;
        assert_field(&a, code, field);
    }
    let bad = server
        .admin(Method::GET, &format!("{path}/abc"), None)
        .await;
    assert_field(&bad, "INVALID_PATH_PARAMETER", "apiUserId");
    for method in [Method::GET, Method::DELETE] {
        let a = server
            .admin(method, &format!("{path}/{}", unknown_id()), None)
            .await;
        assert_error(&a, 404, "API_KEY_NOT_FOUND");
    }
    // A key of another organization is not found through this one.
    let (other, _) = create_org(server, "acme").await;
    let theirs = create_key(server, &other, &["ORG_MEMBER"]).await;
    let a = server
        .admin(
            Method::GET,
            &format!("{path}/{}", theirs["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_error(&a, 404, "API_KEY_NOT_FOUND");
    let list = server.admin(Method::GET, &path, None).await;
    assert_eq!(list.body["totalCount"], 1);
}

async fn digest_authenticates_with_the_keys_roles(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let member = create_key(server, &org, &["ORG_MEMBER"]).await;
    let (public, private) = pair(&member);
    for algorithm in ["MD5", "SHA-256"] {
        let a = digest(
            server,
            Method::GET,
            &format!("{V2}/orgs/{org}"),
            &public,
            &private,
            algorithm,
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{algorithm}: {}", a.text);
        assert_eq!(a.body["id"], org.as_str());
        let create = digest(
            server,
            Method::POST,
            &sa_path(V2, &org),
            &public,
            &private,
            algorithm,
            Some(sa_body("robot", &["ORG_MEMBER"], json!(8))),
        )
        .await;
        assert_error(&create, 403, "INSUFFICIENT_ROLE");
        // Authenticated on the Cloud Manager face too: 403, not 401.
        let cm = digest(
            server,
            Method::GET,
            &format!("{}/", sa_path(CM, &org)),
            &public,
            &private,
            algorithm,
            None,
        )
        .await;
        assert_eq!(cm.status, 403, "{algorithm}: {}", cm.text);
        assert_eq!(cm.body["errorCode"], "INSUFFICIENT_ROLE");
    }
    let owner = create_key(server, &org, &["ORG_OWNER"]).await;
    let (public, private) = pair(&owner);
    for (i, algorithm) in ["MD5", "SHA-256"].into_iter().enumerate() {
        let created = digest(
            server,
            Method::POST,
            &format!("{}/?pretty=true", sa_path(CM, &org)),
            &public,
            &private,
            algorithm,
            Some(sa_body(&format!("cm{i}"), &["ORG_MEMBER"], json!("3600"))),
        )
        .await;
        assert_eq!(created.status, 201, "{algorithm}: {}", created.text);
        let atlas = digest(
            server,
            Method::POST,
            &sa_path(V2, &org),
            &public,
            &private,
            algorithm,
            Some(sa_body(&format!("atlas{i}"), &["ORG_MEMBER"], json!(8))),
        )
        .await;
        assert_eq!(atlas.status, 201, "{algorithm}: {}", atlas.text);
    }
    // The wrong private key is refused.
    let wrong = digest(
        server,
        Method::GET,
        &format!("{V2}/orgs/{org}"),
        &public,
        "00000000-0000-0000-0000-000000000000",
        "MD5",
        None,
    )
    .await;
    assert_error(&wrong, 401, "NOT_AUTHENTICATED");
    // Another organization's key has no role here.
    let (other, _) = create_org(server, "acme").await;
    let foreign = create_key(server, &other, &["ORG_OWNER"]).await;
    let (fp, fk) = pair(&foreign);
    let a = digest(
        server,
        Method::GET,
        &format!("{V2}/orgs/{org}"),
        &fp,
        &fk,
        "MD5",
        None,
    )
    .await;
    assert_error(&a, 403, "INSUFFICIENT_ROLE");
}

async fn updates_and_deletion_take_effect_at_once(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let key = create_key(server, &org, &["ORG_MEMBER"]).await;
    let (public, private) = pair(&key);
    let path = format!("{}/{}", keys_path(&org), key["id"].as_str().unwrap());
    let list_sas = |alg: &'static str| {
        let (public, private, org) = (public.clone(), private.clone(), org.clone());
        async move {
            digest(
                server,
                Method::GET,
                &sa_path(V2, &org),
                &public,
                &private,
                alg,
                None,
            )
            .await
        }
    };
    assert_error(&list_sas("MD5").await, 403, "INSUFFICIENT_ROLE");
    let patched = server
        .admin(Method::PATCH, &path, Some(json!({"roles": ["ORG_OWNER"]})))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(
        patched.body["roles"],
        json!([{"orgId": org, "roleName": "ORG_OWNER"}])
    );
    assert_eq!(patched.body["desc"], "automation");
    assert!(patched.body["privateKey"]
        .as_str()
        .unwrap()
        .starts_with("********-"));
    assert_eq!(list_sas("MD5").await.status, 200);
    let described = server
        .admin(Method::PATCH, &path, Some(json!({"desc": "renamed"})))
        .await;
    assert_eq!(described.body["desc"], "renamed");
    assert_eq!(described.body["roles"][0]["roleName"], "ORG_OWNER");
    for (body, field) in [
        (json!({"desc": "d".repeat(251)}), "desc"),
        (json!({"roles": []}), "roles"),
    ] {
        assert_field(
            &server.admin(Method::PATCH, &path, Some(body)).await,
            "INVALID_ATTRIBUTE",
            field,
        );
    }
    let back = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"roles": ["ORG_READ_ONLY"]})),
        )
        .await;
    assert_eq!(back.status, 200);
    assert_error(&list_sas("SHA-256").await, 403, "INSUFFICIENT_ROLE");

    assert_eq!(server.admin(Method::DELETE, &path, None).await.status, 204);
    for alg in ["MD5", "SHA-256"] {
        let a = list_sas(alg).await;
        assert_error(&a, 401, "NOT_AUTHENTICATED");
        assert!(a.header("www-authenticate").unwrap().starts_with("Digest "));
    }
    assert_error(
        &server.admin(Method::GET, &path, None).await,
        404,
        "API_KEY_NOT_FOUND",
    );
    let types: Vec<String> = events(server, &org)
        .await
        .iter()
        .filter_map(|e| e["eventTypeName"].as_str().map(str::to_owned))
        .filter(|t| t.starts_with("API_KEY"))
        .collect();
    assert_eq!(
        types,
        vec![
            "API_KEY_DELETED",
            "API_KEY_UPDATED",
            "API_KEY_UPDATED",
            "API_KEY_UPDATED",
            "API_KEY_CREATED"
        ]
    );
}

async fn api_key_lists_are_paginated(server: &TestServer) {
    let (org, _) = server.default_org().await;
    for _ in 0..3 {
        create_key(server, &org, &["ORG_MEMBER"]).await;
    }
    let path = keys_path(&org);
    let first = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=2"), None)
        .await;
    assert_eq!(first.body["totalCount"], 3);
    assert_eq!(ids(&first).len(), 2);
    assert!(link(&first, "next").unwrap().contains("pageNum=2"));
    let second = server
        .admin(
            Method::GET,
            &format!("{path}?itemsPerPage=2&pageNum=2"),
            None,
        )
        .await;
    assert_eq!(ids(&second).len(), 1);
    assert!(!ids(&first).contains(&ids(&second)[0]));
    let bad = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=0"), None)
        .await;
    assert_field(&bad, "INVALID_ATTRIBUTE", "itemsPerPage");
}

store_tests!(
    create_shows_the_private_key_once,
    body_and_path_errors,
    digest_authenticates_with_the_keys_roles,
    updates_and_deletion_take_effect_at_once,
    api_key_lists_are_paginated,
);
