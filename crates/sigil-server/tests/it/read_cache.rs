//! The records an authenticated Atlas Admin API read uses (organizations, federation
//! settings, connected organizations, identity providers, service accounts and their secrets)
//! are served from memory, and never outlive a change: a node reads its own writes at once,
//! and another node's once it has applied the change log.

use crate::atlas_support::*;
use crate::credentials_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, StoreKind, TestServer};

fn secrets_of(a: &sigil_testkit::Answer) -> usize {
    a.body["secrets"].as_array().map_or(0, Vec::len)
}

/// Read, write, read again on one node: the second read shows the write.
async fn a_node_reads_its_own_writes(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let idp = create_idp(server, &fs, workload("before")).await;
    let idp_path = format!("{}/{idp}", idps_path(&fs));
    let first = server.admin(Method::GET, &idp_path, None).await;
    assert_eq!(first.body["displayName"], "before", "{}", first.text);
    let patched = server
        .admin(
            Method::PATCH,
            &idp_path,
            Some(json!({"displayName": "after"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let second = server.admin(Method::GET, &idp_path, None).await;
    assert_eq!(second.body["displayName"], "after", "{}", second.text);

    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let sa_url = format!("{}/{}", sa_path(V2, &org), sa.client_id);
    assert_eq!(
        secrets_of(&server.admin(Method::GET, &sa_url, None).await),
        1
    );
    add_secret(server, &org, &sa.client_id).await;
    assert_eq!(
        secrets_of(&server.admin(Method::GET, &sa_url, None).await),
        2
    );

    let deleted = server.admin(Method::DELETE, &idp_path, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let gone = server.admin(Method::GET, &idp_path, None).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
}

store_tests!(a_node_reads_its_own_writes);

/// Node B has the records in memory; node A changes them; once B has applied the change log
/// (`sync_now`, what its background sync does on PostgreSQL's notification) B shows the change.
#[tokio::test]
async fn another_nodes_change_reaches_the_cache_through_the_change_log() {
    let Some(a) = TestServer::start(StoreKind::Postgres).await else {
        return;
    };
    let b = a.second_node().await;
    let (org, fs) = a.default_org().await;
    let idp = create_idp(&a, &fs, workload("before")).await;
    let idp_path = format!("{}/{idp}", idps_path(&fs));
    let sa = create_sa(&a, &org, &["ORG_MEMBER"]).await;
    let sa_url = format!("{}/{}", sa_path(V2, &org), sa.client_id);
    let read = b.admin(Method::GET, &idp_path, None).await;
    assert_eq!(read.body["displayName"], "before", "{}", read.text);
    assert_eq!(secrets_of(&b.admin(Method::GET, &sa_url, None).await), 1);

    let patched = a
        .admin(
            Method::PATCH,
            &idp_path,
            Some(json!({"displayName": "after"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    add_secret(&a, &org, &sa.client_id).await;
    b.sync_now().await;
    let read = b.admin(Method::GET, &idp_path, None).await;
    assert_eq!(read.body["displayName"], "after", "{}", read.text);
    assert_eq!(secrets_of(&b.admin(Method::GET, &sa_url, None).await), 2);

    let deleted = a.admin(Method::DELETE, &sa_url, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    b.sync_now().await;
    let gone = b.admin(Method::GET, &sa_url, None).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
}
