//! What every Atlas v2 route shares (spec 00): versioned media types, `pretty`, `envelope`,
//! list bounds, body errors, the 1 MiB limit, unknown routes, and the 401 challenge.

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};

const ATLAS_2024_11_13: &str = "application/vnd.atlas.2024-11-13+json";

async fn the_accept_header_picks_the_version(server: &TestServer) {
    let get = |accept: Option<&str>| {
        let mut r = server
            .client
            .get(format!("{}{V2}/orgs", server.url))
            .basic_auth("admin", Some(ADMIN_PASSWORD));
        if let Some(a) = accept {
            r = r.header("accept", a);
        }
        server.send(r)
    };
    for version in [
        "2023-01-01",
        "2023-02-01",
        "2023-11-15",
        "2024-08-05",
        "2024-11-13",
    ] {
        let accept = format!("application/vnd.atlas.{version}+json");
        let a = get(Some(&accept)).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let ct = a.header("content-type").unwrap();
        assert!(ct.starts_with(&accept), "{ct} names {version}");
    }
    for plain in [None, Some("application/json"), Some("*/*")] {
        let a = get(plain).await;
        assert_eq!(a.status, 200);
        assert!(a
            .header("content-type")
            .unwrap()
            .starts_with("application/vnd.atlas.2023-01-01+json"));
    }
    let unknown = get(Some("application/vnd.atlas.2022-12-31+json")).await;
    assert_error(&unknown, 406, "INVALID_VERSION_DATE");
    let latest = get(Some("application/vnd.atlas.latest+json")).await;
    assert_error(&latest, 406, "INVALID_VERSION_DATE");
    let with_params = get(Some("application/vnd.atlas.2024-08-05+json; charset=utf-8")).await;
    assert_eq!(with_params.status, 200);
    assert!(with_params
        .header("content-type")
        .unwrap()
        .starts_with("application/vnd.atlas.2024-08-05+json"));
    let r = server
        .client
        .get(format!("{}{V2}/orgs?envelope=true", server.url))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("accept", "application/vnd.atlas.1999-01-01+json");
    let enveloped = server.send(r).await;
    assert_eq!(enveloped.status, 200);
    assert_eq!(enveloped.body["status"], 406);
    assert_eq!(
        enveloped.body["content"]["errorCode"],
        "INVALID_VERSION_DATE"
    );

    // Errors are rendered in the version asked for too.
    let r = server
        .client
        .get(format!("{}{V2}/orgs/{}", server.url, unknown_id()))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("accept", ATLAS_2024_11_13);
    let missing = server.send(r).await;
    assert_error(&missing, 404, "ORG_NOT_FOUND");
    assert!(missing
        .header("content-type")
        .unwrap()
        .starts_with(ATLAS_2024_11_13));
}

async fn pretty_indents_and_envelope_wraps(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let plain = server
        .admin(Method::GET, &format!("{V2}/orgs/{org}"), None)
        .await;
    assert!(!plain.text.contains('\n'));
    let pretty = server
        .admin(Method::GET, &format!("{V2}/orgs/{org}?pretty=true"), None)
        .await;
    assert_eq!(pretty.status, 200);
    assert!(pretty.text.contains("\n  \"id\""), "{}", pretty.text);
    assert_eq!(pretty.body, plain.body);
    let not_pretty = server
        .admin(Method::GET, &format!("{V2}/orgs/{org}?pretty=false"), None)
        .await;
    assert_eq!(not_pretty.text, plain.text);

    let env = server
        .admin(Method::GET, &format!("{V2}/orgs/{org}?envelope=true"), None)
        .await;
    assert_eq!(env.status, 200);
    assert_eq!(env.body, json!({"status": 200, "content": plain.body}));
    assert!(env
        .header("content-type")
        .unwrap()
        .starts_with("application/vnd.atlas."));

    let missing = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{}?envelope=true&pretty=true", unknown_id()),
            None,
        )
        .await;
    assert_eq!(missing.status, 200);
    assert!(missing.text.contains('\n'));
    assert_eq!(missing.body["status"], 404);
    assert_eq!(missing.body["content"]["errorCode"], "ORG_NOT_FOUND");
    assert_eq!(missing.body["content"]["error"], 404);

    let bad = server
        .admin(
            Method::POST,
            &format!("{V2}/orgs?envelope=true"),
            Some(json!({"name": 1})),
        )
        .await;
    assert_eq!(bad.status, 200);
    assert_eq!(bad.body["status"], 400);
    assert_eq!(
        bad.body["content"]["badRequestDetail"]["fields"][0]["field"],
        "name"
    );

    let created = server
        .admin(
            Method::POST,
            &format!("{V2}/orgs?envelope=true"),
            Some(json!({"name": "enveloped"})),
        )
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(created.body["status"], 201);
    assert_eq!(created.body["content"]["name"], "enveloped");

    let idp = create_idp(server, &fs, workload("gone")).await;
    let deleted = server
        .admin(
            Method::DELETE,
            &format!("{}/{idp}?envelope=true", idps_path(&fs)),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, json!({"status": 204, "content": null}));

    // `pretty` never gives a 204 a body.
    let idp = create_idp(server, &fs, workload("gone too")).await;
    let deleted = server
        .admin(
            Method::DELETE,
            &format!("{}/{idp}?pretty=true", idps_path(&fs)),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.text, "");

    let anon = server
        .anonymous(Method::GET, &format!("{V2}/orgs?envelope=true"), None)
        .await;
    // A Digest challenge is never wrapped: a Digest client must see the 401 to answer it.
    assert_eq!(anon.status, 401);
    assert!(anon
        .header("www-authenticate")
        .unwrap()
        .starts_with("Digest "));
    assert_eq!(anon.body["errorCode"], "NOT_AUTHENTICATED");
    let digest = sigil_testkit::digest::send(
        &server.client,
        Method::GET,
        &format!("{}{V2}/orgs?envelope=true", server.url),
        "admin",
        sigil_testkit::ADMIN_PASSWORD,
        "MD5",
        None,
    )
    .await;
    assert_eq!(digest.status, 200);
    assert_eq!(digest.body["status"], 200);
    assert_eq!(digest.body["content"]["results"][0]["name"], "default");

    for query in ["envelope=yes", "pretty=1"] {
        let bad_flag = server
            .admin(Method::GET, &format!("{V2}/orgs?{query}"), None)
            .await;
        let field = query.split('=').next().unwrap();
        assert_field(&bad_flag, "INVALID_ATTRIBUTE", field);
    }
}

async fn items_per_page_is_1_to_500_on_every_list(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let lists = [
        format!("{V2}/orgs"),
        format!("{V2}/orgs/{org}/events"),
        format!("{V2}/federationSettings/{fs}/connectedOrgConfigs"),
        mappings_path(&fs, &org),
        idps_path(&fs),
    ];
    for list in &lists {
        for n in ["1", "500"] {
            let ok = server
                .admin(Method::GET, &format!("{list}?itemsPerPage={n}"), None)
                .await;
            assert_eq!(ok.status, 200, "{list}: {}", ok.text);
            assert!(ok.body["results"].is_array());
            assert!(ok.body["links"].is_array());
        }
        for n in ["0", "501", "-1", "ten"] {
            let bad = server
                .admin(Method::GET, &format!("{list}?itemsPerPage={n}"), None)
                .await;
            assert_field(&bad, "INVALID_ATTRIBUTE", "itemsPerPage");
        }
    }
}

async fn malformed_bodies_are_validation_errors(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let targets = [
        (Method::POST, format!("{V2}/orgs")),
        (Method::PATCH, config_path(&fs, &org)),
        (Method::POST, mappings_path(&fs, &org)),
        (Method::POST, idps_path(&fs)),
    ];
    for (method, path) in &targets {
        for raw in ["{\"na", "{,}", "not json", "{} {}", "[1,2", "\"x\"", ""] {
            let r = server
                .client
                .request(method.clone(), format!("{}{path}", server.url))
                .basic_auth("admin", Some(ADMIN_PASSWORD))
                .header("content-type", "application/json")
                .body(raw);
            let a = server.send(r).await;
            assert_error(&a, 400, "VALIDATION_ERROR");
            assert!(a.body.get("badRequestDetail").is_none(), "{}", a.text);
        }
    }
    // Nothing was written by any of them.
    let orgs = server.admin(Method::GET, &format!("{V2}/orgs"), None).await;
    assert_eq!(orgs.body["totalCount"], 1);
    let idps = server.admin(Method::GET, &idps_path(&fs), None).await;
    assert_eq!(idps.body["totalCount"], 0);
    let mappings = server
        .admin(Method::GET, &mappings_path(&fs, &org), None)
        .await;
    assert_eq!(mappings.body["totalCount"], 0);
}

async fn a_body_over_one_mebibyte_is_413_in_the_atlas_format(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let huge = "x".repeat(1024 * 1024 + 16);
    for path in [format!("{V2}/orgs"), idps_path(&fs)] {
        let r = server
            .client
            .post(format!("{}{path}", server.url))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .header("content-type", "application/json")
            .body(format!("{{\"name\": \"{huge}\"}}"));
        let a = server.send(r).await;
        assert_eq!(a.status, 413, "{path}");
        assert_eq!(a.body["error"], 413, "an Atlas body, not {:?}", a.text);
        assert!(a.body["errorCode"].is_string());
        assert!(a
            .header("content-type")
            .unwrap()
            .starts_with("application/vnd.atlas."));
    }
    // Just under the limit is read (and refused only for its content).
    let under = "x".repeat(1024 * 1024 - 64);
    let r = server
        .client
        .post(format!("{}{V2}/orgs", server.url))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("content-type", "application/json")
        .body(format!("{{\"name\": \"{under}\"}}"));
    let a = server.send(r).await;
    assert_field(&a, "INVALID_ATTRIBUTE", "name");
}

async fn unknown_routes_and_methods_answer_atlas_json(server: &TestServer) {
    for path in [
        format!("{V2}/nothing"),
        format!("{V2}/orgs/{}/clusters", unknown_id()),
        V2.to_owned(),
    ] {
        let a = server.admin(Method::GET, &path, None).await;
        assert_error(&a, 404, "RESOURCE_NOT_FOUND");
    }
    let a = server
        .admin(Method::GET, &format!("{V2}/nothing?envelope=true"), None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["status"], 404);
    let (org, _) = server.default_org().await;
    let put = server
        .admin(Method::PUT, &format!("{V2}/orgs/{org}"), Some(json!({})))
        .await;
    assert_error(&put, 405, "METHOD_NOT_ALLOWED");
}

async fn every_route_challenges_without_credentials(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let id = unknown_id();
    let routes = [
        (Method::GET, format!("{V2}/orgs")),
        (Method::POST, format!("{V2}/orgs")),
        (Method::GET, format!("{V2}/orgs/{org}")),
        (Method::GET, format!("{V2}/orgs/{org}/federationSettings")),
        (Method::GET, format!("{V2}/orgs/{org}/events")),
        (Method::GET, format!("{V2}/federationSettings/{fs}")),
        (
            Method::GET,
            format!("{V2}/federationSettings/{fs}/connectedOrgConfigs"),
        ),
        (Method::GET, config_path(&fs, &org)),
        (Method::PATCH, config_path(&fs, &org)),
        (Method::DELETE, config_path(&fs, &org)),
        (Method::GET, mappings_path(&fs, &org)),
        (Method::POST, mappings_path(&fs, &org)),
        (Method::GET, format!("{}/{id}", mappings_path(&fs, &org))),
        (Method::PUT, format!("{}/{id}", mappings_path(&fs, &org))),
        (Method::DELETE, format!("{}/{id}", mappings_path(&fs, &org))),
        (Method::GET, idps_path(&fs)),
        (Method::POST, idps_path(&fs)),
        (Method::GET, format!("{}/{id}", idps_path(&fs))),
        (Method::PATCH, format!("{}/{id}", idps_path(&fs))),
        (Method::DELETE, format!("{}/{id}", idps_path(&fs))),
    ];
    for (method, path) in routes {
        let a = server
            .anonymous(method.clone(), &path, Some(json!({"name": "sneaky"})))
            .await;
        assert_error(&a, 401, "NOT_AUTHENTICATED");
        let challenge = a.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Digest realm=\"MMS Public API\""),
            "{method} {path}: {challenge}"
        );
    }
    // The refused create wrote nothing.
    let orgs = server.admin(Method::GET, &format!("{V2}/orgs"), None).await;
    assert_eq!(orgs.body["totalCount"], 1);
    assert!(events(server, &org)
        .await
        .iter()
        .all(|e| e["eventTypeName"] != "ORG_CREATED" || e["targetId"] == org.as_str()));
}

store_tests!(
    the_accept_header_picks_the_version,
    pretty_indents_and_envelope_wraps,
    items_per_page_is_1_to_500_on_every_list,
    malformed_bodies_are_validation_errors,
    a_body_over_one_mebibyte_is_413_in_the_atlas_format,
    unknown_routes_and_methods_answer_atlas_json,
    every_route_challenges_without_credentials,
);
