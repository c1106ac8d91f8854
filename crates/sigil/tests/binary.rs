//! The real `sigil` executable: `sigil server` serves /health, stops cleanly on SIGTERM, logs
//! JSON with `--log-format json`, and prints a generated admin password once (spec 00
//! "Running the server", "First start").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "binary-test-password";

/// Numbers the stderr files of the processes a test starts.
static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A `sigil server` process, its stderr captured in a file.
struct Sigil {
    child: Child,
    url: String,
    stderr: PathBuf,
}

/// A port that was free a moment ago: bind port 0, read the port, let it go.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

impl Sigil {
    fn start(data_dir: &Path, admin_password: Option<&str>, extra: &[&str]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let stderr = data_dir.with_file_name(format!(
            "stderr-{}.log",
            STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_sigil"));
        command
            .args(["server", "--listen", &addr, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        for (name, _) in std::env::vars() {
            if name.starts_with("SIGIL_") {
                command.env_remove(name);
            }
        }
        if let Some(password) = admin_password {
            command.env("SIGIL_ADMIN_PASSWORD", password);
        }
        Self {
            child: command.spawn().expect("sigil starts"),
            url: format!("http://{addr}"),
            stderr,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Polls /health with a short backoff until it answers 200, for up to 10 s.
    async fn wait_healthy(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut pause = Duration::from_millis(10);
        loop {
            if let Ok(r) = client.get(format!("{}/health", self.url)).send().await {
                if r.status() == 200 {
                    let body: serde_json::Value = r.json().await.expect("json");
                    assert_eq!(body, serde_json::json!({"status": "ok"}));
                    return;
                }
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("sigil exited with {status}:\n{}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "no /health within 10 s:\n{}",
                self.stderr()
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Polls stderr until it contains `needle`, for up to 10 s.
    async fn wait_for_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in stderr:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn get_orgs(&self, password: &str) -> u16 {
        reqwest::Client::new()
            .get(format!("{}/api/atlas/v2/orgs", self.url))
            .basic_auth("admin", Some(password))
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    }

    /// Sends SIGTERM and waits up to 5 s for the process to exit.
    async fn terminate(mut self) -> (ExitStatus, String) {
        let kill = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(kill.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let stderr = self.stderr();
                return (status, stderr);
            }
            assert!(
                Instant::now() < deadline,
                "still running 5 s after SIGTERM:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Sigil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut sigil = Sigil::start(&data, Some(PASSWORD), &[]);
    sigil.wait_healthy().await;
    assert_eq!(sigil.get_orgs(PASSWORD).await, 200);
    assert_eq!(sigil.get_orgs("wrong").await, 401);
    let (status, stderr) = sigil.terminate().await;
    assert_eq!(status.code(), Some(0), "a clean exit:\n{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(
        data.join("master.key").exists(),
        "the master key is generated"
    );
    assert!(
        !stderr.contains(PASSWORD),
        "the admin password is never logged"
    );
}

#[tokio::test]
async fn log_format_json_makes_every_stderr_line_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sigil = Sigil::start(
        &dir.path().join("data"),
        Some(PASSWORD),
        &["--log-format", "json"],
    );
    sigil.wait_healthy().await;
    assert_eq!(sigil.get_orgs(PASSWORD).await, 200);
    let (status, stderr) = sigil.terminate().await;
    assert_eq!(status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "start, serving, shutdown:\n{stderr}");
    for line in lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(value["level"].is_string(), "{line}");
        assert!(value["fields"].is_object(), "{line}");
    }
    assert!(stderr.contains("sigil is serving"), "{stderr}");
}

#[tokio::test]
async fn a_generated_admin_password_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut first = Sigil::start(&data, None, &[]);
    first.wait_healthy().await;
    let stderr = first.wait_for_stderr("has the password").await;
    let password = stderr
        .lines()
        .find_map(|l| l.split("has the password ").nth(1))
        .expect("the password line")
        .trim()
        .to_owned();
    assert!(password.starts_with("sigil_pw_"), "{password}");
    assert_eq!(
        stderr.matches(&password).count(),
        1,
        "printed once:\n{stderr}"
    );
    assert_eq!(first.get_orgs(&password).await, 200);
    let (status, _) = first.terminate().await;
    assert_eq!(status.code(), Some(0));

    let mut second = Sigil::start(&data, None, &[]);
    second.wait_healthy().await;
    assert_eq!(second.get_orgs(&password).await, 200);
    let (status, stderr) = second.terminate().await;
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("has the password") && !stderr.contains(&password),
        "the second start prints no password:\n{stderr}"
    );
}

#[tokio::test]
async fn a_busy_address_fails_the_start_before_the_store_is_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let output = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args([
            "server",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&data)
        .env("SIGIL_ADMIN_PASSWORD", PASSWORD)
        .env_remove("SIGIL_DATABASE_URL")
        .env_remove("SIGIL_CONFIG")
        .output()
        .expect("sigil runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    assert!(!data.exists(), "no store was created:\n{stderr}");
    drop(busy);
}
