//! `sigil`: `sigil server` runs the service; the other subcommands are its client.

use clap::{Parser, Subcommand};
use sigil_server::config::{LogFormat, ServerArgs};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "sigil",
    version,
    about = "Self-hosted credential and identity-federation service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Sigil server.
    Server(ServerArgs),
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SIGIL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Server(args) => {
            let config = match args.resolve() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("sigil server: {e:#}");
                    return ExitCode::from(2);
                }
            };
            init_logging(config.log_format);
            match sigil_server::run(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sigil server: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
