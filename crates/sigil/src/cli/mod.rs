//! The `sigil` client: `api`, `config` and `completion`, their command tree, and
//! the exit status every failure maps to (0 success, 1 the call failed, 2 the command line or
//! the config must be fixed).

pub mod api;
pub mod auth;
pub mod config_cmd;
pub mod help;
pub mod output;
pub mod profile;
pub mod request;
pub mod spec;

use clap::{Arg, ArgMatches, Command};
use std::process::ExitCode;

/// Why a command did not succeed, which decides its exit status.
#[derive(Debug)]
pub enum CliError {
    /// The command line, a file it names or the profile must be fixed: exit 2.
    Usage(String),
    /// The call could not be made or completed: exit 1.
    Failure(String),
    /// The server answered with an error: its body goes to stderr, exit 1.
    Api {
        status: reqwest::StatusCode,
        body: Vec<u8>,
        hint: Option<String>,
    },
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failure(m) => f.write_str(m),
            CliError::Api { status, .. } => write!(f, "the server answered {status}"),
        }
    }
}

impl CliError {
    pub fn report(self) -> ExitCode {
        match self {
            CliError::Usage(message) => {
                eprintln!("sigil: {message}");
                ExitCode::from(2)
            }
            CliError::Failure(message) => {
                eprintln!("sigil: {message}");
                ExitCode::from(1)
            }
            CliError::Api { status, body, hint } => {
                let fallback = format!("{{\"error\": {}}}", status.as_u16());
                let body = if body.is_empty() {
                    fallback.into_bytes()
                } else {
                    body
                };
                output::write_error(&body, hint.as_deref());
                ExitCode::from(1)
            }
        }
    }
}

/// The whole command tree: the server's flags and the client's commands, the `api` subtree
/// generated from the OpenAPI document.
pub fn command(server: Command) -> Command {
    Command::new("sigil")
        .version(env!("CARGO_PKG_VERSION"))
        .about(
            "Self-hosted credential and identity-federation service, and its command-line client",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(server)
        .subcommand(api::command())
        .subcommand(config_cmd::command())
        .subcommand(
            Command::new("completion")
                .about("Print a shell completion script: source <(sigil completion bash)")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell)),
                ),
        )
}

/// Runs a client command (`server` is main's).
pub async fn run(root: Command, matches: &ArgMatches) -> ExitCode {
    let result = match matches.subcommand() {
        Some(("api", m)) => api::run(m).await,
        Some(("config", m)) => config_cmd::run(m),
        Some(("completion", m)) => {
            if let Some(shell) = m.get_one::<clap_complete::Shell>("shell") {
                let mut root = root;
                let mut out = std::io::stdout();
                clap_complete::generate(*shell, &mut root, "sigil", &mut out);
                if *shell == clap_complete::Shell::Fish {
                    let _ = std::io::Write::write_all(&mut out, fish_operation_flags().as_bytes());
                }
            }
            Ok(())
        }
        _ => Err(CliError::Usage("sigil --help lists the commands".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

/// clap_complete's fish script stops two levels down (`sigil api <tag>`); the flags of
/// each operation, a level deeper, are added here.
fn fish_operation_flags() -> String {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    let mut out = String::new();
    for tag in &spec::spec().tags {
        for op in &tag.operations {
            let names = std::iter::once(op.id.as_str())
                .chain(op.aliases.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            let when = format!(
                "__fish_seen_subcommand_from api; and __fish_seen_subcommand_from {}; and __fish_seen_subcommand_from {names}",
                tag.name
            );
            let mut flags: Vec<(&str, &str)> = op
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.description.as_str()))
                .collect();
            if op.body.is_some() {
                flags.push(("file", "the request body, a JSON file (- for stdin)"));
            }
            flags.extend([
                (
                    "output",
                    "json, go-template=TEMPLATE or go-template-file=PATH",
                ),
                ("output-file", "write the output to this file"),
                ("profile", "the profile to use"),
            ]);
            if op.versioned() {
                flags.push(("version", "the API version"));
            }
            for (flag, help) in flags {
                out.push_str(&format!(
                    "complete -c sigil -n '{}' -l {flag} -d '{}'\n",
                    quote(&when),
                    quote(help)
                ));
            }
        }
    }
    out
}

/// A command line clap refused (exit 2, or 0 for `--help`), with a pointer to the right tag
/// when an operation was looked for in the wrong one.
pub fn refused(error: clap::Error) -> ExitCode {
    let _ = error.print();
    if error.kind() == clap::error::ErrorKind::InvalidSubcommand {
        let args: Vec<String> = std::env::args().collect();
        if let Some(hint) = api::misplaced(&args) {
            eprintln!("\n  tip: {hint}");
        }
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}
