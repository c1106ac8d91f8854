//! The audit trail through Atlas v2 `GET /orgs/{orgId}/events`: every change, newest first,
//! who, from where, the outcome; paginated (spec 00 "Audit").

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["eventTypeName"].as_str().unwrap_or_default())
        .collect()
}

async fn every_change_is_an_event_newest_first(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let bootstrap = events(server, &org).await;
    assert_eq!(types(&bootstrap), vec!["USER_BOOTSTRAPPED", "ORG_CREATED"]);

    let idp = create_idp(server, &fs, workload("ci")).await;
    let idp_path = format!("{}/{idp}", idps_path(&fs));
    let u = server
        .admin(Method::PATCH, &idp_path, Some(json!({"description": "d"})))
        .await;
    assert_eq!(u.status, 200);
    let c = server
        .admin(
            Method::PATCH,
            &config_path(&fs, &org),
            Some(json!({"identityProviderId": idp})),
        )
        .await;
    assert_eq!(c.status, 200);
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&fs, &org),
            Some(mapping("admins", &org, "ORG_OWNER")),
        )
        .await;
    let m_id = m.body["id"].as_str().unwrap().to_owned();
    let m_path = format!("{}/{m_id}", mappings_path(&fs, &org));
    let put = server
        .admin(
            Method::PUT,
            &m_path,
            Some(mapping("owners", &org, "ORG_OWNER")),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        server.admin(Method::DELETE, &m_path, None).await.status,
        204
    );
    assert_eq!(
        server.admin(Method::DELETE, &idp_path, None).await.status,
        204
    );
    // Reads and refused requests are not events.
    server.admin(Method::GET, &idp_path, None).await;
    server
        .admin(
            Method::POST,
            &idps_path(&fs),
            Some(json!({"protocol": "SAML"})),
        )
        .await;

    let all = events(server, &org).await;
    assert_eq!(
        types(&all),
        vec![
            "IDENTITY_PROVIDER_DELETED",
            "ROLE_MAPPING_DELETED",
            "ROLE_MAPPING_UPDATED",
            "ROLE_MAPPING_CREATED",
            "CONNECTED_ORG_CONFIG_UPDATED",
            "IDENTITY_PROVIDER_UPDATED",
            "IDENTITY_PROVIDER_CREATED",
            "USER_BOOTSTRAPPED",
            "ORG_CREATED",
        ]
    );
    let targets: Vec<&Value> = all.iter().take(7).map(|e| &e["targetId"]).collect();
    assert_eq!(
        targets,
        vec![
            &json!(idp),
            &json!(m_id),
            &json!(m_id),
            &json!(m_id),
            &json!(org),
            &json!(idp),
            &json!(idp)
        ]
    );
    let mut previous: Option<String> = None;
    for e in all.iter().take(7) {
        assert_eq!(e["principal"], "default_native:admin", "{e}");
        assert_eq!(e["remoteAddress"], "127.0.0.1", "{e}");
        assert_eq!(e["outcome"], "SUCCESS", "{e}");
        assert_eq!(e["orgId"], org, "{e}");
        assert_eq!(e["id"].as_str().map(str::len), Some(24), "{e}");
        assert_time(&e["created"]);
        let created = e["created"].as_str().unwrap().to_owned();
        if let Some(p) = &previous {
            assert!(created <= *p, "newest first: {created} after {p}");
        }
        previous = Some(created);
    }
    // Secrets never appear; the bootstrap's events come last.
    assert!(!serde_json::to_string(&all)
        .unwrap()
        .contains(sigil_testkit::ADMIN_PASSWORD));
    assert_eq!(all[8]["targetId"], org);
}

async fn organization_events_stay_in_their_organization(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let before = events(server, &org).await.len();
    let (other, other_fs) = create_org(server, "acme").await;
    let remove = server
        .admin(Method::DELETE, &config_path(&other_fs, &other), None)
        .await;
    assert_eq!(remove.status, 204);
    let theirs = events(server, &other).await;
    assert_eq!(
        types(&theirs),
        vec!["CONNECTED_ORG_CONFIG_REMOVED", "ORG_CREATED"]
    );
    assert_eq!(theirs[1]["targetId"], other);
    assert_eq!(theirs[1]["principal"], "default_native:admin");
    assert_eq!(events(server, &org).await.len(), before);
}

async fn events_are_paginated(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    for i in 0..3 {
        create_idp(server, &fs, workload(&format!("idp {i}"))).await;
    }
    let all = events(server, &org).await;
    assert_eq!(all.len(), 5);
    let path = format!("{V2}/orgs/{org}/events");
    let first = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=2"), None)
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["totalCount"], 5);
    assert_eq!(first.body["results"].as_array().unwrap()[..], all[0..2]);
    assert_eq!(
        link(&first, "next").unwrap(),
        format!("{}{path}?itemsPerPage=2&pageNum=2", server.url)
    );
    let third = server
        .admin(
            Method::GET,
            &format!("{path}?itemsPerPage=2&pageNum=3"),
            None,
        )
        .await;
    assert_eq!(third.body["results"].as_array().unwrap()[..], all[4..5]);
    assert_eq!(link(&third, "next"), None);
    assert!(link(&third, "previous").unwrap().contains("pageNum=2"));
    let uncounted = server
        .admin(Method::GET, &format!("{path}?includeCount=false"), None)
        .await;
    assert!(uncounted.body.get("totalCount").is_none());
    let bad = server
        .admin(Method::GET, &format!("{path}?itemsPerPage=501"), None)
        .await;
    assert_field(&bad, "INVALID_ATTRIBUTE", "itemsPerPage");
}

store_tests!(
    every_change_is_an_event_newest_first,
    organization_events_stay_in_their_organization,
    events_are_paginated,
);
