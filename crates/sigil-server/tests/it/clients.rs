//! Real clients nobody on the project wrote, against the real server: curl's `--digest`,
//! python-requests' `HTTPDigestAuth`, requests-oauthlib, PyJWT and the official `elasticsearch`
//! Python client (tests/clients/). Outside CI a missing tool is a visible
//! `SKIPPED:`; with `CI=true` it fails the test.

use serde_json::Value;
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};
use std::path::PathBuf;
use tokio::process::Command;

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Skips (loudly) outside CI, fails in CI.
fn skip(what: &str) {
    assert!(!in_ci(), "CI=true but {what}");
    eprintln!("SKIPPED: {what}");
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs curl with `args` (plus `-sS` and a final line with the status), answering the status
/// and the body parsed as JSON; `None` when curl is not installed.
async fn curl(args: &[&str]) -> Option<(u16, Value)> {
    let output = match Command::new("curl")
        .arg("-sS")
        .args(["-w", "\n%{http_code}"])
        .args(args)
        .output()
        .await
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("curl: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, status) = stdout.rsplit_once('\n').expect("the status line");
    let status = status.trim().parse().expect("a status");
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

async fn curl_digest(server: &TestServer) {
    let user = format!("admin:{ADMIN_PASSWORD}");
    let orgs = format!("{}/api/atlas/v2/orgs?pretty=true", server.url);
    let Some((status, body)) = curl(&["--digest", "--user", &user, &orgs]).await else {
        return skip("curl is not installed");
    };
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["name"], "default", "{body}");
    assert_eq!(body["totalCount"], 1, "{body}");

    let wrong = "admin:not-the-password";
    let (status, body) = curl(&["--digest", "--user", wrong, &orgs])
        .await
        .expect("curl");
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errorCode"], "NOT_AUTHENTICATED", "{body}");

    let (_, fs) = server.default_org().await;
    let idps = format!(
        "{}/api/atlas/v2/federationSettings/{fs}/identityProviders",
        server.url
    );
    let draft = r#"{"protocol": "OIDC", "idpType": "WORKLOAD", "displayName": "made-by-curl",
        "issuerUri": "https://issuer.example.com", "audience": "sigil", "authorizationType": "GROUP"}"#;
    let (status, created) = curl(&[
        "--digest",
        "--user",
        &user,
        "-H",
        "Content-Type: application/json",
        "-X",
        "POST",
        "--data",
        draft,
        &idps,
    ])
    .await
    .expect("curl");
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("an id");
    assert_eq!(id.len(), 24);
    assert_eq!(created["displayName"], "made-by-curl");

    let (status, listed) = curl(&[
        "--digest",
        "--user",
        &user,
        &format!("{idps}?protocol=OIDC"),
    ])
    .await
    .expect("curl");
    assert_eq!(status, 200, "{listed}");
    let found = listed["results"]
        .as_array()
        .expect("results")
        .iter()
        .any(|i| i["id"] == id);
    assert!(found, "{listed}");
}

/// Runs one pytest file of tests/clients against `server`, after checking its modules import.
async fn pytest(server: &TestServer, file: &str, modules: &str) {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .await;
    let missing = match probe {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned(),
        ),
        Err(e) => Some(format!("python3 cannot run: {e}")),
    };
    if let Some(why) = missing {
        return skip(&format!(
            "python3 with {modules} is needed \
             (pip install -r tests/clients/requirements.txt): {why}"
        ));
    }
    let output = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", file])
        .current_dir(workspace_root())
        .env("SIGIL_URL", &server.url)
        .env("SIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pytest failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("passed"), "{stdout}");
}

async fn python_requests_digest(server: &TestServer) {
    pytest(
        server,
        "tests/clients/test_digest_requests.py",
        "requests, pytest",
    )
    .await;
}

/// requests' HTTPDigestAuth with an API key on Cloud Manager, requests-oauthlib fetching a
/// token, PyJWT verifying it with only the JWKS.
async fn python_oauth_clients(server: &TestServer) {
    pytest(
        server,
        "tests/clients/test_oauth_clients.py",
        "requests, pytest, requests_oauthlib, jwt, cryptography",
    )
    .await;
}

/// The official `elasticsearch` Python client, unchanged, against the Elasticsearch security
/// face: users, roles, API keys created, read, queried, updated and invalidated.
async fn python_elasticsearch_client(server: &TestServer) {
    // The suite makes more deliberate failures from one address than the default burst of
    // failed authentications allows; the limiter has tests of its own.
    let server = &crate::es_support::another_server(server, |config| {
        config.auth_failure_burst = 1000;
    })
    .await;
    pytest(
        server,
        "tests/clients/test_elasticsearch_client.py",
        "pytest, elasticsearch",
    )
    .await;
}

/// python-requests on the IAM face: tokens, providers, the seed's PUTs, and an ID-token login
/// with PyJWT-signed tokens whose pinned key is rotated.
async fn python_requests_iam(server: &TestServer) {
    pytest(
        server,
        "tests/clients/test_iam_requests.py",
        "requests, pytest, jwt, cryptography",
    )
    .await;
}

/// The official Huawei Cloud SDK (`huaweicloudsdkiam`), unchanged, signing with an access key:
/// the seed's OpenID Connect configuration and an ID-token login.
async fn huawei_cloud_sdk(server: &TestServer) {
    pytest(
        server,
        "tests/clients/test_huawei_sdk.py",
        "pytest, huaweicloudsdkiam, jwt, cryptography",
    )
    .await;
}

store_tests!(
    huawei_cloud_sdk,
    python_requests_iam,
    curl_digest,
    python_requests_digest,
    python_oauth_clients,
    python_elasticsearch_client
);
