//! Printing: one row per throughput scenario, each as a ratio to Sigil's own `/health` and,
//! where there is one, to the reference server measured in the same run, with the targets.
//!
//! Two ratios per row. `vs` is requests per second over the baseline's. `cpu` is the
//! baseline's server CPU time per request over this row's: what the ratio would be if the
//! load generator cost nothing. When the generator's own cost is a large part of the whole,
//! throughput ratios drift towards 100 % (both rows wait on the same generator), so a target
//! counts as met only when both ratios meet it.

use crate::load::ScenarioResult;
use crate::scenarios::Scenario;

/// What a row is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Sigil's `GET /health`, same run.
    SigilHealth,
    /// The reference server's bare axum `/health`.
    ReferenceHealth,
    /// The reference server's token endpoint.
    ReferenceToken,
}

/// The performance target of a row: at least `percent` of `baseline`, on SQLite and on
/// PostgreSQL.
pub struct Target {
    pub baseline: Baseline,
    pub sqlite: f64,
    pub postgres: f64,
}

const fn target(baseline: Baseline, sqlite: f64, postgres: f64) -> Option<Target> {
    Some(Target {
        baseline,
        sqlite,
        postgres,
    })
}

/// The targets BENCHMARKS.md states.
pub fn target_of(scenario: Scenario) -> Option<Target> {
    use Baseline::*;
    use Scenario::*;
    match scenario {
        Health => target(ReferenceHealth, 90.0, 90.0),
        Basic | Digest | Bearer | Apikey | AuthToken | FederatedCached => {
            target(SigilHealth, 85.0, 85.0)
        }
        ApikeyAuthenticate => target(SigilHealth, 80.0, 80.0),
        Introspect => target(SigilHealth, 75.0, 75.0),
        TokenIssuance => target(ReferenceToken, 85.0, 85.0),
        BasicOrg | DigestOrg | BearerOrg | FederatedOrg | BasicProvider | BasicServiceAccount => {
            target(SigilHealth, 60.0, 50.0)
        }
        _ => None,
    }
}

/// The baselines of one run: each measured at its start and again at its end.
pub struct Baselines {
    pub sigil_health: Vec<ScenarioResult>,
    pub reference_health: Vec<ScenarioResult>,
    pub reference_token: Vec<ScenarioResult>,
}

/// Requests/s and server CPU µs/request of a baseline, averaged over its measurements.
fn mean(results: &[ScenarioResult]) -> (f64, f64) {
    let n = results.len().max(1) as f64;
    (
        results.iter().map(|r| r.per_second).sum::<f64>() / n,
        results.iter().map(|r| r.server_cpu_us).sum::<f64>() / n,
    )
}

impl Baselines {
    fn of(&self, baseline: Baseline) -> (f64, f64) {
        mean(match baseline {
            Baseline::SigilHealth => &self.sigil_health,
            Baseline::ReferenceHealth => &self.reference_health,
            Baseline::ReferenceToken => &self.reference_token,
        })
    }
}

pub fn header() {
    println!(
        "{:<32} {:>8} {:>7} {:>7} {:>11} {:>11} {:>9} {:>7}  target",
        "scenario", "req/s", "p50 ms", "p99 ms", "vs /health", "cpu /health", "server µs", "wrk µs"
    );
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

/// One row. `scenario` is `None` for the reference server's rows; `postgres` picks the target.
pub fn row(r: &ScenarioResult, scenario: Option<Scenario>, b: &Baselines, postgres: bool) -> bool {
    let (health_rate, health_cpu) = b.of(Baseline::SigilHealth);
    let mut verdict = String::new();
    let mut met = true;
    if let Some(t) = scenario.and_then(target_of) {
        let (rate, cpu) = b.of(t.baseline);
        let (vs, by_cpu) = (percent(r.per_second, rate), percent(cpu, r.server_cpu_us));
        let want = if postgres { t.postgres } else { t.sqlite };
        met = vs >= want && by_cpu >= want;
        let against = match t.baseline {
            Baseline::SigilHealth => "Sigil /health",
            Baseline::ReferenceHealth => "reference /health",
            Baseline::ReferenceToken => "reference token",
        };
        verdict = format!(
            "≥{want:.0}% of {against}: {} ({vs:.0}% / cpu {by_cpu:.0}%)",
            if met { "met" } else { "NOT MET" }
        );
    }
    println!(
        "{:<32} {:>8.0} {:>7.2} {:>7.2} {:>10.0}% {:>10.0}% {:>9.1} {:>7.1}  {verdict}{}{}",
        r.name,
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        percent(r.per_second, health_rate),
        percent(health_cpu, r.server_cpu_us),
        r.server_cpu_us,
        r.client_cpu_us,
        if r.errors > 0 {
            format!("  ({} errors)", r.errors)
        } else {
            String::new()
        },
        if r.exhausted {
            "  (its prepared requests ran out: the figure is low)"
        } else {
            ""
        }
    );
    met
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
