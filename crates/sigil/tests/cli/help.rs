//! Help pages like the seed's, and shell completions.

use crate::Cli;

/// `--help` of the seed's operation lists the seed's flags in a table of name, type, required
/// and description, and the operation's other names.
#[tokio::test]
async fn the_seeds_help_page() {
    let cli = Cli::new();
    let out = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "revokeJwksFromIdentityProvider",
            "--help",
        ])
        .await;
    let page = out.ok();
    assert!(page.contains("Revokes the provider's JWKS"), "{page}");
    assert!(
        page.contains("This command is invoking the endpoint with OperationID: 'revokeJwksFromIdentityProvider'"),
        "{page}"
    );
    assert!(
        page.contains("Name")
            && page.contains("Type")
            && page.contains("Required")
            && page.contains("Description")
    );
    let row = |flag: &str| {
        page.lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("no {flag} row in:\n{page}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(row("--federationSettingsId")[1..3], ["string", "true"]);
    assert_eq!(row("--identityProviderId")[1..3], ["string", "true"]);
    assert_eq!(row("--envelope")[1], "false", "a flag has no type");
    assert_eq!(row("-h, --help")[2], "false");
    assert_eq!(row("-o, --output")[2..4], ["string", "false"]);
    assert_eq!(row("--output-file")[1..3], ["string", "false"]);
    assert_eq!(row("--version")[1..3], ["string", "false"]);
    assert_eq!(row("-P, --profile")[2..4], ["string", "false"]);
    let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("This value defaults to \"2024-11-13\""),
        "{page}"
    );
    assert!(flat.contains(
        "Aliases: revokeFederationSettingIdentityProviderJwks, revokeIdentityProviderJwks"
    ));
    let order: Vec<usize> = [
        "--envelope",
        "--federationSettingsId",
        "-h, --help",
        "--identityProviderId",
        "-o, --output",
        "--output-file",
        "--version",
    ]
    .iter()
    .map(|f| {
        page.find(&format!("  {f} "))
            .unwrap_or_else(|| panic!("{f}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sorted as the seed's: {order:?}"
    );

    // An alias shows the same page.
    let alias = cli
        .run(&[
            "api",
            "federatedAuthentication",
            "revokeIdentityProviderJwks",
            "-h",
        ])
        .await;
    assert_eq!(alias.ok(), page);

    // A body's fields are listed for --file.
    let create = cli
        .run(&["api", "serviceAccounts", "createServiceAccount", "--help"])
        .await;
    let page = create.ok();
    assert!(
        page.contains("Request body") && page.contains("secretExpiresAfterHours"),
        "{page}"
    );
}

#[tokio::test]
async fn api_help_lists_tags_and_tag_help_lists_operations() {
    let cli = Cli::new();
    let api = cli.run(&["api", "--help"]).await;
    for tag in [
        "federatedAuthentication",
        "serviceAccounts",
        "programmaticApiKeys",
        "organizations",
        "oauth",
        "elasticsearch",
        "cloudManagerServiceAccounts",
    ] {
        assert!(api.ok().contains(tag), "{tag}: {api:#?}");
    }
    let tag = cli.run(&["api", "federatedAuthentication", "--help"]).await;
    let text = tag.ok();
    for op in [
        "revokeJwksFromIdentityProvider",
        "createIdentityProvider",
        "listRoleMappings",
        "revokeIdentityProviderJwks",
    ] {
        assert!(text.contains(op), "{op}: {text}");
    }
    // Bare `sigil api` is a usage error that shows the tags.
    let bare = cli.run(&["api"]).await;
    assert!(
        bare.failed(2).contains("federatedAuthentication"),
        "{bare:#?}"
    );
}

#[tokio::test]
async fn completions_cover_the_generated_commands() {
    let cli = Cli::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = cli.run(&["completion", shell]).await;
        let script = out.ok();
        for word in [
            "federatedAuthentication",
            "revokeJwksFromIdentityProvider",
            "federationSettingsId",
            "config",
        ] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    // bash itself completes an operation's flag from the script.
    let script = cli.path("sigil.bash");
    std::fs::write(&script, cli.run(&["completion", "bash"]).await.ok()).unwrap();
    let line = "sigil api federatedAuthentication revokeJwksFromIdentityProvider --fed";
    let probe = format!(
        "source {}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=({line}); COMP_CWORD=4; _sigil sigil --fed revokeJwksFromIdentityProvider; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let completed = tokio::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&completed.stdout).trim(),
        "--federationSettingsId",
        "{completed:?}"
    );

    let out = cli.run(&["completion", "tcsh"]).await;
    assert!(out.failed(2).contains("tcsh"), "{out:#?}");
}
