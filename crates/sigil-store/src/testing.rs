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

/// Creates an empty database on the server at `base_url` and answers its URL.
pub async fn fresh_postgres_database(base_url: &str) -> CoreResult<String> {
    sqlx::any::install_default_drivers();
    let name = format!("sigil_test_{}", sigil_core::ids::HexId::random());
    let mut conn = sqlx::AnyConnection::connect(base_url).await.map_err(db)?;
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
