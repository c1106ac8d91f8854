//! One conformance suite for every store: each test runs on SQLite, and on PostgreSQL when
//! `SIGIL_TEST_DATABASE_URL` is set (always in CI). Every method of `Store` is called here with
//! an assertion a wrong implementation fails; one file per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Runs each listed async test function (taking `&dyn Store`) on a fresh SQLite store and a
/// fresh PostgreSQL database: `conformance!(a, b);` makes `sqlite::a`, `postgres::a`, … .
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let store = sigil_store::SqlStore::open_data_dir(dir.path()).await.expect("open");
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(store) = sigil_store::testing::fresh_postgres_store().await {
                        super::$name(&store).await;
                    }
                }
            )*
        }
    };
}

mod access_keys;
mod api_keys;
mod application_privileges;
mod changes;
mod federation;
mod orgs;
mod programmatic_keys;
mod roles_and_users;
mod sealed;
mod service_accounts;
mod support;
mod tokens;
