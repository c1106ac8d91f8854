//! The throughput scenarios of one store, driven by wrk, beside the reference server: the
//! baselines (reference `/health`, Sigil `/health`, reference token endpoint) are measured
//! first and again last, so the machine's drift during the run shows in the table, and every
//! row is a ratio to their mean.

use crate::fixture::Fixture;
use crate::load::ScenarioResult;
use crate::reference::Reference;
use crate::report::{self, Baselines};
use crate::requests;
use crate::scenarios::Scenario;
use crate::server::Server;
use crate::wrk;

/// What later parts of a run use.
pub struct Outcome {
    /// Sigil's `/health`: server CPU µs per request (the HTTP work every request costs).
    pub health_cpu_us: f64,
    pub fresh_cpu_us: Option<f64>,
}

fn measure(
    name: &'static str,
    load: &wrk::Load,
    url: &str,
    process: &dyn wrk::CpuClock,
    args: &crate::Args,
) -> anyhow::Result<ScenarioResult> {
    // wrk runs for seconds: let the runtime move this process's other tasks (the fake
    // identity provider's key set) on its other threads meanwhile.
    tokio::task::block_in_place(|| wrk::run(name, load, url, process, args.duration))
}

/// The baselines, once.
fn baselines(
    server: &Server,
    reference: &Reference,
    health: &wrk::Load,
    args: &crate::Args,
    when: &'static [&'static str; 3],
    into: &mut Baselines,
) -> anyhow::Result<()> {
    let reference_health = requests::reference(false, &reference.secret, args);
    let reference_token = requests::reference(true, &reference.secret, args);
    into.reference_health.push(measure(
        when[0],
        &reference_health,
        &reference.url,
        reference,
        args,
    )?);
    into.sigil_health
        .push(measure(when[1], health, &server.url, server, args)?);
    into.reference_token.push(measure(
        when[2],
        &reference_token,
        &reference.url,
        reference,
        args,
    )?);
    Ok(())
}

const AT_START: [&str; 3] = [
    "reference GET /health (first)",
    "Sigil GET /health (first)",
    "reference token (first)",
];
const AT_END: [&str; 3] = [
    "reference GET /health (last)",
    "Sigil GET /health (last)",
    "reference token (last)",
];

pub async fn run(
    server: &Server,
    fixture: &Fixture,
    chosen: &[Scenario],
    args: &crate::Args,
) -> anyhow::Result<Outcome> {
    wrk::ensure_installed()?;
    let reference = Reference::start().await?;
    let health = requests::load(Scenario::Health, server, fixture, args).await?;
    let mut b = Baselines {
        sigil_health: vec![],
        reference_health: vec![],
        reference_token: vec![],
    };
    baselines(server, &reference, &health, args, &AT_START, &mut b)?;
    let mut rows = vec![];
    for &scenario in chosen.iter().filter(|s| **s != Scenario::Health) {
        let load = requests::load(scenario, server, fixture, args).await?;
        rows.push((
            scenario,
            measure(scenario.name(), &load, &server.url, server, args)?,
        ));
    }
    baselines(server, &reference, &health, args, &AT_END, &mut b)?;
    let postgres = server.store_name() == "PostgreSQL";
    println!(
        "wrk, {} s per row, {} connections on {} threads (Digest: one connection per thread)",
        args.duration,
        args.concurrency,
        2.min(args.concurrency)
    );
    report::header();
    let mut unmet = vec![];
    for r in b.reference_health.iter().chain(&b.reference_token) {
        report::row(r, None, &b, postgres);
    }
    for r in &b.sigil_health {
        if !report::row(r, Some(Scenario::Health), &b, postgres) {
            unmet.push(r.name);
        }
    }
    for (scenario, r) in &rows {
        if !report::row(r, Some(*scenario), &b, postgres) {
            unmet.push(r.name);
        }
    }
    let with_target = rows
        .iter()
        .filter(|(s, _)| report::target_of(*s).is_some())
        .count()
        + b.sigil_health.len();
    println!(
        "targets met: {} of {}{}",
        with_target - unmet.len(),
        with_target,
        if unmet.is_empty() {
            String::new()
        } else {
            format!("; not met: {}", unmet.join(", "))
        }
    );
    let n = b.sigil_health.len().max(1) as f64;
    Ok(Outcome {
        health_cpu_us: b.sigil_health.iter().map(|r| r.server_cpu_us).sum::<f64>() / n,
        fresh_cpu_us: rows
            .iter()
            .find(|(s, _)| *s == Scenario::FederatedFresh)
            .map(|(_, r)| r.server_cpu_us),
    })
}
