//! The Elasticsearch security face (spec 30): the product header and media types, the error
//! body and challenges, users, roles, privileges and `_authenticate`, and `ApiKey` headers
//! that are not credentials.

use crate::credentials_support::{create_sa, token};
use crate::es_support::*;
use crate::federation_support::fresh_client;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

const COMPAT_8: &str = "application/vnd.elasticsearch+json;compatible-with=8";
const PUT_USER: &str = "cluster:admin/xpack/security/user/put";
const GET_USER: &str = "cluster:admin/xpack/security/user/get";

async fn answers_name_the_product_and_the_media_type(server: &TestServer) {
    // Compatible-with=8 asked for: it is what answers, success and errors alike.
    for (who, path, status) in [
        (Who::Admin, "/_security/_authenticate", 200),
        (Who::Anonymous, "/_security/_authenticate", 401),
        (Who::Admin, "/_security/user/nobody", 404),
        (
            Who::Admin,
            "/_security/api_key?id=VuaCfGcBCdbkQm-e5aOx",
            404,
        ),
    ] {
        let mut r = fresh_client()
            .get(format!("{}{path}", server.url))
            .header("accept", COMPAT_8);
        if let Who::Admin = who {
            r = r.basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD));
        }
        let a = server.send(r).await;
        assert_eq!(a.status, status, "{path}: {}", a.text);
        assert_eq!(a.header("x-elastic-product"), Some("Elasticsearch"));
        assert_eq!(a.header("content-type"), Some(COMPAT_8), "{path}");
    }
    // A body typed as the 9.x client types it is JSON all the same.
    let r = server
        .client
        .put(format!("{}/_security/role/from-client-9", server.url))
        .basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD))
        .header(
            "content-type",
            "application/vnd.elasticsearch+json; compatible-with=9",
        )
        .header(
            "accept",
            "application/vnd.elasticsearch+json; compatible-with=9",
        )
        .body(r#"{"cluster": ["read_security"]}"#);
    let a = server.send(r).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body, json!({"role": {"created": true}}));
    assert_eq!(
        a.header("content-type"),
        Some("application/vnd.elasticsearch+json;compatible-with=9")
    );
    assert_eq!(a.header("x-elastic-product"), Some("Elasticsearch"));
    let got = get(server, Who::Admin, "/_security/role/from-client-9").await;
    assert_eq!(
        got.body["from-client-9"]["cluster"],
        json!(["read_security"])
    );
    // Without Accept, plain JSON (checked by `es` on every answer), 2xx and 4xx.
    let a = get(server, Who::Admin, "/_security/_authenticate").await;
    assert_eq!(a.header("content-type"), Some("application/json"));
    let a = get(server, Who::User("nobody"), "/").await;
    assert_unauthenticated(&a);
    // The common query parameters are accepted.
    let a = get(
        server,
        Who::Admin,
        "/_security/_authenticate?pretty=true&human=true&error_trace=true",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["username"], "admin");
}

async fn errors_have_the_elasticsearch_shape(server: &TestServer) {
    for who in [
        Who::Anonymous,
        Who::User("admin"),
        Who::Raw("Bearer not-a-token"),
        Who::Raw("Basic !!!"),
        Who::Raw("Negotiate abc"),
    ] {
        let a = es(server, who, Method::GET, "/_security/_authenticate", None).await;
        assert_unauthenticated(&a);
    }
    let path = "/_security/user/shape";
    // An unknown field, named.
    let a = put(
        server,
        Who::Admin,
        path,
        json!({"password": PASSWORD, "passwd": "x"}),
    )
    .await;
    let reason = assert_error(&a, 400, "x_content_parse_exception");
    assert!(reason.contains("[passwd]"), "{reason}");
    // A wrong type, naming its field.
    let a = put(
        server,
        Who::Admin,
        path,
        json!({"password": PASSWORD, "roles": "superuser"}),
    )
    .await;
    let reason = assert_error(&a, 400, "x_content_parse_exception");
    assert!(reason.contains("roles"), "{reason}");
    let a = admin(
        server,
        Method::POST,
        "/_security/api_key",
        Some(json!({"name": "k", "expiration": 5})),
    )
    .await;
    let reason = assert_error(&a, 400, "x_content_parse_exception");
    assert!(reason.contains("expiration"), "{reason}");
    // Malformed JSON.
    let r = server
        .client
        .put(format!("{}{path}", server.url))
        .basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD))
        .header("content-type", "application/json")
        .body(r#"{"password": "#);
    let a = server.send(r).await;
    assert_headers(&a, "malformed JSON");
    assert_error(&a, 400, "parsing_exception");
    // A body over 1 MiB.
    let big = json!({"name": "big", "metadata": {"blob": "x".repeat(1024 * 1024 + 1)}});
    let a = admin(server, Method::POST, "/_security/api_key", Some(big)).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert_eq!(a.body["status"], 413, "{}", a.text);
    // Nothing of the refused requests was created.
    let a = get(server, Who::Admin, path).await;
    assert_eq!(a.status, 404, "{}", a.text);
}

async fn users_are_created_read_and_deleted(server: &TestServer) {
    let alice = json!({"password": PASSWORD, "roles": ["r1", "r2"], "full_name": "Alice A",
        "email": "alice@example.com", "metadata": {"team": "blue"}, "enabled": true});
    let path = "/_security/user/alice";
    let a = put(server, Who::Admin, path, alice.clone()).await;
    assert_eq!(outcome(&a), (200, &json!({"created": true})));
    let a = admin(server, Method::POST, path, Some(alice)).await;
    assert_eq!(outcome(&a), (200, &json!({"created": false})));
    let a = get(server, Who::Admin, path).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let u = &a.body["alice"];
    assert_eq!(u["username"], "alice");
    assert_eq!(u["roles"], json!(["r1", "r2"]));
    assert_eq!(u["full_name"], "Alice A");
    assert_eq!(u["email"], "alice@example.com");
    assert_eq!(u["metadata"], json!({"team": "blue"}));
    assert_eq!(u["enabled"], true);
    assert!(
        !a.text.contains(PASSWORD) && !a.text.contains("argon2"),
        "{}",
        a.text
    );
    put_user(server, "bert", &[]).await;
    let a = get(server, Who::Admin, "/_security/user/alice,bert").await;
    let mut names: Vec<&String> = a.body.as_object().expect("object").keys().collect();
    names.sort();
    assert_eq!(names, ["alice", "bert"]);
    let a = get(server, Who::Admin, "/_security/user").await;
    for name in ["admin", "alice", "bert"] {
        assert_eq!(a.body[name]["username"], name, "{}", a.text);
    }
    // An unknown user: 404 and an empty object.
    let a = get(server, Who::Admin, "/_security/user/nobody").await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (404, "{}"));
    // Passwords of fewer than 6 characters; a new user without one.
    let a = put(
        server,
        Who::Admin,
        "/_security/user/shorty",
        json!({"password": "12345"}),
    )
    .await;
    let reason = assert_validation(&a);
    assert!(reason.contains("password"), "{reason}");
    let a = put(
        server,
        Who::Admin,
        "/_security/user/shorty",
        json!({"roles": []}),
    )
    .await;
    assert_validation(&a);
    let a = put(
        server,
        Who::Admin,
        "/_security/user/shorty",
        json!({"password": "123456"}),
    )
    .await;
    assert_eq!(
        a.body,
        json!({"created": true}),
        "six characters are enough"
    );
    // The user authenticates until deleted.
    let who = whoami(server, Who::User("alice")).await;
    assert_eq!(who.status, 200, "{}", who.text);
    let a = admin(server, Method::DELETE, path, None).await;
    assert_eq!(outcome(&a), (200, &json!({"found": true})));
    let a = admin(server, Method::DELETE, path, None).await;
    assert_eq!(outcome(&a), (404, &json!({"found": false})));
    let a = get(server, Who::Admin, path).await;
    assert_eq!(a.status, 404);
    let who = whoami(server, Who::User("alice")).await;
    assert_unauthenticated(&who);
}

async fn roles_are_created_read_and_deleted(server: &TestServer) {
    let path = "/_security/role/auditor";
    let body = json!({"cluster": ["read_security"], "metadata": {"v": 1}});
    let a = put(server, Who::Admin, path, body.clone()).await;
    assert_eq!(outcome(&a), (200, &json!({"role": {"created": true}})));
    let a = admin(server, Method::POST, path, Some(body)).await;
    assert_eq!(a.body, json!({"role": {"created": false}}));
    let a = get(server, Who::Admin, path).await;
    assert_eq!(a.body["auditor"]["cluster"], json!(["read_security"]));
    assert_eq!(a.body["auditor"]["metadata"], json!({"v": 1}));
    let a = get(server, Who::Admin, "/_security/role").await;
    assert_eq!(a.body["superuser"]["cluster"], json!(["all"]), "{}", a.text);
    assert_eq!(a.body["auditor"]["cluster"], json!(["read_security"]));
    let a = get(server, Who::Admin, "/_security/role/nothing-here").await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (404, "{}"));
    // The built-in superuser role cannot be changed or deleted.
    let a = put(
        server,
        Who::Admin,
        "/_security/role/superuser",
        json!({"cluster": []}),
    )
    .await;
    assert_validation(&a);
    let a = admin(server, Method::DELETE, "/_security/role/superuser", None).await;
    assert_validation(&a);
    let a = get(server, Who::Admin, "/_security/role/superuser").await;
    assert_eq!(a.body["superuser"]["cluster"], json!(["all"]));
    // Unknown privileges and reserved metadata keys.
    let a = put(
        server,
        Who::Admin,
        "/_security/role/odd",
        json!({"cluster": ["manage_everything"]}),
    )
    .await;
    let reason = assert_validation(&a);
    assert!(reason.contains("manage_everything"), "{reason}");
    let a = put(
        server,
        Who::Admin,
        "/_security/role/odd",
        json!({"cluster": [], "metadata": {"_reserved": true}}),
    )
    .await;
    assert_validation(&a);
    let a = get(server, Who::Admin, "/_security/role/odd").await;
    assert_eq!(a.status, 404, "refused roles are not stored");
    let a = admin(server, Method::DELETE, path, None).await;
    assert_eq!(outcome(&a), (200, &json!({"found": true})));
    let a = admin(server, Method::DELETE, path, None).await;
    assert_eq!(outcome(&a), (404, &json!({"found": false})));
}

async fn privileges_are_checked_and_role_changes_apply_at_once(server: &TestServer) {
    user_with(server, "reader", &["read_security"]).await;
    let a = get(server, Who::User("reader"), "/_security/user").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["reader"]["roles"], json!(["reader-role"]));
    let a = put(
        server,
        Who::User("reader"),
        "/_security/user/someone",
        json!({"password": PASSWORD}),
    )
    .await;
    let reason = assert_forbidden(&a, PUT_USER, "reader");
    assert!(reason.contains("reader-role"), "{reason}");
    assert!(
        reason.contains("manage_security"),
        "names what grants it: {reason}"
    );
    let a = get(server, Who::Admin, "/_security/user/someone").await;
    assert_eq!(a.status, 404, "a refused user is not created");
    // A role's privileges are granted and removed on the user's next request.
    user_with(server, "plain", &[]).await;
    let plain = || get(server, Who::User("plain"), "/_security/user");
    assert_forbidden(&plain().await, GET_USER, "plain");
    put_role(server, "plain-role", &["read_security"]).await;
    assert_eq!(plain().await.status, 200);
    put_role(server, "plain-role", &[]).await;
    assert_forbidden(&plain().await, GET_USER, "plain");
    put_role(server, "plain-role", &["manage_security"]).await;
    let a = put(
        server,
        Who::User("plain"),
        "/_security/user/made-by-plain",
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(a.body, json!({"created": true}), "{}", a.text);
    let a = admin(server, Method::DELETE, "/_security/role/plain-role", None).await;
    assert_eq!(a.body, json!({"found": true}));
    assert_forbidden(&plain().await, GET_USER, "plain");
    // Taking a role from the user works the same way.
    put_user(server, "reader", &[]).await;
    let a = get(server, Who::User("reader"), "/_security/user").await;
    assert_forbidden(&a, GET_USER, "reader");
}

async fn authenticate_says_who_and_how(server: &TestServer) {
    let native = json!({"name": NATIVE, "type": "native"});
    let a = get(server, Who::Admin, "/_security/_authenticate").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["username"], "admin");
    assert!(
        a.body["roles"]
            .as_array()
            .expect("roles")
            .contains(&json!("superuser")),
        "{}",
        a.text
    );
    assert_eq!(a.body["authentication_realm"], native);
    assert_eq!(a.body["lookup_realm"], native);
    assert_eq!(a.body["authentication_type"], "realm");
    assert_eq!(a.body["enabled"], true);
    assert!(a.body.get("api_key").is_none(), "{}", a.text);
    let carol = json!({"password": PASSWORD, "roles": ["carol-role"], "full_name": "Carol C",
        "email": "carol@example.com", "metadata": {"floor": 3}});
    let put = put(server, Who::Admin, "/_security/user/carol", carol).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let a = whoami(server, Who::User("carol")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["username"], "carol");
    assert_eq!(a.body["roles"], json!(["carol-role"]));
    assert_eq!(a.body["full_name"], "Carol C");
    assert_eq!(a.body["email"], "carol@example.com");
    assert_eq!(a.body["metadata"], json!({"floor": 3}));
    assert_eq!(a.body["authentication_realm"], native);
    assert_eq!(a.body["authentication_type"], "realm");
    // By an API key: the owner, and the key.
    let key = create_key(server, Who::Admin, "who-am-i").await;
    let a = whoami(server, Who::Key(&key.encoded)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["username"], "admin");
    assert_eq!(a.body["authentication_type"], "api_key");
    assert_eq!(a.body["api_key"], json!({"id": key.id, "name": "who-am-i"}));
    assert_eq!(a.body["lookup_realm"], native);
    // By a service account's bearer token.
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let t = token(server, &sa.client_id, &sa.secret).await;
    let bearer = format!("Bearer {t}");
    let a = whoami(server, Who::Raw(&bearer)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["authentication_type"], "token");
    assert_eq!(a.body["username"], sa.client_id.as_str());
    assert!(a.body.get("api_key").is_none(), "{}", a.text);
}

/// `Authorization: ApiKey` values that are not credentials are refused with the face's 401,
/// never a 500; a header beyond what the HTTP server reads at all is 431.
async fn malformed_api_key_headers_are_401(server: &TestServer) {
    let huge = b64(&format!("{}:{}", "a".repeat(20), "k".repeat(9 * 1024)));
    let bad: Vec<String> = vec![
        "ApiKey !!!not base64!!!".into(),
        format!("ApiKey {}", b64("no-colon-in-this-value")),
        format!("ApiKey {}", b64("short:key")),
        format!("ApiKey {}", b64("VuaCfGcBCdbkQm-e5aOx:")),
        format!(
            "ApiKey {}",
            b64("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw")
        ),
        "ApiKey".into(),
        "ApiKey ".into(),
        format!("ApiKey {}", "A".repeat(10 * 1024)),
        format!("ApiKey {huge}"),
    ];
    for value in &bad {
        let a = whoami(server, Who::Raw(value)).await;
        assert_unauthenticated(&a);
    }
    // A real key's id with another key: still 401.
    let key = create_key(server, Who::Admin, "real").await;
    let wrong = format!("ApiKey {}", b64(&format!("{}:{}", key.id, "x".repeat(22))));
    let a = whoami(server, Who::Raw(&wrong)).await;
    assert_unauthenticated(&a);
    // Past hyper's header buffer (~400 KiB) the request is refused before any face sees it.
    let r = fresh_client()
        .get(format!("{}/_security/_authenticate", server.url))
        .header(
            "authorization",
            format!("ApiKey {}", "A".repeat(512 * 1024)),
        );
    let status = r.send().await.map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(431), "a header beyond the server's limit");
    // And the server still answers.
    let a = whoami(server, Who::Key(&key.encoded)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body: &Value = &a.body;
    assert_eq!(body["api_key"]["id"], key.id.as_str());
}

store_tests!(
    answers_name_the_product_and_the_media_type,
    errors_have_the_elasticsearch_shape,
    users_are_created_read_and_deleted,
    roles_are_created_read_and_deleted,
    privileges_are_checked_and_role_changes_apply_at_once,
    authenticate_says_who_and_how,
    malformed_api_key_headers_are_401,
);
