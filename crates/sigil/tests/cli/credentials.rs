//! Credentials: a service account's token fetched once and cached (0600) until shortly before
//! it expires, replaced when the server refuses it; the environment overriding the file.

use crate::{default_org, Cli};
use serde_json::Value;
use sigil_testkit::TestServer;

fn cached(cli: &Cli) -> (String, u64) {
    let cache: Value = serde_json::from_slice(&std::fs::read(cli.token_cache()).unwrap()).unwrap();
    let tokens = cache["tokens"].as_object().unwrap();
    assert_eq!(tokens.len(), 1, "{cache}");
    let (key, entry) = tokens.iter().next().unwrap();
    assert!(
        key.starts_with("robot:mdb_sa_id_"),
        "keyed by profile and client: {key}"
    );
    (
        entry["access_token"].as_str().unwrap().to_owned(),
        entry["expires_at"].as_u64().unwrap(),
    )
}

/// Rewrites the cached token's expiry.
fn set_expiry(cli: &Cli, expires_at: u64) {
    let path = cli.token_cache();
    let mut cache: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for entry in cache["tokens"].as_object_mut().unwrap().values_mut() {
        entry["expires_at"] = expires_at.into();
    }
    std::fs::write(&path, serde_json::to_vec(&cache).unwrap()).unwrap();
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_service_account_token_is_cached_until_shortly_before_it_expires() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    cli.admin_profile(&server).await;
    let org = default_org(&cli).await;
    let body = cli.write(
        "sa.json",
        r#"{"name": "robot", "description": "r", "roles": ["ORG_OWNER"], "secretExpiresAfterHours": 8}"#,
    );
    let created = cli
        .run(&[
            "api",
            "serviceAccounts",
            "createServiceAccount",
            "-P",
            "admin",
            "--orgId",
            &org,
            "--file",
            &body,
        ])
        .await
        .json();
    let client_id = created["clientId"].as_str().unwrap().to_owned();
    let secret = created["secrets"][0]["secret"].as_str().unwrap().to_owned();
    cli.init(
        "robot",
        &[
            "--base-url",
            &server.url,
            "--client-id",
            &client_id,
            "--client-secret",
            &secret,
        ],
    )
    .await;
    let get_org = [
        "api",
        "organizations",
        "getOrganization",
        "-P",
        "robot",
        "--orgId",
        &org,
    ];

    assert_eq!(cli.run(&get_org).await.json()["id"], org.as_str());
    #[cfg(unix)]
    assert_eq!(crate::mode(&cli.token_cache()), 0o600);
    let (first, expires_at) = cached(&cli);
    assert!(expires_at > now() + 3000, "an hour's token: {expires_at}");

    // With a wrong secret in the profile the call still works: no token is fetched while the
    // cached one has more than a minute left.
    let out = cli
        .run(&[
            "config",
            "set",
            "client_secret",
            "wrong-secret",
            "-P",
            "robot",
        ])
        .await;
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(cli.run(&get_org).await.json()["id"], org.as_str());
    assert_eq!(cached(&cli).0, first, "the same token");

    // Less than a minute left: a new token is asked for, and the wrong secret is refused.
    set_expiry(&cli, now() + 30);
    let out = cli.run(&get_org).await;
    let stderr = out.failed(1);
    assert!(stderr.contains("invalid_client"), "{stderr}");

    // The right secret again: a fresh token, cached.
    let out = cli
        .run(&["config", "set", "client_secret", &secret, "-P", "robot"])
        .await;
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(cli.run(&get_org).await.json()["id"], org.as_str());
    let (second, _) = cached(&cli);
    assert_ne!(second, first);

    // The server revokes the cached token (RFC 7009): the client gets a new one and the
    // call succeeds.
    let revoked = server
        .client
        .post(format!("{}/api/oauth/revoke", server.url))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("token", second.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(cli.run(&get_org).await.json()["id"], org.as_str());
    let (third, _) = cached(&cli);
    assert_ne!(third, second);
}

/// The environment overrides the file, and may stand in for it entirely.
#[tokio::test]
async fn the_environment_overrides_the_profile() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    let url = server.url.as_str();
    let admin = [
        ("SIGIL_BASE_URL", Some(url)),
        ("SIGIL_USERNAME", Some("admin")),
        ("SIGIL_PASSWORD", Some(sigil_testkit::ADMIN_PASSWORD)),
    ];
    let list = ["api", "organizations", "listOrganizations"];

    // No config file at all.
    assert!(!cli.config().exists());
    let orgs = cli.run_with(&list, &admin, None).await.json();
    assert_eq!(orgs["totalCount"], 1, "{orgs}");

    // A profile pointing elsewhere with a wrong password: the environment wins on each.
    cli.init(
        "default",
        &[
            "--base-url",
            &crate::dead_url(),
            "--public-api-key",
            "abcdefgh",
            "--private-api-key",
            "nope",
        ],
    )
    .await;
    assert_eq!(cli.run(&list).await.code, 1, "the file alone fails");
    assert_eq!(
        cli.run_with(&list, &admin, None).await.json()["totalCount"],
        1
    );

    // SIGIL_PROFILE selects the profile; -P beats it.
    cli.init(
        "ops",
        &[
            "--base-url",
            url,
            "--username",
            "admin",
            "--password",
            sigil_testkit::ADMIN_PASSWORD,
        ],
    )
    .await;
    let ops = [("SIGIL_PROFILE", Some("ops"))];
    assert_eq!(
        cli.run_with(&list, &ops, None).await.json()["totalCount"],
        1
    );
    let mut with_flag = list.to_vec();
    with_flag.extend(["-P", "default"]);
    assert_eq!(cli.run_with(&with_flag, &ops, None).await.code, 1);
    let missing = cli
        .run_with(&list, &[("SIGIL_PROFILE", Some("nope"))], None)
        .await;
    assert!(
        missing.failed(2).contains("no profile \"nope\""),
        "{missing:#?}"
    );

    // describe tells where each value comes from, and never shows a secret.
    let out = cli
        .run_with(
            &["config", "describe", "ops"],
            &[("SIGIL_PASSWORD", Some("from-env-secret"))],
            None,
        )
        .await;
    let text = out.ok();
    assert!(
        text.lines()
            .any(|l| l.starts_with("password") && l.contains("SIGIL_PASSWORD")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("base_url") && l.ends_with("file")),
        "{text}"
    );
    assert!(
        !text.contains("from-env-secret") && !text.contains(sigil_testkit::ADMIN_PASSWORD),
        "{text}"
    );
}
