//! `sigil`: `sigil server` runs the service; `api`, `config` and `completion` are its client
//! (`cli`).

mod cli;

use clap::{Args, Command, FromArgMatches};
use sigil_server::config::{LogFormat, ServerArgs};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: glibc keeps the 19 MiB an Argon2id
/// verification allocates in its per-thread arenas after it is freed (every verification on
/// another blocking thread kept another 19 MiB, and a burst of them took an idle server past
/// 1 GiB), where mimalloc gives freed memory back to the system; it also allocates faster on
/// the request path (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

fn command() -> Command {
    cli::command(ServerArgs::augment_args(Command::new("server")).about("Run the Sigil server"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return cli::refused(e),
    };
    match matches.subcommand() {
        Some(("server", m)) => server(m).await,
        _ => cli::run(command(), &matches).await,
    }
}

async fn server(matches: &clap::ArgMatches) -> ExitCode {
    let args = match ServerArgs::from_arg_matches(matches) {
        Ok(a) => a,
        Err(e) => return cli::refused(e),
    };
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
