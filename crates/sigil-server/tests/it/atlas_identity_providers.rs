//! Atlas v2 OIDC identity providers: every field rule at its bound, defaults, PATCH, list
//! filters, deletion and the not-found answers (spec 10).

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

async fn create_get_and_list_an_identity_provider(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let sent = workforce("Staff");
    let a = server
        .admin(Method::POST, &idps_path(&fs), Some(sent.clone()))
        .await;
    assert_eq!(
        a.status, 200,
        "created answers 200, as Atlas does: {}",
        a.text
    );
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    let b = &a.body;
    assert_eq!(b["protocol"], "OIDC");
    assert_eq!(b["idpType"], "WORKFORCE");
    assert_eq!(b["displayName"], "Staff");
    assert_eq!(b["description"], Value::Null);
    assert_eq!(b["issuerUri"], "https://login.example.com/realms/staff");
    assert_eq!(b["clientId"], "sigil-console");
    assert_eq!(b["audience"], sent["audience"]);
    assert_eq!(b["authorizationType"], "USER");
    assert_eq!(b["userClaim"], "sub");
    assert_eq!(b["requestedScopes"], json!(["openid", "profile"]));
    assert_eq!(b["associatedDomains"], json!(["example.com"]));
    assert_time(&b["createdAt"]);
    assert_time(&b["updatedAt"]);
    assert_eq!(b["keySet"]["source"], "discovery");
    assert_eq!(b["keySet"]["revokedAt"], Value::Null);

    let got = server
        .admin(Method::GET, &format!("{}/{id}", idps_path(&fs)), None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, a.body);

    let list = server.admin(Method::GET, &idps_path(&fs), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalCount"], 1);
    assert_eq!(list.body["results"][0], a.body);
}

async fn defaults_fill_the_claims(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let group = server
        .admin(Method::POST, &idps_path(&fs), Some(workload("ci")))
        .await;
    assert_eq!(group.status, 200, "{}", group.text);
    assert_eq!(group.body["groupsClaim"], "groups");
    assert_eq!(group.body["userClaim"], "sub");
    assert_eq!(group.body["clientId"], Value::Null, "optional for WORKLOAD");
    assert_eq!(group.body["requestedScopes"], json!([]));
    assert_eq!(group.body["associatedDomains"], json!([]));
    let custom = with(workload("ci-2"), "groupsClaim", json!("teams"));
    let custom = with(custom, "userClaim", json!("email"));
    let c = server
        .admin(Method::POST, &idps_path(&fs), Some(custom))
        .await;
    assert_eq!(c.body["groupsClaim"], "teams");
    assert_eq!(c.body["userClaim"], "email");
}

/// Creates `body` and expects a 400 naming `field` with `code`; nothing is written.
async fn refused(server: &TestServer, fs: &str, body: Value, code: &str, field: &str) {
    let a = server.admin(Method::POST, &idps_path(fs), Some(body)).await;
    assert_field(&a, code, field);
}

async fn every_field_rule_at_its_bound_and_one_past(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let before = events(server, &org).await.len();
    let ok = |key: &str, v: Value| with(workload("ok"), key, v);
    for (key, value) in [
        ("displayName", json!("d".repeat(50))),
        ("displayName", json!("é".repeat(50))),
        ("displayName", json!("d")),
        ("description", json!("d".repeat(250))),
        ("description", json!("")),
        ("issuerUri", json!("http://127.0.0.1:8080/realms/x")),
        ("issuerUri", json!("https://idp.example.com/realms/x")),
        ("authorizationType", json!("USER")),
        ("clientId", json!("c")),
        ("requestedScopes", json!(["openid"])),
    ] {
        let a = server
            .admin(Method::POST, &idps_path(&fs), Some(ok(key, value.clone())))
            .await;
        assert_eq!(a.status, 200, "{key}={value}: {}", a.text);
        assert_eq!(a.body[key], value);
    }
    let created = server.admin(Method::GET, &idps_path(&fs), None).await;
    let count = created.body["totalCount"].clone();

    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "displayName",
            json!("d".repeat(51)),
            "INVALID_ATTRIBUTE",
            "displayName",
        ),
        ("displayName", json!(""), "INVALID_ATTRIBUTE", "displayName"),
        (
            "displayName",
            json!("  "),
            "INVALID_ATTRIBUTE",
            "displayName",
        ),
        (
            "displayName",
            Value::Null,
            "MISSING_ATTRIBUTE",
            "displayName",
        ),
        ("displayName", json!(7), "VALIDATION_ERROR", "displayName"),
        (
            "description",
            json!("d".repeat(251)),
            "INVALID_ATTRIBUTE",
            "description",
        ),
        ("protocol", json!("SAML"), "INVALID_ATTRIBUTE", "protocol"),
        ("protocol", json!("oidc"), "INVALID_ATTRIBUTE", "protocol"),
        ("protocol", Value::Null, "MISSING_ATTRIBUTE", "protocol"),
        ("idpType", json!("ROBOT"), "INVALID_ATTRIBUTE", "idpType"),
        ("idpType", Value::Null, "MISSING_ATTRIBUTE", "idpType"),
        (
            "authorizationType",
            json!("ROLE"),
            "INVALID_ATTRIBUTE",
            "authorizationType",
        ),
        (
            "authorizationType",
            Value::Null,
            "MISSING_ATTRIBUTE",
            "authorizationType",
        ),
        ("audience", Value::Null, "MISSING_ATTRIBUTE", "audience"),
        ("audience", json!(""), "INVALID_ATTRIBUTE", "audience"),
        ("issuerUri", Value::Null, "MISSING_ATTRIBUTE", "issuerUri"),
        (
            "issuerUri",
            json!("ftp://idp.example.com"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "issuerUri",
            json!("/realms/x"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "issuerUri",
            json!("idp.example.com"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "issuerUri",
            json!("https://idp.example.com/#frag"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "issuerUri",
            json!("https://idp.example.com/?a=b"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "issuerUri",
            json!("https://"),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            "requestedScopes",
            json!("openid"),
            "VALIDATION_ERROR",
            "requestedScopes",
        ),
        (
            "requestedScopes",
            json!(["openid", ""]),
            "INVALID_ATTRIBUTE",
            "requestedScopes[1]",
        ),
        (
            "associatedDomains",
            json!([1]),
            "VALIDATION_ERROR",
            "associatedDomains[0]",
        ),
        ("groupsClaim", json!(""), "INVALID_ATTRIBUTE", "groupsClaim"),
        (
            "userClaim",
            json!("u".repeat(101)),
            "INVALID_ATTRIBUTE",
            "userClaim",
        ),
        (
            "homepage",
            json!("https://x"),
            "VALIDATION_ERROR",
            "homepage",
        ),
    ];
    for (key, value, code, field) in cases {
        refused(server, &fs, ok(key, value), code, field).await;
    }
    // WORKFORCE needs a clientId; WORKLOAD does not.
    refused(
        server,
        &fs,
        with(workforce("people"), "clientId", Value::Null),
        "MISSING_ATTRIBUTE",
        "clientId",
    )
    .await;

    // None of the refused requests was written, nor audited.
    let after = server.admin(Method::GET, &idps_path(&fs), None).await;
    assert_eq!(after.body["totalCount"], count);
    assert_eq!(events(server, &org).await.len(), before + 10);
}

async fn patch_keeps_other_fields_and_refuses_changing_the_type(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let id = create_idp(server, &fs, workforce("Staff")).await;
    let path = format!("{}/{id}", idps_path(&fs));
    let original = server.admin(Method::GET, &path, None).await;

    let a = server
        .admin(Method::PATCH, &path, Some(json!({"description": "people"})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["description"], "people");
    for key in [
        "id",
        "idpType",
        "displayName",
        "issuerUri",
        "clientId",
        "audience",
        "authorizationType",
        "userClaim",
        "requestedScopes",
        "associatedDomains",
        "createdAt",
    ] {
        assert_eq!(a.body[key], original.body[key], "{key} kept");
    }
    // Sending back what was read is accepted (read-only fields ignored).
    let mut echo = a.body.clone();
    echo["displayName"] = json!("Staff 2");
    let b = server.admin(Method::PATCH, &path, Some(echo)).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(b.body["displayName"], "Staff 2");
    assert_eq!(b.body["id"], id);
    let same_type = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"idpType": "WORKFORCE", "protocol": "OIDC"})),
        )
        .await;
    assert_eq!(same_type.status, 200, "{}", same_type.text);

    let before = server.admin(Method::GET, &path, None).await;
    for (body, code, field) in [
        (
            json!({"idpType": "WORKLOAD"}),
            "INVALID_ATTRIBUTE",
            "idpType",
        ),
        (json!({"protocol": "SAML"}), "INVALID_ATTRIBUTE", "protocol"),
        (
            json!({"displayName": "d".repeat(51)}),
            "INVALID_ATTRIBUTE",
            "displayName",
        ),
        (
            json!({"description": "d".repeat(251)}),
            "INVALID_ATTRIBUTE",
            "description",
        ),
        (
            json!({"issuerUri": "ftp://x.example.com"}),
            "INVALID_ATTRIBUTE",
            "issuerUri",
        ),
        (
            json!({"authorizationType": "ROLE"}),
            "INVALID_ATTRIBUTE",
            "authorizationType",
        ),
        (json!({"audience": ""}), "INVALID_ATTRIBUTE", "audience"),
        (json!({"shoeSize": 42}), "VALIDATION_ERROR", "shoeSize"),
        (
            json!({"description": "ok", "displayName": 1}),
            "VALIDATION_ERROR",
            "displayName",
        ),
    ] {
        let r = server.admin(Method::PATCH, &path, Some(body)).await;
        assert_field(&r, code, field);
    }
    let after = server.admin(Method::GET, &path, None).await;
    assert_eq!(after.body, before.body, "a refused PATCH changes nothing");

    // Switching to GROUP fills the default groups claim.
    let g = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"authorizationType": "GROUP"})),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["groupsClaim"], "groups");
}

async fn list_filters_by_type_and_refuses_saml(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let load = create_idp(server, &fs, workload("machines")).await;
    let force = create_idp(server, &fs, workforce("people")).await;
    let base = idps_path(&fs);
    let base = &base;
    let list = |q: &str| {
        let path = format!("{base}?{q}");
        async move { server.admin(Method::GET, &path, None).await }
    };
    let workload_only = list("idpType=WORKLOAD").await;
    assert_eq!(workload_only.status, 200);
    assert_eq!(ids(&workload_only), vec![load.clone()]);
    assert_eq!(workload_only.body["totalCount"], 1);
    let workforce_only = list("idpType=WORKFORCE&protocol=OIDC").await;
    assert_eq!(ids(&workforce_only), vec![force.clone()]);
    let both = list("idpType=WORKFORCE,WORKLOAD").await;
    assert_eq!(both.body["totalCount"], 2);
    let paged = list("itemsPerPage=1&pageNum=2").await;
    assert_eq!(paged.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(paged.body["totalCount"], 2);
    assert!(link(&paged, "previous").is_some());

    assert_field(
        &list("protocol=SAML").await,
        "INVALID_ATTRIBUTE",
        "protocol",
    );
    assert_field(
        &list("protocol=OIDC,SAML").await,
        "INVALID_ATTRIBUTE",
        "protocol",
    );
    assert_field(
        &list("idpType=PEOPLE").await,
        "INVALID_ATTRIBUTE",
        "idpType",
    );
}

async fn delete_clears_the_connected_org_references(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let id = create_idp(server, &fs, workforce("Staff")).await;
    let other = create_idp(server, &fs, workload("ci")).await;
    let p = server
        .admin(
            Method::PATCH,
            &config_path(&fs, &org),
            Some(json!({"identityProviderId": id, "dataAccessIdentityProviderIds": [id, other]})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["identityProviderId"], id);

    let path = format!("{}/{id}", idps_path(&fs));
    let d = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(d.status, 204, "{}", d.text);
    assert!(d.text.is_empty());
    assert_error(
        &server.admin(Method::GET, &path, None).await,
        404,
        "IDENTITY_PROVIDER_NOT_FOUND",
    );
    assert_error(
        &server.admin(Method::DELETE, &path, None).await,
        404,
        "IDENTITY_PROVIDER_NOT_FOUND",
    );

    let config = server
        .admin(Method::GET, &config_path(&fs, &org), None)
        .await;
    assert_eq!(config.body["identityProviderId"], Value::Null);
    assert_eq!(config.body["dataAccessIdentityProviderIds"], json!([other]));
    let settings = server
        .admin(Method::GET, &format!("{V2}/federationSettings/{fs}"), None)
        .await;
    assert_eq!(settings.body["identityProviderStatus"], "INACTIVE");
    assert_eq!(
        ids(&server.admin(Method::GET, &idps_path(&fs), None).await),
        vec![other]
    );
}

async fn unknown_and_malformed_ids_are_told_apart(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let id = create_idp(server, &fs, workload("ci")).await;
    let (_, other_fs) = create_org(server, "elsewhere").await;
    let ghost = unknown_id();
    let body = || Some(json!({"description": "x"}));
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let b = if method == Method::PATCH {
            body()
        } else {
            None
        };
        let unknown_idp = server
            .admin(
                method.clone(),
                &format!("{}/{ghost}", idps_path(&fs)),
                b.clone(),
            )
            .await;
        assert_error(&unknown_idp, 404, "IDENTITY_PROVIDER_NOT_FOUND");
        // A provider of other settings is not found through these.
        let foreign = server
            .admin(
                method.clone(),
                &format!("{}/{id}", idps_path(&other_fs)),
                b.clone(),
            )
            .await;
        assert_error(&foreign, 404, "IDENTITY_PROVIDER_NOT_FOUND");
        let bad_idp = server
            .admin(
                method.clone(),
                &format!("{}/not-an-id", idps_path(&fs)),
                b.clone(),
            )
            .await;
        assert_field(&bad_idp, "INVALID_PATH_PARAMETER", "identityProviderId");
        let unknown_fs = server
            .admin(
                method.clone(),
                &format!("{}/{id}", idps_path(&ghost)),
                b.clone(),
            )
            .await;
        assert_error(&unknown_fs, 404, "FEDERATION_SETTINGS_NOT_FOUND");
        let bad_fs = server
            .admin(method.clone(), &format!("{}/{id}", idps_path("12345")), b)
            .await;
        assert_field(&bad_fs, "INVALID_PATH_PARAMETER", "federationSettingsId");
    }
    let list = server.admin(Method::GET, &idps_path(&ghost), None).await;
    assert_error(&list, 404, "FEDERATION_SETTINGS_NOT_FOUND");
    let create = server
        .admin(Method::POST, &idps_path(&ghost), Some(workload("x")))
        .await;
    assert_error(&create, 404, "FEDERATION_SETTINGS_NOT_FOUND");
    // The provider survived the foreign DELETE.
    let still = server
        .admin(Method::GET, &format!("{}/{id}", idps_path(&fs)), None)
        .await;
    assert_eq!(still.status, 200);
}

store_tests!(
    create_get_and_list_an_identity_provider,
    defaults_fill_the_claims,
    every_field_rule_at_its_bound_and_one_past,
    patch_keeps_other_fields_and_refuses_changing_the_type,
    list_filters_by_type_and_refuses_saml,
    delete_clears_the_connected_org_references,
    unknown_and_malformed_ids_are_told_apart,
);
