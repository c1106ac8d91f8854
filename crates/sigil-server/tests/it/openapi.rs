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

/// The document passes Redocly CLI's lint (pinned in tests/openapi/package.json, rules in
/// tests/openapi/redocly.yaml) with no error and no warning (every warning is an error there). Outside CI a missing linter is a
/// visible `SKIPPED:`; with `CI=true` it fails.
#[tokio::test]
async fn the_document_passes_the_linter() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let openapi = root.join("tests/openapi");
    let redocly = openapi.join("node_modules/.bin/redocly");
    if !redocly.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Redocly CLI is not installed (npm ci --prefix tests/openapi)"
        );
        eprintln!("SKIPPED: Redocly CLI is needed (npm ci --prefix tests/openapi)");
        return;
    }
    let server = TestServer::sqlite().await;
    let served = server.anonymous(Method::GET, "/openapi.json", None).await;
    assert_eq!(served.status, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &served.text).expect("write the document");
    let output = tokio::process::Command::new(&redocly)
        .arg("lint")
        .arg(&file)
        .arg("--config")
        .arg(openapi.join("redocly.yaml"))
        .args(["--max-problems", "1000"])
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .await
        .expect("redocly runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // `recommended-strict` makes every warning an error, so the status says it all.
    assert!(
        output.status.success(),
        "the linter found problems:\n{report}"
    );
    assert!(report.contains("is valid"), "{report}");
}
