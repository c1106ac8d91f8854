//! Starting and stopping the server: listener, store, bootstrap, graceful shutdown.

use crate::app::router;
use crate::config::ServerConfig;
use crate::key_set_fetcher::HttpKeySetFetcher;
use crate::serve::ConnectionLimits;
use crate::state::AppState;
use anyhow::Context;
use sigil_core::clock::{Clock, SystemClock};
use sigil_core::service::BootstrapOutcome;
use sigil_core::{Core, CoreConfig};
use sigil_store::SqlStore;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server accepting requests; dropped or stopped, it finishes in-flight requests and closes
/// the database.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: String,
    /// The admin password generated on the first start (`None` when it was given or the
    /// store was already bootstrapped).
    pub generated_admin_password: Option<sigil_core::secret::SecretString>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    /// Kept for the hooks a test calls instead of waiting for the background tasks.
    core: Arc<Core>,
}

impl RunningServer {
    /// Opens the store, bootstraps it on the first start, binds, and starts serving.
    pub async fn start(config: ServerConfig) -> anyhow::Result<Self> {
        Self::start_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`RunningServer::start`], the rules reading the time from `clock`: a test moves
    /// it to reach an expiry or a retention period instead of sleeping until then.
    pub async fn start_with_clock(
        config: ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        // Bound first: a busy address fails the start before the store is created or touched.
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let store = match &config.database_url {
            Some(url) => SqlStore::connect(url).await,
            None => SqlStore::open_data_dir(&config.data_dir).await,
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let master_key = config.load_master_key()?;
        // The public URL defaults to the bound address, and it is the issuer of tokens.
        let addr = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let core = Arc::new(Core::new(
            Arc::new(store.clone()),
            clock,
            master_key,
            CoreConfig {
                allow_insecure_issuers: config.allow_insecure_issuers,
                issuer: public_url.clone(),
                signing_key_rotation: chrono::Duration::hours(config.signing_key_rotation_hours),
                change_staleness_bound: config.change_staleness_bound(),
                api_key_retention: config.api_key_retention,
            },
            Arc::new(HttpKeySetFetcher::new(config.allow_insecure_issuers)?),
        ));
        let generated_admin_password = match core
            .directory
            .bootstrap(config.admin_password.clone())
            .await
            .map_err(|e| anyhow::anyhow!("bootstrap: {e}"))?
        {
            BootstrapOutcome::AlreadyDone => None,
            BootstrapOutcome::Done {
                org_id,
                generated_password,
            } => {
                tracing::info!(%org_id, "first start: created organization \"default\" and user \"admin\"");
                generated_password
            }
        };
        core.load()
            .await
            .map_err(|e| anyhow::anyhow!("loading keys and revocations: {e}"))?;
        if let Some(changed) = core
            .reseal_secrets()
            .await
            .map_err(|e| anyhow::anyhow!("re-sealing under the new master key: {e}"))?
        {
            tracing::warn!(changed, "master key rotation: every sealed value now opens with SIGIL_MASTER_KEY; remove SIGIL_MASTER_KEY_PREVIOUS once every node runs with the new key");
        }
        // Listening starts before the first read, so no change falls between the two.
        let wake = core
            .subscribe_changes()
            .await
            .map_err(|e| anyhow::anyhow!("listening for changes: {e}"))?;
        core.sync_changes()
            .await
            .map_err(|e| anyhow::anyhow!("reading the change log: {e}"))?;
        let housekeeping = tokio::spawn(housekeeping(
            core.clone(),
            std::time::Duration::from_secs(config.housekeeping_seconds),
        ));
        let sync = tokio::spawn(sync_changes(
            core.clone(),
            wake,
            std::time::Duration::from_millis(config.change_sync_ms),
        ));
        let app = router(
            AppState::new(core.clone(), public_url.clone(), config.auth_failure_burst),
            config.body_timeout,
        );
        let limits = ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            crate::serve::serve(listener, app, limits, async move {
                let _ = stopped.await;
            })
            .await;
            housekeeping.abort();
            sync.abort();
            store.close().await;
            Ok(())
        });
        tracing::info!(%addr, %public_url, "sigil is serving");
        Ok(Self {
            addr,
            public_url,
            generated_admin_password,
            stop: Some(stop),
            task,
            core,
        })
    }

    /// Applies the change log now, as the background sync does when woken or on its timer
    /// (one at a time with it): once this returns, every change committed before the call is
    /// in this node's caches. Answers how many entries it applied.
    pub async fn sync_now(&self) -> anyhow::Result<usize> {
        self.core
            .sync_changes()
            .await
            .map_err(|e| anyhow::anyhow!("reading the change log: {e}"))
    }

    /// Runs the periodic chores now, as the background housekeeping does every interval.
    pub async fn housekeeping_now(&self) -> anyhow::Result<()> {
        self.core
            .housekeeping()
            .await
            .map_err(|e| anyhow::anyhow!("housekeeping: {e}"))
    }

    /// Stops accepting, lets in-flight requests finish, and closes the database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.context("server task")?
    }
}

/// Every `interval`: prune expired revocations, audit expired secrets, rotate keys, refresh
/// key sets, sweep retired API keys.
async fn housekeeping(core: Arc<Core>, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = core.housekeeping().await {
            tracing::error!(error = %e, "housekeeping failed; retrying at the next interval");
        }
    }
}

/// A read of the change log that has not answered in this long (a database behind a cut
/// network) is abandoned and tried again, so the failure is logged; the node has answered 503
/// since its staleness bound passed.
const SYNC_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// While reads keep failing, the failure is logged again this often.
const SYNC_FAILURE_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Applies the change log: at once when the store notifies, and every `interval` whatever
/// happens, which bounds how long a lost notification can delay a revocation. A failure is
/// logged when it starts (and every minute while it lasts) and the recovery once, with how
/// long the node could not read.
async fn sync_changes(
    core: Arc<Core>,
    wake: Option<Arc<tokio::sync::Notify>>,
    interval: std::time::Duration,
) {
    let mut failing: Option<(std::time::Instant, std::time::Instant)> = None;
    loop {
        match &wake {
            Some(wake) => {
                let _ = tokio::time::timeout(interval, wake.notified()).await;
            }
            None => tokio::time::sleep(interval).await,
        }
        let outcome = match tokio::time::timeout(SYNC_READ_TIMEOUT, core.sync_changes()).await {
            Ok(outcome) => outcome.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "no answer from the database in {} s",
                SYNC_READ_TIMEOUT.as_secs()
            )),
        };
        match (outcome, &mut failing) {
            (Ok(_), None) => {}
            (Ok(_), Some((since, _))) => {
                tracing::warn!(
                    failed_for_ms = since.elapsed().as_millis() as u64,
                    "reading the change log works again; credentials are accepted again"
                );
                failing = None;
            }
            (Err(e), None) => {
                tracing::error!(error = %e, "reading the change log failed; retrying, and refusing credentials (503) once the last good read is older than the staleness bound");
                let now = std::time::Instant::now();
                failing = Some((now, now));
            }
            (Err(e), Some((since, logged))) => {
                if logged.elapsed() >= SYNC_FAILURE_LOG_EVERY {
                    tracing::error!(error = %e, failing_for_s = since.elapsed().as_secs(), "reading the change log still fails");
                    *logged = std::time::Instant::now();
                }
            }
        }
    }
}

/// `sigil server`: runs until SIGTERM or SIGINT.
pub async fn run(config: ServerConfig) -> anyhow::Result<()> {
    // Listening for signals before serving makes a SIGTERM sent as soon as /health answers a
    // graceful stop rather than the default action (death by signal).
    let shutdown = ShutdownSignals::install()?;
    let mut server = RunningServer::start(config).await?;
    if let Some(password) = server.generated_admin_password.take() {
        // Printed once, on stderr, never logged: the operator must store it now.
        eprintln!(
            "sigil: first start: user \"admin\" has the password {}",
            password.expose()
        );
        eprintln!("sigil: it will not be shown again; set SIGIL_ADMIN_PASSWORD on the first start to choose it");
    }
    shutdown.wait().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.stop().await
}

#[cfg(unix)]
struct ShutdownSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl ShutdownSignals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {},
            _ = self.interrupt.recv() => {},
        }
    }
}

#[cfg(not(unix))]
struct ShutdownSignals;

#[cfg(not(unix))]
impl ShutdownSignals {
    fn install() -> anyhow::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
