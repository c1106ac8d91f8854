//! Opening the database, applying migrations, and the error mapping every statement shares.

use sigil_core::error::{CoreError, CoreResult};
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Reading connections to the embedded database.
const SQLITE_READERS: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Transactions and writes.
    pub(crate) pool: AnyPool,
    /// Reads outside a transaction. On SQLite, separate connections so that readers run
    /// beside the single writer (WAL); on PostgreSQL, the same pool.
    pub(crate) reader: AnyPool,
    backend: Backend,
    /// What `connect` was given: the change listener opens its own connection with it.
    pub(crate) url: String,
    /// Set on `close`, so the change listener lets its connection go.
    pub(crate) closed: Arc<watch::Sender<bool>>,
}

impl SqlStore {
    /// The embedded database `sigil.db` in `data_dir`, created with the directory if missing.
    pub async fn open_data_dir(data_dir: &Path) -> CoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            CoreError::internal(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join("sigil.db");
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Connects to `postgres://…` or `sqlite://…` and applies every pending migration.
    pub async fn connect(url: &str) -> CoreResult<Self> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(CoreError::invalid(
                "database-url",
                "must start with postgres:// or sqlite://",
            ));
        };
        // SQLite allows one writer at a time; a single writing connection serialises writes
        // without `database is locked` errors, while reads get their own connections.
        let max = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 10,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| CoreError::internal(format!("cannot open the database: {e}")))?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(db)?;
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| CoreError::internal(format!("migration failed: {e}")))?;
        let reader = match backend {
            Backend::Postgres => pool.clone(),
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(SQLITE_READERS)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(|e| CoreError::internal(format!("cannot open the database: {e}")))?,
        };
        Ok(Self {
            pool,
            reader,
            backend,
            url: url.to_owned(),
            closed: Arc::new(watch::Sender::new(false)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.closed.send_replace(true);
        self.reader.close().await;
        self.pool.close().await;
    }
}

/// Maps a database error: a unique-constraint violation is the client's conflict, anything
/// else is internal (logged by the face, never shown).
pub(crate) fn db(e: sqlx::Error) -> CoreError {
    conflict_or_internal(e, "the resource")
}

pub(crate) fn conflict_or_internal(e: sqlx::Error, what: &str) -> CoreError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            return CoreError::Conflict {
                what: what.to_owned(),
            };
        }
    }
    CoreError::internal(e)
}
