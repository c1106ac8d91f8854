//! `sigil api` against a running server: the seed's revoke, Go templates, `--output-file`,
//! `--envelope`, a second profile, and the exit status of each kind of failure.

use crate::{dead_url, default_org, Cli};
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::TestServer;

/// Seed 001: an API key (ORG_OWNER) in the default profile revokes an identity provider's
/// JWKS with the seed's exact command line; 204 prints nothing. The admin, in a second
/// profile used with `-P`, sets everything up through the CLI too.
#[tokio::test]
async fn the_seeds_command_line_revokes_the_jwks() {
    let server = TestServer::sqlite().await;
    let issuer = FakeIssuer::start().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let org = default_org(&cli).await;
    let fs = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "getFederationSettings",
            "--orgId",
            &org,
            "-P",
            "admin",
            "-o",
            "go-template={{.id}}",
        ])
        .await
        .ok()
        .to_owned();
    assert_eq!(fs.len(), 24);
    // The body from stdin (`--file -`).
    let body = json!({
        "protocol": "OIDC", "idpType": "WORKLOAD", "displayName": "cli issuer",
        "issuerUri": issuer.issuer(), "audience": "sigil-cli-test",
        "authorizationType": "GROUP", "groupsClaim": "groups",
    });
    let created = cli
        .run_with(
            &[
                "api",
                "federatedAuthentication",
                "createIdentityProvider",
                "--federationSettingsId",
                &fs,
                "--file",
                "-",
                "-P",
                "admin",
            ],
            &[],
            Some(body.to_string().as_bytes()),
        )
        .await
        .json();
    let idp = created["id"].as_str().unwrap().to_owned();
    let key = cli
        .run(&[
            "api",
            "programmaticApiKeys",
            "createApiKey",
            "--orgId",
            &org,
            "-P",
            "admin",
            "--file",
            &cli.write(
                "key.json",
                r#"{"desc": "seed 001", "roles": ["ORG_OWNER"]}"#,
            ),
            "-o",
            "go-template={{.publicKey}} {{.privateKey}}",
        ])
        .await
        .ok()
        .to_owned();
    let (public, private) = key.split_once(' ').unwrap();
    cli.init(
        "default",
        &[
            "--base-url",
            &server.url,
            "--public-api-key",
            public,
            "--private-api-key",
            private,
        ],
    )
    .await;

    let out = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "revokeJwksFromIdentityProvider",
            "--federationSettingsId",
            &fs,
            "--identityProviderId",
            &idp,
        ])
        .await;
    assert_eq!(out.ok(), "", "a 204 prints nothing");
    assert_eq!(out.stderr, "");

    let after = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "getIdentityProvider",
            "--federationSettingsId",
            &fs,
            "--identityProviderId",
            &idp,
        ])
        .await
        .json();
    assert!(after["keySet"]["revokedAt"].is_string(), "{after}");
    let events = cli
        .run(&["api", "events", "listOrganizationEvents", "--orgId", &org])
        .await
        .json();
    let revoked = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventTypeName"] == "IDENTITY_PROVIDER_JWKS_REVOKED")
        .unwrap_or_else(|| panic!("no revoke event: {events}"));
    assert_eq!(revoked["outcome"], "SUCCESS");
    assert!(
        revoked.to_string().contains(public),
        "the API key did it: {revoked}"
    );

    // The vendor's other names for the same operation (x-aliases).
    for alias in [
        "revokeFederationSettingIdentityProviderJwks",
        "revokeIdentityProviderJwks",
    ] {
        let out = cli
            .run(&[
                "api",
                "federatedAuthentication",
                alias,
                "--federationSettingsId",
                &fs,
                "--identityProviderId",
                &idp,
            ])
            .await;
        assert_eq!(out.ok(), "", "{alias}");
    }
}

/// A service account and a secret created through the CLI, fields read with Go templates;
/// `--output-file` (both spellings) and `--envelope`.
#[tokio::test]
async fn service_accounts_templates_output_files_and_envelopes() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let org = default_org(&cli).await;
    let sa = cli.write(
        "sa.json",
        r#"{"name": "ci", "description": "the CI robot", "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 8}"#,
    );
    let client_id = cli
        .run(&[
            "api",
            "serviceAccounts",
            "createServiceAccount",
            "-P",
            "admin",
            "--orgId",
            &org,
            "--file",
            &sa,
            "--output",
            "go-template={{.clientId}}",
        ])
        .await
        .ok()
        .to_owned();
    assert!(client_id.starts_with("mdb_sa_id_"), "{client_id}");
    let secret_body = cli.write("secret.json", r#"{"secretExpiresAfterHours": 24}"#);
    let secret = cli
        .run(&[
            "api",
            "serviceAccounts",
            "createServiceAccountSecret",
            "-P",
            "admin",
            "--orgId",
            &org,
            "--clientId",
            &client_id,
            "--file",
            &secret_body,
            "--output",
            r#"go-template={{printf "%s" .secret}}"#,
        ])
        .await
        .ok()
        .to_owned();
    assert!(secret.starts_with("mdb_sa_sk_"), "{secret}");

    // range, index, len and json over the account's secrets (a template from a file).
    let template = cli.write(
        "t.tmpl",
        "{{len .secrets}} {{range $i, $s := .secrets}}{{if $i}},{{end}}{{$s.id}}{{end}} {{json (index .secrets 0).maskedSecretValue}}",
    );
    let out = cli
        .run(&[
            "api",
            "serviceAccounts",
            "getServiceAccount",
            "-P",
            "admin",
            "--orgId",
            &org,
            "--clientId",
            &client_id,
            "--output",
            &format!("go-template-file={template}"),
        ])
        .await;
    let text = out.ok();
    assert!(text.starts_with("2 "), "{text}");
    assert!(text.ends_with('"'), "json quotes a string: {text}");

    for flag in ["--output-file", "--outputFile"] {
        let file = cli.path(&format!("account{flag}.json"));
        let out = cli
            .run(&[
                "api",
                "serviceAccounts",
                "getServiceAccount",
                "-P",
                "admin",
                "--orgId",
                &org,
                "--clientId",
                &client_id,
                flag,
                file.to_str().unwrap(),
            ])
            .await;
        assert_eq!(out.ok(), "", "{flag}: nothing on stdout");
        let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(written["clientId"], client_id.as_str(), "{flag}");
    }

    let out = cli
        .run(&[
            "api",
            "serviceAccounts",
            "getServiceAccount",
            "-P",
            "admin",
            "--orgId",
            &org,
            "--clientId",
            &client_id,
            "--envelope",
        ])
        .await;
    let wrapped = out.json();
    assert_eq!(wrapped["status"], 200, "{wrapped}");
    assert_eq!(wrapped["content"]["clientId"], client_id.as_str());
    // With an envelope even an error is a 200, so the status is the body's to tell.
    let out = cli
        .run(&[
            "api",
            "organizations",
            "getOrganization",
            "-P",
            "admin",
            "--orgId",
            "000000000000000000000000",
            "--envelope",
        ])
        .await;
    assert_eq!(out.json()["status"], 404);
}

/// An API error: exit 1, the error body as JSON on stderr, nothing on stdout.
#[tokio::test]
async fn an_api_error_exits_1_with_the_body_on_stderr() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let out = cli
        .run(&[
            "api",
            "organizations",
            "getOrganization",
            "-P",
            "admin",
            "--orgId",
            "000000000000000000000000",
        ])
        .await;
    let stderr = out.failed(1);
    let body: Value = serde_json::from_str(stderr).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(body["error"], 404, "{body}");
    assert_eq!(body["errorCode"], "ORG_NOT_FOUND", "{body}");
    assert_eq!(out.stdout, "");

    // Wrong credentials: the server's 401 body, exit 1.
    let out = cli
        .run_with(
            &["api", "organizations", "listOrganizations"],
            &[
                ("SIGIL_BASE_URL", Some(server.url.as_str())),
                ("SIGIL_USERNAME", Some("admin")),
                ("SIGIL_PASSWORD", Some("not-the-password")),
            ],
            None,
        )
        .await;
    let body: Value = serde_json::from_str(out.failed(1)).unwrap();
    assert_eq!(body["errorCode"], "NOT_AUTHENTICATED", "{body}");
}

/// An operation's header parameter is a flag (`--X-Idp-Id`), sent as the header; and the IAM
/// face works through the CLI (Digest as the admin, whose one organization is its domain).
#[tokio::test]
async fn header_parameters_are_flags_and_the_iam_face_answers() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let body = cli.write(
        "idp.json",
        r#"{"identity_provider": {"description": "from the CLI"}}"#,
    );
    let created = cli
        .run(&[
            "api",
            "iam",
            "createOpenIdConnectIdentityProvider",
            "-P",
            "admin",
            "--idp_id",
            "cli-idp",
            "--file",
            &body,
            "--output",
            "go-template={{.identity_provider.id}}",
        ])
        .await;
    assert_eq!(created.ok().trim(), "cli-idp");
    let login = cli.write(
        "login.json",
        r#"{"auth": {"id_token": {"id": "not.a.jwt"}, "scope": {"domain": {"name": "default"}}}}"#,
    );
    let out = cli
        .run(&[
            "api",
            "iam",
            "createTokenWithIdToken",
            "-P",
            "admin",
            "--X-Idp-Id",
            "cli-idp",
            "--file",
            &login,
        ])
        .await;
    // Without the header the answer would be 400 naming X-Idp-Id; with it, the token is judged.
    let answer: Value = serde_json::from_str(out.failed(1)).unwrap();
    assert_eq!(answer["error_code"], "IAM.0007", "{answer}");
    let missing = cli
        .run(&[
            "api",
            "iam",
            "createTokenWithIdToken",
            "-P",
            "admin",
            "--file",
            &login,
        ])
        .await;
    assert!(missing.failed(2).contains("--X-Idp-Id"), "{missing:#?}");
}

/// Usage errors exit 2 before any request (the base URL is a dead port, where a request would
/// exit 1), naming what to fix.
#[tokio::test]
async fn usage_errors_exit_2_naming_what_to_fix() {
    let cli = Cli::new();
    let dead = dead_url();
    cli.init(
        "default",
        &[
            "--base-url",
            &dead,
            "--username",
            "admin",
            "--password",
            "x",
        ],
    )
    .await;
    let missing = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "revokeJwksFromIdentityProvider",
            "--identityProviderId",
            "0123456789abcdef01234567",
        ])
        .await;
    assert!(
        missing.failed(2).contains("--federationSettingsId"),
        "{missing:#?}"
    );

    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "api",
                "organizations",
                "listOrganizations",
                "-o",
                "go-template={{.results",
            ],
            "template",
        ),
        (
            &["api", "organizations", "listOrganizations", "-o", "yaml"],
            "go-template=TEMPLATE",
        ),
        (
            &[
                "api",
                "organizations",
                "listOrganizations",
                "--pageNum",
                "two",
            ],
            "--pageNum",
        ),
        (
            &[
                "api",
                "organizations",
                "listOrganizations",
                "--version",
                "2021-01-01",
            ],
            "2024-11-13",
        ),
        (
            &["api", "organizations", "noSuchOperation"],
            "noSuchOperation",
        ),
        (
            &[
                "api",
                "serviceAccounts",
                "createServiceAccount",
                "--orgId",
                "0123456789abcdef01234567",
                "--file",
                "/nonexistent/body.json",
            ],
            "/nonexistent/body.json",
        ),
    ];
    // Cloud Manager v1.0 is unversioned: its operations have no --version.
    let cm = cli
        .run(&[
            "api",
            "cloudManagerServiceAccounts",
            "listServiceAccountsCloudManager",
            "--orgId",
            "0123456789abcdef01234567",
            "--version",
            "2024-11-13",
        ])
        .await;
    assert!(cm.failed(2).contains("--version"), "{cm:#?}");
    for (args, names) in cases {
        let out = cli.run(args).await;
        assert!(out.failed(2).contains(names), "{args:?}: {out:#?}");
    }
    let wrong_tag = cli
        .run(&["api", "serviceAccounts", "revokeJwksFromIdentityProvider"])
        .await;
    assert!(
        wrong_tag
            .failed(2)
            .contains("sigil api federatedAuthentication revokeJwksFromIdentityProvider"),
        "{wrong_tag:#?}"
    );
    let not_json = cli.write("body.txt", "name=x");
    let out = cli
        .run(&[
            "api",
            "organizations",
            "createOrganization",
            "--file",
            &not_json,
        ])
        .await;
    assert!(out.failed(2).contains("must be JSON"), "{out:#?}");

    // The same command against the dead port, well formed: the call fails, exit 1.
    let out = cli
        .run(&["api", "organizations", "listOrganizations"])
        .await;
    assert!(out.failed(1).contains("cannot reach"), "{out:#?}");
}

/// Digest with a user name and password works on the other faces too (the Elasticsearch face
/// challenges with Basic, so the client fetches a Digest nonce from the Atlas face).
#[tokio::test]
async fn digest_reaches_every_face() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let me = cli
        .run(&[
            "api",
            "elasticsearch",
            "securityAuthenticate",
            "-P",
            "admin",
        ])
        .await
        .json();
    assert_eq!(me["username"], "admin", "{me}");
    let health = cli
        .run(&["api", "health", "getHealth", "-P", "admin"])
        .await
        .json();
    assert_eq!(health, json!({"status": "ok"}));
    let org = default_org(&cli).await;
    let accounts = cli
        .run(&[
            "api",
            "cloudManagerServiceAccounts",
            "listServiceAccountsCloudManager",
            "-P",
            "admin",
            "--orgId",
            &org,
        ])
        .await
        .json();
    assert_eq!(accounts["totalCount"], 0, "{accounts}");
}
