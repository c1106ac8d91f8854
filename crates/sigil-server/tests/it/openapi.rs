//! The OpenAPI document at `/openapi.json`: OpenAPI 3.1, every route of spec 10 under its
//! operationId, and every operation tagged, named once, and documenting its errors.

use reqwest::Method;
use serde_json::Value;
use sigil_testkit::TestServer;
use std::collections::HashSet;

const SPEC_10: [&str; 20] = [
    "listOrganizations",
    "createOrganization",
    "getOrganization",
    "getFederationSettings",
    "getFederationSettingsById",
    "listConnectedOrgConfigs",
    "getConnectedOrgConfig",
    "updateConnectedOrgConfig",
    "removeConnectedOrgConfig",
    "listRoleMappings",
    "createRoleMapping",
    "getRoleMapping",
    "updateRoleMapping",
    "deleteRoleMapping",
    "listIdentityProviders",
    "createIdentityProvider",
    "getIdentityProvider",
    "updateIdentityProvider",
    "deleteIdentityProvider",
    "listOrganizationEvents",
];

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_covers_every_route_with_its_errors() {
    let server = TestServer::sqlite().await;
    let answer = server.anonymous(Method::GET, "/openapi.json", None).await;
    assert_eq!(answer.status, 200);
    let doc = answer.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let ops = operations(&doc);
    let ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap_or(""))
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique");
    for id in SPEC_10 {
        assert!(unique.contains(id), "{id} is missing");
    }
    // The seed's other names of the JWKS revoke, for `sigil api` (spec 50).
    let revoke = ops
        .iter()
        .find(|(_, _, op)| op["operationId"] == "revokeJwksFromIdentityProvider")
        .expect("revokeJwksFromIdentityProvider");
    assert_eq!(
        revoke.2["x-aliases"],
        serde_json::json!([
            "revokeFederationSettingIdentityProviderJwks",
            "revokeIdentityProviderJwks"
        ])
    );
    for (path, method, op) in &ops {
        assert!(
            !op["operationId"].as_str().unwrap_or("").is_empty(),
            "{method} {path} has no operationId"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has no tag"
        );
        let responses = op["responses"].as_object().expect("responses");
        if path.starts_with("/api/atlas") || path.starts_with("/api/public") {
            for status in ["400", "401", "403", "404"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} does not document {status}"
                );
            }
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    params.contains(&name),
                    "{method} {path} does not document {name}"
                );
            }
            assert!(
                params.contains(&"envelope") && params.contains(&"pretty"),
                "{method} {path}"
            );
        }
    }
    // The server's own routes answer what the document says exists.
    let (org, _) = server.default_org().await;
    let get_org = server
        .admin(Method::GET, &format!("/api/atlas/v2/orgs/{org}"), None)
        .await;
    assert_eq!(get_org.status, 200);
}
