//! What an Elasticsearch API-key client observes beyond the basics: descriptors normalized,
//! `limited_by` as the owner's roles, who may see it, a key's privileges as an intersection,
//! bulk update, cache clearing, millisecond times and `search_after`, the cluster probes and
//! Elasticsearch's answers for unknown paths and methods.

use crate::es_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};
use std::time::Duration;

const DAVE: Who<'static> = Who::User("dave");

fn normalized(cluster: &[&str], indices: Value) -> Value {
    json!({
        "cluster": cluster, "indices": indices, "applications": [], "run_as": [],
        "metadata": {}, "transient_metadata": {"enabled": true},
    })
}

/// Get and query answer descriptors as Elasticsearch normalizes them, and `limited_by` as the
/// owner's role names with their descriptors; only `manage_api_key` may ask for it.
async fn descriptors_are_normalized_and_limited_by_names_the_owners_roles(server: &TestServer) {
    let role = json!({"cluster": ["manage_own_api_key"], "indices": [{"names": "logs", "privileges": ["read"]}]});
    assert_eq!(
        put(server, Who::Admin, "/_security/role/keys", role)
            .await
            .status,
        200
    );
    put_user(server, "dave", &["keys"]).await;
    let key = create_key_with(
        server,
        DAVE,
        json!({"name": "k", "role_descriptors": {"r": {"cluster": ["manage_own_api_key"], "index": [{"names": "logs", "privileges": ["read"]}]}}}),
    )
    .await;
    let logs =
        json!([{"names": ["logs"], "privileges": ["read"], "allow_restricted_indices": false}]);
    let a = get_keys(
        server,
        Who::Admin,
        &format!("?id={}&with_limited_by=true", key.id),
    )
    .await;
    let k = &a.body["api_keys"][0];
    assert_eq!(
        k["role_descriptors"],
        json!({"r": normalized(&["manage_own_api_key"], logs.clone())}),
        "{}",
        a.text
    );
    assert_eq!(
        k["limited_by"],
        json!([{"keys": normalized(&["manage_own_api_key"], logs.clone())}]),
        "{}",
        a.text
    );
    let a = query(
        server,
        Who::Admin,
        json!({"query": {"ids": {"values": [key.id]}}}),
    )
    .await;
    assert_eq!(
        a.body["api_keys"][0]["role_descriptors"]["r"],
        normalized(&["manage_own_api_key"], logs.clone())
    );
    assert!(
        a.body["api_keys"][0].get("limited_by").is_none(),
        "{}",
        a.text
    );
    let a = es(
        server,
        Who::Admin,
        Method::POST,
        "/_security/_query/api_key?with_limited_by=true",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        a.body["api_keys"][0]["limited_by"][0]["keys"]["cluster"],
        json!(["manage_own_api_key"]),
        "{}",
        a.text
    );
    // The owner's key, and the owner itself, lack manage_api_key: 403.
    for who in [DAVE, Who::Key(&key.encoded)] {
        let a = get_keys(server, who, &format!("?id={}&with_limited_by=true", key.id)).await;
        assert_eq!(a.status, 403, "{}", a.text);
        let a = es(
            server,
            who,
            Method::POST,
            "/_security/_query/api_key?with_limited_by=true",
            Some(json!({})),
        )
        .await;
        assert_eq!(a.status, 403, "{}", a.text);
        assert_eq!(get_keys(server, who, &by_id(&key.id)).await.status, 200);
    }
    // The admin's key without descriptors is limited by the superuser role.
    let mine = create_key(server, Who::Admin, "admin-key").await;
    let a = get_keys(
        server,
        Who::Admin,
        &format!("?id={}&with_limited_by=true", mine.id),
    )
    .await;
    let k = &a.body["api_keys"][0];
    assert_eq!(k["role_descriptors"], json!({}), "{}", a.text);
    assert_eq!(
        k["limited_by"][0]["superuser"]["cluster"],
        json!(["all"]),
        "{}",
        a.text
    );
}

/// A key's privileges are its descriptors intersected with its owner's: `all` asked of a
/// `manage_own_api_key` owner is `manage_own_api_key`, enough to read itself.
async fn a_key_holds_the_intersection_with_its_owner(server: &TestServer) {
    user_with(server, "erin", &["manage_own_api_key"]).await;
    let key = create_key_with(
        server,
        Who::User("erin"),
        json!({"name": "wide", "role_descriptors": {"r": {"cluster": ["all"]}}}),
    )
    .await;
    let me = Who::Key(&key.encoded);
    let a = get_keys(server, me, &by_id(&key.id)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["api_keys"][0]["id"], key.id.as_str());
    let a = put(server, me, "/_security/role/x", json!({"cluster": []})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = get(server, me, "/_security/user").await;
    assert_eq!(a.status, 403, "{}", a.text);
}

/// Bulk update applies one update to each of the caller's keys and answers each on its own.
async fn bulk_update_answers_per_key(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let bob = Who::User("bob");
    let (k1, k2) = (
        create_key(server, bob, "one").await,
        create_key(server, bob, "two").await,
    );
    let gone = create_key(server, bob, "gone").await;
    let theirs = create_key(server, Who::Admin, "admins").await;
    assert_invalidated(
        &invalidate(server, bob, json!({"ids": [gone.id], "owner": true})).await,
        &[&gone.id],
    );
    let path = "/_security/api_key/_bulk_update";
    let body = json!({"ids": [k1.id, k2.id, theirs.id, gone.id, "VuaCfGcBCdbkQm-e5aOx"], "metadata": {"env": "prod"}});
    let a = es(server, bob, Method::POST, path, Some(body.clone())).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(sorted_list(&a.body["updated"]), sorted(&[&k1.id, &k2.id]));
    assert_eq!(a.body["noops"], json!([]));
    assert_eq!(a.body["errors"]["count"], 3, "{}", a.text);
    let details = &a.body["errors"]["details"];
    assert_eq!(
        details[&theirs.id]["type"], "resource_not_found_exception",
        "{}",
        a.text
    );
    assert_eq!(
        details[&gone.id]["type"], "action_request_validation_exception",
        "{}",
        a.text
    );
    let got = get_keys(server, bob, &by_id(&k1.id)).await;
    assert_eq!(got.body["api_keys"][0]["metadata"], json!({"env": "prod"}));
    let again = es(
        server,
        bob,
        Method::POST,
        path,
        Some(json!({"ids": [k1.id, k2.id], "metadata": {"env": "prod"}})),
    )
    .await;
    assert_eq!(
        outcome(&again),
        (200, &json!({"updated": [], "noops": [k1.id, k2.id]}))
    );
    for bad in [
        json!({"ids": []}),
        json!({"metadata": {}}),
        json!({"ids": [k1.id], "metadata": {"_x": 1}}),
    ] {
        let a = es(server, bob, Method::POST, path, Some(bad.clone())).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.text);
    }
    // An API key does not update keys, in bulk or not.
    let a = es(
        server,
        Who::Key(&k1.encoded),
        Method::POST,
        path,
        Some(json!({"ids": [k1.id]})),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text);
}

/// Clearing the cache answers for the one node; a key still authenticates after it.
async fn clear_cache_answers_for_the_node(server: &TestServer) {
    let key = create_key(server, Who::Admin, "cached").await;
    assert_eq!(whoami(server, Who::Key(&key.encoded)).await.status, 200);
    for ids in [
        key.id.clone(),
        format!("{},VuaCfGcBCdbkQm-e5aOx", key.id),
        "*".into(),
    ] {
        let a = es(
            server,
            Who::Admin,
            Method::POST,
            &format!("/_security/api_key/{ids}/_clear_cache"),
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(
            a.body["_nodes"],
            json!({"total": 1, "successful": 1, "failed": 0})
        );
        assert_eq!(whoami(server, Who::Key(&key.encoded)).await.status, 200);
    }
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let path = format!("/_security/api_key/{}/_clear_cache", key.id);
    let a = es(server, Who::User("bob"), Method::POST, &path, None).await;
    assert_forbidden(
        &a,
        "cluster:admin/xpack/security/api_key/clear_cache",
        "bob",
    );
}

/// Times are kept and answered to the millisecond, keys made within one second sort in the
/// order they were made, and `search_after` takes a date as Elasticsearch's clients send it.
async fn times_are_milliseconds_and_search_after_takes_date_strings(server: &TestServer) {
    server.clock().freeze();
    let mut keys = vec![];
    for name in ["a", "b", "c"] {
        server.clock().advance(Duration::from_millis(250));
        keys.push(
            create_key_with(
                server,
                Who::Admin,
                json!({"name": name, "expiration": "1h"}),
            )
            .await,
        );
    }
    let a = query(server, Who::Admin, json!({"sort": [{"creation": "asc"}]})).await;
    let listed: Vec<&Value> = a.body["api_keys"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let names: Vec<&str> = listed.iter().filter_map(|k| k["name"].as_str()).collect();
    assert_eq!(names, ["a", "b", "c"], "{}", a.text);
    let creations: Vec<i64> = listed
        .iter()
        .filter_map(|k| k["creation"].as_i64())
        .collect();
    assert_eq!(creations[1] - creations[0], 250, "{creations:?}");
    assert_ne!(creations[0] % 1000, 0, "milliseconds kept: {creations:?}");
    let expiration = listed[0]["expiration"].as_i64().unwrap_or_default();
    assert_eq!(expiration - creations[0], 3_600_000);
    assert_eq!(keys[0].body["expiration"], expiration);
    let first = creations[0];
    let as_date = chrono::DateTime::from_timestamp_millis(first)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default();
    for after in [json!(first), json!(first.to_string()), json!(as_date)] {
        let a = query(
            server,
            Who::Admin,
            json!({"sort": ["creation"], "search_after": [after]}),
        )
        .await;
        let names: Vec<&str> = a.body["api_keys"]
            .as_array()
            .map(|v| v.iter().filter_map(|k| k["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["b", "c"], "after {after}: {}", a.text);
        assert_eq!(a.body["api_keys"][0]["_sort"], json!([creations[1]]));
    }
}

/// `GET /_cluster/health` and `GET /_xpack` answer a caller holding `monitor` (or more).
async fn cluster_probes_answer_monitor(server: &TestServer) {
    let a = get(server, Who::Admin, "/_cluster/health").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "green");
    assert_eq!(a.body["number_of_nodes"], 1);
    let a = get(server, Who::Admin, "/_xpack").await;
    assert_eq!(
        a.body["features"]["security"]["enabled"], true,
        "{}",
        a.text
    );
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let a = get(server, Who::User("bob"), "/_cluster/health").await;
    assert_forbidden(&a, "cluster:monitor/health", "bob");
    let a = get(server, Who::User("bob"), "/_xpack").await;
    assert_forbidden(&a, "cluster:monitor/xpack/info", "bob");
    assert_unauthenticated(&get(server, Who::Anonymous, "/_cluster/health").await);
    user_with(server, "ops", &["monitor"]).await;
    assert_eq!(
        get(server, Who::User("ops"), "/_cluster/health")
            .await
            .status,
        200
    );
}

/// Under the face's paths, an unknown path or method gets Elasticsearch's answer; other
/// faces keep theirs.
async fn unknown_paths_answer_as_elasticsearch(server: &TestServer) {
    let a = get(server, Who::Admin, "/_security/nothing").await;
    assert_eq!(
        outcome(&a),
        (
            400,
            &json!({"error": "no handler found for uri [/_security/nothing] and method [GET]", "status": 400})
        )
    );
    let a = es(server, Who::Anonymous, Method::DELETE, "/_nodes/x/y", None).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let a = es(
        server,
        Who::Admin,
        Method::PUT,
        "/_security/_authenticate",
        None,
    )
    .await;
    assert_eq!(a.status, 405, "{}", a.text);
    assert_eq!(a.body["status"], 405, "{}", a.text);
    assert_eq!(a.header("allow"), Some("GET,HEAD"));
    assert_eq!(
        a.body["error"],
        "Incorrect HTTP method for uri [/_security/_authenticate] and method [PUT], allowed: [GET, HEAD]"
    );
    let a = server
        .admin(Method::GET, "/api/atlas/v2/nothing", None)
        .await;
    assert_eq!(a.status, 404, "{}", a.text);
    assert!(
        a.body["errorCode"].is_string(),
        "the Atlas body: {}",
        a.text
    );
    assert!(a.header("x-elastic-product").is_none());
}

store_tests!(
    descriptors_are_normalized_and_limited_by_names_the_owners_roles,
    a_key_holds_the_intersection_with_its_owner,
    bulk_update_answers_per_key,
    clear_cache_answers_for_the_node,
    times_are_milliseconds_and_search_after_takes_date_strings,
    cluster_probes_answer_monitor,
    unknown_paths_answer_as_elasticsearch,
);
