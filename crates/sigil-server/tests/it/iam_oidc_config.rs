//! A provider's OpenID Connect configuration (seed 002, spec 40): the seed's two PUTs, every
//! field rule at its bounds, the mode combinations, and the 401/403/404/409 answers.

use crate::atlas_support::*;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::{FakeIssuer, KeyAlg};
use sigil_testkit::{store_tests, Answer, TestServer};

/// A real RS256 key in the seed's format (the seed's own `"n":"example"` is no key at all).
async fn seed_signing_key() -> String {
    FakeIssuer::start_with(KeyAlg::Rs256).await.current_jwks()
}

fn seed_program(signing_key: &str) -> Value {
    json!({ "openid_connect_config" : { "access_mode" : "program", "idp_url" : "https://accounts.example.com", "client_id" : "client_id_example", "signing_key" : signing_key } })
}

fn seed_program_console(signing_key: &str) -> Value {
    json!({ "openid_connect_config" : { "access_mode" : "program_console", "idp_url" : "https://accounts.example.com", "client_id" : "client_id_example", "authorization_endpoint" : "https://accounts.example.com/o/oauth2/v2/auth", "scope" : "openid", "response_type" : "id_token", "response_mode" : "form_post", "signing_key" : signing_key } })
}

async fn send(
    server: &TestServer,
    method: Method,
    name: &str,
    token: &str,
    config: Value,
) -> Answer {
    with_token(
        server,
        method,
        &oidc_config_path(name),
        token,
        Some(json!({ "openid_connect_config": config })),
    )
    .await
}

/// PUT (the seed) of `config` on provider `name`.
async fn put(server: &TestServer, name: &str, token: &str, config: Value) -> Answer {
    send(server, Method::PUT, name, token, config).await
}

/// Creates provider `name` with the seed's program configuration; answers the admin's token.
async fn configured(server: &TestServer, name: &str, key: &str) -> String {
    let token = admin_token(server).await;
    create_provider(server, &token, name).await;
    let a = with_token(
        server,
        Method::POST,
        &oidc_config_path(name),
        &token,
        Some(seed_program(key)),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    token
}

async fn the_seeds_two_examples(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = admin_token(server).await;
    create_provider(server, &token, "seed-idp").await;
    let path = oidc_config_path("seed-idp");
    let before = with_token(server, Method::GET, &path, &token, None).await;
    assert_iam(&before, 404, "IAM.0004");
    let put_before = with_token(server, Method::PUT, &path, &token, Some(seed_program(&key))).await;
    assert_iam(&put_before, 404, "IAM.0004");

    let created = with_token(
        server,
        Method::POST,
        &path,
        &token,
        Some(seed_program(&key)),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let mut expected = seed_program(&key);
    for console in [
        "authorization_endpoint",
        "scope",
        "response_type",
        "response_mode",
    ] {
        expected["openid_connect_config"][console] = Value::Null;
    }
    assert_eq!(
        created.body, expected,
        "program: the console fields are null"
    );

    // The seed's first example as a PUT, then its second: the answer is the seed's response.
    let put = with_token(server, Method::PUT, &path, &token, Some(seed_program(&key))).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body, expected);
    let put = with_token(
        server,
        Method::PUT,
        &path,
        &token,
        Some(seed_program_console(&key)),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body, seed_program_console(&key));
    let got = with_token(server, Method::GET, &path, &token, None).await;
    assert_eq!(got.body, seed_program_console(&key));

    let twice = with_token(
        server,
        Method::POST,
        &path,
        &token,
        Some(seed_program(&key)),
    )
    .await;
    assert_iam(&twice, 409, "IAM.0009");

    // The provider itself now has the issuer, the audience and pinned keys.
    let (_, fs) = server.default_org().await;
    let atlas = server.admin(Method::GET, &idps_path(&fs), None).await;
    let idp = &atlas.body["results"][0];
    assert_eq!(
        idp["issuerUri"], "https://accounts.example.com",
        "{}",
        atlas.text
    );
    assert_eq!(idp["audience"], "client_id_example");
    assert_eq!(idp["keySet"]["source"], "pinned");
}

async fn lengths_hold_at_their_bounds_and_fail_one_past(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = configured(server, "bounds", &key).await;
    let url = |n: usize| format!("https://{}", "a".repeat(n - 8));
    let console = |endpoint: String| {
        json!({"access_mode": "program_console", "authorization_endpoint": endpoint,
        "scope": "openid", "response_type": "id_token", "response_mode": "fragment"})
    };
    for (field, config, ok) in [
        ("idp_url", json!({"idp_url": url(10)}), true),
        ("idp_url", json!({"idp_url": url(255)}), true),
        ("idp_url", json!({"idp_url": url(9)}), false),
        ("idp_url", json!({"idp_url": url(256)}), false),
        ("client_id", json!({"client_id": "c".repeat(5)}), true),
        ("client_id", json!({"client_id": "c".repeat(255)}), true),
        ("client_id", json!({"client_id": "c".repeat(4)}), false),
        ("client_id", json!({"client_id": "c".repeat(256)}), false),
        ("authorization_endpoint", console(url(10)), true),
        ("authorization_endpoint", console(url(255)), true),
        ("authorization_endpoint", console(url(9)), false),
        ("authorization_endpoint", console(url(256)), false),
    ] {
        let a = put(server, "bounds", &token, config.clone()).await;
        if ok {
            assert_eq!(a.status, 200, "{config}: {}", a.text);
            assert_eq!(a.body["openid_connect_config"][field], config[field]);
        } else {
            assert_invalid(&a, field);
        }
        // Back to program for the next case.
        let reset = put(server, "bounds", &token, json!({"access_mode": "program"})).await;
        assert_eq!(reset.status, 200, "{}", reset.text);
    }
    // signing_key: 10 to 30 000 characters (JSON allows the padding).
    let padded = format!("{key}{}", " ".repeat(30_000 - key.chars().count()));
    let a = put(server, "bounds", &token, json!({"signing_key": padded})).await;
    assert_eq!(a.status, 200, "30 000 characters: {}", a.text);
    let a = put(
        server,
        "bounds",
        &token,
        json!({"signing_key": format!("{padded} ")}),
    )
    .await;
    assert_invalid(&a, "signing_key");
    let a = put(
        server,
        "bounds",
        &token,
        json!({"signing_key": "{\"keys\":1"}),
    )
    .await;
    assert_invalid(&a, "signing_key");
}

async fn enums_and_scopes_accept_their_values_only(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = configured(server, "enums", &key).await;
    let console = |field: &str, value: &str| {
        let mut c = seed_program_console(&key)["openid_connect_config"].clone();
        c[field] = json!(value);
        c
    };
    for (field, value, ok) in [
        ("access_mode", "console", false),
        ("response_type", "code", false),
        ("response_type", "id_token", true),
        ("response_mode", "fragment", true),
        ("response_mode", "form_post", true),
        ("response_mode", "query", false),
        ("scope", "openid email profile", true),
        ("scope", "email", false),
        ("scope", "openid phone", false),
        ("scope", "openid  email", false),
        ("scope", &["openid"; 10].join(" "), true),
        ("scope", &["openid"; 11].join(" "), false),
    ] {
        let a = put(server, "enums", &token, console(field, value)).await;
        if ok {
            assert_eq!(a.status, 200, "{field}={value}: {}", a.text);
            assert_eq!(a.body["openid_connect_config"][field], value);
        } else {
            assert_invalid(&a, field);
        }
    }
}

async fn modes_decide_which_fields_are_required_and_allowed(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = configured(server, "modes", &key).await;
    let full = seed_program_console(&key)["openid_connect_config"].clone();
    for field in [
        "authorization_endpoint",
        "scope",
        "response_type",
        "response_mode",
    ] {
        // program refuses each console field...
        let a = put(
            server,
            "modes",
            &token,
            json!({"access_mode": "program", field: full[field]}),
        )
        .await;
        assert_invalid(&a, field);
        // ...and switching to program_console needs each of them.
        let mut partial = full.clone();
        partial.as_object_mut().unwrap().remove(field);
        let a = put(server, "modes", &token, partial).await;
        assert_invalid(&a, field);
    }
    // Switching with the console fields works; then a PUT of one field keeps the others.
    let a = put(server, "modes", &token, full.clone()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = put(server, "modes", &token, json!({"scope": "openid email"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["openid_connect_config"]["response_mode"],
        "form_post"
    );
    assert_eq!(a.body["openid_connect_config"]["scope"], "openid email");
    // Back to program without the console fields: they are answered null and forgotten.
    let a = put(server, "modes", &token, json!({"access_mode": "program"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["openid_connect_config"]["authorization_endpoint"],
        Value::Null
    );
    let a = put(
        server,
        "modes",
        &token,
        json!({"access_mode": "program_console"}),
    )
    .await;
    assert_invalid(&a, "authorization_endpoint");
    // POST needs access_mode, idp_url, client_id and signing_key.
    create_provider(server, &token, "fresh").await;
    for field in ["access_mode", "idp_url", "client_id", "signing_key"] {
        let mut c = seed_program(&key)["openid_connect_config"].clone();
        c.as_object_mut().unwrap().remove(field);
        let a = send(server, Method::POST, "fresh", &token, c).await;
        assert_invalid(&a, field);
    }
    let empty_put = put(server, "modes", &token, json!({})).await;
    assert_eq!(empty_put.status, 200, "{}", empty_put.text);
}

async fn signing_keys_must_be_public_keys_sigil_can_use(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = configured(server, "keys", &key).await;
    let seed_placeholder = r#"{"keys":[{"kty":"RSA","e":"AQAB","use":"sig","n":"example","kid":"kid_example","alg":"RS256"}]}"#;
    let mut private: Value =
        serde_json::from_str(&FakeIssuer::start().await.current_jwks()).unwrap();
    private["keys"][0]["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
    for bad in [
        seed_placeholder.to_owned(),
        "not json at all".into(),
        r#"{"keys": []}"#.into(),
        r#"["keys"]"#.into(),
        private.to_string(),
        r#"{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldA"}]}"#.into(),
    ] {
        let a = put(server, "keys", &token, json!({"signing_key": bad})).await;
        assert_invalid(&a, "signing_key");
    }
    let ec = FakeIssuer::start().await.current_jwks();
    let a = put(server, "keys", &token, json!({"signing_key": ec})).await;
    assert_eq!(a.status, 200, "an EC key: {}", a.text);
    let wrong_type = put(server, "keys", &token, json!({"signing_key": {"keys": []}})).await;
    assert_invalid(&wrong_type, "signing_key");
    let unknown = put(server, "keys", &token, json!({"issuer": "x"})).await;
    assert_invalid(&unknown, "issuer");
}

async fn unknown_providers_and_callers_are_refused(server: &TestServer) {
    let key = seed_signing_key().await;
    let token = admin_token(server).await;
    for method in [Method::GET, Method::PUT, Method::POST] {
        let a = with_token(
            server,
            method.clone(),
            &oidc_config_path("nobody"),
            &token,
            Some(seed_program(&key)),
        )
        .await;
        assert_iam(&a, 404, "IAM.0004");
        let a = with_token(
            server,
            method.clone(),
            &oidc_config_path("bad.name"),
            &token,
            Some(seed_program(&key)),
        )
        .await;
        assert_invalid(&a, "idp_id");
        let a = server
            .anonymous(
                method,
                &oidc_config_path("nobody"),
                Some(seed_program(&key)),
            )
            .await;
        assert_iam(&a, 401, "IAM.0007");
    }
}

store_tests!(
    the_seeds_two_examples,
    lengths_hold_at_their_bounds_and_fail_one_past,
    enums_and_scopes_accept_their_values_only,
    modes_decide_which_fields_are_required_and_allowed,
    signing_keys_must_be_public_keys_sigil_can_use,
    unknown_providers_and_callers_are_refused,
);
