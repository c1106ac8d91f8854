//! `sigil-bench`: starts the release `sigil` server, drives it over loopback with concurrent
//! workers for a bounded time, and prints requests/s, p50, p99 and the server's peak RSS per
//! scenario, each as a ratio to the floor (`GET /health`) measured in the same run.
//!
//!     cargo run --release -p sigil-bench -- --duration 10 --concurrency 32
//!
//! `--scenario revocation-propagation --database-url postgres://…` instead starts a second
//! node on the same database and measures how long a revocation on one takes to hold on the
//! other (see `propagation.rs`).
//!
//! `--scenario apikey-create` and `--scenario apikey-scale` (run only when named) create
//! Elasticsearch API keys over HTTP and measure ApiKey authentication as the `api_keys` table
//! grows (see `api_keys.rs`).

mod api_keys;
mod federation;
mod propagation;
mod scenarios;
mod server;

use clap::Parser;
use scenarios::{Scenario, ScenarioResult};

#[derive(Parser, Debug, Clone)]
#[command(about = "Load benchmark of Sigil's hot paths")]
pub struct Args {
    /// Seconds each scenario runs (1..=300).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub duration: u64,
    /// Concurrent connections (1..=512).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
    /// Scenarios to run (default: all).
    #[arg(long, value_enum)]
    pub scenario: Vec<Scenario>,
    /// Run the server on this PostgreSQL database instead of a fresh SQLite one.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Tokens minted before `federated-fresh`, each sent once; the scenario ends early when
    /// they are used up.
    #[arg(long, default_value_t = 150_000)]
    pub fresh_tokens: usize,
    /// Revocations `revocation-propagation` measures (1..=10000).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub revocations: u64,
    /// Keys `apikey-create` creates.
    #[arg(long, default_value_t = 100_000)]
    pub api_keys: u64,
    /// The `api_keys` table sizes `apikey-scale` measures at, in order (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 100_000, 1_000_000])]
    pub scale_sizes: Vec<usize>,
    /// Keys never presented before that `apikey-scale` sends at each size.
    #[arg(long, default_value_t = 2_000)]
    pub misses: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = server::Server::start(args.database_url.as_deref()).await?;
    let fixture = std::sync::Arc::new(scenarios::Fixture::create(&server).await?);
    let chosen = if args.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenario.clone()
    };
    let propagation = chosen.contains(&Scenario::RevocationPropagation);
    let create = chosen.contains(&Scenario::ApikeyCreate);
    let scale = chosen.contains(&Scenario::ApikeyScale);
    let throughput: Vec<Scenario> = chosen
        .into_iter()
        .filter(|s| {
            !matches!(
                s,
                Scenario::Health
                    | Scenario::RevocationPropagation
                    | Scenario::ApikeyCreate
                    | Scenario::ApikeyScale
            )
        })
        .collect();
    if !(propagation || create || scale) || !throughput.is_empty() {
        run_throughput(&server, &fixture, &args, throughput).await?;
    }
    if create {
        api_keys::run_create(&server, &args).await?;
    }
    if scale {
        api_keys::run_scale(&server, &args).await?;
    }
    if propagation {
        let second = server.second_node().await?;
        let count = usize::try_from(args.revocations)?;
        propagation::run(&server, &second, count).await?;
        second.stop();
    }
    server.stop();
    Ok(())
}

async fn run_throughput(
    server: &server::Server,
    fixture: &std::sync::Arc<scenarios::Fixture>,
    args: &Args,
    chosen: Vec<Scenario>,
) -> anyhow::Result<()> {
    let floor = scenarios::run(Scenario::Health, server, fixture, args).await?;
    println!(
        "sigil-bench: {} s per scenario, {} connections, store {}",
        args.duration,
        args.concurrency,
        server.store_name()
    );
    println!(
        "{:<26} {:>10} {:>9} {:>9} {:>9} {:>11}",
        "scenario", "req/s", "p50 ms", "p99 ms", "vs floor", "peak RSS"
    );
    print_row(&floor, &floor, server.peak_rss_kib(), args.duration as f64);
    for scenario in chosen {
        let result = scenarios::run(scenario, server, fixture, args).await?;
        print_row(&result, &floor, server.peak_rss_kib(), args.duration as f64);
    }
    println!("idle RSS after the run: {} MiB", server.rss_kib() / 1024);
    Ok(())
}

fn print_row(r: &ScenarioResult, floor: &ScenarioResult, rss_kib: u64, duration: f64) {
    let ratio = if floor.per_second > 0.0 {
        r.per_second / floor.per_second * 100.0
    } else {
        0.0
    };
    println!(
        "{:<26} {:>10.0} {:>9.2} {:>9.2} {:>8.0}% {:>7} MiB{}",
        r.name,
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        ratio,
        rss_kib / 1024,
        if r.errors > 0 {
            format!("  ({} errors)", r.errors)
        } else {
            String::new()
        }
    );
    if r.seconds + 0.5 < duration {
        println!(
            "    (the minted tokens were used up after {:.1} s)",
            r.seconds
        );
    }
}
