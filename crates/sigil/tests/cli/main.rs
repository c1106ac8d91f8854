//! The `sigil` client end to end (spec 50, seed 001): the built binary run against a real
//! server (the testkit's, on 127.0.0.1:0), each test with a config file of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod config;
mod credentials;
mod help;

use serde_json::Value;
use sigil_testkit::{TestServer, ADMIN_PASSWORD};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// What one run of `sigil` did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts exit 0 and answers stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:#?}");
        &self.stdout
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }

    /// Asserts the exit status and answers stderr.
    pub fn failed(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        &self.stderr
    }
}

/// A home for the client: a temporary directory holding its config file (`SIGIL_CONFIG_FILE`)
/// and standing in for HOME, and no `SIGIL_*` variable from the test's environment.
pub struct Cli {
    pub dir: tempfile::TempDir,
}

impl Default for Cli {
    fn default() -> Self {
        Self::new()
    }
}

impl Cli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("sigil").join("config.toml")
    }

    pub fn token_cache(&self) -> PathBuf {
        self.dir.path().join("sigil").join("config.tokens.json")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, &[], None).await
    }

    /// Runs `sigil args…` with extra environment (a `None` value unsets it) and stdin.
    pub async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, Option<&str>)],
        stdin: Option<&[u8]>,
    ) -> Out {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sigil"));
        command.args(args);
        for (name, _) in std::env::vars() {
            if name.starts_with("SIGIL_") {
                command.env_remove(name);
            }
        }
        command
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("SIGIL_CONFIG_FILE", self.config());
        for (name, value) in env {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("sigil runs");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).await.unwrap();
            drop(pipe);
        }
        let output = child.wait_with_output().await.unwrap();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `sigil config init -P name` with `flags` (a non-interactive init).
    pub async fn init(&self, name: &str, flags: &[&str]) {
        let mut args = vec!["config", "init", "-P", name];
        args.extend_from_slice(flags);
        let out = self.run(&args).await;
        assert_eq!(out.code, 0, "{out:#?}");
    }

    /// A profile `admin` for the bootstrap admin (user name and password, so Digest).
    pub async fn admin_profile(&self, server: &TestServer) {
        self.init(
            "admin",
            &[
                "--base-url",
                &server.url,
                "--username",
                "admin",
                "--password",
                ADMIN_PASSWORD,
            ],
        )
        .await;
    }

    /// Writes a file in the test's directory; answers its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

/// The `default` organization's id, through the CLI (a Go template picks it out).
pub async fn default_org(cli: &Cli) -> String {
    let out = cli
        .run(&[
            "api",
            "organizations",
            "listOrganizations",
            "-P",
            "admin",
            "--output",
            r#"go-template={{range .results}}{{if eq .name "default"}}{{.id}}{{end}}{{end}}"#,
        ])
        .await;
    let id = out.ok().to_owned();
    assert_eq!(id.len(), 24, "{out:#?}");
    id
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A port nothing listens on: a call there fails to connect (exit 1), so an exit 2 proves
/// the command was refused before any request.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
