//! `sigil server` configuration: flags beat environment beat the TOML file beat defaults.

use anyhow::{bail, Context};
use clap::builder::BoolishValueParser;
use serde::Deserialize;
use sigil_core::crypto::MasterKey;
use sigil_core::secret::SecretString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8420";
pub const DEFAULT_DATA_DIR: &str = "./sigil-data";
pub const DEFAULT_SIGNING_KEY_ROTATION_HOURS: i64 = 720;
/// The change log is read at least this often (and at once when PostgreSQL notifies).
pub const DEFAULT_CHANGE_SYNC_MS: u64 = 1000;
pub const DEFAULT_API_KEY_RETENTION: &str = "7d";
pub const DEFAULT_HOUSEKEEPING_SECONDS: u64 = 60;
pub const DEFAULT_AUTH_FAILURE_BURST: u32 = 10;
pub const DEFAULT_HEADER_READ_TIMEOUT_SECONDS: u64 = 10;
pub const DEFAULT_BODY_TIMEOUT_SECONDS: u64 = 30;
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: u64 = 60;
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The flags of `sigil server`; each also reads its `SIGIL_*` variable and the config file.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerArgs {
    /// Address to serve on [default: 127.0.0.1:8420]
    #[arg(long, env = "SIGIL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory of the embedded SQLite database, created if missing [default: ./sigil-data]
    #[arg(long, env = "SIGIL_DATA_DIR")]
    #[serde(alias = "data-dir")]
    pub data_dir: Option<PathBuf>,
    /// postgres://… or sqlite://…; when set, overrides --data-dir for the database
    #[arg(long, env = "SIGIL_DATABASE_URL")]
    #[serde(alias = "database-url")]
    pub database_url: Option<String>,
    /// The issuer of Sigil's own tokens and the base of links [default: http://<listen>]
    #[arg(long, env = "SIGIL_PUBLIC_URL")]
    #[serde(alias = "public-url")]
    pub public_url: Option<String>,
    /// A TOML file with the same keys (snake_case or kebab-case)
    #[arg(long, env = "SIGIL_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Allow http:// and loopback identity-provider issuers (development and tests only)
    #[arg(long, env = "SIGIL_ALLOW_INSECURE_ISSUERS", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    #[serde(alias = "allow-insecure-issuers")]
    pub allow_insecure_issuers: Option<bool>,
    /// Log format [default: human]
    #[arg(long, env = "SIGIL_LOG_FORMAT", value_enum)]
    #[serde(alias = "log-format")]
    pub log_format: Option<LogFormat>,
    /// Hours a token-signing key signs before a new one replaces it [default: 720]
    #[arg(long, env = "SIGIL_SIGNING_KEY_ROTATION_HOURS", value_parser = clap::value_parser!(i64).range(1..=87_600))]
    #[serde(alias = "signing-key-rotation-hours")]
    pub signing_key_rotation_hours: Option<i64>,
    /// Milliseconds between two reads of the change log, which catch any change a lost
    /// notification missed: the longest a revocation takes to reach this node [default: 1000]
    #[arg(long, env = "SIGIL_CHANGE_SYNC_MS", value_parser = clap::value_parser!(u64).range(50..=60_000))]
    #[serde(alias = "change-sync-ms")]
    pub change_sync_ms: Option<u64>,
    /// How long invalidated and expired Elasticsearch API keys stay visible before they are
    /// deleted, as a time value (`7d`, `12h`, `30s`) [default: 7d]
    #[arg(long, env = "SIGIL_API_KEY_RETENTION")]
    #[serde(alias = "api-key-retention")]
    pub api_key_retention: Option<String>,
    /// Seconds between two runs of the housekeeping (pruning, key rotation, the API key
    /// sweeper) [default: 60]
    #[arg(long, env = "SIGIL_HOUSEKEEPING_SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    #[serde(alias = "housekeeping-seconds")]
    pub housekeeping_seconds: Option<u64>,
    /// Failed authentications allowed per client address before it gets 429 (refilled at one
    /// per 5 s); raise it when many clients share an address behind NAT [default: 10]
    #[arg(long, env = "SIGIL_AUTH_FAILURE_BURST", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    #[serde(alias = "auth-failure-burst")]
    pub auth_failure_burst: Option<u32>,
    /// Seconds a request's head may take from its first byte [default: 10]
    #[arg(long, env = "SIGIL_HEADER_READ_TIMEOUT_SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    #[serde(alias = "header-read-timeout-seconds")]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a request's body may take to arrive whole [default: 30]
    #[arg(long, env = "SIGIL_BODY_TIMEOUT_SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    #[serde(alias = "body-timeout-seconds")]
    pub body_timeout_seconds: Option<u64>,
    /// Seconds a connection may stay open with no request in progress and nothing sent
    /// [default: 60]
    #[arg(long, env = "SIGIL_IDLE_TIMEOUT_SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    #[serde(alias = "idle-timeout-seconds")]
    pub idle_timeout_seconds: Option<u64>,
    /// Connections served at once; more wait to be accepted [default: 1024]
    #[arg(long, env = "SIGIL_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    #[serde(alias = "max-connections")]
    pub max_connections: Option<u64>,
    /// File holding the base64 master key [default: <data-dir>/master.key; SIGIL_MASTER_KEY wins]
    #[arg(long, env = "SIGIL_MASTER_KEY_FILE")]
    #[serde(alias = "master-key-file")]
    pub master_key_file: Option<PathBuf>,
}

/// The configuration the server runs with, every layer applied.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Without a trailing slash.
    pub public_url: Option<String>,
    pub allow_insecure_issuers: bool,
    pub log_format: LogFormat,
    pub master_key_file: Option<PathBuf>,
    pub signing_key_rotation_hours: i64,
    pub change_sync_ms: u64,
    pub api_key_retention: chrono::Duration,
    pub housekeeping_seconds: u64,
    pub auth_failure_burst: u32,
    /// From a request's first byte until its head is complete.
    pub header_read_timeout: Duration,
    /// From a request's head until its body is complete.
    pub body_timeout: Duration,
    /// No request in progress and nothing sent for this long: the connection is closed.
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// `SIGIL_MASTER_KEY`, base64 of 32 bytes.
    pub master_key: Option<SecretString>,
    /// `SIGIL_MASTER_KEY_PREVIOUS`: during a rotation, the key being replaced.
    pub previous_master_key: Option<SecretString>,
    /// `SIGIL_ADMIN_PASSWORD`: the admin's password on the first start.
    pub admin_password: Option<SecretString>,
}

impl ServerArgs {
    /// Applies the config file under what flags and environment already set.
    pub fn resolve(self) -> anyhow::Result<ServerConfig> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => ServerArgs::default(),
        };
        let env_secret = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(SecretString::new)
        };
        let listen = match self.listen.or(file.listen) {
            Some(addr) => addr,
            None => DEFAULT_LISTEN.parse().context("default listen address")?,
        };
        let public_url = self
            .public_url
            .or(file.public_url)
            .map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url {
            let parsed = url::Url::parse(url)
                .with_context(|| format!("--public-url {url:?} is not an absolute URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("--public-url must be an http:// or https:// URL");
            }
        }
        let signing_key_rotation_hours = self
            .signing_key_rotation_hours
            .or(file.signing_key_rotation_hours)
            .unwrap_or(DEFAULT_SIGNING_KEY_ROTATION_HOURS);
        // The flags are range-checked by clap; a config file's values are checked here.
        if !(1..=87_600).contains(&signing_key_rotation_hours) {
            bail!("signing_key_rotation_hours must be between 1 and 87600");
        }
        let change_sync_ms = self
            .change_sync_ms
            .or(file.change_sync_ms)
            .unwrap_or(DEFAULT_CHANGE_SYNC_MS);
        if !(50..=60_000).contains(&change_sync_ms) {
            bail!("change_sync_ms must be between 50 and 60000");
        }
        let retention_text = self
            .api_key_retention
            .or(file.api_key_retention)
            .unwrap_or_else(|| DEFAULT_API_KEY_RETENTION.into());
        let api_key_retention = sigil_core::elasticsearch::api_keys::parse_time_value(
            "api-key-retention",
            &retention_text,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let housekeeping_seconds = self
            .housekeeping_seconds
            .or(file.housekeeping_seconds)
            .unwrap_or(DEFAULT_HOUSEKEEPING_SECONDS);
        if !(1..=3600).contains(&housekeeping_seconds) {
            bail!("housekeeping_seconds must be between 1 and 3600");
        }
        let auth_failure_burst = self
            .auth_failure_burst
            .or(file.auth_failure_burst)
            .unwrap_or(DEFAULT_AUTH_FAILURE_BURST);
        if !(1..=100_000).contains(&auth_failure_burst) {
            bail!("auth_failure_burst must be between 1 and 100000");
        }
        let seconds = |name: &str, flag: Option<u64>, file: Option<u64>, default: u64, max: u64| {
            let value = flag.or(file).unwrap_or(default);
            if !(1..=max).contains(&value) {
                bail!("{name} must be between 1 and {max}");
            }
            Ok(Duration::from_secs(value))
        };
        let header_read_timeout = seconds(
            "header_read_timeout_seconds",
            self.header_read_timeout_seconds,
            file.header_read_timeout_seconds,
            DEFAULT_HEADER_READ_TIMEOUT_SECONDS,
            3600,
        )?;
        let body_timeout = seconds(
            "body_timeout_seconds",
            self.body_timeout_seconds,
            file.body_timeout_seconds,
            DEFAULT_BODY_TIMEOUT_SECONDS,
            3600,
        )?;
        let idle_timeout = seconds(
            "idle_timeout_seconds",
            self.idle_timeout_seconds,
            file.idle_timeout_seconds,
            DEFAULT_IDLE_TIMEOUT_SECONDS,
            86_400,
        )?;
        let max_connections = match self.max_connections.or(file.max_connections) {
            None => DEFAULT_MAX_CONNECTIONS,
            Some(n @ 1..=1_000_000) => usize::try_from(n)?,
            Some(_) => bail!("max_connections must be between 1 and 1000000"),
        };
        Ok(ServerConfig {
            listen,
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: self.database_url.or(file.database_url),
            public_url,
            allow_insecure_issuers: self
                .allow_insecure_issuers
                .or(file.allow_insecure_issuers)
                .unwrap_or(false),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            master_key_file: self.master_key_file.or(file.master_key_file),
            signing_key_rotation_hours,
            change_sync_ms,
            api_key_retention,
            housekeeping_seconds,
            auth_failure_burst,
            header_read_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            master_key: env_secret("SIGIL_MASTER_KEY"),
            previous_master_key: env_secret("SIGIL_MASTER_KEY_PREVIOUS"),
            admin_password: env_secret("SIGIL_ADMIN_PASSWORD"),
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<ServerArgs> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
}

impl ServerConfig {
    /// A configuration for tests and embedding: everything default but the given directory.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            database_url: None,
            public_url: None,
            allow_insecure_issuers: false,
            log_format: LogFormat::Human,
            master_key_file: None,
            signing_key_rotation_hours: DEFAULT_SIGNING_KEY_ROTATION_HOURS,
            change_sync_ms: DEFAULT_CHANGE_SYNC_MS,
            api_key_retention: chrono::Duration::days(7),
            housekeeping_seconds: DEFAULT_HOUSEKEEPING_SECONDS,
            auth_failure_burst: DEFAULT_AUTH_FAILURE_BURST,
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECONDS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECONDS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECONDS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            master_key: None,
            previous_master_key: None,
            admin_password: None,
        }
    }

    /// How long a node may go without reading the change log before it stops authenticating:
    /// five read intervals, and never less than five seconds.
    pub fn change_staleness_bound(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.change_sync_ms.saturating_mul(5).max(5_000))
    }

    /// The master key: `SIGIL_MASTER_KEY`, else the key file, else one generated into the
    /// data directory on the first start (with a warning: it must be backed up).
    pub fn load_master_key(&self) -> anyhow::Result<MasterKey> {
        let key = self.load_current_master_key()?;
        match &self.previous_master_key {
            Some(text) => {
                let previous = MasterKey::from_base64(text.expose())
                    .map_err(|e| anyhow::anyhow!("SIGIL_MASTER_KEY_PREVIOUS: {e}"))?;
                Ok(key.with_previous(previous))
            }
            None => Ok(key),
        }
    }

    fn load_current_master_key(&self) -> anyhow::Result<MasterKey> {
        if let Some(text) = &self.master_key {
            return MasterKey::from_base64(text.expose())
                .map_err(|e| anyhow::anyhow!("SIGIL_MASTER_KEY: {e}"));
        }
        let path = self
            .master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"));
        if path.exists() {
            refuse_if_shared(&path)?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return MasterKey::from_base64(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let (key, text) = MasterKey::generate();
        write_private(&path, &text)?;
        tracing::warn!(path = %path.display(), "generated a new master key: back it up; without it, stored Digest secrets cannot be opened");
        Ok(key)
    }
}

/// Like ssh with a private key, Sigil will not use a master key file that other local users
/// may read or write: whoever reads it opens every sealed secret.
#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "the master key file {} is accessible by other users (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot create {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServerArgs,
    }

    #[test]
    fn flags_beat_the_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("sigil.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\ndata-dir = \"/tmp/from-file\"\nallow_insecure_issuers = true\nidle-timeout-seconds = 5\nmax_connections = 7\n").expect("write");
        let cli = Cli::try_parse_from([
            "sigil",
            "--config",
            file.to_str().unwrap_or_default(),
            "--listen",
            "127.0.0.1:9100",
            "--header-read-timeout-seconds",
            "3",
        ])
        .expect("parse");
        let config = cli.args.resolve().expect("resolve");
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/from-file"));
        assert!(config.allow_insecure_issuers);
        assert_eq!(config.log_format, LogFormat::Human);
        assert_eq!(config.header_read_timeout, Duration::from_secs(3));
        assert_eq!(config.idle_timeout, Duration::from_secs(5));
        assert_eq!(config.max_connections, 7);
        assert_eq!(
            config.body_timeout,
            Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECONDS)
        );
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("sigil.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").expect("write");
        let args = ServerArgs {
            config: Some(file),
            ..Default::default()
        };
        assert!(args.resolve().is_err());
    }

    #[test]
    fn the_master_key_is_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = ServerConfig::for_data_dir(dir.path());
        let key = config.load_master_key().expect("generate");
        let sealed = key.seal(b"x").expect("seal");
        let again = config.load_master_key().expect("load");
        assert_eq!(again.open(&sealed).expect("open"), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_master_key_file_other_users_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let config = ServerConfig::for_data_dir(dir.path().join("new"));
        config.load_master_key().expect("generate");
        let data_dir = std::fs::metadata(dir.path().join("new")).expect("meta");
        assert_eq!(data_dir.permissions().mode() & 0o777, 0o700);
        let file = dir.path().join("new/master.key");
        for loose in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(loose)).expect("chmod");
            let Err(e) = config.load_master_key() else {
                panic!("a key file of mode {loose:o} was used");
            };
            assert!(e.to_string().contains("chmod 600"), "{e}");
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(
            config.load_master_key().is_ok(),
            "owner-only modes are fine"
        );
    }
}
