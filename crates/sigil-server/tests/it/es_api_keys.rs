//! Elasticsearch API keys (spec 30, seed 003): create, authenticate, role descriptors, get,
//! query, update, invalidate by the seed's rules, concurrent invalidation and retention.

use crate::es_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};
use std::time::Duration;

const CREATE: &str = "cluster:admin/xpack/security/api_key/create";
const INVALIDATE: &str = "cluster:admin/xpack/security/api_key/invalidate";
const UNKNOWN_ID: &str = "VuaCfGcBCdbkQm-e5aOx";
const BOB: Who<'static> = Who::User("bob");
const ADMIN: Who<'static> = Who::Admin;
const NONE_GIVEN: &str = "must be specified if [owner] flag is false";
const NOT_WITH_IDS: &str = "username or realm name must not be specified when the api key";
const NOT_WITH_OWNER: &str = "must not be specified when the [owner] flag is set";
const NOT_BOTH: &str = "only one of [api key id(s), api key name] can be specified";

fn bobs_realm() -> Value {
    json!({"username": "bob", "realm_name": NATIVE})
}

async fn create_answers_a_key_that_authenticates(server: &TestServer) {
    let key = create_key(server, ADMIN, "my-api-key").await;
    let b = &key.body;
    assert!(key.id.len() == 20 && url_safe(&key.id), "{b}");
    let secret = b["api_key"].as_str().expect("api_key");
    assert!(secret.len() == 22 && url_safe(secret), "{b}");
    assert_eq!(key.encoded, b64(&format!("{}:{secret}", key.id)));
    assert_eq!(key.name, "my-api-key");
    assert!(b.get("expiration").is_none(), "only when set: {b}");
    let a = whoami(server, Who::Key(&key.encoded)).await;
    assert_eq!(a.body["api_key"]["id"], key.id.as_str(), "{}", a.text);
    // With an expiration (and by PUT): epoch milliseconds, kept to the second.
    let before = now_ms();
    let body = json!({"name": "day", "expiration": "1d", "metadata": {"a": 1}});
    let a = admin(server, Method::PUT, KEYS, Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let exp = a.body["expiration"].as_i64().expect("expiration");
    let day = 86_400_000;
    assert!((before - 1000 + day..=now_ms() + day).contains(&exp));
    let got = get_keys(server, ADMIN, &by_id(a.body["id"].as_str().expect("id"))).await;
    let k = &got.body["api_keys"][0];
    assert_eq!(k["expiration"], exp, "{}", got.text);
    assert_eq!(k["creation"].as_i64().map(|c| exp - c), Some(day));
    assert_eq!(k["metadata"], json!({"a": 1}));
    let other = create_key(server, ADMIN, "my-api-key").await;
    assert_ne!(other.id, key.id, "names need not be unique; ids are");
    assert_ne!(other.encoded, key.encoded);
}

async fn create_refuses_bad_input(server: &TestServer) {
    let bad = [
        json!({"name": "m", "metadata": {"_reserved": 1}}),
        json!({"name": "e", "expiration": "abc"}),
        json!({"name": "e", "expiration": "-1d"}),
        json!({"name": "e", "expiration": "1w"}),
        json!({"name": "e", "expiration": ""}),
        json!({}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "_underscore"}),
        json!({"name": "r", "role_descriptors": {"r": {"cluster": ["manage_everything"]}}}),
    ];
    for body in bad {
        let a = admin(server, Method::POST, KEYS, Some(body.clone())).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_validation(&a);
    }
    let body = json!({"name": "u", "nmae": "x"});
    let a = admin(server, Method::POST, KEYS, Some(body)).await;
    let reason = assert_error(&a, 400, "x_content_parse_exception");
    assert!(reason.contains("[nmae]"), "{reason}");
    let a = admin(server, Method::POST, KEYS, None).await;
    assert_validation(&a);
    let a = get_keys(server, ADMIN, "").await;
    assert_eq!(a.body, json!({"api_keys": []}), "nothing was created");
}

async fn role_descriptors_limit_a_key(server: &TestServer) {
    let body = json!({"name": "none", "role_descriptors": {"r": {"cluster": []}}});
    let none = create_key_with(server, ADMIN, body).await;
    let child = Some(json!({"name": "child"}));
    let a = es(server, Who::Key(&none.encoded), Method::POST, KEYS, child).await;
    let reason = assert_forbidden(&a, CREATE, "admin");
    assert!(reason.contains(&none.id), "names the key: {reason}");
    let a = get(server, Who::Key(&none.encoded), "/_security/user").await;
    assert_eq!(a.status, 403, "{}", a.text);
    let body = json!({"name": "reader", "role_descriptors": {"r": {"cluster": ["read_security"]}}});
    let reader = create_key_with(server, ADMIN, body).await;
    let a = get(server, Who::Key(&reader.encoded), "/_security/user").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = Some(json!({"password": PASSWORD}));
    let path = "/_security/user/x";
    let a = es(server, Who::Key(&reader.encoded), Method::PUT, path, body).await;
    assert_eq!(a.status, 403, "{}", a.text);
    // A key never exceeds its owner, whatever it asks for: it holds the intersection of what
    // it asks with what its owner holds (Elasticsearch's rule), here manage_own_api_key.
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let wanted = json!({"r": {"cluster": ["manage_security", "read_security"]}});
    let body = json!({"name": "greedy", "role_descriptors": wanted});
    let greedy = create_key_with(server, BOB, body).await;
    let a = get(server, Who::Key(&greedy.encoded), "/_security/user").await;
    assert_eq!(
        a.status, 403,
        "read_security is not the owner's: {}",
        a.text
    );
    let ask = json!({"cluster": ["manage_own_api_key", "manage_security", "read_security"]});
    let a = es(
        server,
        Who::Key(&greedy.encoded),
        Method::POST,
        "/_security/user/_has_privileges",
        Some(ask),
    )
    .await;
    assert_eq!(
        a.body["cluster"],
        json!({"manage_own_api_key": true, "manage_security": false, "read_security": false}),
        "{}",
        a.text
    );
    let plain = create_key(server, BOB, "plain").await;
    for who in [Who::Key(&plain.encoded), Who::Key(&greedy.encoded)] {
        let a = get_keys(server, who, "").await;
        assert_eq!(sorted_ids(&a), sorted(&[&greedy.id, &plain.id]));
    }
    let a = get(server, Who::Key(&greedy.encoded), "/_security/role").await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = get_keys(server, ADMIN, &by_id(&greedy.id)).await;
    assert_eq!(
        a.body["api_keys"][0]["role_descriptors"]["r"]["cluster"],
        wanted["r"]["cluster"]
    );
}

async fn get_finds_keys_by_each_parameter(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let body = json!({"name": "alpha-1", "metadata": {"m": 1}});
    let a1 = create_key_with(server, ADMIN, body).await;
    let a2 = create_key(server, ADMIN, "alpha-2").await;
    let beta = create_key(server, ADMIN, "beta").await;
    let bob = create_key(server, BOB, "bob-key").await;
    let a = get_keys(server, ADMIN, &by_id(&a1.id)).await;
    assert_eq!(key_ids(&a), [a1.id.as_str()]);
    let k = &a.body["api_keys"][0];
    let want = json!({"name": "alpha-1", "type": "rest", "username": "admin", "realm": NATIVE,
        "realm_type": "native", "invalidated": false, "metadata": {"m": 1}});
    for (field, value) in want.as_object().expect("object") {
        assert_eq!(&k[field], value, "{field}: {}", a.text);
    }
    let created = k["creation"].as_i64().expect("ms");
    let now = now_ms();
    assert!((now - 60_000..=now).contains(&created), "{created}");
    let all = [&a1.id, &a2.id, &beta.id, &bob.id];
    for (q, want) in [
        ("?name=beta", vec![&beta.id]),
        ("?name=alpha*", vec![&a1.id, &a2.id]),
        ("?name=*", all.to_vec()),
        ("?username=bob", vec![&bob.id]),
        ("?realm_name=default_native", all.to_vec()),
        ("?owner=true", vec![&a1.id, &a2.id, &beta.id]),
        ("", all.to_vec()),
    ] {
        let a = get_keys(server, ADMIN, q).await;
        assert_eq!(a.status, 200, "{q}: {}", a.text);
        assert_eq!(sorted_ids(&a), sorted(&want), "{q}");
    }
    // A search finding nothing is 200 and empty; an id that does not exist is 404.
    let empty = json!({"api_keys": []});
    for q in ["?name=gamma", "?username=nobody", "?realm_name=elsewhere"] {
        let a = get_keys(server, ADMIN, q).await;
        assert_eq!(outcome(&a), (200, &empty), "{q}");
    }
    let a = get_keys(server, ADMIN, &by_id(UNKNOWN_ID)).await;
    assert_eq!((a.status.as_u16(), &*a.text), (404, r#"{"api_keys":[]}"#));
    // active_only leaves out an invalidated key, which otherwise stays visible.
    let inv = invalidate(server, ADMIN, json!({"ids": [beta.id]})).await;
    assert_invalidated(&inv, &[&beta.id]);
    let a = get_keys(server, ADMIN, "?active_only=true").await;
    assert_eq!(sorted_ids(&a), sorted(&[&a1.id, &a2.id, &bob.id]));
    let a = get_keys(server, ADMIN, &by_id(&beta.id)).await;
    let k = &a.body["api_keys"][0];
    assert_eq!(k["invalidated"], true, "{}", a.text);
    let at = k["invalidation"].as_i64();
    assert!(at.is_some_and(|t| t <= now_ms()), "{}", a.text);
}

async fn manage_own_api_key_sees_only_its_own(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let mine = create_key(server, BOB, "bobs").await;
    let admins = create_key(server, ADMIN, "admins").await;
    let a = get_keys(server, BOB, "").await;
    assert_eq!(key_ids(&a), [mine.id.as_str()]);
    let a = get_keys(server, BOB, &by_id(&admins.id)).await;
    assert_eq!(outcome(&a), (404, &json!({"api_keys": []})));
    let a = query(server, BOB, json!({})).await;
    assert_eq!(key_ids(&a), [mine.id.as_str()]);
    assert_eq!(a.body["total"], 1);
    // Asking for another user's keys never answers with one's own.
    let a = get_keys(server, BOB, "?username=admin").await;
    assert!(
        a.status == 403 || (a.status == 200 && key_ids(&a).is_empty()),
        "GET /_security/api_key?username=admin as bob answered {} {}",
        a.status,
        a.text
    );
}

async fn query_supports_the_dsl(server: &TestServer) {
    let mk = |name: &'static str, meta: Value| {
        create_key_with(server, ADMIN, json!({"name": name, "metadata": meta}))
    };
    // Times are kept to the second: every key's creation is after this.
    let (start, n) = (now_ms() - 1000, "name");
    let a = mk("q-a", json!({"env": "prod", "n": 1})).await.id;
    let b = mk("q-b", json!({"env": "dev", "n": 2})).await.id;
    let c = mk("q-c", json!({"env": "prod", "n": 3})).await.id;
    let body = json!({"name": "other", "expiration": "1h"});
    let o = create_key_with(server, ADMIN, body).await.id;
    let ids = |q: Value| async move {
        let a = query(server, ADMIN, q.clone()).await;
        assert_eq!(a.status, 200, "{q}: {}", a.text);
        let listed = a.body["api_keys"].as_array().expect("keys").len();
        assert_eq!(a.body["count"], listed);
        key_ids(&a)
    };
    let by_name = |query: Value| ids(json!({"query": query, "sort": ["name"]}));
    let later = now_ms() + 60_000;
    let cases = [
        (json!({"term": {"name": "q-a"}}), vec![&a]),
        (json!({"terms": {"name": ["q-b", "other"]}}), vec![&o, &b]),
        (json!({"prefix": {"name": "q-"}}), vec![&a, &b, &c]),
        (json!({"wildcard": {"name": "?-?"}}), vec![&a, &b, &c]),
        (json!({"term": {"metadata.env": "prod"}}), vec![&a, &c]),
        (
            json!({"range": {"metadata.n": {"gt": 1, "lte": 3}}}),
            vec![&b, &c],
        ),
        (
            json!({"range": {"creation": {"gte": start, "lte": later}}}),
            vec![&o, &a, &b, &c],
        ),
        (json!({"range": {"creation": {"gt": later}}}), vec![]),
        (json!({"range": {"creation": {"lt": start}}}), vec![]),
        (json!({"exists": {"field": "expiration"}}), vec![&o]),
        (
            json!({"bool": {"must": [{"prefix": {n: "q-"}}],
            "must_not": [{"term": {"metadata.env": "dev"}}]}}),
            vec![&a, &c],
        ),
        (
            json!({"bool": {"should": [{"term": {n: "q-b"}}, {"term": {n: "other"}}]}}),
            vec![&o, &b],
        ),
    ];
    for (q, want) in cases {
        assert_eq!(by_name(q.clone()).await, owned(&want), "{q}");
    }
    // Sorting both ways, pages and search_after.
    let prefix = json!({"prefix": {"name": "q-"}});
    let desc = json!({"query": prefix, "sort": [{"name": {"order": "desc"}}]});
    assert_eq!(ids(desc).await, owned(&[&c, &b, &a]));
    let asc = json!({"query": prefix, "sort": [{"name": "asc"}]});
    assert_eq!(ids(asc).await, owned(&[&a, &b, &c]));
    let page = json!({"query": prefix, "sort": ["name"], "from": 1, "size": 1});
    let p = query(server, ADMIN, page).await;
    assert_eq!((&p.body["total"], &p.body["count"]), (&json!(3), &json!(1)));
    assert_eq!(key_ids(&p), [b.as_str()]);
    assert_eq!(p.body["api_keys"][0]["_sort"], json!(["q-b"]));
    let after = json!({"query": prefix, "sort": ["name"], "search_after": ["q-a"]});
    assert_eq!(ids(after).await, owned(&[&b, &c]));
    let a = query(server, ADMIN, json!({"qeury": {}})).await;
    assert_error(&a, 400, "x_content_parse_exception");
    // Unknown query types and fields are 400, whether or not there are keys to match.
    user_with(server, "keyless", &["manage_own_api_key"]).await;
    let mut wrong = vec![];
    for who in [ADMIN, Who::User("keyless")] {
        for (bad, named) in [
            (json!({"query": {"fuzzy": {"name": "q-a"}}}), "fuzzy"),
            (json!({"query": {"term": {"key_hash": "x"}}}), "key_hash"),
            (json!({"sort": ["key_hash"]}), "key_hash"),
        ] {
            let a = query(server, who, bad.clone()).await;
            let reason = a.body["error"]["reason"].as_str().unwrap_or_default();
            if a.status != 400 || !reason.contains(named) {
                wrong.push(format!("{who:?} {bad}: {} {}", a.status, a.text));
            }
        }
    }
    assert!(wrong.is_empty(), "not refused: {wrong:#?}");
}

async fn update_changes_own_active_keys(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let key = create_key(server, BOB, "upd").await;
    let path = format!("{KEYS}/{}", key.id);
    let put = |who: Who<'static>, body: Value| es(server, who, Method::PUT, &path, Some(body));
    let meta = json!({"metadata": {"team": "red"}});
    let a = put(BOB, meta.clone()).await;
    assert_eq!(outcome(&a), (200, &json!({"updated": true})));
    let a = put(BOB, meta.clone()).await;
    assert_eq!(outcome(&a), (200, &json!({"updated": false})));
    let a = get_keys(server, BOB, &by_id(&key.id)).await;
    assert_eq!(a.body["api_keys"][0]["metadata"], json!({"team": "red"}));
    assert_validation(&put(BOB, json!({"metadata": {"_x": 1}})).await);
    // Another user's key is not found, even for the superuser.
    let a = put(ADMIN, json!({"metadata": {"by": "admin"}})).await;
    assert_error(&a, 404, "resource_not_found_exception");
    let a = get_keys(server, ADMIN, &by_id(&key.id)).await;
    assert_eq!(a.body["api_keys"][0]["metadata"], json!({"team": "red"}));
    // An invalidated key cannot be updated.
    let inv = invalidate(server, BOB, json!({"ids": [key.id], "owner": true})).await;
    assert_invalidated(&inv, &[&key.id]);
    assert_validation(&put(BOB, json!({"metadata": {"team": "blue"}})).await);
}

async fn invalidate_parameter_rules(server: &TestServer) {
    let u = UNKNOWN_ID;
    let cases = [
        (json!({}), NONE_GIVEN),
        (json!({"owner": false}), NONE_GIVEN),
        (json!({"ids": [u], "name": "n"}), NOT_BOTH),
        (json!({"ids": [u], "username": "u"}), NOT_WITH_IDS),
        (json!({"ids": [u], "realm_name": "r"}), NOT_WITH_IDS),
        (json!({"name": "n", "username": "u"}), NOT_WITH_IDS),
        (json!({"name": "n", "realm_name": "r"}), NOT_WITH_IDS),
        (json!({"owner": true, "username": "u"}), NOT_WITH_OWNER),
        (json!({"owner": "true", "realm_name": "r"}), NOT_WITH_OWNER),
        (json!({"ids": []}), "Field [ids] cannot be an empty array"),
        (json!({"ids": [u, "  "]}), "blank id at index position: [1]"),
        (json!({"id": ""}), "must not contain blank id"),
    ];
    let key = create_key(server, ADMIN, "n").await;
    for (body, words) in cases {
        let a = invalidate(server, ADMIN, body.clone()).await;
        let reason = assert_validation(&a);
        assert!(reason.contains(words), "{body}: {reason}");
    }
    assert_validation(&admin(server, Method::DELETE, KEYS, None).await);
    let a = invalidate(server, ADMIN, json!({"ids": [key.id], "owner": "maybe"})).await;
    assert_eq!(a.status, 400, "{}", a.text);
    // Every broken rule is listed, numbered as Elasticsearch does.
    let body = json!({"ids": [" "], "name": "n", "username": "u"});
    let reason = assert_validation(&invalidate(server, ADMIN, body).await);
    assert!(
        reason.contains(";2: ") && reason.contains(";3: "),
        "{reason}"
    );
    let a = get_keys(server, ADMIN, "").await;
    assert_eq!(a.body["api_keys"][0]["invalidated"], false, "{}", a.text);
}

async fn invalidate_answers_per_key(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    let k1 = create_key(server, ADMIN, "one").await;
    let k2 = create_key(server, ADMIN, "two").await;
    let named = create_key(server, ADMIN, "by-name").await;
    let bobs = create_key(server, BOB, "bobs").await;
    let a = whoami(server, Who::Key(&k1.encoded)).await;
    assert_eq!(a.status, 200, "authenticated, so cached: {}", a.text);
    // A malformed id is an error of its own; the others are processed; unknown ids are skipped.
    let ids = json!(["not an id!", k1.id, UNKNOWN_ID, "short"]);
    let a = invalidate(server, ADMIN, json!({"ids": ids})).await;
    assert_invalidated(&a, &[&k1.id]);
    assert_eq!(a.body["previously_invalidated_api_keys"], json!([]));
    assert_eq!(a.body["error_count"], 2);
    let detail = json!({"type": "exception", "reason": "error occurred while invalidating api keys",
        "caused_by": {"type": "illegal_argument_exception", "reason": "invalid api key id"}});
    assert_eq!(a.body["error_details"], json!([detail, detail]));
    // At once the key no longer authenticates; get and query show it invalidated.
    assert_unauthenticated(&whoami(server, Who::Key(&k1.encoded)).await);
    let inv = json!({"query": {"term": {"invalidated": true}}});
    let q = query(server, ADMIN, inv).await;
    assert_eq!(key_ids(&q), [k1.id.as_str()]);
    assert!(q.body["api_keys"][0]["invalidation"].is_i64(), "{}", q.text);
    // Again: previously invalidated, and no error_details when there is no error.
    let a = invalidate(server, ADMIN, json!({"ids": [k1.id, UNKNOWN_ID]})).await;
    let want = json!({"invalidated_api_keys": [], "previously_invalidated_api_keys": [k1.id],
        "error_count": 0});
    assert_eq!(a.body, want);
    // The deprecated `id`, `name`, `username` + `realm_name`, `owner` as a string.
    assert_invalidated(
        &invalidate(server, ADMIN, json!({"id": k2.id})).await,
        &[&k2.id],
    );
    let a = invalidate(server, ADMIN, json!({"name": "by-name"})).await;
    assert_invalidated(&a, &[&named.id]);
    let a = invalidate(server, ADMIN, bobs_realm()).await;
    assert_invalidated(&a, &[&bobs.id]);
    let k3 = create_key(server, ADMIN, "three").await;
    let a = invalidate(server, ADMIN, json!({"owner": "true"})).await;
    assert_invalidated(&a, &[&k3.id]);
    assert_previously(&a, &[&k1.id, &k2.id, &named.id]);
    let b2 = create_key(server, BOB, "bob-2").await;
    let a = invalidate(server, ADMIN, json!({"realm_name": NATIVE})).await;
    assert_invalidated(&a, &[&b2.id]);
    let b3 = create_key(server, BOB, "bob-3").await;
    let a = invalidate(server, ADMIN, json!({"username": "bob"})).await;
    assert_invalidated(&a, &[&b3.id]);
}

async fn manage_own_api_key_invalidates_only_in_three_forms(server: &TestServer) {
    user_with(server, "bob", &["manage_own_api_key"]).await;
    user_with(server, "carol", &["manage_api_key"]).await;
    let b1 = create_key(server, BOB, "b1").await;
    let b2 = create_key(server, BOB, "b2").await;
    let b3 = create_key(server, BOB, "b3").await;
    let admins = create_key(server, ADMIN, "admins").await;
    for body in [
        json!({"ids": [b1.id]}),
        json!({"name": "b1"}),
        json!({"username": "bob"}),
        json!({"realm_name": NATIVE}),
        json!({"username": "bob", "realm_name": "other_realm"}),
        json!({"username": "admin", "realm_name": NATIVE}),
        json!({"ids": [admins.id]}),
    ] {
        let a = invalidate(server, BOB, body.clone()).await;
        let reason = assert_forbidden(&a, INVALIDATE, "bob");
        assert!(reason.contains("manage_api_key"), "{body}: {reason}");
    }
    // A key invalidating another key than itself is refused too.
    let a = invalidate(server, Who::Key(&b1.encoded), json!({"ids": [b2.id]})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    // 1. owner: true — bob's keys only, never admin's.
    let body = json!({"ids": [b1.id, admins.id], "owner": true});
    assert_invalidated(&invalidate(server, BOB, body).await, &[&b1.id]);
    // 3. a key invalidating itself by id.
    let a = invalidate(server, Who::Key(&b3.encoded), json!({"ids": [b3.id]})).await;
    assert_invalidated(&a, &[&b3.id]);
    // 2. username and realm_name both its own: every key of its own.
    let a = invalidate(server, BOB, bobs_realm()).await;
    assert_invalidated(&a, &[&b2.id]);
    assert_previously(&a, &[&b1.id, &b3.id]);
    let a = get_keys(server, ADMIN, &by_id(&admins.id)).await;
    assert_eq!(a.body["api_keys"][0]["invalidated"], false, "{}", a.text);
    // manage_api_key invalidates anyone's key.
    let a = invalidate(server, Who::User("carol"), json!({"ids": [admins.id]})).await;
    assert_invalidated(&a, &[&admins.id]);
}

async fn concurrent_invalidations_agree(server: &TestServer) {
    let key = create_key(server, ADMIN, "contested").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let r = server
            .client
            .delete(format!("{}{KEYS}", server.url))
            .basic_auth("admin", Some(sigil_testkit::ADMIN_PASSWORD))
            .json(&json!({"ids": [key.id]}));
        tasks.spawn(async move { sigil_testkit::answer(r.send().await.expect("send")).await });
    }
    let (mut first, mut again) = (0, 0);
    let one = json!([key.id]);
    while let Some(a) = tasks.join_next().await {
        let a = a.expect("task");
        assert_eq!(a.status, 200, "{}", a.text);
        let inv = &a.body["invalidated_api_keys"];
        let prev = &a.body["previously_invalidated_api_keys"];
        match (inv == &one, prev == &one) {
            (true, false) => first += 1,
            (false, true) => again += 1,
            _ => panic!("neither or both: {}", a.text),
        }
    }
    assert_eq!((first, again), (1, 19));
}

/// Retired keys stay visible for the retention period, then the sweeper deletes them. The
/// server's clock is moved and its housekeeping run by hand: nothing waits for either.
async fn retired_keys_are_swept_after_retention(server: &TestServer) {
    let server = &another_server(server, |config| {
        config.api_key_retention = chrono::Duration::seconds(60);
    })
    .await;
    let active = create_key(server, ADMIN, "active").await;
    let gone = create_key(server, ADMIN, "invalidated").await;
    let body = json!({"name": "expiring", "expiration": "1s"});
    let expiring = create_key_with(server, ADMIN, body).await;
    let inv = invalidate(server, ADMIN, json!({"ids": [gone.id]})).await;
    assert_invalidated(&inv, &[&gone.id]);
    let (gone, expiring) = (&gone, &expiring);
    let still_visible = |when: &'static str| async move {
        for k in [gone, expiring] {
            let a = get_keys(server, ADMIN, &by_id(&k.id)).await;
            assert_eq!(key_ids(&a), [k.id.as_str()], "{when}: {}", a.text);
        }
    };
    still_visible("right after").await;
    // Past the expiring key's second: refused, still listed with its expiration.
    server.clock().advance(Duration::from_secs(2));
    assert_unauthenticated(&whoami(server, Who::Key(&expiring.encoded)).await);
    let a = get_keys(server, ADMIN, &by_id(&expiring.id)).await;
    let exp = a.body["api_keys"][0]["expiration"].as_i64();
    let now = server.now().timestamp_millis();
    assert!(exp.is_some_and(|e| e <= now), "visible: {}", a.text);
    // Within the retention period the sweeper keeps them.
    server.housekeeping_now().await;
    still_visible("within the retention period").await;
    // Past it, the sweeper deletes them; the active key stays.
    server.clock().advance(Duration::from_secs(60));
    server.housekeeping_now().await;
    for k in [gone, expiring] {
        let a = get_keys(server, ADMIN, &by_id(&k.id)).await;
        assert_eq!(a.status, 404, "swept: {}", a.text);
        assert_eq!(a.body, json!({"api_keys": []}));
    }
    let a = get_keys(server, ADMIN, "").await;
    assert_eq!(key_ids(&a), [active.id.as_str()], "the active key stays");
}

store_tests!(
    create_answers_a_key_that_authenticates,
    create_refuses_bad_input,
    role_descriptors_limit_a_key,
    get_finds_keys_by_each_parameter,
    manage_own_api_key_sees_only_its_own,
    query_supports_the_dsl,
    update_changes_own_active_keys,
    invalidate_parameter_rules,
    invalidate_answers_per_key,
    manage_own_api_key_invalidates_only_in_three_forms,
    concurrent_invalidations_agree,
    retired_keys_are_swept_after_retention,
);
