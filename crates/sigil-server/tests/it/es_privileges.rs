//! Elasticsearch privileges as its security API documents them: the whole cluster-privilege
//! vocabulary, `_has_privileges`, names reserved with a leading `_`, and the application
//! privileges API.

use crate::es_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer};

const CAROL: Who<'static> = Who::User("carol");

/// Every documented cluster privilege and group is accepted in roles and in key descriptors,
/// granting in Sigil only what maps onto its operations; an unknown name is still 400 naming
/// the field.
async fn documented_cluster_privileges_are_accepted(server: &TestServer) {
    let names = [
        "manage",
        "monitor",
        "none",
        "manage_token",
        "manage_ml",
        "cancel_task",
        "read_ilm",
    ];
    put_role(server, "wide", &names).await;
    let a = get(server, Who::Admin, "/_security/role/wide").await;
    assert_eq!(a.body["wide"]["cluster"], json!(names), "{}", a.text);
    let a = put(
        server,
        Who::Admin,
        "/_security/role/odd",
        json!({"cluster": ["manage", "sing"]}),
    )
    .await;
    let reason = assert_validation(&a);
    assert!(
        reason.contains("unknown cluster privilege [sing]"),
        "{reason}"
    );
    let a = es(
        server,
        Who::Admin,
        Method::POST,
        KEYS,
        Some(json!({"name": "k", "role_descriptors": {"r": {"cluster": ["monitor", "sing"]}}})),
    )
    .await;
    let reason = assert_validation(&a);
    assert!(reason.contains("sing"), "{reason}");
    let key = create_key_with(
        server,
        Who::Admin,
        json!({"name": "mon", "role_descriptors": {"r": {"cluster": ["monitor", "manage_token"]}}}),
    )
    .await;
    assert_eq!(
        get(server, Who::Key(&key.encoded), "/_cluster/health")
            .await
            .status,
        200
    );
    let a = get(server, Who::Key(&key.encoded), KEYS).await;
    assert_eq!(a.status, 403, "monitor grants no API key right: {}", a.text);
    // `manage_ml` grants nothing in Sigil: no health, no keys.
    user_with(server, "mel", &["manage_ml"]).await;
    assert_eq!(
        get(server, Who::User("mel"), "/_cluster/health")
            .await
            .status,
        403
    );
    let a = es(
        server,
        Who::User("mel"),
        Method::POST,
        KEYS,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text);
    // `manage` includes `monitor`; a manage_security user may write a role naming
    // privileges that grant nothing in Sigil, but not `manage` (it grants health reads).
    user_with(server, "max", &["manage"]).await;
    assert_eq!(
        get(server, Who::User("max"), "/_cluster/health")
            .await
            .status,
        200
    );
    user_with(server, "sec", &["manage_security"]).await;
    let a = put(
        server,
        Who::User("sec"),
        "/_security/role/ml",
        json!({"cluster": ["manage_ml", "none"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = put(
        server,
        Who::User("sec"),
        "/_security/role/mgr",
        json!({"cluster": ["manage"]}),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text);
}

async fn carol_with_privileges(server: &TestServer) {
    let role = json!({
        "cluster": ["monitor", "manage_own_api_key"],
        "indices": [{"names": ["logs-*"], "privileges": ["read"]}],
        "applications": [{"application": "myapp", "privileges": ["read"], "resources": ["*"]}],
    });
    assert_eq!(
        put(server, Who::Admin, "/_security/role/ops", role)
            .await
            .status,
        200
    );
    put_user(server, "carol", &["ops"]).await;
    let privilege = json!({"myapp": {"read": {"actions": ["data:read/*"]}}});
    let a = put(server, Who::Admin, "/_security/privilege", privilege).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// `_has_privileges` answers every privilege asked, in Elasticsearch's shape, from the
/// caller's roles; an API key's answer is its descriptors intersected with its owner's.
async fn has_privileges_answers_in_elasticsearchs_shape(server: &TestServer) {
    carol_with_privileges(server).await;
    let ask = json!({
        "cluster": ["monitor", "manage", "manage_own_api_key", "none"],
        "index": [{"names": ["logs-2024", "secret"], "privileges": ["read", "write"]}],
        "application": [{"application": "myapp", "privileges": ["read", "data:read/x", "data:write/x"], "resources": ["doc/1"]}],
    });
    let expected = json!({
        "username": "carol",
        "has_all_requested": false,
        "cluster": {"monitor": true, "manage": false, "manage_own_api_key": true, "none": true},
        "index": {
            "logs-2024": {"read": true, "write": false},
            "secret": {"read": false, "write": false},
        },
        "application": {"myapp": {"doc/1": {"read": true, "data:read/x": true, "data:write/x": false}}},
    });
    for (method, path) in [
        (Method::POST, "/_security/user/_has_privileges"),
        (Method::GET, "/_security/user/_has_privileges"),
        (Method::POST, "/_security/user/carol/_has_privileges"),
        (Method::GET, "/_security/user/carol/_has_privileges"),
    ] {
        let a = es(server, CAROL, method.clone(), path, Some(ask.clone())).await;
        assert_eq!(outcome(&a), (200, &expected), "{method} {path}");
    }
    let a = es(
        server,
        CAROL,
        Method::POST,
        "/_security/user/_has_privileges",
        Some(json!({"cluster": ["monitor"]})),
    )
    .await;
    assert_eq!(a.body["has_all_requested"], true, "{}", a.text);
    assert_eq!(a.body["index"], json!({}));
    assert_eq!(a.body["application"], json!({}));
    // Nobody checks another user's privileges.
    let a = es(
        server,
        CAROL,
        Method::POST,
        "/_security/user/admin/_has_privileges",
        Some(ask.clone()),
    )
    .await;
    assert_error(&a, 400, "illegal_argument_exception");
    let a = es(
        server,
        CAROL,
        Method::POST,
        "/_security/user/_has_privileges",
        Some(json!({"cluster": ["sing"]})),
    )
    .await;
    assert!(assert_validation(&a).contains("unknown cluster privilege [sing]"));
    let a = es(
        server,
        Who::Anonymous,
        Method::POST,
        "/_security/user/_has_privileges",
        Some(ask.clone()),
    )
    .await;
    assert_unauthenticated(&a);
    // The admin (superuser) holds everything.
    let a = es(
        server,
        Who::Admin,
        Method::POST,
        "/_security/user/_has_privileges",
        Some(ask.clone()),
    )
    .await;
    assert_eq!(a.body["has_all_requested"], true, "{}", a.text);
    // A key asking for `all` and wide index rights holds what its owner holds of them.
    let key = create_key_with(
        server,
        CAROL,
        json!({"name": "k", "role_descriptors": {"r": {"cluster": ["all"], "index": [{"names": "logs-a*", "privileges": ["all"]}]}}}),
    )
    .await;
    let a = es(
        server,
        Who::Key(&key.encoded),
        Method::POST,
        "/_security/user/_has_privileges",
        Some(json!({
            "cluster": ["manage_own_api_key", "monitor", "manage_api_key"],
            "index": [{"names": ["logs-a1", "logs-b1"], "privileges": ["read", "write"]}],
            "application": [{"application": "myapp", "privileges": ["read"], "resources": ["doc/1"]}],
        })),
    )
    .await;
    assert_eq!(
        outcome(&a),
        (
            200,
            &json!({
                "username": "carol",
                "has_all_requested": false,
                "cluster": {"manage_own_api_key": true, "monitor": true, "manage_api_key": false},
                "index": {"logs-a1": {"read": true, "write": false}, "logs-b1": {"read": false, "write": false}},
                "application": {"myapp": {"doc/1": {"read": false}}},
            })
        )
    );
}

/// Names with a leading `_` are Elasticsearch's: `POST /_security/user/_has_privileges`
/// never creates a user, and no user or role takes such a name.
async fn reserved_names_are_refused(server: &TestServer) {
    let as_user = json!({"password": PASSWORD, "roles": []});
    let a = es(
        server,
        Who::Admin,
        Method::POST,
        "/_security/user/_has_privileges",
        Some(as_user.clone()),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.text);
    let a = put(
        server,
        Who::Admin,
        "/_security/user/_has_privileges",
        as_user.clone(),
    )
    .await;
    assert_eq!(a.status, 405, "{}", a.text);
    assert!(
        a.body["error"]
            .as_str()
            .is_some_and(|e| e.ends_with("method [PUT], allowed: [GET, HEAD, POST]")),
        "{}",
        a.text
    );
    let a = put(server, Who::Admin, "/_security/user/_someone", as_user).await;
    assert!(assert_validation(&a).contains("reserved"), "{}", a.text);
    let a = put(
        server,
        Who::Admin,
        "/_security/role/_ops",
        json!({"cluster": []}),
    )
    .await;
    assert!(assert_validation(&a).contains("reserved"), "{}", a.text);
    let users = get(server, Who::Admin, "/_security/user").await;
    assert!(
        users
            .body
            .as_object()
            .is_some_and(|m| m.keys().all(|k| !k.starts_with('_'))),
        "{}",
        users.text
    );
}

/// Application privileges are stored and answered as Elasticsearch nests them; putting and
/// deleting needs manage_security, reading read_security.
async fn application_privileges_are_stored_and_answered(server: &TestServer) {
    let body = json!({
        "myapp": {
            "read": {"actions": ["data:read/*", "action:login"], "metadata": {"description": "Read access"}},
            "write": {"actions": ["data:write/*"]},
        },
        "other": {"admin": {"actions": ["*"]}},
    });
    let a = put(server, Who::Admin, "/_security/privilege", body.clone()).await;
    assert_eq!(
        outcome(&a),
        (
            200,
            &json!({"myapp": {"read": {"created": true}, "write": {"created": true}}, "other": {"admin": {"created": true}}})
        )
    );
    let a = es(
        server,
        Who::Admin,
        Method::POST,
        "/_security/privilege",
        Some(json!({"myapp": {"read": {"actions": ["data:read/*"]}}})),
    )
    .await;
    assert_eq!(
        outcome(&a),
        (200, &json!({"myapp": {"read": {"created": false}}}))
    );
    let a = get(server, Who::Admin, "/_security/privilege/myapp/read").await;
    assert_eq!(
        outcome(&a),
        (
            200,
            &json!({"myapp": {"read": {"application": "myapp", "name": "read", "actions": ["data:read/*"], "metadata": {}}}})
        )
    );
    let a = get(server, Who::Admin, "/_security/privilege/myapp").await;
    let names: Vec<&String> = a.body["myapp"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["read", "write"], "{}", a.text);
    let a = get(server, Who::Admin, "/_security/privilege").await;
    assert_eq!(
        a.body["other"]["admin"]["actions"],
        json!(["*"]),
        "{}",
        a.text
    );
    assert_eq!(
        outcome(&get(server, Who::Admin, "/_security/privilege/nothere").await),
        (404, &json!({}))
    );
    for bad in [
        json!({"My": {"read": {"actions": ["data:read/*"]}}}),
        json!({"myapp": {"_read": {"actions": ["data:read/*"]}}}),
        json!({"myapp": {"read": {"actions": ["read"]}}}),
        json!({"myapp": {"read": {"actions": []}}}),
        json!({"myapp": {"read": {"actions": ["a:b"], "metadata": {"_x": 1}}}}),
        json!({"myapp": {"read": {"actions": ["a:b"], "colour": 1}}}),
        json!({}),
    ] {
        let a = put(server, Who::Admin, "/_security/privilege", bad.clone()).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.text);
    }
    user_with(server, "reader", &["read_security"]).await;
    assert_eq!(
        get(server, Who::User("reader"), "/_security/privilege/myapp")
            .await
            .status,
        200
    );
    let a = put(server, Who::User("reader"), "/_security/privilege", body).await;
    assert_forbidden(&a, "cluster:admin/xpack/security/privilege/put", "reader");
    user_with(server, "owner", &["manage_own_api_key"]).await;
    let a = get(server, Who::User("owner"), "/_security/privilege").await;
    assert_forbidden(&a, "cluster:admin/xpack/security/privilege/get", "owner");
    let a = es(
        server,
        Who::Admin,
        Method::DELETE,
        "/_security/privilege/myapp/read,ghost",
        None,
    )
    .await;
    assert_eq!(
        outcome(&a),
        (
            200,
            &json!({"myapp": {"read": {"found": true}, "ghost": {"found": false}}})
        )
    );
    let a = es(
        server,
        Who::Admin,
        Method::DELETE,
        "/_security/privilege/myapp/read",
        None,
    )
    .await;
    assert_eq!(
        outcome(&a),
        (404, &json!({"myapp": {"read": {"found": false}}}))
    );
    let a = get(server, Who::Admin, "/_security/privilege/_builtin").await;
    let cluster = a.body["cluster"].as_array().cloned().unwrap_or_default();
    assert!(
        cluster.contains(&json!("manage_token")) && cluster.contains(&json!("none")),
        "{}",
        a.text
    );
    assert!(a.body["index"]
        .as_array()
        .is_some_and(|i| i.contains(&json!("read"))));
}

store_tests!(
    documented_cluster_privileges_are_accepted,
    has_privileges_answers_in_elasticsearchs_shape,
    reserved_names_are_refused,
    application_privileges_are_stored_and_answered,
);
