//! Printing: one row per throughput scenario, as a ratio to the floor measured in the same run.

use crate::load::ScenarioResult;

pub fn header() {
    println!(
        "{:<30} {:>9} {:>8} {:>8} {:>9} {:>11} {:>11} {:>9}",
        "scenario", "req/s", "p50 ms", "p99 ms", "vs floor", "server µs", "client µs", "peak RSS"
    );
}

/// `server µs` and `client µs`: CPU time per answered request of the server and of the load
/// generator (this process), user and system.
pub fn row(r: &ScenarioResult, floor: &ScenarioResult, peak_rss_kib: u64, duration: f64) {
    let ratio = if floor.per_second > 0.0 {
        r.per_second / floor.per_second * 100.0
    } else {
        0.0
    };
    println!(
        "{:<30} {:>9.0} {:>8.2} {:>8.2} {:>8.0}% {:>11.1} {:>11.1} {:>5} MiB{}",
        r.name,
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        ratio,
        r.server_cpu_us,
        r.client_cpu_us,
        peak_rss_kib / 1024,
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

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
