//! `sigil config`: init (flags or questions), set, list, describe; the file's place and mode.

use crate::Cli;
use sigil_testkit::TestServer;

#[tokio::test]
async fn init_asks_on_stdin_and_writes_a_private_file() {
    let server = TestServer::sqlite().await;
    let cli = Cli::new();
    let answers = format!(
        "{}\n3\nadmin\n{}\n2023-11-15\n",
        server.url,
        sigil_testkit::ADMIN_PASSWORD
    );
    let out = cli
        .run_with(&["config", "init"], &[], Some(answers.as_bytes()))
        .await;
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stderr.contains("Base URL"), "it asks: {out:#?}");
    #[cfg(unix)]
    {
        assert_eq!(crate::mode(&cli.config()), 0o600);
        assert_eq!(crate::mode(cli.config().parent().unwrap()), 0o700);
    }
    let text = std::fs::read_to_string(cli.config()).unwrap();
    assert!(
        text.contains("[default]") && text.contains("api_version = \"2023-11-15\""),
        "{text}"
    );
    let orgs = cli
        .run(&["api", "organizations", "listOrganizations"])
        .await
        .json();
    assert_eq!(orgs["totalCount"], 1, "{orgs}");

    // No answers and no flags: a usage error that says how to give them.
    let other = Cli::new();
    let out = other.run_with(&["config", "init"], &[], Some(b"")).await;
    assert!(out.failed(2).contains("flags"), "{out:#?}");
}

#[tokio::test]
async fn set_list_and_describe() {
    let cli = Cli::new();
    for (key, value) in [
        ("base_url", "http://127.0.0.1:8420"),
        ("public_api_key", "abcdefgh"),
        ("private_api_key", "11111111-2222-3333-4444-555555555555"),
        ("output", "go-template={{.id}}"),
    ] {
        let out = cli.run(&["config", "set", key, value, "-P", "prod"]).await;
        assert_eq!(out.code, 0, "{key}: {out:#?}");
    }
    cli.init("dev", &["--username", "me", "--password", "pw-secret"])
        .await;
    assert_eq!(cli.run(&["config", "list"]).await.ok(), "dev\nprod\n");
    #[cfg(unix)]
    assert_eq!(crate::mode(&cli.config()), 0o600);

    let prod = cli.run(&["config", "describe", "prod"]).await;
    let text = prod.ok();
    assert!(
        text.contains("abcdefgh") && text.contains("[REDACTED]"),
        "{text}"
    );
    assert!(!text.contains("5555"), "the private key is masked: {text}");
    let dev = cli.run(&["config", "describe", "-P", "dev"]).await;
    assert!(
        dev.ok().contains("http://127.0.0.1:8420"),
        "init's default base URL: {dev:#?}"
    );
    assert!(!dev.stdout.contains("pw-secret"));

    // A profile holds one credential: a key of another kind replaces the old kind.
    let out = cli
        .run(&["config", "set", "client_id", "mdb_sa_id_x", "-P", "prod"])
        .await;
    assert!(out.stderr.contains("public_api_key removed"), "{out:#?}");
    let text = std::fs::read_to_string(cli.config()).unwrap();
    assert!(
        !text.contains("abcdefgh") && text.contains("mdb_sa_id_x"),
        "{text}"
    );
    // Half a credential is named when it is used.
    let out = cli.run(&["api", "health", "getHealth", "-P", "prod"]).await;
    assert!(out.failed(2).contains("client_secret"), "{out:#?}");

    // Values are checked where they are typed.
    for (key, value, names) in [
        ("api_version", "2020-01-01", "2024-11-13"),
        ("base_url", "localhost:8420", "http://"),
        ("output", "go-template={{", "template"),
        ("no_such_key", "x", "base_url"),
    ] {
        let out = cli.run(&["config", "set", key, value]).await;
        assert!(out.failed(2).contains(names), "{key}: {out:#?}");
    }
    let out = cli.run(&["config", "describe", "nope"]).await;
    assert!(out.failed(2).contains("dev, prod"), "{out:#?}");
    let out = cli
        .run(&[
            "config",
            "init",
            "-P",
            "x",
            "--username",
            "u",
            "--password",
            "p",
            "--client-id",
            "c",
        ])
        .await;
    assert!(out.failed(2).contains("one credential"), "{out:#?}");
}

/// Without SIGIL_CONFIG_FILE the file is `$XDG_CONFIG_HOME/sigil/config.toml`; a broken
/// file is a usage error naming it.
#[tokio::test]
async fn the_file_lives_under_xdg_config_home() {
    let cli = Cli::new();
    let unset = [("SIGIL_CONFIG_FILE", None)];
    let out = cli
        .run_with(
            &["config", "set", "base_url", "http://127.0.0.1:1", "-P", "x"],
            &unset,
            None,
        )
        .await;
    assert_eq!(out.code, 0, "{out:#?}");
    let path = cli.dir.path().join("xdg").join("sigil").join("config.toml");
    assert!(std::fs::read_to_string(&path).unwrap().contains("[x]"));

    std::fs::write(&path, "[x]\nbase_ur = \"typo\"\n").unwrap();
    let out = cli.run_with(&["config", "list"], &unset, None).await;
    let stderr = out.failed(2);
    assert!(
        stderr.contains("base_ur") && stderr.contains("config.toml"),
        "{stderr}"
    );
}
