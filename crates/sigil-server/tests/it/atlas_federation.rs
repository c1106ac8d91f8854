//! Atlas v2 connected organization configurations: list, get, PATCH field by field, DELETE
//! (spec 10).

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

async fn list_and_get_connected_org_configs(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let list = server
        .admin(
            Method::GET,
            &format!("{V2}/federationSettings/{fs}/connectedOrgConfigs"),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["totalCount"], 1);
    let expected = json!({
        "orgId": org,
        "federationSettingsId": fs,
        "identityProviderId": null,
        "dataAccessIdentityProviderIds": [],
        "domainAllowList": [],
        "domainRestrictionEnabled": false,
        "postAuthRoleGrants": [],
        "roleMappings": [],
    });
    assert_eq!(list.body["results"][0], expected);
    let get = server
        .admin(Method::GET, &config_path(&fs, &org), None)
        .await;
    assert_eq!(get.status, 200);
    assert_eq!(get.body, expected);

    // Another organization is connected to its own settings, not to these.
    let (other, other_fs) = create_org(server, "other").await;
    let foreign = server
        .admin(Method::GET, &config_path(&fs, &other), None)
        .await;
    assert_error(&foreign, 404, "RESOURCE_NOT_FOUND");
    let own = server
        .admin(Method::GET, &config_path(&other_fs, &other), None)
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["federationSettingsId"], other_fs);

    let bad_org = server
        .admin(Method::GET, &config_path(&fs, "abc"), None)
        .await;
    assert_field(&bad_org, "INVALID_PATH_PARAMETER", "orgId");
    let bad_fs = server
        .admin(Method::GET, &config_path("abc", &org), None)
        .await;
    assert_field(&bad_fs, "INVALID_PATH_PARAMETER", "federationSettingsId");
    let ghost_fs = server
        .admin(Method::GET, &config_path(&unknown_id(), &org), None)
        .await;
    assert_error(&ghost_fs, 404, "FEDERATION_SETTINGS_NOT_FOUND");
    let ghost = unknown_id();
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({}));
        let ghost_org = server.admin(method, &config_path(&fs, &ghost), body).await;
        assert_error(&ghost_org, 404, "ORG_NOT_FOUND");
    }
    let ghost_list = server
        .admin(
            Method::GET,
            &format!(
                "{V2}/federationSettings/{}/connectedOrgConfigs",
                unknown_id()
            ),
            None,
        )
        .await;
    assert_error(&ghost_list, 404, "FEDERATION_SETTINGS_NOT_FOUND");
}

async fn patch_sets_each_field_and_keeps_the_others(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let path = config_path(&fs, &org);
    let idp = create_idp(server, &fs, workforce("Staff")).await;
    let data = create_idp(server, &fs, workload("ci")).await;

    let steps: Vec<(Value, &str, Value)> = vec![
        (
            json!({"identityProviderId": idp}),
            "identityProviderId",
            json!(idp),
        ),
        (
            json!({"dataAccessIdentityProviderIds": [data, data]}),
            "dataAccessIdentityProviderIds",
            json!([data]),
        ),
        (
            json!({"domainAllowList": ["Example.COM", "corp.example.org"]}),
            "domainAllowList",
            json!(["example.com", "corp.example.org"]),
        ),
        (
            json!({"domainRestrictionEnabled": true}),
            "domainRestrictionEnabled",
            json!(true),
        ),
        (
            json!({"postAuthRoleGrants": ["ORG_MEMBER", "ORG_READ_ONLY", "ORG_MEMBER"]}),
            "postAuthRoleGrants",
            json!(["ORG_MEMBER", "ORG_READ_ONLY"]),
        ),
    ];
    let mut expected = server.admin(Method::GET, &path, None).await.body;
    for (body, key, value) in steps {
        let a = server.admin(Method::PATCH, &path, Some(body)).await;
        assert_eq!(a.status, 200, "{key}: {}", a.text);
        expected[key] = value;
        assert_eq!(a.body, expected, "{key}");
        assert_eq!(server.admin(Method::GET, &path, None).await.body, expected);
    }
    // Matching orgId and federationSettingsId, and read-only roleMappings, are accepted.
    let echo = server
        .admin(Method::PATCH, &path, Some(expected.clone()))
        .await;
    assert_eq!(echo.status, 200, "{}", echo.text);
    assert_eq!(echo.body, expected);
    let empty = server.admin(Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(empty.body, expected);
    // Emptying lists.
    let cleared = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": [], "postAuthRoleGrants": []})),
        )
        .await;
    assert_eq!(cleared.body["domainAllowList"], json!([]));
    assert_eq!(cleared.body["postAuthRoleGrants"], json!([]));
    assert_eq!(cleared.body["domainRestrictionEnabled"], true);
}

async fn patch_errors_name_the_field_and_write_nothing(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let path = config_path(&fs, &org);
    let idp = create_idp(server, &fs, workload("ci")).await;
    let (other, other_fs) = create_org(server, "other").await;
    let foreign_idp = create_idp(server, &other_fs, workload("theirs")).await;
    let before = server.admin(Method::GET, &path, None).await.body;
    let events_before = events(server, &org).await.len();

    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"domainAllowList": ["not a domain"]}),
            "INVALID_ATTRIBUTE",
            "domainAllowList[0]",
        ),
        (
            json!({"domainAllowList": ["ok.com", "nodot"]}),
            "INVALID_ATTRIBUTE",
            "domainAllowList[1]",
        ),
        (
            json!({"domainAllowList": ["-a.com"]}),
            "INVALID_ATTRIBUTE",
            "domainAllowList[0]",
        ),
        (
            json!({"domainAllowList": [""]}),
            "INVALID_ATTRIBUTE",
            "domainAllowList[0]",
        ),
        (
            json!({"domainAllowList": "example.com"}),
            "VALIDATION_ERROR",
            "domainAllowList",
        ),
        (
            json!({"identityProviderId": unknown_id()}),
            "INVALID_ATTRIBUTE",
            "identityProviderId",
        ),
        (
            json!({"identityProviderId": foreign_idp}),
            "INVALID_ATTRIBUTE",
            "identityProviderId",
        ),
        (
            json!({"identityProviderId": "xyz"}),
            "INVALID_ATTRIBUTE",
            "identityProviderId",
        ),
        (
            json!({"dataAccessIdentityProviderIds": [idp, unknown_id()]}),
            "INVALID_ATTRIBUTE",
            "dataAccessIdentityProviderIds[1]",
        ),
        (
            json!({"postAuthRoleGrants": ["ORG_ROOT"]}),
            "INVALID_ATTRIBUTE",
            "postAuthRoleGrants[0]",
        ),
        (
            json!({"postAuthRoleGrants": ["org_owner"]}),
            "INVALID_ATTRIBUTE",
            "postAuthRoleGrants[0]",
        ),
        (
            json!({"postAuthRoleGrants": [1]}),
            "VALIDATION_ERROR",
            "postAuthRoleGrants[0]",
        ),
        (
            json!({"domainRestrictionEnabled": "yes"}),
            "VALIDATION_ERROR",
            "domainRestrictionEnabled",
        ),
        (json!({"orgId": other}), "INVALID_ATTRIBUTE", "orgId"),
        (
            json!({"federationSettingsId": other_fs}),
            "INVALID_ATTRIBUTE",
            "federationSettingsId",
        ),
        (
            json!({"identityProviderIds": [idp]}),
            "VALIDATION_ERROR",
            "identityProviderIds",
        ),
        // A valid field does not save an invalid one in the same request.
        (
            json!({"identityProviderId": idp, "postAuthRoleGrants": ["NOPE"]}),
            "INVALID_ATTRIBUTE",
            "postAuthRoleGrants[0]",
        ),
    ];
    for (body, code, field) in cases {
        let a = server.admin(Method::PATCH, &path, Some(body)).await;
        assert_field(&a, code, field);
    }
    assert_eq!(server.admin(Method::GET, &path, None).await.body, before);
    assert_eq!(events(server, &org).await.len(), events_before);
}

async fn delete_disconnects_and_drops_the_role_mappings(server: &TestServer) {
    let (_, default_fs) = server.default_org().await;
    let (org, fs) = create_org(server, "acme").await;
    let path = config_path(&fs, &org);
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    let mapping_id = m.body["id"].as_str().unwrap().to_owned();
    let config = server.admin(Method::GET, &path, None).await;
    assert_eq!(config.body["roleMappings"][0]["id"], mapping_id);

    let d = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(d.status, 204, "{}", d.text);
    assert!(d.text.is_empty());
    assert_error(
        &server.admin(Method::GET, &path, None).await,
        404,
        "RESOURCE_NOT_FOUND",
    );
    assert_error(
        &server.admin(Method::DELETE, &path, None).await,
        404,
        "RESOURCE_NOT_FOUND",
    );
    let list = server
        .admin(
            Method::GET,
            &format!("{V2}/federationSettings/{fs}/connectedOrgConfigs"),
            None,
        )
        .await;
    assert_eq!(list.body["totalCount"], 0);
    assert_eq!(
        server
            .admin(Method::GET, &mappings_path(&fs, &org), None)
            .await
            .status,
        404
    );
    let gone = server
        .admin(
            Method::GET,
            &format!("{}/{mapping_id}", mappings_path(&fs, &org)),
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
    // The organization and its settings remain.
    assert_eq!(
        server
            .admin(Method::GET, &format!("{V2}/orgs/{org}"), None)
            .await
            .status,
        200
    );
    let settings = server
        .admin(Method::GET, &format!("{V2}/federationSettings/{fs}"), None)
        .await;
    assert_eq!(settings.status, 200);
    assert_eq!(settings.body["hasRoleMappings"], false);

    // PATCH connects it again, without the old mappings.
    let again = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainRestrictionEnabled": true})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["roleMappings"], json!([]));
    let recreated = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(
        recreated.status, 200,
        "the old name is free again: {}",
        recreated.text
    );

    // Connected elsewhere: connecting it to other settings is refused.
    let elsewhere = server
        .admin(
            Method::PATCH,
            &config_path(&default_fs, &org),
            Some(json!({})),
        )
        .await;
    assert_error(&elsewhere, 409, "DUPLICATE_RESOURCE");
}

store_tests!(
    list_and_get_connected_org_configs,
    patch_sets_each_field_and_keeps_the_others,
    patch_errors_name_the_field_and_write_nothing,
    delete_disconnects_and_drops_the_role_mappings,
);
