//! Service accounts and their secrets on the Atlas v2 face (spec 20, seed 004): shapes,
//! show-once secrets, limits, errors, pagination, organization boundaries and the audit trail.

use crate::atlas_support::*;
use crate::credentials_support::*;
use chrono::DateTime;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

fn is_hex24(s: &str) -> bool {
    s.len() == 24
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hours_between(secret: &Value) -> i64 {
    let at = |k: &str| DateTime::parse_from_rfc3339(secret[k].as_str().unwrap()).unwrap();
    (at("expiresAt") - at("createdAt")).num_seconds()
}

/// Asserts the masked form of a secret whose value is `value`.
#[track_caller]
fn assert_masked(secret: &Value, value: &str) {
    assert!(
        secret.get("secret").is_none(),
        "never shown again: {secret}"
    );
    assert_eq!(
        secret["maskedSecretValue"],
        format!("mdb_sa_sk_...{}", &value[value.len() - 4..])
    );
}

async fn create_shows_the_secret_once_then_masks_it(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa_at(
        server,
        V2,
        &org,
        sa_body("ci-robot", &["ORG_MEMBER", "ORG_READ_ONLY"], json!(24)),
    )
    .await;
    let c = &sa.created;
    assert!(c
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/vnd.atlas.2023-01-01+json")));
    let hex = sa.client_id.strip_prefix("mdb_sa_id_").expect("prefix");
    assert!(is_hex24(hex), "{}", sa.client_id);
    assert_eq!(c.body["name"], "ci-robot");
    assert_eq!(c.body["description"], "ci-robot robot");
    assert_eq!(c.body["roles"], json!(["ORG_MEMBER", "ORG_READ_ONLY"]));
    assert_time(&c.body["createdAt"]);
    let secrets = c.body["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 1);
    let s = &secrets[0];
    assert!(is_hex24(s["id"].as_str().unwrap()));
    assert!(sa.secret.starts_with("mdb_sa_sk_") && sa.secret.len() >= "mdb_sa_sk_".len() + 32);
    assert_eq!(
        s["maskedSecretValue"],
        format!("mdb_sa_sk_...{}", &sa.secret[sa.secret.len() - 4..])
    );
    assert_time(&s["createdAt"]);
    assert_time(&s["expiresAt"]);
    assert_eq!(hours_between(s), 24 * 3600);
    assert_eq!(s["lastUsedAt"], Value::Null);
    assert!(s.as_object().unwrap().contains_key("lastUsedAt"));

    let path = format!("{}/{}", sa_path(V2, &org), sa.client_id);
    let got = server.admin(Method::GET, &path, None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["clientId"], sa.client_id.as_str());
    assert_masked(&got.body["secrets"][0], &sa.secret);
    assert!(!got.text.contains(&sa.secret));
    let list = server.admin(Method::GET, &sa_path(V2, &org), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalCount"], 1);
    assert_masked(&list.body["results"][0]["secrets"][0], &sa.secret);
    assert!(!list.text.contains(&sa.secret));

    // lastUsedAt is set once the secret has obtained a token.
    token(server, &sa.client_id, &sa.secret).await;
    let used = server.admin(Method::GET, &path, None).await;
    assert_time(&used.body["secrets"][0]["lastUsedAt"]);
}

async fn secret_lifetimes_on_the_atlas_face(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let secrets = format!("{}/{}/secrets", sa_path(V2, &org), sa.client_id);
    let ok = server
        .admin(
            Method::POST,
            &secrets,
            Some(json!({"secretExpiresAfterHours": 8760})),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(hours_between(&ok.body), 8760 * 3600);
    assert_eq!(ok.body["lastUsedAt"], Value::Null);
    for bad in [
        json!(8761),
        json!(8766),
        json!(7),
        json!(-1),
        json!(8.5),
        json!("abc"),
    ] {
        let a = server
            .admin(
                Method::POST,
                &secrets,
                Some(json!({"secretExpiresAfterHours": bad})),
            )
            .await;
        assert_field(&a, "INVALID_ATTRIBUTE", "secretExpiresAfterHours");
        let c = server
            .admin(
                Method::POST,
                &sa_path(V2, &org),
                Some(sa_body("x", &["ORG_MEMBER"], bad.clone())),
            )
            .await;
        assert_field(&c, "INVALID_ATTRIBUTE", "secretExpiresAfterHours");
    }
    let missing = server.admin(Method::POST, &secrets, Some(json!({}))).await;
    assert_field(&missing, "MISSING_ATTRIBUTE", "secretExpiresAfterHours");
    let mut body = sa_body("x", &["ORG_MEMBER"], json!(8));
    body.as_object_mut()
        .unwrap()
        .remove("secretExpiresAfterHours");
    let c = server
        .admin(Method::POST, &sa_path(V2, &org), Some(body))
        .await;
    assert_field(&c, "MISSING_ATTRIBUTE", "secretExpiresAfterHours");
}

async fn create_body_errors_name_the_field(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let path = sa_path(V2, &org);
    let base = sa_body("ok", &["ORG_MEMBER"], json!(8));
    let ok64 = with(base.clone(), "name", json!("n".repeat(64)));
    assert_eq!(
        server.admin(Method::POST, &path, Some(ok64)).await.status,
        201
    );
    let ok250 = with(base.clone(), "description", json!("d".repeat(250)));
    assert_eq!(
        server.admin(Method::POST, &path, Some(ok250)).await.status,
        201
    );
    let cases = [
        (
            with(base.clone(), "name", json!("n".repeat(65))),
            "INVALID_ATTRIBUTE",
            "name",
        ),
        (
            with(base.clone(), "name", json!("")),
            "INVALID_ATTRIBUTE",
            "name",
        ),
        (
            with(base.clone(), "name", Value::Null),
            "MISSING_ATTRIBUTE",
            "name",
        ),
        (
            with(base.clone(), "description", json!("d".repeat(251))),
            "INVALID_ATTRIBUTE",
            "description",
        ),
        (
            with(base.clone(), "roles", json!([])),
            "INVALID_ATTRIBUTE",
            "roles",
        ),
        (
            with(base.clone(), "roles", Value::Null),
            "MISSING_ATTRIBUTE",
            "roles",
        ),
        (
            with(base.clone(), "roles", json!(["ORG_MEMBER", "ROOT"])),
            "INVALID_ATTRIBUTE",
            "roles[1]",
        ),
    ];
    for (body, code, field) in cases {
        let a = server.admin(Method::POST, &path, Some(body)).await;
        assert_field(&a, code, field);
    }
    let list = server.admin(Method::GET, &path, None).await;
    assert_eq!(list.body["totalCount"], 2, "refused bodies create nothing");
}

async fn at_most_two_unexpired_secrets_and_deletion(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (second, _) = add_secret(server, &org, &sa.client_id).await;
    let secrets = format!("{}/{}/secrets", sa_path(V2, &org), sa.client_id);
    let third = server
        .admin(
            Method::POST,
            &secrets,
            Some(json!({"secretExpiresAfterHours": 8})),
        )
        .await;
    assert_error(&third, 409, "MAX_SECRETS_REACHED");
    let got = server
        .admin(
            Method::GET,
            &format!("{}/{}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    assert_eq!(got.body["secrets"].as_array().unwrap().len(), 2);

    let first = format!("{secrets}/{}", sa.secret_id);
    assert_eq!(server.admin(Method::DELETE, &first, None).await.status, 204);
    let again = server.admin(Method::DELETE, &first, None).await;
    assert_error(&again, 404, "SERVICE_ACCOUNT_SECRET_NOT_FOUND");
    let unknown = server
        .admin(Method::DELETE, &format!("{secrets}/{}", unknown_id()), None)
        .await;
    assert_error(&unknown, 404, "SERVICE_ACCOUNT_SECRET_NOT_FOUND");
    let bad = server
        .admin(Method::DELETE, &format!("{secrets}/not-hex"), None)
        .await;
    assert_field(&bad, "INVALID_PATH_PARAMETER", "secretId");
    // Room again for a second secret.
    let (third_id, _) = add_secret(server, &org, &sa.client_id).await;
    let got = server
        .admin(
            Method::GET,
            &format!("{}/{}", sa_path(V2, &org), sa.client_id),
            None,
        )
        .await;
    let mut ids: Vec<&str> = got.body["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![second.as_str(), third_id.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
}

async fn client_ids_are_checked_and_unknown_ones_are_404(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let base = sa_path(V2, &org);
    for bad in ["abc", "mdb_sa_id_XYZ", "66b544825867ba071c85469d"] {
        for method in [Method::GET, Method::DELETE] {
            let a = server.admin(method, &format!("{base}/{bad}"), None).await;
            assert_field(&a, "INVALID_PATH_PARAMETER", "clientId");
        }
        let a = server
            .admin(
                Method::PATCH,
                &format!("{base}/{bad}"),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_field(&a, "INVALID_PATH_PARAMETER", "clientId");
    }
    let unknown = format!("mdb_sa_id_{}", unknown_id());
    let path = format!("{base}/{unknown}");
    for method in [Method::GET, Method::DELETE] {
        assert_error(
            &server.admin(method, &path, None).await,
            404,
            "SERVICE_ACCOUNT_NOT_FOUND",
        );
    }
    let patch = server
        .admin(Method::PATCH, &path, Some(json!({"name": "x"})))
        .await;
    assert_error(&patch, 404, "SERVICE_ACCOUNT_NOT_FOUND");
    let secret = server
        .admin(
            Method::POST,
            &format!("{path}/secrets"),
            Some(json!({"secretExpiresAfterHours": 8})),
        )
        .await;
    assert_error(&secret, 404, "SERVICE_ACCOUNT_NOT_FOUND");
    let bad_org = server
        .admin(Method::GET, &sa_path(V2, "nothex"), None)
        .await;
    assert_field(&bad_org, "INVALID_PATH_PARAMETER", "orgId");
}

async fn update_and_delete(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let path = format!("{}/{}", sa_path(V2, &org), sa.client_id);
    let a = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"name": "renamed", "description": "new", "roles": ["ORG_OWNER"]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["name"], "renamed");
    assert_eq!(a.body["description"], "new");
    assert_eq!(a.body["roles"], json!(["ORG_OWNER"]));
    assert_masked(&a.body["secrets"][0], &sa.secret);
    // Only what is given changes.
    let b = server
        .admin(Method::PATCH, &path, Some(json!({"description": "newer"})))
        .await;
    assert_eq!(b.body["name"], "renamed");
    assert_eq!(b.body["roles"], json!(["ORG_OWNER"]));
    let got = server.admin(Method::GET, &path, None).await;
    assert_eq!(got.body["description"], "newer");
    for (body, field) in [
        (json!({"name": "n".repeat(65)}), "name"),
        (json!({"description": "d".repeat(251)}), "description"),
        (json!({"roles": []}), "roles"),
        (json!({"roles": ["ORG_KING"]}), "roles[0]"),
    ] {
        let e = server.admin(Method::PATCH, &path, Some(body)).await;
        assert_field(&e, "INVALID_ATTRIBUTE", field);
    }
    assert_eq!(server.admin(Method::DELETE, &path, None).await.status, 204);
    let gone = server.admin(Method::GET, &path, None).await;
    assert_error(&gone, 404, "SERVICE_ACCOUNT_NOT_FOUND");
    let again = server.admin(Method::DELETE, &path, None).await;
    assert_error(&again, 404, "SERVICE_ACCOUNT_NOT_FOUND");
}

async fn lists_are_paginated(server: &TestServer) {
    let (org, _) = server.default_org().await;
    for i in 0..3 {
        create_sa_at(
            server,
            V2,
            &org,
            sa_body(&format!("r{i}"), &["ORG_MEMBER"], json!(8)),
        )
        .await;
    }
    let path = sa_path(V2, &org);
    let first = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=2"), None)
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["totalCount"], 3);
    assert_eq!(first.body["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        link(&first, "next").unwrap(),
        format!("{}{path}?itemsPerPage=2&pageNum=2", server.url)
    );
    let second = server
        .admin(
            Method::GET,
            &format!("{path}?itemsPerPage=2&pageNum=2"),
            None,
        )
        .await;
    assert_eq!(second.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(link(&second, "next"), None);
    let mut all: Vec<Value> = first.body["results"].as_array().unwrap().clone();
    all.extend(second.body["results"].as_array().unwrap().iter().cloned());
    let mut names: Vec<&str> = all.iter().map(|r| r["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["r0", "r1", "r2"]);
    let bad = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=501"), None)
        .await;
    assert_field(&bad, "INVALID_ATTRIBUTE", "itemsPerPage");
}

async fn another_organizations_accounts_are_not_found_here(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let (other, _) = create_org(server, "acme").await;
    let theirs = create_sa(server, &other, &["ORG_MEMBER"]).await;
    let through_mine = format!("{}/{}", sa_path(V2, &org), theirs.client_id);
    assert_error(
        &server.admin(Method::GET, &through_mine, None).await,
        404,
        "SERVICE_ACCOUNT_NOT_FOUND",
    );
    assert_error(
        &server
            .admin(Method::PATCH, &through_mine, Some(json!({"name": "x"})))
            .await,
        404,
        "SERVICE_ACCOUNT_NOT_FOUND",
    );
    assert_error(
        &server
            .admin(
                Method::POST,
                &format!("{through_mine}/secrets"),
                Some(json!({"secretExpiresAfterHours": 8})),
            )
            .await,
        404,
        "SERVICE_ACCOUNT_NOT_FOUND",
    );
    assert_error(
        &server
            .admin(
                Method::DELETE,
                &format!("{through_mine}/secrets/{}", theirs.secret_id),
                None,
            )
            .await,
        404,
        "SERVICE_ACCOUNT_NOT_FOUND",
    );
    assert_error(
        &server.admin(Method::DELETE, &through_mine, None).await,
        404,
        "SERVICE_ACCOUNT_NOT_FOUND",
    );
    let mine = server.admin(Method::GET, &sa_path(V2, &org), None).await;
    assert_eq!(mine.body["totalCount"], 0);
    // Still there in its own organization; its ORG_OWNER token is refused in mine.
    let own = format!("{}/{}", sa_path(V2, &other), theirs.client_id);
    assert_eq!(server.admin(Method::GET, &own, None).await.status, 200);
    let owner = create_sa(server, &other, &["ORG_OWNER"]).await;
    let t = token(server, &owner.client_id, &owner.secret).await;
    let a = bearer(server, Method::GET, &sa_path(V2, &org), &t, None).await;
    assert_error(&a, 403, "INSUFFICIENT_ROLE");
    let b = bearer(server, Method::GET, &sa_path(V2, &other), &t, None).await;
    assert_eq!(b.status, 200, "{}", b.text);
}

async fn changes_are_audited_without_secrets(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (second_id, second) = add_secret(server, &org, &sa.client_id).await;
    let path = format!("{}/{}", sa_path(V2, &org), sa.client_id);
    server
        .admin(Method::PATCH, &path, Some(json!({"name": "n2"})))
        .await;
    let t = token(server, &sa.client_id, &second).await;
    let del = server
        .admin(
            Method::DELETE,
            &format!("{path}/secrets/{}", sa.secret_id),
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(server.admin(Method::DELETE, &path, None).await.status, 204);
    let all = events(server, &org).await;
    let ours: Vec<(&str, &str)> = all
        .iter()
        .filter(|e| {
            e["eventTypeName"]
                .as_str()
                .unwrap()
                .starts_with("SERVICE_ACCOUNT")
        })
        .map(|e| {
            (
                e["eventTypeName"].as_str().unwrap(),
                e["targetId"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        ours,
        vec![
            ("SERVICE_ACCOUNT_DELETED", sa.client_id.as_str()),
            ("SERVICE_ACCOUNT_SECRET_DELETED", sa.secret_id.as_str()),
            ("SERVICE_ACCOUNT_UPDATED", sa.client_id.as_str()),
            ("SERVICE_ACCOUNT_SECRET_CREATED", second_id.as_str()),
            ("SERVICE_ACCOUNT_CREATED", sa.client_id.as_str()),
        ]
    );
    for e in all
        .iter()
        .filter(|e| e["eventTypeName"] == "SERVICE_ACCOUNT_CREATED")
    {
        assert_eq!(e["principal"], "default_native:admin");
        assert_eq!(e["outcome"], "SUCCESS");
    }
    let text = events_text(server, &org).await;
    for secret in [&sa.secret, &second, &t] {
        assert!(
            !text.contains(secret.as_str()),
            "a secret in the audit trail"
        );
    }
}

store_tests!(
    create_shows_the_secret_once_then_masks_it,
    secret_lifetimes_on_the_atlas_face,
    create_body_errors_name_the_field,
    at_most_two_unexpired_secrets_and_deletion,
    client_ids_are_checked_and_unknown_ones_are_404,
    update_and_delete,
    lists_are_paginated,
    another_organizations_accounts_are_not_found_here,
    changes_are_audited_without_secrets,
);
