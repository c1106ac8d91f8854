//! Hostile input costs little and crashes nothing: the API key query DSL, the OAuth form, a
//! huge invalidation id list and malformed roles are refused with a 4xx naming the limit or the
//! field, and the server keeps answering.

use crate::es_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};
use std::time::{Duration, Instant};

const BOB: Who<'static> = Who::User("bob");

async fn assert_healthy(server: &TestServer) {
    let a = server.anonymous(Method::GET, "/health", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// What once overflowed the stack (a recursive matcher, also run against a probe key, so no
/// key was needed) or ran for seconds (exponential backtracking) is a quick answer now.
async fn hostile_queries_are_refused_or_cheap(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let stars = format!("{}b", "*".repeat(200_000));
    let a = query(server, BOB, json!({"query": {"wildcard": {"type": stars}}})).await;
    let reason = assert_validation(&a);
    assert!(reason.contains("[1000] characters"), "{reason}");
    assert_healthy(server).await;

    let long_name = "a".repeat(60);
    create_key(server, BOB, &long_name).await;
    let started = Instant::now();
    let a = query(
        server,
        BOB,
        json!({"query": {"wildcard": {"name": "*a*a*a*a*a*a*b"}}}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["total"], 0, "{}", a.text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let a = query(
        server,
        BOB,
        json!({"query": {"wildcard": {"name": "*a*a*a"}}}),
    )
    .await;
    assert_eq!(a.body["total"], 1, "{}", a.text);

    let mut deep = json!({"match_all": {}});
    for _ in 0..25 {
        deep = json!({"bool": {"must": [deep]}});
    }
    let reason = assert_validation(&query(server, BOB, json!({"query": deep})).await);
    assert!(reason.contains("deeper than [20]"), "{reason}");
    let wide = json!({"bool": {"should": vec![json!({"term": {"name": "x"}}); 2000]}});
    let reason = assert_validation(&query(server, BOB, json!({"query": wide})).await);
    assert!(reason.contains("[1024] clauses"), "{reason}");
    assert_healthy(server).await;
}

/// POST /api/oauth/token with `form` from a fresh address.
async fn token_form(server: &TestServer, form: String) -> sigil_testkit::Answer {
    let r = crate::federation_support::fresh_client()
        .post(format!("{}/api/oauth/token", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    server.send(r).await
}

#[track_caller]
fn assert_invalid_request(a: &sigil_testkit::Answer, says: &str) {
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"], "invalid_request", "{}", a.text);
    let description = a.body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(says), "{description}");
}

/// The form parser runs before any authentication, so its cost must be small: a 300 KB form
/// of distinct names (quadratic duplicate detection: 10 s of CPU) and one of many short
/// parameters are refused at once, naming the limit.
async fn oauth_forms_are_bounded_before_authentication(server: &TestServer) {
    let distinct: Vec<String> = (0..30_000).map(|i| format!("p{i}=x")).collect();
    let form = distinct.join("&");
    assert!(form.len() > 200_000);
    let started = Instant::now();
    let a = token_form(server, form).await;
    assert_invalid_request(&a, "larger than 65536 bytes");
    let under_size: Vec<String> = (0..2_000).map(|i| format!("p{i}=")).collect();
    let a = token_form(server, under_size.join("&")).await;
    assert_invalid_request(&a, "more than 32 parameters");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let a = token_form(
        server,
        "grant_type=client_credentials&grant_type=client_credentials".into(),
    )
    .await;
    assert_invalid_request(&a, "grant_type is given more than once");
    assert_healthy(server).await;
}

/// 40 000 ids: no longer a 500 ("too many SQL variables") with the statement in the log, but
/// Elasticsearch's 400 naming the limit; the limit itself works on both stores (each id list
/// is looked up a slice at a time).
async fn a_huge_invalidation_id_list_is_refused_cheaply(server: &TestServer) {
    let key = create_key(server, Who::Admin, "among-many").await;
    let ids: Vec<Value> = (0..40_000)
        .map(|i| json!(format!("missing{i:013}")))
        .collect();
    let a = invalidate(server, Who::Admin, json!({"ids": ids})).await;
    let reason = assert_validation(&a);
    assert!(reason.contains("at most [10000] ids"), "{reason}");
    let mut ids: Vec<Value> = (0..9_999)
        .map(|i| json!(format!("missing{i:013}")))
        .collect();
    ids.push(json!(key.id));
    let a = invalidate(server, Who::Admin, json!({"ids": ids})).await;
    assert_invalidated(&a, &[&key.id]);
}

/// Roles keep `indices` and `applications` only in Elasticsearch's documented shapes, and a
/// role PUT needs a body.
async fn roles_keep_only_documented_shapes(server: &TestServer) {
    let path = "/_security/role/shaped";
    for (body, names) in [
        (json!({"indices": [[null]]}), "indices[0]"),
        (json!({"indices": 0}), "indices"),
        (
            json!({"indices": [{"names": ["a"], "privileges": "read"}]}),
            "indices[0].privileges",
        ),
        (
            json!({"applications": [{"application": "kibana"}]}),
            "applications[0].privileges",
        ),
        (json!({"applications": 0}), "applications"),
    ] {
        let a = put(server, Who::Admin, path, body.clone()).await;
        let reason = assert_validation(&a);
        assert!(reason.contains(&format!("[{names}]")), "{body}: {reason}");
    }
    let a = admin(server, Method::PUT, path, None).await;
    let reason = assert_error(&a, 400, "parse_exception");
    assert_eq!(reason, "request body is required");
    let a = get(server, Who::Admin, path).await;
    assert_eq!(a.status, 404, "nothing refused was stored: {}", a.text);

    let good = json!({
        "cluster": ["read_security"],
        "indices": [{"names": ["logs-*"], "privileges": ["read"], "field_security": {"grant": ["*"]}}],
        "applications": [{"application": "kibana", "privileges": ["all"], "resources": ["*"]}],
    });
    let a = put(server, Who::Admin, path, good.clone()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = get(server, Who::Admin, path).await;
    // As Elasticsearch answers it: `allow_restricted_indices` defaults to false.
    let mut indices = good["indices"].clone();
    indices[0]["allow_restricted_indices"] = json!(false);
    assert_eq!(a.body["shaped"]["indices"], indices, "{}", a.text);
    assert_eq!(a.body["shaped"]["applications"], good["applications"]);
}

store_tests!(
    hostile_queries_are_refused_or_cheap,
    oauth_forms_are_bounded_before_authentication,
    a_huge_invalidation_id_list_is_refused_cheaply,
    roles_keep_only_documented_shapes,
);
