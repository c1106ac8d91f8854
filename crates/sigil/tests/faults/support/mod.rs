//! What every scenario shares: nodes, PostgreSQL clusters, a proxy that cuts a connection,
//! HTTP clients, polling with a bound, and running one scenario at a time.

pub mod api;
pub mod federation;
pub mod node;
pub mod pg;
pub mod proxy;
pub mod tmpfs;

use std::future::Future;
use std::time::{Duration, Instant};

/// Scenarios run one at a time: each measures how fast servers notice a fault and recover,
/// and a neighbour's load on two cores would blur that.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A tool or permission the scenario needs is missing: `SKIPPED` outside CI, a failure in it.
pub fn skip(what: &str) {
    assert!(
        !in_ci(),
        "CI=true but {what}: .ci/run must provide it (.ci/faults.sh)"
    );
    eprintln!("SKIPPED: {what}");
}

/// Calls `probe` every 20 ms until it answers `Some`, for at most `bound`; answers the value
/// and how long it took. `what` names the wait in the failure.
pub async fn poll<T, F, Fut>(what: &str, bound: Duration, mut probe: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            let took = start.elapsed();
            assert!(
                took <= bound,
                "{what}: only after {took:?}, not within {bound:?}"
            );
            return (value, took);
        }
        assert!(start.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Prints a measured time, for README "Failure behaviour".
pub fn measured(scenario: &str, what: &str, took: Duration) {
    eprintln!("MEASURED {scenario}: {what}: {} ms", took.as_millis());
}
