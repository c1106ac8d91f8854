//! The server under test: the release `sigil` binary in its own process, so its memory is
//! its own.

use anyhow::{bail, Context};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "bench-admin-password";

pub struct Server {
    pub url: String,
    child: Child,
    database_url: Option<String>,
    binary: Option<std::path::PathBuf>,
    dir: tempfile::TempDir,
}

/// Clock ticks per second of `/proc/<pid>/stat` (`CLK_TCK`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user and system) a process has used, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: &str) -> f64 {
    stat_seconds(pid, 11)
}

/// CPU seconds (user and system) of this process's children that have ended and been waited
/// for (wrk's, once it has exited).
pub fn children_cpu_seconds() -> f64 {
    stat_seconds("self", 13)
}

/// Two consecutive tick fields of `/proc/<pid>/stat`, from index `first` after the name.
fn stat_seconds(pid: &str, first: usize) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name), cutime
    // and cstime 16 and 17 (13 and 14).
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(first) + ticks(first + 1)) / TICKS_PER_SECOND
}

/// A release binary of the workspace (`sigil`, `sigil-reference`), built first.
pub fn release_build(package: &str) -> anyhow::Result<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", package, "--bin", package])
        .status()?;
    if !status.success() {
        bail!("cargo build --release -p {package} failed");
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    Ok(target.join("release").join(package))
}

/// The server binary: `--server-binary` when given (to compare builds), else the workspace's
/// release `sigil`, built first.
fn release_binary(given: Option<&std::path::Path>) -> anyhow::Result<std::path::PathBuf> {
    match given {
        Some(path) => Ok(path.to_owned()),
        None => release_build("sigil"),
    }
}

/// Polls `{url}/health` (another process) until it answers 200, for at most 30 s.
pub async fn wait_healthy(url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if client
            .get(format!("{url}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not answer /health within 30 s")
}

impl Server {
    pub async fn start(
        database_url: Option<&str>,
        binary: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        Self::start_with(database_url, binary, &[]).await
    }

    /// Another node on this one's PostgreSQL database: the same master key (this node's key
    /// file) and the same public URL (so each accepts the other's tokens), its own port.
    pub async fn second_node(&self) -> anyhow::Result<Self> {
        let Some(url) = self.database_url.as_deref() else {
            bail!("a second node needs --database-url (PostgreSQL)");
        };
        let key = self.dir.path().join("master.key");
        let key = key.to_str().context("a UTF-8 temporary path")?;
        let extra = ["--public-url", &self.url, "--master-key-file", key].map(str::to_owned);
        Self::start_with(Some(url), self.binary.as_deref(), &extra).await
    }

    /// Starts the server with `extra` flags. Insecure issuers are allowed: the federated
    /// scenarios use a fake identity provider on `http://127.0.0.1`.
    async fn start_with(
        database_url: Option<&str>,
        given: Option<&std::path::Path>,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let binary = release_binary(given)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::tempdir()?;
        let mut command = Command::new(&binary);
        command
            .args([
                "server",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--allow-insecure-issuers",
                "--data-dir",
            ])
            .arg(dir.path())
            .args(extra)
            .env("SIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SIGIL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let server = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            database_url: database_url.map(str::to_owned),
            binary: given.map(std::path::Path::to_owned),
            dir,
        };
        wait_healthy(&server.url).await?;
        Ok(server)
    }

    pub fn store_name(&self) -> &'static str {
        if self.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    /// Where the store is: the PostgreSQL URL, or the SQLite file in the data directory (for
    /// scenarios that seed it directly).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("sigil.db").display()),
        }
    }

    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    }

    /// The server's peak resident memory so far.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// CPU seconds the server has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// A server left running by an early error is killed (after `stop`, nothing is sent).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
