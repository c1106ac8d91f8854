//! Profiles: the TOML config file (`$SIGIL_CONFIG_FILE`, else
//! `$XDG_CONFIG_HOME/sigil/config.toml`, mode 0600), the `SIGIL_*` environment overrides, and
//! the one credential a profile resolves to.

use super::CliError;
use serde::{Deserialize, Serialize};
use sigil_core::secret::SecretString;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_PROFILE: &str = "default";

/// One profile as stored. Every field is optional: a profile may hold only what the
/// environment does not give.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_api_key: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose",
        default
    )]
    pub private_api_key: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose",
        default
    )]
    pub client_secret: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose",
        default
    )]
    pub password: Option<SecretString>,
}

/// Secrets are written to the (0600) file only; `Debug` never shows them.
fn expose<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_str(secret.expose()),
        None => s.serialize_none(),
    }
}

/// The keys `sigil config set` takes, with the environment variable that overrides each
/// (`None`: the file only) and whether it is secret.
pub const KEYS: [(&str, Option<&str>, bool); 9] = [
    ("base_url", Some("SIGIL_BASE_URL"), false),
    ("api_version", None, false),
    ("output", None, false),
    ("public_api_key", Some("SIGIL_PUBLIC_API_KEY"), false),
    ("private_api_key", Some("SIGIL_PRIVATE_API_KEY"), true),
    ("client_id", Some("SIGIL_CLIENT_ID"), false),
    ("client_secret", Some("SIGIL_CLIENT_SECRET"), true),
    ("username", Some("SIGIL_USERNAME"), false),
    ("password", Some("SIGIL_PASSWORD"), true),
];

/// The credential keys, by kind: a profile holds one kind.
pub const CREDENTIAL_KINDS: [[&str; 2]; 3] = [
    ["public_api_key", "private_api_key"],
    ["client_id", "client_secret"],
    ["username", "password"],
];

impl Profile {
    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "base_url" => self.base_url.as_deref(),
            "api_version" => self.api_version.as_deref(),
            "output" => self.output.as_deref(),
            "public_api_key" => self.public_api_key.as_deref(),
            "private_api_key" => self.private_api_key.as_ref().map(SecretString::expose),
            "client_id" => self.client_id.as_deref(),
            "client_secret" => self.client_secret.as_ref().map(SecretString::expose),
            "username" => self.username.as_deref(),
            "password" => self.password.as_ref().map(SecretString::expose),
            _ => None,
        }
    }

    /// Sets (or with `None` removes) `key`; false when there is no such key.
    pub fn set(&mut self, key: &str, value: Option<String>) -> bool {
        let secret = |v: Option<String>| v.map(SecretString::new);
        match key {
            "base_url" => self.base_url = value,
            "api_version" => self.api_version = value,
            "output" => self.output = value,
            "public_api_key" => self.public_api_key = value,
            "private_api_key" => self.private_api_key = secret(value),
            "client_id" => self.client_id = value,
            "client_secret" => self.client_secret = secret(value),
            "username" => self.username = value,
            "password" => self.password = secret(value),
            _ => return false,
        }
        true
    }
}

/// Where the config file is: `$SIGIL_CONFIG_FILE`, `$XDG_CONFIG_HOME/sigil/config.toml`, or
/// `~/.config/sigil/config.toml`.
pub fn config_path() -> Result<PathBuf, CliError> {
    if let Some(file) = env("SIGIL_CONFIG_FILE") {
        return Ok(PathBuf::from(file));
    }
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")))
        .ok_or_else(|| {
            CliError::Usage(
                "cannot tell where the config file is: set SIGIL_CONFIG_FILE (or HOME)".into(),
            )
        })?;
    Ok(base.join("sigil").join("config.toml"))
}

/// A variable that is set and not empty.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The config file: its profiles by name.
pub struct Config {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Profile>,
}

impl Config {
    /// Reads the file; a missing file is an empty config.
    pub fn load() -> Result<Config, CliError> {
        let path = config_path()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(CliError::Usage(format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                )))
            }
        };
        warn_if_readable_by_others(&path);
        let profiles = toml::from_str(&text).map_err(|e| {
            CliError::Usage(format!(
                "the config file {} is not valid: {e}Fix it, or set it up again with `sigil config init`.",
                path.display()
            ))
        })?;
        Ok(Config { path, profiles })
    }

    /// Writes the whole file, mode 0600, replacing it in one rename.
    pub fn save(&self) -> Result<(), CliError> {
        let text = toml::to_string(&self.profiles)
            .map_err(|e| CliError::Failure(format!("cannot write the config: {e}")))?;
        write_private(&self.path, text.as_bytes())
    }

    /// The names of the profiles, for error messages.
    pub fn names(&self) -> String {
        if self.profiles.is_empty() {
            "none yet".into()
        } else {
            self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

/// A profile with the environment applied, and where each value came from.
pub struct Resolved {
    pub name: String,
    pub profile: Profile,
    /// `key → "SIGIL_…"` for the values the environment gave.
    pub from_env: BTreeMap<&'static str, &'static str>,
}

/// The credential a resolved profile sends.
pub enum Credential {
    None,
    /// Public and private API key, or a user name and password: HTTP Digest.
    Digest {
        user: String,
        password: SecretString,
    },
    /// A service account: a token from the client_credentials grant, cached.
    ServiceAccount {
        client_id: String,
        secret: SecretString,
    },
}

/// The named profile with the environment applied. A profile named explicitly (`-P` or
/// `SIGIL_PROFILE`) must exist; `default` may be absent when the environment says it all.
pub fn resolve(config: &Config, name: &str, explicit: bool) -> Result<Resolved, CliError> {
    let mut profile = match config.profiles.get(name) {
        Some(p) => p.clone(),
        None if explicit => {
            return Err(CliError::Usage(format!(
                "there is no profile {name:?} in {} (profiles: {}); create it with `sigil config init -P {name}`",
                config.path.display(),
                config.names()
            )))
        }
        None => Profile::default(),
    };
    let mut from_env = BTreeMap::new();
    // A credential of another kind in the environment replaces the file's: a profile sends one
    // credential, and the environment wins.
    let env_kind = CREDENTIAL_KINDS
        .iter()
        .find(|kind| kind.iter().any(|k| env(env_name(k)).is_some()));
    if let Some(kind) = env_kind {
        for other in CREDENTIAL_KINDS.iter().filter(|k| *k != kind) {
            for key in other {
                profile.set(key, None);
            }
        }
    }
    for (key, var, _) in KEYS {
        if let Some(value) = var.and_then(env) {
            profile.set(key, Some(value));
            from_env.insert(key, var.unwrap_or_default());
        }
    }
    Ok(Resolved {
        name: name.to_owned(),
        profile,
        from_env,
    })
}

fn env_name(key: &str) -> &'static str {
    KEYS.iter()
        .find(|(k, _, _)| *k == key)
        .and_then(|(_, v, _)| *v)
        .unwrap_or("")
}

impl Resolved {
    /// The one credential of the profile; half a pair is an error naming the missing half.
    pub fn credential(&self) -> Result<Credential, CliError> {
        let p = &self.profile;
        let pairs = [
            (&p.public_api_key, &p.private_api_key, CREDENTIAL_KINDS[0]),
            (&p.client_id, &p.client_secret, CREDENTIAL_KINDS[1]),
            (&p.username, &p.password, CREDENTIAL_KINDS[2]),
        ];
        for (i, (id, secret, keys)) in pairs.into_iter().enumerate() {
            match (id, secret) {
                (Some(id), Some(secret)) => {
                    return Ok(if i == 1 {
                        Credential::ServiceAccount {
                            client_id: id.clone(),
                            secret: secret.clone(),
                        }
                    } else {
                        Credential::Digest {
                            user: id.clone(),
                            password: secret.clone(),
                        }
                    })
                }
                (None, None) => {}
                (Some(_), None) => return Err(self.half(keys[0], keys[1])),
                (None, Some(_)) => return Err(self.half(keys[1], keys[0])),
            }
        }
        Ok(Credential::None)
    }

    fn half(&self, set: &str, missing: &str) -> CliError {
        CliError::Usage(format!(
            "profile {:?} has {set} but no {missing}: set it with `sigil config set {missing} VALUE -P {}` or {}",
            self.name,
            self.name,
            env_name(missing)
        ))
    }
}

/// Writes `bytes` to `path` readable by its owner only: a temporary file (0600 from its
/// creation, so no other user can open it in between) renamed over the old one. The
/// directory is created 0700 when missing.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let fail = |what: &str, e: std::io::Error| {
        CliError::Failure(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| fail("create the directory of", e))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    Ok(())
}

/// Secrets in a file others can read are as good as leaked: say so (as ssh does), once per run.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "sigil: warning: {} is readable by other users (mode {mode:o}); run `chmod 600 {}`",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let mut p = Profile::default();
        p.set("private_api_key", Some("very-secret-value".into()));
        p.set("password", Some("another-secret".into()));
        let debug = format!("{p:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(!debug.contains("another-secret"), "{debug}");
    }

    #[test]
    fn a_profile_round_trips_through_toml_and_refuses_unknown_keys() {
        let mut p = Profile::default();
        p.set("base_url", Some("http://127.0.0.1:8420".into()));
        p.set("client_secret", Some("mdb_sa_sk_x".into()));
        let mut all = BTreeMap::new();
        all.insert("prod".to_owned(), p);
        let text = toml::to_string(&all).unwrap();
        assert!(text.contains("[prod]") && text.contains("client_secret = \"mdb_sa_sk_x\""));
        let back: BTreeMap<String, Profile> = toml::from_str(&text).unwrap();
        assert_eq!(back["prod"].get("client_secret"), Some("mdb_sa_sk_x"));
        let typo = toml::from_str::<BTreeMap<String, Profile>>("[p]\nbase_ur = \"x\"\n");
        assert!(typo.unwrap_err().to_string().contains("base_ur"));
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/config.toml");
        write_private(&path, b"a = 1").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
}
