//! The vendors' own Go SDKs, unchanged, against the real server (tests/clients/go): the Atlas
//! Go SDK (current and the Atlas document's own version), go-elasticsearch and the Huawei Cloud
//! Go SDK, run with `go test`; then the Atlas document's Go program (`go run
//! ./cmd/revoke-jwks`), as the README shows it. Outside CI a missing `go` is a visible
//! `SKIPPED:`; with `CI=true` it fails the test.

use crate::credentials_support::create_sa;
use crate::federation_support::*;
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{store_tests, TestServer, ADMIN_PASSWORD};
use std::path::PathBuf;
use std::process::Output;
use tokio::process::Command;

fn module_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/go")
}

/// Skips (loudly) outside CI, fails in CI.
fn skip(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {what}"
    );
    eprintln!("SKIPPED: {what}");
}

/// `go args…` in the module, with `env`; `None` when `go` is not installed. go.sum must
/// already name every module (`-mod=readonly`): the test never changes the pinned versions.
async fn go(args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let mut command = Command::new("go");
    command
        .args(args)
        .current_dir(module_dir())
        .env("GOFLAGS", "-mod=readonly")
        .envs(env.iter().copied());
    match command.output().await {
        Ok(output) => Some(output),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("go {args:?}: {e}"),
    }
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An identity provider of `issuer` connected to an organization of its own, and a token it
/// issued that is accepted now: what a JWKS revoke must end.
async fn provider(server: &TestServer, issuer: &FakeIssuer, sub: &str) -> (Fed, String) {
    let fed = setup(server, issuer, "GROUP", "WORKLOAD", "ORG_OWNER").await;
    let token = issuer.mint(&fed.claims(issuer, sub, &[GROUP]));
    let before = get_org(server, &fed, &token).await;
    assert_eq!(before.status, 200, "{}", before.text);
    (fed, token)
}

fn fixture(fed: &Fed, token: &str) -> Value {
    json!({
        "orgId": fed.org,
        "federationSettingsId": fed.fs,
        "identityProviderId": fed.idp,
        "token": token,
    })
}

/// `go test ./...`: every SDK suite, with three providers whose JWKS it revokes.
async fn go_sdk_suites(server: &TestServer) {
    let Some(version) = go(&["version"], &[]).await else {
        return skip("go is not installed (the Go client tests need it)");
    };
    assert_success("go version", &version);
    let issuer = FakeIssuer::start().await;
    let mut federation = serde_json::Map::new();
    for name in ["oauth", "digest", "document_sdk"] {
        let (fed, token) = provider(server, &issuer, name).await;
        federation.insert(name.to_owned(), fixture(&fed, &token));
    }
    let federation = Value::Object(federation).to_string();
    let output = go(
        &["test", "-count=1", "-v", "./..."],
        &[
            ("SIGIL_URL", &server.url),
            ("SIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("SIGIL_GO_FEDERATION", &federation),
        ],
    )
    .await
    .expect("go runs");
    assert_success("go test ./...", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for test in [
        "TestAtlasOAuthRevokesAProvidersJwks",
        "TestAtlasDigestApiKeyRevokesAProvidersJwks",
        "TestAtlasDocumentsSdkRevokesAProvidersJwks",
        "TestAtlasIdentityProvidersAndRoleMappings",
        "TestAtlasServiceAccountsAndSecrets",
        "TestAtlasTokenRefreshAndRevoke",
        "TestElasticsearchApiKeysCreateGetQueryAndAuthenticate",
        "TestElasticsearchInvalidationRules",
        "TestHuaweiOpenIdConnectConfigurationSignedWithAnAccessKey",
        "TestHuaweiIdTokenLoginAndXAuthTokenCredentials",
        "TestHuaweiWorkloadIdentityCredentials",
        "TestHuaweiTemporaryAccessKeyChain",
    ] {
        assert!(
            stdout.contains(&format!("--- PASS: {test} ")),
            "{test} did not pass:\n{stdout}"
        );
    }
}

/// The README's command: the Atlas document's Go program revokes a provider's JWKS with a
/// service account's client id and secret, and the provider's token is refused after it.
async fn go_atlas_document_program(server: &TestServer) {
    if go(&["version"], &[]).await.is_none() {
        return skip("go is not installed (the Atlas document's Go program needs it)");
    }
    let issuer = FakeIssuer::start().await;
    let (fed, token) = provider(server, &issuer, "readme").await;
    let account = create_sa(server, &fed.org, &["ORG_OWNER"]).await;
    let output = go(
        &["run", "./cmd/revoke-jwks", &fed.fs, &fed.idp],
        &[
            ("MONGODB_ATLAS_BASE_URL", &server.url),
            ("MONGODB_ATLAS_CLIENT_ID", &account.client_id),
            ("MONGODB_ATLAS_CLIENT_SECRET", &account.secret),
        ],
    )
    .await
    .expect("go runs");
    assert_success("go run ./cmd/revoke-jwks", &output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "204 No Content"
    );
    assert_refused(
        &get_org(server, &fed, &token).await,
        "the provider's token after the revoke",
    );
}

store_tests!(go_sdk_suites, go_atlas_document_program);
