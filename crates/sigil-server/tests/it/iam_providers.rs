//! Identity providers on the IAM face (spec 40, "Identity providers"): the same providers the
//! Atlas face lists, named by their IAM name or their Atlas id; who may touch them.

use crate::atlas_support::*;
use crate::credentials_support::*;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{store_tests, TestServer};

fn body(fields: serde_json::Value) -> Option<serde_json::Value> {
    Some(json!({ "identity_provider": fields }))
}

async fn providers_are_created_listed_shown_changed_and_deleted(server: &TestServer) {
    let token = admin_token(server).await;
    let created = create_provider(server, &token, "corp-idp").await;
    assert_eq!(created["id"], "corp-idp");
    assert_eq!(created["sso_type"], "virtual_user_sso");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["remote_ids"], json!([]));
    assert_eq!(created["description"], "made by a test");
    assert!(created["links"]["self"]
        .as_str()
        .is_some_and(|l| l.ends_with("/v3/OS-FEDERATION/identity_providers/corp-idp")));

    let again = with_token(
        server,
        Method::POST,
        &format!("{IDP_V30}/corp-idp"),
        &token,
        body(json!({})),
    )
    .await;
    assert_iam(&again, 409, "IAM.0009");

    let listed = with_token(server, Method::GET, IDP_V3, &token, None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<&str> = listed.body["identity_providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(names, ["corp-idp"]);
    assert!(listed.body["links"]["self"].is_string());

    // The Atlas face lists the same provider: OIDC, WORKFORCE, GROUP on `groups`, no issuer yet.
    let (_, fs) = server.default_org().await;
    let atlas = server.admin(Method::GET, &idps_path(&fs), None).await;
    let same = &atlas.body["results"][0];
    assert_eq!(same["displayName"], "corp-idp", "{}", atlas.text);
    assert_eq!(same["idpType"], "WORKFORCE");
    assert_eq!(same["authorizationType"], "GROUP");
    assert_eq!(same["groupsClaim"], "groups");
    assert!(same.get("issuerUri").is_none(), "{same}");

    let path = format!("{IDP_V3}/corp-idp");
    let shown = with_token(server, Method::GET, &path, &token, None).await;
    assert_eq!(shown.body["identity_provider"], created);

    let patched = with_token(
        server,
        Method::PATCH,
        &path,
        &token,
        body(json!({"enabled": false, "description": "off"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["identity_provider"]["enabled"], false);
    assert_eq!(patched.body["identity_provider"]["description"], "off");
    let shown = with_token(server, Method::GET, &path, &token, None).await;
    assert_eq!(shown.body["identity_provider"]["enabled"], false);

    let deleted = with_token(server, Method::DELETE, &path, &token, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_keystone(
        &with_token(server, Method::GET, &path, &token, None).await,
        404,
    );
    assert_keystone(
        &with_token(server, Method::DELETE, &path, &token, None).await,
        404,
    );
    let atlas = server.admin(Method::GET, &idps_path(&fs), None).await;
    assert_eq!(atlas.body["totalCount"], 0, "{}", atlas.text);
}

/// A provider created on the Atlas face is named by its 24-hex id here.
async fn atlas_providers_are_named_by_their_id(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let id = create_idp(server, &fs, workload("from-atlas")).await;
    let token = admin_token(server).await;
    let shown = with_token(server, Method::GET, &format!("{IDP_V3}/{id}"), &token, None).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["identity_provider"]["id"], id);
    let reserved = with_token(
        server,
        Method::POST,
        &format!("{IDP_V30}/{}", "ab".repeat(12)),
        &token,
        body(json!({})),
    )
    .await;
    assert_invalid(&reserved, "idp_id");
}

async fn names_and_fields_follow_the_rules(server: &TestServer) {
    let token = admin_token(server).await;
    let longest = "n".repeat(64);
    create_provider(server, &token, &longest).await;
    create_provider(server, &token, "A-z_09").await;
    for bad in ["n".repeat(65), "a.b".into(), "a%20b".into()] {
        let a = with_token(
            server,
            Method::POST,
            &format!("{IDP_V30}/{bad}"),
            &token,
            body(json!({})),
        )
        .await;
        assert_invalid(&a, "idp_id");
        let k = with_token(
            server,
            Method::GET,
            &format!("{IDP_V3}/{bad}"),
            &token,
            None,
        )
        .await;
        assert_keystone(&k, 400);
    }
    for (fields, field) in [
        (json!({"sso_type": "saml_sso"}), "sso_type"),
        (json!({"description": "d".repeat(251)}), "description"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"remote_ids": ["https://idp"]}), "remote_ids"),
        (json!({"name": "x"}), "name"),
    ] {
        let a = with_token(
            server,
            Method::POST,
            &format!("{IDP_V30}/p1"),
            &token,
            body(fields),
        )
        .await;
        assert_invalid(&a, field);
    }
    let at_bound = with_token(
        server,
        Method::POST,
        &format!("{IDP_V30}/p2"),
        &token,
        body(json!({"sso_type": "iam_user_sso", "description": "d".repeat(250)})),
    )
    .await;
    assert_eq!(at_bound.status, 201, "{}", at_bound.text);
    assert_eq!(
        at_bound.body["identity_provider"]["sso_type"],
        "iam_user_sso"
    );
    let no_wrapper = with_token(
        server,
        Method::POST,
        &format!("{IDP_V30}/p3"),
        &token,
        Some(json!({})),
    )
    .await;
    assert_invalid(&no_wrapper, "identity_provider");
    let patch = with_token(
        server,
        Method::PATCH,
        &format!("{IDP_V3}/p2"),
        &token,
        body(json!({"enabled": 3})),
    )
    .await;
    assert_keystone(&patch, 400);
    assert!(patch.text.contains("enabled"), "{}", patch.text);
}

/// Changing providers needs ORG_OWNER ("Security Administrator") of the token's domain.
async fn only_the_domains_owner_manages_providers(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let admin = admin_token(server).await;
    create_provider(server, &admin, "guarded").await;
    let member = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let member_token = token(server, &member.client_id, &member.secret).await;
    let config = Some(json!({"openid_connect_config": {}}));
    for (method, path, body) in [
        (Method::POST, format!("{IDP_V30}/another"), body(json!({}))),
        (Method::GET, oidc_config_path("guarded"), None),
        (Method::PUT, oidc_config_path("guarded"), config),
    ] {
        let a = with_token(server, method, &path, &member_token, body).await;
        assert_iam(&a, 403, "IAM.0003");
    }
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let a = with_token(
            server,
            method,
            &format!("{IDP_V3}/guarded"),
            &member_token,
            body(json!({})),
        )
        .await;
        assert_keystone(&a, 403);
    }
    // A user in no organization speaks for no domain.
    server
        .admin(
            Method::PUT,
            "/_security/user/loner",
            Some(json!({"password": "loner-password", "roles": ["superuser"]})),
        )
        .await;
    let mut everywhere = server.client.get(format!("{}{IDP_V3}", server.url));
    everywhere = everywhere.basic_auth("loner", Some("loner-password"));
    let a = server.send(everywhere).await;
    assert_keystone(&a, 403);
    assert!(a.text.contains("domain"), "{}", a.text);
    let still = with_token(
        server,
        Method::GET,
        &format!("{IDP_V3}/guarded"),
        &admin,
        None,
    )
    .await;
    assert_eq!(still.status, 200);
}

store_tests!(
    providers_are_created_listed_shown_changed_and_deleted,
    atlas_providers_are_named_by_their_id,
    names_and_fields_follow_the_rules,
    only_the_domains_owner_manages_providers,
);
