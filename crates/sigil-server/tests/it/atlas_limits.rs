//! Limits Sigil chose where spec 10 is silent (lengths of claims and ids, list sizes, page
//! numbers), each at its bound and one past, so a change to them is deliberate.

use crate::atlas_support::*;
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

fn strings(n: usize, len: usize) -> Value {
    json!((0..n).map(|i| format!("{i:0>len$}")).collect::<Vec<_>>())
}

async fn identity_provider_lengths_and_list_sizes(server: &TestServer) {
    let (_, fs) = server.default_org().await;
    let long_uri = format!("https://idp.example.com/{}", "p".repeat(2048 - 24));
    assert_eq!(long_uri.len(), 2048);
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "clientId",
            json!("c".repeat(255)),
            json!("c".repeat(256)),
            "clientId",
        ),
        (
            "audience",
            json!("a".repeat(255)),
            json!("a".repeat(256)),
            "audience",
        ),
        (
            "groupsClaim",
            json!("g".repeat(100)),
            json!("g".repeat(101)),
            "groupsClaim",
        ),
        (
            "userClaim",
            json!("u".repeat(100)),
            json!("u".repeat(101)),
            "userClaim",
        ),
        (
            "issuerUri",
            json!(long_uri),
            json!(format!("{long_uri}p")),
            "issuerUri",
        ),
        (
            "requestedScopes",
            strings(50, 3),
            strings(51, 3),
            "requestedScopes",
        ),
        (
            "requestedScopes",
            strings(1, 255),
            strings(1, 256),
            "requestedScopes[0]",
        ),
        (
            "associatedDomains",
            strings(50, 3),
            strings(51, 3),
            "associatedDomains",
        ),
    ];
    for (key, at_bound, past, field) in cases {
        let ok = server
            .admin(
                Method::POST,
                &idps_path(&fs),
                Some(with(workload("bounds"), key, at_bound.clone())),
            )
            .await;
        assert_eq!(ok.status, 200, "{key} at its bound: {}", ok.text);
        assert_eq!(ok.body[key], at_bound);
        let refused = server
            .admin(
                Method::POST,
                &idps_path(&fs),
                Some(with(workload("bounds"), key, past)),
            )
            .await;
        assert_field(&refused, "INVALID_ATTRIBUTE", field);
    }
}

async fn role_mapping_and_connected_org_list_sizes(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    let assignments = |n: usize| -> Value {
        let roles = ["ORG_OWNER", "ORG_MEMBER", "ORG_READ_ONLY"];
        json!((0..n)
            .map(|i| json!({"orgId": org, "role": roles[i % 3]}))
            .collect::<Vec<_>>())
    };
    let twenty = json!({"externalGroupName": "many", "roleAssignments": assignments(20)});
    let ok = server
        .admin(Method::POST, &mappings_path(&fs, &org), Some(twenty))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["roleAssignments"].as_array().unwrap().len(), 3);
    let too_many = json!({"externalGroupName": "more", "roleAssignments": assignments(21)});
    let refused = server
        .admin(Method::POST, &mappings_path(&fs, &org), Some(too_many))
        .await;
    assert_field(&refused, "INVALID_ATTRIBUTE", "roleAssignments");

    let path = config_path(&fs, &org);
    let domains = |n: usize| {
        json!((0..n)
            .map(|i| format!("d{i}.example.com"))
            .collect::<Vec<_>>())
    };
    let hundred = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": domains(100)})),
        )
        .await;
    assert_eq!(hundred.status, 200, "{}", hundred.text);
    let more = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": domains(101)})),
        )
        .await;
    assert_field(&more, "INVALID_ATTRIBUTE", "domainAllowList");
    // 253 characters in labels of at most 63.
    let label = "a".repeat(62);
    let long = format!("{label}.{label}.{label}.{label}.com");
    assert_eq!(long.len(), 255);
    let at_bound = &long[2..];
    let ok = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": [at_bound]})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let past = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": [&long[1..]]})),
        )
        .await;
    assert_field(&past, "INVALID_ATTRIBUTE", "domainAllowList[0]");
    let wide_label = format!("{}.com", "a".repeat(64));
    let label_past = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"domainAllowList": [wide_label]})),
        )
        .await;
    assert_field(&label_past, "INVALID_ATTRIBUTE", "domainAllowList[0]");
}

async fn far_pages_are_empty_not_errors(server: &TestServer) {
    let (org, fs) = server.default_org().await;
    for list in [
        format!("{V2}/orgs"),
        format!("{V2}/orgs/{org}/events"),
        format!("{V2}/federationSettings/{fs}/connectedOrgConfigs"),
        idps_path(&fs),
        mappings_path(&fs, &org),
    ] {
        let last = server
            .admin(
                Method::GET,
                &format!("{list}?pageNum=4294967295&itemsPerPage=500"),
                None,
            )
            .await;
        assert_eq!(last.status, 200, "{list}: {}", last.text);
        assert_eq!(last.body["results"], json!([]));
        assert_eq!(link(&last, "next"), None);
        assert!(link(&last, "previous")
            .unwrap()
            .contains("pageNum=4294967294"));
        let past = server
            .admin(Method::GET, &format!("{list}?pageNum=4294967296"), None)
            .await;
        assert_field(&past, "INVALID_ATTRIBUTE", "pageNum");
    }
}

store_tests!(
    identity_provider_lengths_and_list_sizes,
    role_mapping_and_connected_org_list_sizes,
    far_pages_are_empty_not_errors,
);
