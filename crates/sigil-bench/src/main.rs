//! `sigil-bench`: starts the release `sigil` server, drives it over loopback with concurrent
//! workers for a bounded time, and prints requests/s, p50, p99 and the server's peak RSS per
//! scenario, each as a ratio to the floor (`GET /health`) measured in the same run.
//!
//!     cargo run --release -p sigil-bench -- --duration 10 --concurrency 32

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
    let floor = scenarios::run(Scenario::Health, &server, &fixture, &args).await?;
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
    print_row(&floor, &floor, server.peak_rss_kib());
    for scenario in chosen.into_iter().filter(|s| *s != Scenario::Health) {
        let result = scenarios::run(scenario, &server, &fixture, &args).await?;
        print_row(&result, &floor, server.peak_rss_kib());
    }
    println!("idle RSS after the run: {} MiB", server.rss_kib() / 1024);
    server.stop();
    Ok(())
}

fn print_row(r: &ScenarioResult, floor: &ScenarioResult, rss_kib: u64) {
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
}
