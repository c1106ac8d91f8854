//! Databases for tests: a fresh SQLite file, or a fresh PostgreSQL database per test, so
//! tests never share state and may run in parallel.

use crate::connect::{db, SqlStore};
use sigil_core::error::CoreResult;
use sqlx::Connection;

/// The PostgreSQL server tests use, from `SIGIL_TEST_DATABASE_URL`. In CI (`CI=true`) its
/// absence is an error, so a CI run can never skip the PostgreSQL suite silently.
pub fn postgres_test_url() -> Option<String> {
    match std::env::var("SIGIL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but SIGIL_TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI"
            );
            eprintln!(
                "SKIPPED: PostgreSQL tests (set SIGIL_TEST_DATABASE_URL=postgres://… to run them)"
            );
            None
        }
    }
}

/// Test databases older than this with nobody connected are dropped by the next test process.
const TEST_DATABASE_LIFETIME_SECONDS: u64 = 1800;

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Drops the test databases of earlier runs (named with their creation time, older than
/// [`TEST_DATABASE_LIFETIME_SECONDS`], nobody connected), once per process: each test creates
/// a database and none drops its own (a test's server may outlive its body), so without this
/// a developer's PostgreSQL fills its disk.
async fn reap_old_test_databases(conn: &mut sqlx::AnyConnection) {
    static REAPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if REAPED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT datname FROM pg_database d WHERE datname LIKE 'sigil\\_t\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    let cutoff = unix_seconds().saturating_sub(TEST_DATABASE_LIFETIME_SECONDS);
    for (name,) in names {
        let born = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if born < cutoff {
            // Best effort: a database someone connected to meanwhile stays.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Creates an empty database on the server at `base_url` and answers its URL. Its name holds
/// its creation time, so later runs can drop it.
pub async fn fresh_postgres_database(base_url: &str) -> CoreResult<String> {
    sqlx::any::install_default_drivers();
    let name = format!(
        "sigil_t_{}_{}",
        unix_seconds(),
        sigil_core::ids::HexId::random()
    );
    let mut conn = sqlx::AnyConnection::connect(base_url).await.map_err(db)?;
    reap_old_test_databases(&mut conn).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(db)?;
    conn.close().await.map_err(db)?;
    let (server, _) = base_url.rsplit_once('/').unwrap_or((base_url, ""));
    Ok(format!("{server}/{name}"))
}

/// A store on a fresh PostgreSQL database when the test server is configured.
pub async fn fresh_postgres_store() -> Option<SqlStore> {
    let base = postgres_test_url()?;
    let url = fresh_postgres_database(&base)
        .await
        .unwrap_or_else(|e| panic_unreachable(&base, e));
    Some(
        SqlStore::connect(&url)
            .await
            .unwrap_or_else(|e| panic_unreachable(&url, e)),
    )
}

#[allow(clippy::panic)]
fn panic_unreachable(url: &str, e: impl std::fmt::Display) -> ! {
    panic!("PostgreSQL at {url} is unreachable: {e}")
}
