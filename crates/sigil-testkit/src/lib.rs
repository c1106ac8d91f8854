//! Test support: the real server on `127.0.0.1:0` over a fresh store, an HTTP client that
//! speaks to it, and a Digest client written from RFC 7616 to check the server against.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clock;
pub mod digest;
pub mod issuer;

pub use clock::TestClock;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sigil_server::config::ServerConfig;
use sigil_server::RunningServer;
use std::path::PathBuf;
use std::sync::Arc;

pub const ADMIN_PASSWORD: &str = "admin-test-password-1";

/// Which store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// The server's clock: [`TestServer::clock`] moves it.
    clock: TestClock,
    server: Option<RunningServer>,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers and the body parsed as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestServer {
    /// A server on the given store; `None` for PostgreSQL when it is not configured
    /// (outside CI only: in CI its absence fails the test).
    pub async fn start(kind: StoreKind) -> Option<Self> {
        let (config, dir) = Self::fresh_config(kind).await?;
        Some(Self::start_with(config, dir).await)
    }

    /// Like [`TestServer::start`], but the first start is given no admin password, as when
    /// `SIGIL_ADMIN_PASSWORD` is unset: the server generates one
    /// ([`TestServer::generated_admin_password`]).
    pub async fn start_without_admin_password(kind: StoreKind) -> Option<Self> {
        let (config, dir) = Self::fresh_config(kind).await?;
        Some(Self::launch(config, dir).await)
    }

    /// A configuration on a fresh store, its data dir inside the returned directory.
    async fn fresh_config(kind: StoreKind) -> Option<(ServerConfig, tempfile::TempDir)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::for_data_dir(dir.path());
        if kind == StoreKind::Postgres {
            let base = sigil_store::testing::postgres_test_url()?;
            config.database_url = Some(
                sigil_store::testing::fresh_postgres_database(&base)
                    .await
                    .expect("create database"),
            );
        }
        Some((config, dir))
    }

    pub async fn sqlite() -> Self {
        Self::start(StoreKind::Sqlite)
            .await
            .expect("sqlite always starts")
    }

    /// Starts the server with `config` (its data dir inside `dir`), the admin password set.
    pub async fn start_with(mut config: ServerConfig, dir: tempfile::TempDir) -> Self {
        if config.admin_password.is_none() {
            config.admin_password = Some(sigil_core::secret::SecretString::new(ADMIN_PASSWORD));
        }
        Self::launch(config, dir).await
    }

    /// Like [`TestServer::start_with`], but with the outbound address policy of production
    /// (`--allow-insecure-issuers` off): no fake issuer on loopback can be used.
    pub async fn start_strict(mut config: ServerConfig, dir: tempfile::TempDir) -> Self {
        if config.admin_password.is_none() {
            config.admin_password = Some(sigil_core::secret::SecretString::new(ADMIN_PASSWORD));
        }
        config.allow_insecure_issuers = false;
        Self::launch_as_given(config, dir).await
    }

    /// Starts the server with `config` exactly as given (but insecure issuers allowed).
    async fn launch(config: ServerConfig, dir: tempfile::TempDir) -> Self {
        Self::launch_on(config, dir, TestClock::new()).await
    }

    /// Like [`TestServer::launch`], on `clock`.
    async fn launch_on(mut config: ServerConfig, dir: tempfile::TempDir, clock: TestClock) -> Self {
        config.allow_insecure_issuers = true;
        Self::launch_as_given_on(config, dir, clock).await
    }

    async fn launch_as_given(config: ServerConfig, dir: tempfile::TempDir) -> Self {
        Self::launch_as_given_on(config, dir, TestClock::new()).await
    }

    async fn launch_as_given_on(
        config: ServerConfig,
        dir: tempfile::TempDir,
        clock: TestClock,
    ) -> Self {
        let data_dir = config.data_dir.clone();
        let database_url = config.database_url.clone();
        let server = RunningServer::start_with_clock(config, Arc::new(clock.clone()))
            .await
            .expect("server starts");
        let url = format!("http://{}", server.addr);
        let client = reqwest::Client::builder().build().expect("client");
        Self {
            url,
            client,
            data_dir,
            database_url,
            clock,
            server: Some(server),
            _dir: dir,
        }
    }

    /// The server's clock, which the test moves ([`TestClock::advance`]) to reach an expiry
    /// or a retention period at once. Nodes of one deployment and restarts share it.
    pub fn clock(&self) -> &TestClock {
        &self.clock
    }

    /// The time by the server's clock (whole seconds).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        sigil_core::clock::Clock::now(&self.clock)
    }

    /// Applies the change log now, as the server's background sync would: every change
    /// committed before the call (on this node or another) is in this node's caches once
    /// it returns. Tests call it instead of waiting for the sync's timer.
    pub async fn sync_now(&self) {
        self.running()
            .sync_now()
            .await
            .expect("sync the change log");
    }

    /// Runs the server's periodic chores now (pruning, sweeping retired API keys, flagging
    /// expired secrets, rotating keys), as its background housekeeping would.
    pub async fn housekeeping_now(&self) {
        self.running()
            .housekeeping_now()
            .await
            .expect("housekeeping");
    }

    fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("the server is running")
    }

    /// Stops the server and starts a new one on the same store and the same address (so the
    /// same public URL and token issuer), as after a restart, with `SIGIL_ADMIN_PASSWORD` set
    /// to `admin_password` (`None`: unset).
    pub async fn restart(self, admin_password: Option<&str>) -> Self {
        let password = admin_password.map(sigil_core::secret::SecretString::new);
        self.restart_with(|config| config.admin_password = password)
            .await
    }

    /// Like [`TestServer::restart`] without an admin password, with `adjust` applied to the
    /// configuration (a new master key, say).
    pub async fn restart_with(mut self, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("stop");
        }
        let mut config = ServerConfig::for_data_dir(&self.data_dir);
        if let Some(addr) = self
            .url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
        {
            config.listen = addr;
        }
        config.database_url = self.database_url.clone();
        adjust(&mut config);
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("tempdir"));
        Self::launch_on(config, dir, self.clock.clone()).await
    }

    /// Another node of the same deployment: a second server on this one's PostgreSQL
    /// database, with the same master key (read from this node's `master.key`) and the same
    /// public URL (this node's URL, so each accepts the other's tokens: `iss` = `aud` = the
    /// public URL), on its own port and data dir. Panics on SQLite, which one process owns.
    pub async fn second_node(&self) -> TestServer {
        self.second_node_with(|_| {}).await
    }

    /// Like [`TestServer::second_node`], with `adjust` applied to its configuration.
    pub async fn second_node_with(&self, adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let database_url = self
            .database_url
            .clone()
            .expect("second_node needs PostgreSQL: SQLite is one process's store");
        let key_file = self.data_dir.join("master.key");
        let key = std::fs::read_to_string(&key_file)
            .unwrap_or_else(|e| panic!("the first node's {}: {e}", key_file.display()));
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::for_data_dir(dir.path());
        config.database_url = Some(database_url);
        config.master_key = Some(sigil_core::secret::SecretString::new(key.trim()));
        config.public_url = Some(self.public_url());
        adjust(&mut config);
        if config.admin_password.is_none() {
            config.admin_password = Some(sigil_core::secret::SecretString::new(ADMIN_PASSWORD));
        }
        Self::launch_on(config, dir, self.clock.clone()).await
    }

    /// The public URL: the issuer (and audience) of this node's tokens.
    pub fn public_url(&self) -> String {
        self.server
            .as_ref()
            .map(|s| s.public_url.clone())
            .unwrap_or_else(|| self.url.clone())
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("stop");
        }
    }

    pub fn generated_admin_password(&self) -> Option<String> {
        self.server
            .as_ref()?
            .generated_admin_password
            .as_ref()
            .map(|p| p.expose().to_owned())
    }

    /// Sends a request with no credentials.
    pub async fn anonymous(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.request(method, path, body, None).await
    }

    /// Sends a request as the bootstrap admin (Basic).
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.request(method, path, body, Some(("admin", ADMIN_PASSWORD)))
            .await
    }

    /// Sends a request with Basic credentials.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        basic: Option<(&str, &str)>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some((user, password)) = basic {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("send")).await
    }

    /// Sends a raw request built by the caller.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        answer(request.send().await.expect("send")).await
    }

    /// The `default` organization's id and its federation settings id.
    pub async fn default_org(&self) -> (String, String) {
        let orgs = self.admin(Method::GET, "/api/atlas/v2/orgs", None).await;
        let org = orgs.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|o| o["name"] == "default")
            .expect("default org");
        let org_id = org["id"].as_str().expect("id").to_owned();
        let fs = self
            .admin(
                Method::GET,
                &format!("/api/atlas/v2/orgs/{org_id}/federationSettings"),
                None,
            )
            .await;
        (org_id, fs.body["id"].as_str().expect("fs id").to_owned())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            drop(server);
        }
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// Runs each listed async test function (taking `&TestServer`) once per store:
/// `store_tests!(a, b);` makes `sqlite::a`, `postgres::a`, … .
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let server = $crate::TestServer::sqlite().await;
                    super::$name(&server).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(server) = $crate::TestServer::start($crate::StoreKind::Postgres).await {
                        super::$name(&server).await;
                    }
                }
            )*
        }
    };
}
