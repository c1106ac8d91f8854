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

/// The longest a statement waits for a connection. While the database is down a connection
/// never comes (the pool keeps trying to connect until then), so this bounds how long a
/// request that needs the database takes to answer 503: no longer than the default staleness
/// bound, after which every request with credentials is refused at once anyway.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A node that stops in the middle of a transaction (paused, cut off) has it rolled back by
/// PostgreSQL after this long rather than committed later: the change-log entry it appended
/// must become visible, or never, within the time other nodes wait for a missing sequence
/// number (`sigil_core::changes::HOLE_PATIENCE_SECONDS`, 60 s).
const IDLE_IN_TRANSACTION: &str = "SET idle_in_transaction_session_timeout = '20s'";

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
        let mut options = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_release(|conn, _| Box::pin(release_out_of_transaction(conn)));
        if backend == Backend::Postgres {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query(IDLE_IN_TRANSACTION).execute(conn).await?;
                    Ok(())
                })
            });
        }
        let pool = options
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
                .acquire_timeout(ACQUIRE_TIMEOUT)
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
        if !db.exists() {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(db)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = db.with_file_name(format!("sigil.db{suffix}"));
            match std::fs::metadata(&file) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    // A read-only data dir still serves reads: warn rather than refuse.
                    if let Err(e) =
                        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    {
                        tracing::warn!(file = %file.display(), error = %e, "cannot make the database file private");
                    }
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

/// Whether a connection handed back to the pool may be used again: only outside any
/// transaction. A transaction dropped on an error is rolled back when the connection comes
/// back (the ping runs the rollback sqlx queued). On SQLite, after an I/O error such as a
/// full disk, that rollback can fail (SQLite may have rolled back already, or refuse), and
/// sqlx then still counts the connection inside a transaction: every later `begin` would open
/// a savepoint and every `commit` release it, inside a transaction never committed, so the
/// writes answered 2xx would be seen by no other connection and lost at the next restart.
/// Such a connection is closed (rolling back whatever it holds) and a fresh one opened.
async fn release_out_of_transaction(conn: &mut sqlx::AnyConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a database connection was left inside a failed transaction; closing it");
    }
    Ok(clean)
}

/// Maps a database error: a unique-constraint violation is the client's conflict; a database
/// that cannot be reached or cannot write just now (connection lost, disk full, read-only) is
/// `Unavailable` (503: retry later); anything else is internal (logged by the face, never
/// shown).
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
    if unavailable(&e) {
        return CoreError::Unavailable(e.to_string());
    }
    CoreError::internal(e)
}

/// Whether `e` says the database is out of reach or out of room for now, rather than that the
/// statement is wrong: the request may succeed once the database is back.
fn unavailable(e: &sqlx::Error) -> bool {
    use sqlx::postgres::PgDatabaseError;
    use sqlx::sqlite::SqliteError;
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            if let Some(pg) = d.try_downcast_ref::<PgDatabaseError>() {
                let state = pg.code();
                // 08: connection exception; 53: insufficient resources (disk full, out of
                // memory, too many connections); 57P: the server shutting down or starting;
                // 58: system error (I/O); 25006: a read-only transaction (a standby);
                // 40001/40P01: serialization failure, deadlock (retry).
                ["08", "53", "57P", "58"]
                    .iter()
                    .any(|class| state.starts_with(class))
                    || ["25006", "40001", "40P01"].contains(&state)
            } else if d.try_downcast_ref::<SqliteError>().is_some() {
                // The primary result code: BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL,
                // CANTOPEN (https://sqlite.org/rescode.html).
                let primary = d
                    .code()
                    .and_then(|c| c.parse::<i64>().ok())
                    .map(|c| c & 0xff);
                primary.is_some_and(|c| [5, 6, 7, 8, 10, 13, 14].contains(&c))
            } else {
                false
            }
        }
        _ => false,
    }
}
