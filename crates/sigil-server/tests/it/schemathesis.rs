//! Schemathesis (PyPI, pinned in tests/openapi/requirements.txt) fuzzes the whole HTTP surface
//! from the server's own `/openapi.json`: once as the admin and once with no credentials. Path
//! ids are steered to real resources made first (and each DELETE to a resource of its own), so
//! schema-valid requests reach the handlers and creates and tokens are fuzzed too. Every check
//! runs ([`CHECKS`]): no 5xx, every answer one the document declares with its schema and media
//! type, valid requests accepted and invalid ones refused; [`UNCHECKED`] lists the few checks
//! turned off for one operation, each with the rule no schema can state. Outside CI a missing
//! schemathesis is a visible `SKIPPED:`; with `CI=true` it fails. `SIGIL_FUZZ_EXAMPLES` raises
//! the examples per operation (default in [`EXAMPLES`]).

use crate::atlas_support::{create_idp, create_org, mapping, mappings_path, workload};
use crate::credentials_support::{add_secret, create_sa, post_form};
use crate::es_support::{create_key, put_role, put_user, Who};
use crate::iam_access_keys::{admin_ids, create_key as create_access_key};
use crate::iam_support::{admin_token, create_provider};
use reqwest::Method;
use serde_json::json;
use sigil_server::config::ServerConfig;
use sigil_testkit::{TestServer, ADMIN_PASSWORD};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use tokio::process::Command;

/// Examples per operation and phase: enough for every operation to reach its handlers with
/// valid and invalid input (about 10 000 requests a run), small enough that the two runs take
/// about two and a half minutes side by side on CI's 2 cores.
const EXAMPLES: u32 = 12;
/// A fixed seed: a failure found in CI is found again by the same command.
const SEED: u64 = 20_261_126;
/// A run that has not finished by then fails rather than holding CI.
const MAX_SECONDS: u64 = 420;

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// `None` when schemathesis can be run; otherwise why not.
async fn schemathesis_missing() -> Option<String> {
    let probe = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--version"])
        .output()
        .await;
    match probe {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned(),
        ),
        Err(e) => Some(format!("python3 cannot run: {e}")),
    }
}

/// The resources the fuzz is steered to, as `(name, value)` pairs of the configuration.
struct Fixtures {
    /// Path parameters shared by every operation that has them.
    parameters: Vec<(&'static str, String)>,
    /// `(operationId, parameter, value)`: a resource of its own for each DELETE (so a deletion
    /// leaves the others' resources alone), and parameters whose name means something else on
    /// another face.
    per_operation: Vec<(&'static str, &'static str, String)>,
    client_id: String,
    client_secret: String,
    access_token: String,
}

/// Makes one of every resource the document names in a path, plus one more of each that a
/// DELETE may take.
async fn fixtures(server: &TestServer) -> Fixtures {
    let (org, fs) = server.default_org().await;
    // An organization of its own (connected to its own settings) for the disconnection.
    let (doomed_org, doomed_fs) = create_org(server, "fuzzed-doomed").await;
    let idp = create_idp(server, &fs, workload("fuzzed")).await;
    let doomed_idp = create_idp(server, &fs, workload("fuzzed-doomed")).await;
    let mut mapping_ids = vec![];
    for group in ["fuzzed", "fuzzed-doomed"] {
        let a = server
            .admin(
                Method::POST,
                &mappings_path(&fs, &org),
                Some(mapping(group, &org, "ORG_MEMBER")),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        mapping_ids.push(a.body["id"].as_str().expect("id").to_owned());
    }
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let doomed_sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let (doomed_secret, _) = add_secret(server, &org, &sa.client_id).await;
    let mut api_keys = vec![];
    for desc in ["fuzzed", "fuzzed-doomed"] {
        let a = server
            .admin(
                Method::POST,
                &format!("/api/atlas/v2/orgs/{org}/apiKeys"),
                Some(json!({"desc": desc, "roles": ["ORG_MEMBER"]})),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        api_keys.push(a.body["id"].as_str().expect("id").to_owned());
    }
    for role in ["fuzzed", "fuzzed-doomed"] {
        put_role(server, role, &["manage_own_api_key"]).await;
    }
    for user in ["fuzzed", "fuzzed-doomed"] {
        put_user(server, user, &["fuzzed"]).await;
    }
    let es_key = create_key(server, Who::Admin, "fuzzed").await;
    let token = admin_token(server).await;
    for name in ["fuzzed", "fuzzed-doomed"] {
        create_provider(server, &token, name).await;
    }
    let (admin_id, _) = admin_ids(server).await;
    let access_key = create_access_key(server, &token, &admin_id).await;
    let doomed_access_key = create_access_key(server, &token, &admin_id).await;
    let issued = post_form(
        server,
        "/api/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &sa.client_id),
            ("client_secret", &sa.secret),
        ],
        None,
    )
    .await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    Fixtures {
        parameters: vec![
            ("orgId", org),
            ("federationSettingsId", fs),
            ("identityProviderId", idp),
            ("clientId", sa.client_id.clone()),
            ("secretId", sa.secret_id.clone()),
            ("apiUserId", api_keys[0].clone()),
            ("username", "fuzzed".into()),
            ("name", "fuzzed".into()),
            ("application", "fuzzed".into()),
            ("idp_id", "fuzzed".into()),
            ("X-Idp-Id", "fuzzed".into()),
            ("access_key", access_key.access),
            ("user_id", admin_id.clone()),
        ],
        per_operation: vec![
            (
                "removeConnectedOrgConfig",
                "federationSettingsId",
                doomed_fs,
            ),
            ("removeConnectedOrgConfig", "orgId", doomed_org),
            (
                "createPermanentAccessKey",
                "body.credential.user_id",
                admin_id,
            ),
            ("getRoleMapping", "id", mapping_ids[0].clone()),
            ("updateRoleMapping", "id", mapping_ids[0].clone()),
            ("deleteRoleMapping", "id", mapping_ids[1].clone()),
            ("deleteIdentityProvider", "identityProviderId", doomed_idp),
            (
                "deleteServiceAccount",
                "clientId",
                doomed_sa.client_id.clone(),
            ),
            (
                "deleteServiceAccountCloudManager",
                "clientId",
                doomed_sa.client_id,
            ),
            (
                "deleteServiceAccountSecret",
                "secretId",
                doomed_secret.clone(),
            ),
            (
                "deleteServiceAccountSecretCloudManager",
                "secretId",
                doomed_secret,
            ),
            ("deleteApiKey", "apiUserId", api_keys[1].clone()),
            ("securityDeleteUser", "username", "fuzzed-doomed".into()),
            ("securityDeleteRole", "name", "fuzzed-doomed".into()),
            ("securityHasPrivilegesOfUser", "user", "admin".into()),
            ("securityHasPrivilegesOfUserPost", "user", "admin".into()),
            ("securityUpdateApiKey", "id", es_key.id),
            (
                "keystoneDeleteIdentityProvider",
                "idp_id",
                "fuzzed-doomed".into(),
            ),
            (
                "deletePermanentAccessKey",
                "access_key",
                doomed_access_key.access,
            ),
        ],
        client_id: sa.client_id,
        client_secret: sa.secret,
        access_token: issued.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned(),
    }
}

/// Every check schemathesis has.
const CHECKS: [&str; 14] = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
];

/// Checks turned off for one operation, each with the reason the document cannot state.
const UNCHECKED: [(&str, &str, &str); 27] = [
    // Which fields a provider needs depends on the others (a WORKFORCE provider needs a
    // clientId), its issuer must be an https:// URL naming a host, and idpType cannot change
    // after creation: rules across fields and stored state, not shapes.
    (
        "createIdentityProvider",
        "positive_data_acceptance",
        "rules across fields",
    ),
    (
        "updateIdentityProvider",
        "positive_data_acceptance",
        "rules on stored state",
    ),
    // `owner=true` excludes `username` and `realm_name`: a rule across query parameters.
    (
        "securityGetApiKey",
        "positive_data_acceptance",
        "rules across parameters",
    ),
    // role_descriptors hold Elasticsearch role bodies whose privileges must exist.
    (
        "securityCreateApiKey",
        "positive_data_acceptance",
        "role descriptors",
    ),
    (
        "securityPutApiKey",
        "positive_data_acceptance",
        "role descriptors",
    ),
    (
        "securityUpdateApiKey",
        "positive_data_acceptance",
        "role descriptors",
    ),
    // An access key's user_id cannot change; a login scopes to a domain the caller belongs to.
    (
        "updatePermanentAccessKey",
        "positive_data_acceptance",
        "rules on stored state",
    ),
    (
        "createTokenWithIdToken",
        "positive_data_acceptance",
        "the ID token must verify",
    ),
    // The token must be one Sigil issued to a person, and `methods` exactly ["token"].
    (
        "createTemporaryAccessKeyByToken",
        "positive_data_acceptance",
        "the token must verify",
    ),
    // A pinned signing_key must hold public keys Sigil can verify with.
    (
        "createOpenIdConnectConfig",
        "positive_data_acceptance",
        "key material",
    ),
    // Each role assignment's orgId must be the connected organization of the path (steered
    // while fuzzing; the coverage phase draws its own).
    (
        "createRoleMapping",
        "positive_data_acceptance",
        "the organization of the path",
    ),
    (
        "updateRoleMapping",
        "positive_data_acceptance",
        "the organization of the path",
    ),
    // The query DSL: which clauses and sorts Sigil evaluates is no shape.
    (
        "securityQueryApiKeys",
        "positive_data_acceptance",
        "the query DSL",
    ),
    (
        "securityQueryApiKeysGet",
        "positive_data_acceptance",
        "the query DSL",
    ),
    // The privileges asked about must be Elasticsearch's names; a user named must be the caller.
    (
        "securityHasPrivileges",
        "positive_data_acceptance",
        "privilege names",
    ),
    (
        "securityHasPrivilegesPost",
        "positive_data_acceptance",
        "privilege names",
    ),
    (
        "securityHasPrivilegesOfUser",
        "positive_data_acceptance",
        "privilege names and the caller",
    ),
    (
        "securityHasPrivilegesOfUserPost",
        "positive_data_acceptance",
        "privilege names and the caller",
    ),
    // The ids must be some and the caller's; role descriptors as for one key.
    (
        "securityBulkUpdateApiKeys",
        "positive_data_acceptance",
        "role descriptors",
    ),
    // Application and privilege names, and actions, follow Elasticsearch's rules.
    (
        "securityPutPrivileges",
        "positive_data_acceptance",
        "Elasticsearch's naming rules",
    ),
    (
        "securityPostPrivileges",
        "positive_data_acceptance",
        "Elasticsearch's naming rules",
    ),
    // The invalidation parameters exclude each other as Elasticsearch lists them.
    (
        "securityInvalidateApiKey",
        "positive_data_acceptance",
        "rules across fields",
    ),
    // One body serves create (user_id required) and update (user_id refused).
    (
        "createPermanentAccessKey",
        "positive_data_acceptance",
        "rules across operations",
    ),
    // orgId and federationSettingsId must be the path's; the providers must exist there.
    (
        "updateConnectedOrgConfig",
        "positive_data_acceptance",
        "rules on stored state",
    ),
    // The scope names its domain by name.
    (
        "keystoneCreateUserTokenByPassword",
        "positive_data_acceptance",
        "the domain by name",
    ),
    // A role PUT or POST without a body is accepted; fixed with the role validation.
    (
        "securityPutRole",
        "negative_data_rejection",
        "an empty body is accepted",
    ),
    (
        "securityPostRole",
        "negative_data_rejection",
        "an empty body is accepted",
    ),
];

/// A TOML basic string.
fn quoted(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// The schemathesis.toml of a run; `admin` adds the admin's Basic credentials and the service
/// account's client credentials in the OAuth forms.
fn config(f: &Fixtures, admin: bool) -> String {
    // Every check (`--checks all` on the command line would override the operations' own).
    let mut toml = String::from("[checks]\n");
    for check in CHECKS {
        let _ = writeln!(toml, "{check}.enabled = true");
    }
    toml.push('\n');
    if admin {
        let _ = writeln!(
            toml,
            "[auth.openapi.basic]\nusername = \"admin\"\npassword = {}\n",
            quoted(ADMIN_PASSWORD)
        );
    }
    // `envelope=true` answers 200 with the real status inside, which no response schema can
    // tie to the parameter; the Atlas conventions tests cover it.
    toml.push_str("[parameters]\nenvelope = \"false\"\n");
    for (name, value) in &f.parameters {
        let _ = writeln!(toml, "{} = {}", quoted(name), quoted(value));
    }
    // Per operation: its parameters (`name = value` pairs) and the checks it skips.
    let mut operations: BTreeMap<&str, (Vec<String>, Vec<&str>)> = BTreeMap::new();
    for (operation, name, value) in &f.per_operation {
        let entry = operations.entry(operation).or_default();
        entry
            .0
            .push(format!("{} = {}", quoted(name), quoted(value)));
    }
    for (operation, check, _why) in UNCHECKED {
        operations.entry(operation).or_default().1.push(check);
    }
    // A role mapping assigns roles in the connected organization of its path.
    for operation in ["createRoleMapping", "updateRoleMapping"] {
        let org = format!(
            "\"body.roleAssignments[*].orgId\" = {}",
            quoted(&f.parameters[0].1)
        );
        operations.entry(operation).or_default().0.push(org);
    }
    if admin {
        // The service account's own credentials (client_secret_post) in every OAuth form, and
        // a live token of it to revoke and introspect.
        for operation in ["createToken", "revokeToken", "introspectToken"] {
            let entry = &mut operations.entry(operation).or_default().0;
            entry.push(format!("\"body.client_id\" = {}", quoted(&f.client_id)));
            entry.push(format!(
                "\"body.client_secret\" = {}",
                quoted(&f.client_secret)
            ));
            if operation != "createToken" {
                entry.push(format!("\"body.token\" = {}", quoted(&f.access_token)));
            }
        }
    }
    for (operation, (parameters, checks)) in operations {
        let _ = writeln!(
            toml,
            "\n[[operations]]\ninclude-operation-id = {}",
            quoted(operation)
        );
        if !parameters.is_empty() {
            let _ = writeln!(toml, "parameters = {{ {} }}", parameters.join(", "));
        }
        for check in checks {
            let _ = writeln!(toml, "checks.{check}.enabled = false");
        }
    }
    toml
}

/// Runs schemathesis against `server` with `config`; answers its exit success and its output.
async fn run(server: &TestServer, config: &str, dir: &Path) -> (bool, String) {
    let file = dir.join("schemathesis.toml");
    std::fs::write(&file, config).expect("write the configuration");
    let examples = std::env::var("SIGIL_FUZZ_EXAMPLES").unwrap_or_else(|_| EXAMPLES.to_string());
    let run = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(&file)
        .args(["run", &format!("{}/openapi.json", server.url)])
        .args(["--seed", &SEED.to_string()])
        .args(["--max-examples", &examples])
        .arg("--no-shrink")
        .args(["--generation-with-security-parameters", "false"])
        // One worker: CPython 3.11's `ast` is not safe across the threads of several.
        .args(["--generation-database", "none", "--workers", "1"])
        // The credentials are the test's own; a failure should show what was sent.
        .args([
            "--request-timeout",
            "10",
            "--no-color",
            "--output-sanitize",
            "false",
        ])
        .current_dir(dir)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(MAX_SECONDS), run)
        .await
        .unwrap_or_else(|_| panic!("schemathesis ran over {MAX_SECONDS} s"))
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Fuzzes a fresh server, as the admin or with no credentials.
async fn fuzz(admin: bool) {
    if let Some(why) = schemathesis_missing().await {
        assert!(!in_ci(), "CI=true but schemathesis cannot run: {why}");
        eprintln!(
            "SKIPPED: schemathesis is needed (pip install -r tests/openapi/requirements.txt): {why}"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server_config = ServerConfig::for_data_dir(dir.path().join("data"));
    // Every refused credential of the fuzz comes from one address.
    server_config.auth_failure_burst = 100_000;
    let server = TestServer::start_with(server_config, tempfile::tempdir().expect("tempdir")).await;
    let fixtures = fixtures(&server).await;
    let (passed, output) = run(&server, &config(&fixtures, admin), dir.path()).await;
    let summary = output
        .find("SUMMARY")
        .map_or(output.as_str(), |at| &output[at..]);
    eprintln!(
        "schemathesis ({}):\n{summary}",
        if admin { "admin" } else { "anonymous" }
    );
    assert!(passed, "schemathesis found failures:\n{output}");
    // Schema-valid requests reached the handlers: the fuzz made resources and used tokens.
    if admin {
        let events = all_events(&server, &fixtures.parameters[0].1).await;
        let made = |kind: &str| events.iter().filter(|e| e["eventTypeName"] == kind).count();
        // The fixtures made two service accounts; revoking needs a token of the right client.
        assert!(made("SERVICE_ACCOUNT_CREATED") > 2, "{events:?}");
        assert!(made("TOKEN_REVOKED") > 0, "{events:?}");
    }
}

/// Every audit event of `org`, page after page.
async fn all_events(server: &TestServer, org: &str) -> Vec<serde_json::Value> {
    let mut events = vec![];
    for page in 1.. {
        let path = format!("/api/atlas/v2/orgs/{org}/events?itemsPerPage=500&pageNum={page}");
        let a = server.admin(Method::GET, &path, None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let results = a.body["results"].as_array().cloned().unwrap_or_default();
        if results.is_empty() {
            break;
        }
        events.extend(results);
    }
    events
}

#[tokio::test]
async fn schemathesis_as_the_admin() {
    fuzz(true).await;
}

#[tokio::test]
async fn schemathesis_with_no_credentials() {
    fuzz(false).await;
}
