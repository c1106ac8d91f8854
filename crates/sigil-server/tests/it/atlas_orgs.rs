//! Atlas v2 organizations: list, create, get and their federation settings (spec 10, spec 00 lists).

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer};

async fn create_and_get_an_organization(server: &TestServer) {
    let a = server
        .admin(
            Method::POST,
            &format!("{V2}/orgs"),
            Some(json!({"name": "acme"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(a.body["name"], "acme");
    assert_eq!(a.body["isDeleted"], false);
    assert_time(&a.body["created"]);

    let got = server
        .admin(Method::GET, &format!("{V2}/orgs/{id}"), None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, a.body);

    // Its own federation settings, distinct from the default organization's.
    let fs = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{id}/federationSettings"),
            None,
        )
        .await;
    assert_eq!(fs.status, 200, "{}", fs.text);
    let fs_id = fs.body["id"].as_str().unwrap();
    assert_eq!(fs_id.len(), 24);
    let (_, default_fs) = server.default_org().await;
    assert_ne!(fs_id, default_fs);
    assert_eq!(fs.body["federatedDomains"], json!([]));
    assert_eq!(fs.body["hasRoleMappings"], false);
    assert_eq!(fs.body["identityProviderId"], json!(null));
    assert_eq!(fs.body["identityProviderStatus"], "INACTIVE");
    // ... and connected to them.
    let configs = server
        .admin(
            Method::GET,
            &format!("{V2}/federationSettings/{fs_id}/connectedOrgConfigs"),
            None,
        )
        .await;
    assert_eq!(configs.status, 200);
    assert_eq!(configs.body["totalCount"], 1);
    assert_eq!(configs.body["results"][0]["orgId"], id);
}

async fn organization_names_are_1_to_64_characters_and_unique(server: &TestServer) {
    let path = format!("{V2}/orgs");
    let at_bound = "n".repeat(64);
    let a = server
        .admin(Method::POST, &path, Some(json!({"name": at_bound})))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["name"], at_bound);
    let one = server
        .admin(Method::POST, &path, Some(json!({"name": "x"})))
        .await;
    assert_eq!(one.status, 201, "{}", one.text);
    // 64 characters, not bytes.
    let wide = server
        .admin(Method::POST, &path, Some(json!({"name": "é".repeat(64)})))
        .await;
    assert_eq!(wide.status, 201, "{}", wide.text);

    let past = server
        .admin(Method::POST, &path, Some(json!({"name": "n".repeat(65)})))
        .await;
    assert_field(&past, "INVALID_ATTRIBUTE", "name");
    let empty = server
        .admin(Method::POST, &path, Some(json!({"name": ""})))
        .await;
    assert_field(&empty, "INVALID_ATTRIBUTE", "name");
    let blank = server
        .admin(Method::POST, &path, Some(json!({"name": "   "})))
        .await;
    assert_field(&blank, "INVALID_ATTRIBUTE", "name");

    let dup = server
        .admin(Method::POST, &path, Some(json!({"name": at_bound})))
        .await;
    assert_error(&dup, 409, "DUPLICATE_RESOURCE");
    let default_dup = server
        .admin(Method::POST, &path, Some(json!({"name": "default"})))
        .await;
    assert_error(&default_dup, 409, "DUPLICATE_RESOURCE");
    // Neither refused request was written nor audited.
    let list = server.admin(Method::GET, &path, None).await;
    assert_eq!(list.body["totalCount"], 4, "{}", list.text);
    let (default_org, _) = server.default_org().await;
    assert_eq!(events(server, &default_org).await.len(), 2);
}

async fn create_organization_body_errors_name_the_field(server: &TestServer) {
    let path = format!("{V2}/orgs");
    let missing = server.admin(Method::POST, &path, Some(json!({}))).await;
    assert_field(&missing, "MISSING_ATTRIBUTE", "name");
    let null = server
        .admin(Method::POST, &path, Some(json!({"name": null})))
        .await;
    assert_field(&null, "MISSING_ATTRIBUTE", "name");
    let number = server
        .admin(Method::POST, &path, Some(json!({"name": 5})))
        .await;
    assert_field(&number, "VALIDATION_ERROR", "name");
    let array = server
        .admin(Method::POST, &path, Some(json!({"name": ["a"]})))
        .await;
    assert_field(&array, "VALIDATION_ERROR", "name");
    let unknown = server
        .admin(
            Method::POST,
            &path,
            Some(json!({"name": "u", "color": "red"})),
        )
        .await;
    assert_field(&unknown, "VALIDATION_ERROR", "color");
    for not_object in [json!("acme"), json!(["acme"]), json!(null), json!(7)] {
        let a = server.admin(Method::POST, &path, Some(not_object)).await;
        assert_error(&a, 400, "VALIDATION_ERROR");
        assert!(a.body.get("badRequestDetail").is_none(), "{}", a.text);
    }
    let no_body = server.admin(Method::POST, &path, None).await;
    assert_error(&no_body, 400, "VALIDATION_ERROR");

    // Nothing of the refused requests was written.
    let list = server.admin(Method::GET, &path, None).await;
    assert_eq!(list.body["totalCount"], 1, "{}", list.text);
}

async fn organization_path_ids_are_checked(server: &TestServer) {
    for suffix in ["", "/federationSettings", "/events"] {
        let bad = server
            .admin(Method::GET, &format!("{V2}/orgs/abc{suffix}"), None)
            .await;
        assert_field(&bad, "INVALID_PATH_PARAMETER", "orgId");
        let upper = server
            .admin(
                Method::GET,
                &format!("{V2}/orgs/{}{suffix}", "A".repeat(24)),
                None,
            )
            .await;
        assert_field(&upper, "INVALID_PATH_PARAMETER", "orgId");
        let long = server
            .admin(
                Method::GET,
                &format!("{V2}/orgs/{}{suffix}", "a".repeat(25)),
                None,
            )
            .await;
        assert_field(&long, "INVALID_PATH_PARAMETER", "orgId");
        let unknown = server
            .admin(
                Method::GET,
                &format!("{V2}/orgs/{}{suffix}", unknown_id()),
                None,
            )
            .await;
        assert_error(&unknown, 404, "ORG_NOT_FOUND");
    }
}

async fn organizations_are_paginated(server: &TestServer) {
    for name in ["b-org", "c-org", "d-org", "e-org"] {
        create_org(server, name).await;
    }
    let all = server.admin(Method::GET, &format!("{V2}/orgs"), None).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["totalCount"], 5);
    let every = ids(&all);
    assert_eq!(every.len(), 5);
    let self_link = link(&all, "self").unwrap();
    assert_eq!(self_link, format!("{}{V2}/orgs?pageNum=1", server.url));
    assert_eq!(link(&all, "next"), None);
    assert_eq!(link(&all, "previous"), None);

    let first = server
        .admin(Method::GET, &format!("{V2}/orgs?itemsPerPage=2"), None)
        .await;
    assert_eq!(ids(&first), every[0..2]);
    assert_eq!(first.body["totalCount"], 5);
    assert_eq!(
        link(&first, "next").unwrap(),
        format!("{}{V2}/orgs?itemsPerPage=2&pageNum=2", server.url)
    );
    assert_eq!(link(&first, "previous"), None);

    let second = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs?itemsPerPage=2&pageNum=2"),
            None,
        )
        .await;
    assert_eq!(ids(&second), every[2..4]);
    assert!(link(&second, "next").is_some());
    assert_eq!(
        link(&second, "previous").unwrap(),
        format!("{}{V2}/orgs?itemsPerPage=2&pageNum=1", server.url)
    );

    let last = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs?itemsPerPage=2&pageNum=3"),
            None,
        )
        .await;
    assert_eq!(ids(&last), every[4..5]);
    assert_eq!(link(&last, "next"), None);
    assert!(link(&last, "previous").is_some());

    let beyond = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs?itemsPerPage=2&pageNum=9"),
            None,
        )
        .await;
    assert_eq!(beyond.status, 200);
    assert_eq!(ids(&beyond), Vec::<String>::new());
    assert_eq!(beyond.body["totalCount"], 5);

    let uncounted = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs?includeCount=false&itemsPerPage=2"),
            None,
        )
        .await;
    assert_eq!(uncounted.status, 200);
    assert!(
        uncounted.body.get("totalCount").is_none(),
        "{}",
        uncounted.text
    );
    assert_eq!(ids(&uncounted), every[0..2]);
    // Other parameters survive into the links.
    assert!(link(&uncounted, "next")
        .unwrap()
        .contains("includeCount=false"));

    for (query, field) in [
        ("pageNum=0", "pageNum"),
        ("pageNum=x", "pageNum"),
        ("includeCount=yes", "includeCount"),
    ] {
        let bad = server
            .admin(Method::GET, &format!("{V2}/orgs?{query}"), None)
            .await;
        assert_field(&bad, "INVALID_ATTRIBUTE", field);
    }
}

async fn federation_settings_reflect_the_connected_organizations(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let by_org = server
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{org}/federationSettings"),
            None,
        )
        .await;
    let by_id = server
        .admin(Method::GET, &format!("{V2}/federationSettings/{fs}"), None)
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_org.body, by_id.body);
    assert_eq!(by_id.body["identityProviderStatus"], "INACTIVE");

    let idp = create_idp(server, &fs, workload("ci")).await;
    let patched = server
        .admin(
            Method::PATCH,
            &config_path(&fs, &org),
            Some(json!({"identityProviderId": idp, "domainAllowList": ["Example.com"]})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);

    let view = server
        .admin(Method::GET, &format!("{V2}/federationSettings/{fs}"), None)
        .await;
    assert_eq!(view.body["id"], fs);
    assert_eq!(view.body["federatedDomains"], json!(["example.com"]));
    assert_eq!(view.body["hasRoleMappings"], true);
    assert_eq!(view.body["identityProviderId"], idp);
    assert_eq!(view.body["identityProviderStatus"], "ACTIVE");

    let bad = server
        .admin(Method::GET, &format!("{V2}/federationSettings/xyz"), None)
        .await;
    assert_field(&bad, "INVALID_PATH_PARAMETER", "federationSettingsId");
    let unknown = server
        .admin(
            Method::GET,
            &format!("{V2}/federationSettings/{}", unknown_id()),
            None,
        )
        .await;
    assert_error(&unknown, 404, "FEDERATION_SETTINGS_NOT_FOUND");
    // An organization id is not a federation settings id.
    let wrong_kind = server
        .admin(Method::GET, &format!("{V2}/federationSettings/{org}"), None)
        .await;
    assert_error(&wrong_kind, 404, "FEDERATION_SETTINGS_NOT_FOUND");
}

store_tests!(
    create_and_get_an_organization,
    organization_names_are_1_to_64_characters_and_unique,
    create_organization_body_errors_name_the_field,
    organization_path_ids_are_checked,
    organizations_are_paginated,
    federation_settings_reflect_the_connected_organizations,
);
