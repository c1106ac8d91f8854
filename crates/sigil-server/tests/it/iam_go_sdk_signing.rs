//! Requests signed as the Huawei Cloud Go SDK signs them: `SignedHeaders` of `user-agent`,
//! `x-domain-id` and `x-sdk-date`, never `host` (huaweicloud-sdk-go-v3's signer lists only the
//! headers it set itself). They are accepted; a signature that leaves out the date is still
//! refused, in IAM's format.

use crate::iam_access_keys::{admin_ids, create_key, Key};
use crate::iam_support::*;
use sha2::{Digest, Sha256};
use sigil_core::iam::signature::{canonical_request, sign, string_to_sign, ReceivedRequest};
use sigil_testkit::{store_tests, Answer, TestServer};

const USER_AGENT: &str = "huaweicloud-usdk-go/3.0";

/// GET `path` (no query) signed with `key` over `signed` (sorted names, among `user-agent`,
/// `x-domain-id` and `x-sdk-date`), every one of them sent.
async fn get_signed(
    server: &TestServer,
    path: &str,
    key: &Key,
    domain: &str,
    signed: &[&str],
) -> Answer {
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let all = [
        ("user-agent", USER_AGENT.to_owned()),
        ("x-domain-id", domain.to_owned()),
        ("x-sdk-date", date.clone()),
    ];
    let headers: Vec<(String, String)> = all
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    let names: Vec<String> = signed.iter().map(|n| (*n).to_owned()).collect();
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
    let signature = sign(key.secret.as_bytes(), &string_to_sign(&date, &canonical));
    let r = server
        .client
        .get(format!("{}{path}", server.url))
        .header("User-Agent", USER_AGENT)
        .header("X-Domain-Id", domain)
        .header("X-Sdk-Date", date)
        .header(
            "Authorization",
            format!(
                "SDK-HMAC-SHA256 Access={}, SignedHeaders={}, Signature={signature}",
                key.access,
                names.join(";")
            ),
        );
    server.send(r).await
}

async fn a_request_signed_without_host_is_accepted(server: &TestServer) {
    let token = admin_token(server).await;
    let (user, domain) = admin_ids(server).await;
    let key = create_key(server, &token, &user).await;
    let created = create_provider(server, &token, "go-sdk-signed").await;
    assert!(created.is_object(), "{created}");
    let path = "/v3/OS-FEDERATION/identity_providers/go-sdk-signed";

    let a = get_signed(
        server,
        path,
        &key,
        &domain,
        &["user-agent", "x-domain-id", "x-sdk-date"],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["identity_provider"]["id"], "go-sdk-signed",
        "{}",
        a.text
    );

    // The date must still be signed: without it the signature would outlive its window.
    let a = get_signed(server, path, &key, &domain, &["user-agent", "x-domain-id"]).await;
    assert_keystone(&a, 401);
}

store_tests!(a_request_signed_without_host_is_accepted);
