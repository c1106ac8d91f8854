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
    /// The directory is created 0700 and the database files 0600: they hold every credential's
    /// hash and sealed secret, which no other local user should read.
    pub async fn open_data_dir(data_dir: &Path) -> CoreResult<Self> {
        let path = data_dir.join("sigil.db");
        private_files::prepare(data_dir, &path).map_err(|e| {
            CoreError::internal(format!(
                "cannot prepare data directory {}: {e}",
                data_dir.display()
            ))
        })?;
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

/// Owner-only modes for the data directory and the SQLite files in it.
mod private_files {
    use std::path::Path;

    /// Creates the directory (0700) and the database file (0600) when missing, and narrows
    /// the files Sigil made earlier (`sigil.db`, `-wal`, `-shm`) to 0600. SQLite creates its
    /// `-wal` and `-shm` files with the mode of the database file, so they follow. A directory
    /// that already existed is the operator's: it is not changed, only warned about.
    #[cfg(unix)]
    pub(super) fn prepare(dir: &Path, db: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if dir.exists() {
            let mode = std::fs::metadata(dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(dir = %dir.display(), mode = format!("{:o}", mode & 0o777), "the data directory is open to other local users; chmod 700 it");
            }
        } else {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(db)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = db.with_file_name(format!("sigil.db{suffix}"));
            match std::fs::metadata(&file) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn prepare(dir: &Path, _db: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)
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
