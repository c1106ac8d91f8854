//! `sigil-bench`: starts the release `sigil` server, drives it over loopback with concurrent
//! workers for a bounded time, and prints requests/s, p50, p99, CPU time per request and the
//! server's RSS per scenario, each as a ratio to the floor (`GET /health`) measured in the
//! same run. With no `--scenario`, it runs everything on SQLite, and with `--database-url`
//! everything again on a fresh PostgreSQL database, then the two-node propagation scenario:
//!
//!     cargo run --release -p sigil-bench -- --duration 5 \
//!         --database-url postgres://postgres:postgres@127.0.0.1:5432/postgres
//!
//! The scenarios are listed in `scenarios.rs`; BENCHMARKS.md says what each measures.

mod api_key_scale;
mod api_keys;
mod federation;
mod fixture;
mod load;
mod pg;
mod propagation;
mod reference;
mod report;
mod requests;
mod revocation_load;
mod scenarios;
mod server;
mod signing;
mod throughput;
mod verify;
mod wrk;

use clap::Parser;
use scenarios::Scenario;
use std::sync::Arc;

#[derive(Parser, Debug, Clone)]
#[command(about = "Load benchmark of Sigil's hot paths")]
pub struct Args {
    /// Seconds each timed phase runs (1..=300).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub duration: u64,
    /// Concurrent connections (1..=512).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
    /// Scenarios to run (default: all of them, and with `--database-url` on both stores).
    #[arg(long, value_enum)]
    pub scenario: Vec<Scenario>,
    /// A PostgreSQL server (a URL whose user may create databases): each PostgreSQL run
    /// creates its own empty database there and drops it afterwards. With `--scenario`, the
    /// named scenarios run on PostgreSQL only.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The server binary to measure instead of building the workspace's (to compare builds).
    #[arg(long)]
    pub server_binary: Option<std::path::PathBuf>,
    /// Tokens minted before `federated-fresh`, each sent once; the scenario ends early when
    /// they are used up.
    #[arg(long, default_value_t = 150_000)]
    pub fresh_tokens: usize,
    /// Revocations per second during `revocation-load` (1..=1000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub revocation_rate: u64,
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
    let everything = args.scenario.is_empty();
    let chosen = if everything {
        Scenario::all()
    } else {
        args.scenario.clone()
    };
    let (propagation, on_one_node): (Vec<Scenario>, Vec<Scenario>) = chosen
        .into_iter()
        .partition(|s| *s == Scenario::RevocationPropagation);
    if !on_one_node.is_empty() && (everything || args.database_url.is_none()) {
        run_store(None, &on_one_node, &args).await?;
    }
    let Some(admin_url) = args.database_url.as_deref() else {
        if !propagation.is_empty() && !everything {
            anyhow::bail!("revocation-propagation needs --database-url (PostgreSQL)");
        }
        return Ok(());
    };
    if !on_one_node.is_empty() {
        let db = pg::Database::create(admin_url).await?;
        let result = run_store(Some(&db.url), &on_one_node, &args).await;
        db.drop().await;
        result?;
    }
    if !propagation.is_empty() {
        let db = pg::Database::create(admin_url).await?;
        let result = run_propagation(&db.url, &args).await;
        db.drop().await;
        result?;
    }
    Ok(())
}

/// Two nodes on one PostgreSQL database: how long a revocation on one takes to hold on the
/// other.
async fn run_propagation(url: &str, args: &Args) -> anyhow::Result<()> {
    let first = server::Server::start(Some(url), args.server_binary.as_deref()).await?;
    let second = first.second_node().await?;
    let count = usize::try_from(args.revocations)?;
    propagation::run(&first, &second, count).await?;
    second.stop();
    first.stop();
    Ok(())
}

/// Every chosen one-node scenario on one server: SQLite (`None`) or a PostgreSQL database.
async fn run_store(url: Option<&str>, chosen: &[Scenario], args: &Args) -> anyhow::Result<()> {
    let server = server::Server::start(url, args.server_binary.as_deref()).await?;
    let at_start = server.rss_kib();
    let fixture = Arc::new(fixture::Fixture::create(&server).await?);
    load::warm(&server, &fixture).await?;
    println!(
        "\n== store {}: server RSS {} after start, {} after setup (idle, before any load)",
        server.store_name(),
        report::mib(at_start),
        report::mib(server.rss_kib())
    );
    let throughput: Vec<Scenario> = chosen
        .iter()
        .copied()
        .filter(|s| s.request().is_some())
        .collect();
    let mut floor_and_fresh = (None, None);
    if !throughput.is_empty() {
        let outcome = throughput::run(&server, &fixture, &throughput, args).await?;
        floor_and_fresh = (Some(outcome.health_cpu_us), outcome.fresh_cpu_us);
        println!(
            "server RSS after these scenarios: {}",
            report::mib(server.rss_kib())
        );
    }
    if chosen.contains(&Scenario::Verify) {
        let cost = verify::measure(&fixture.federation).await?;
        verify::print(&cost);
        if let (Some(floor), Some(fresh)) = floor_and_fresh {
            let above = fresh - floor;
            println!(
                "federated JWT, fresh: server CPU {above:.1} µs/request above the floor's = {:.2} × the signature check, {:.2} × the whole JWT decode",
                above / cost.signature_us,
                above / cost.decode_us
            );
        }
    }
    if chosen.contains(&Scenario::RevocationLoad) {
        revocation_load::run(&server, &fixture, args).await?;
    }
    if chosen.contains(&Scenario::ApikeyCreate) {
        api_keys::run_create(&server, args).await?;
    }
    if chosen.contains(&Scenario::ApikeyScale) {
        api_key_scale::run_scale(&server, args).await?;
    }
    println!(
        "server RSS at the end: {} (peak {})",
        report::mib(server.rss_kib()),
        report::mib(server.peak_rss_kib())
    );
    server.stop();
    Ok(())
}
