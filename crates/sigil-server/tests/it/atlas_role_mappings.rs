//! Atlas v2 role mappings of a connected organization: create (200), get, put, delete,
//! duplicates and every field error (spec 10).

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

async fn create_get_put_delete_a_role_mapping(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let base = mappings_path(&fs, &org);
    let body = json!({
        "externalGroupName": "db-admins",
        "roleAssignments": [
            {"orgId": org, "role": "ORG_OWNER"},
            {"orgId": org, "role": "ORG_MEMBER"},
        ],
    });
    let a = server.admin(Method::POST, &base, Some(body)).await;
    assert_eq!(
        a.status, 200,
        "created answers 200, as Atlas does: {}",
        a.text
    );
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert_eq!(a.body["externalGroupName"], "db-admins");
    assert_eq!(
        a.body["roleAssignments"],
        json!([{"orgId": org, "role": "ORG_OWNER"}, {"orgId": org, "role": "ORG_MEMBER"}])
    );
    let path = format!("{base}/{id}");
    let got = server.admin(Method::GET, &path, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, a.body);
    let list = server.admin(Method::GET, &base, None).await;
    assert_eq!(list.body["totalCount"], 1);
    assert_eq!(list.body["results"][0], a.body);
    let config = server
        .admin(Method::GET, &config_path(&fs, &org), None)
        .await;
    assert_eq!(config.body["roleMappings"], json!([a.body]));

    // PUT replaces every field.
    let put = server
        .admin(
            Method::PUT,
            &path,
            Some(mapping("readers", &org, "ORG_READ_ONLY")),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        put.body,
        json!({"id": id, "externalGroupName": "readers",
               "roleAssignments": [{"orgId": org, "role": "ORG_READ_ONLY"}]})
    );
    assert_eq!(server.admin(Method::GET, &path, None).await.body, put.body);
    // Sending back what was read (with its id) is accepted.
    let echo = server
        .admin(Method::PUT, &path, Some(put.body.clone()))
        .await;
    assert_eq!(echo.status, 200, "{}", echo.text);
    assert_eq!(echo.body, put.body);
    // Duplicate assignments collapse into one.
    let dup = json!({"externalGroupName": "readers", "roleAssignments": [
        {"orgId": org, "role": "ORG_READ_ONLY"}, {"orgId": org, "role": "ORG_READ_ONLY"}]});
    let collapsed = server.admin(Method::PUT, &path, Some(dup)).await;
    assert_eq!(
        collapsed.body["roleAssignments"].as_array().unwrap().len(),
        1
    );

    let d = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(d.status, 204, "{}", d.text);
    assert!(d.text.is_empty());
    for method in [Method::GET, Method::DELETE] {
        let gone = server.admin(method, &path, None).await;
        assert_error(&gone, 404, "ROLE_MAPPING_NOT_FOUND");
    }
    let put_gone = server
        .admin(Method::PUT, &path, Some(mapping("x", &org, "ORG_OWNER")))
        .await;
    assert_error(&put_gone, 404, "ROLE_MAPPING_NOT_FOUND");
    assert_eq!(
        server.admin(Method::GET, &base, None).await.body["totalCount"],
        0
    );
}

async fn external_group_names_are_unique_per_organization(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let base = mappings_path(&fs, &org);
    let first = server
        .admin(
            Method::POST,
            &base,
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(first.status, 200);
    let dup = server
        .admin(
            Method::POST,
            &base,
            Some(mapping("admins", &org, "ORG_MEMBER")),
        )
        .await;
    assert_error(&dup, 409, "DUPLICATE_RESOURCE");
    let audited = events(server, &org).await;
    assert_eq!(audited[0]["eventTypeName"], "ROLE_MAPPING_CREATED");
    assert_eq!(
        audited[0]["targetId"], first.body["id"],
        "the conflict was not audited"
    );
    let second = server
        .admin(
            Method::POST,
            &base,
            Some(mapping("members", &org, "ORG_MEMBER")),
        )
        .await;
    assert_eq!(second.status, 200);
    // Renaming onto an existing name is a conflict too, and changes nothing.
    let second_path = format!("{base}/{}", second.body["id"].as_str().unwrap());
    let rename = server
        .admin(
            Method::PUT,
            &second_path,
            Some(mapping("admins", &org, "ORG_MEMBER")),
        )
        .await;
    assert_error(&rename, 409, "DUPLICATE_RESOURCE");
    assert_eq!(
        server.admin(Method::GET, &second_path, None).await.body,
        second.body
    );
    // Keeping its own name is no conflict.
    let keep = server
        .admin(
            Method::PUT,
            &second_path,
            Some(mapping("members", &org, "ORG_READ_ONLY")),
        )
        .await;
    assert_eq!(keep.status, 200, "{}", keep.text);
    // The same name in another organization is fine.
    let (other, other_fs) = create_org(server, "other").await;
    let elsewhere = server
        .admin(
            Method::POST,
            &mappings_path(&other_fs, &other),
            Some(mapping("admins", &other, "ORG_OWNER")),
        )
        .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    assert_eq!(
        server.admin(Method::GET, &base, None).await.body["totalCount"],
        2
    );
    // Listed by name.
    let names: Vec<Value> = server.admin(Method::GET, &base, None).await.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["externalGroupName"].clone())
        .collect();
    assert_eq!(names, vec![json!("admins"), json!("members")]);
}

async fn every_field_error_is_named(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let base = mappings_path(&fs, &org);
    let (other, _) = create_org(server, "other").await;
    let at_bound = server
        .admin(
            Method::POST,
            &base,
            Some(mapping(&"g".repeat(200), &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(at_bound.status, 200, "{}", at_bound.text);
    let existing = format!("{base}/{}", at_bound.body["id"].as_str().unwrap());
    let events_before = events(server, &org).await.len();

    let one = |a: Value| json!({"externalGroupName": "g", "roleAssignments": [a]});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            mapping(&"g".repeat(201), &org, "ORG_OWNER"),
            "INVALID_ATTRIBUTE",
            "externalGroupName",
        ),
        (
            mapping("", &org, "ORG_OWNER"),
            "INVALID_ATTRIBUTE",
            "externalGroupName",
        ),
        (
            json!({"roleAssignments": [{"orgId": org, "role": "ORG_OWNER"}]}),
            "MISSING_ATTRIBUTE",
            "externalGroupName",
        ),
        (
            json!({"externalGroupName": 3, "roleAssignments": []}),
            "VALIDATION_ERROR",
            "externalGroupName",
        ),
        (
            json!({"externalGroupName": "g"}),
            "MISSING_ATTRIBUTE",
            "roleAssignments",
        ),
        (
            json!({"externalGroupName": "g", "roleAssignments": []}),
            "INVALID_ATTRIBUTE",
            "roleAssignments",
        ),
        (
            json!({"externalGroupName": "g", "roleAssignments": {}}),
            "VALIDATION_ERROR",
            "roleAssignments",
        ),
        (
            one(json!({"orgId": org, "role": "ORG_ROOT"})),
            "INVALID_ATTRIBUTE",
            "roleAssignments[0].role",
        ),
        (
            one(json!({"orgId": org, "role": "GROUP_OWNER"})),
            "INVALID_ATTRIBUTE",
            "roleAssignments[0].role",
        ),
        (
            one(json!({"orgId": org})),
            "MISSING_ATTRIBUTE",
            "roleAssignments[0].role",
        ),
        (
            one(json!({"orgId": org, "role": 1})),
            "VALIDATION_ERROR",
            "roleAssignments[0].role",
        ),
        (
            one(json!({"orgId": other, "role": "ORG_OWNER"})),
            "INVALID_ATTRIBUTE",
            "roleAssignments[0].orgId",
        ),
        (
            one(json!({"orgId": "nope", "role": "ORG_OWNER"})),
            "INVALID_ATTRIBUTE",
            "roleAssignments[0].orgId",
        ),
        (
            one(json!({"role": "ORG_OWNER"})),
            "MISSING_ATTRIBUTE",
            "roleAssignments[0].orgId",
        ),
        (
            one(json!({"orgId": org, "groupId": unknown_id(), "role": "GROUP_OWNER"})),
            "INVALID_ATTRIBUTE",
            "roleAssignments[0].groupId",
        ),
        (
            one(json!({"orgId": org, "role": "ORG_OWNER", "team": "x"})),
            "VALIDATION_ERROR",
            "roleAssignments[0].team",
        ),
        (
            json!({"externalGroupName": "g", "roleAssignments": [
                {"orgId": org, "role": "ORG_OWNER"}, {"orgId": org, "role": "BAD"}]}),
            "INVALID_ATTRIBUTE",
            "roleAssignments[1].role",
        ),
        (
            json!({"externalGroupName": "g", "roleAssignments": [{"orgId": org, "role": "ORG_OWNER"}], "extra": 1}),
            "VALIDATION_ERROR",
            "extra",
        ),
    ];
    for (body, code, field) in cases {
        let created = server.admin(Method::POST, &base, Some(body.clone())).await;
        assert_field(&created, code, field);
        let put = server.admin(Method::PUT, &existing, Some(body)).await;
        assert_field(&put, code, field);
    }
    // Nothing was written by any of them.
    assert_eq!(
        server.admin(Method::GET, &base, None).await.body["totalCount"],
        1
    );
    assert_eq!(
        server.admin(Method::GET, &existing, None).await.body,
        at_bound.body
    );
    assert_eq!(events(server, &org).await.len(), events_before);
}

async fn unknown_and_malformed_ids(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let base = mappings_path(&fs, &org);
    let m = server
        .admin(
            Method::POST,
            &base,
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    let id = m.body["id"].as_str().unwrap().to_owned();
    let (other, other_fs) = create_org(server, "other").await;
    let body = |o: &str| Some(mapping("admins", o, "ORG_OWNER"));

    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let b = |o: &str| if method == Method::PUT { body(o) } else { None };
        let ghost = server
            .admin(method.clone(), &format!("{base}/{}", unknown_id()), b(&org))
            .await;
        assert_error(&ghost, 404, "ROLE_MAPPING_NOT_FOUND");
        // A mapping of one organization is not reachable through another.
        let foreign = server
            .admin(
                method.clone(),
                &format!("{}/{id}", mappings_path(&other_fs, &other)),
                b(&other),
            )
            .await;
        assert_error(&foreign, 404, "ROLE_MAPPING_NOT_FOUND");
        let bad = server
            .admin(method.clone(), &format!("{base}/123"), b(&org))
            .await;
        assert_field(&bad, "INVALID_PATH_PARAMETER", "id");
        let bad_org = server
            .admin(
                method.clone(),
                &format!("{}/{id}", mappings_path(&fs, "zzz")),
                b(&org),
            )
            .await;
        assert_field(&bad_org, "INVALID_PATH_PARAMETER", "orgId");
        let ghost_fs = server
            .admin(
                method.clone(),
                &format!("{}/{id}", mappings_path(&unknown_id(), &org)),
                b(&org),
            )
            .await;
        assert_error(&ghost_fs, 404, "FEDERATION_SETTINGS_NOT_FOUND");
        let ghost_org = server
            .admin(
                method.clone(),
                &format!("{}/{id}", mappings_path(&fs, &unknown_id())),
                b(&org),
            )
            .await;
        assert_error(&ghost_org, 404, "ORG_NOT_FOUND");
    }
    // An organization connected to other settings has no mappings under these.
    let not_connected = server
        .admin(Method::POST, &mappings_path(&fs, &other), body(&other))
        .await;
    assert_error(&not_connected, 404, "RESOURCE_NOT_FOUND");
    let unknown_org = server
        .admin(Method::GET, &mappings_path(&fs, &unknown_id()), None)
        .await;
    assert_error(&unknown_org, 404, "ORG_NOT_FOUND");
    assert_eq!(
        server
            .admin(Method::GET, &format!("{base}/{id}"), None)
            .await
            .status,
        200
    );
}

store_tests!(
    create_get_put_delete_a_role_mapping,
    external_group_names_are_unique_per_organization,
    every_field_error_is_named,
    unknown_and_malformed_ids,
);
