//! A `sigil server` process (the binary cargo built), its stderr in a file: started, waited
//! for, killed with SIGKILL, started again on the same address and store.

use base64::Engine;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "fault-admin-password-1";
/// Every node of a deployment shares its public URL: the issuer and audience of its tokens.
pub const PUBLIC_URL: &str = "http://sigil.faults.test";

/// A master key for a deployment (base64 of 32 random bytes).
pub fn master_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
}

/// An address that was free a moment ago: bind port 0, read it, let it go.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
}

/// libfaketime (Debian's `faketime` package), if installed.
pub fn libfaketime() -> Option<PathBuf> {
    let roots = ["/usr/lib", "/usr/lib64", "/usr/local/lib"];
    roots.iter().find_map(|root| {
        let direct = Path::new(root).join("faketime/libfaketime.so.1");
        if direct.exists() {
            return Some(direct);
        }
        std::fs::read_dir(root)
            .ok()?
            .filter_map(|e| e.ok())
            .find_map(|e| {
                let lib = e.path().join("faketime/libfaketime.so.1");
                lib.exists().then_some(lib)
            })
    })
}

/// How to start a node.
#[derive(Clone)]
pub struct NodeSpec {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub master_key: String,
    pub addr: SocketAddr,
    /// More `sigil server` flags.
    pub args: Vec<String>,
    /// Run with libfaketime and this offset (e.g. `-5m`): the node's wall clock is off.
    pub faketime: Option<String>,
}

impl NodeSpec {
    pub fn new(data_dir: &Path, database_url: Option<String>, master_key: &str) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            database_url,
            master_key: master_key.to_owned(),
            addr: free_addr(),
            args: vec![],
            faketime: None,
        }
    }

    pub fn arg(mut self, flag: &str, value: &str) -> Self {
        self.args.extend([flag.to_owned(), value.to_owned()]);
        self
    }
}

pub struct Node {
    pub spec: NodeSpec,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    child: Option<Child>,
    stderr: PathBuf,
    starts: usize,
}

impl Node {
    /// Starts the node and waits (10 s at most) until `/health` answers 200.
    pub async fn start(spec: NodeSpec) -> Self {
        std::fs::create_dir_all(&spec.data_dir).expect("data dir");
        let mut node = Self {
            url: format!("http://{}", spec.addr),
            stderr: spec.data_dir.join("stderr-0.log"),
            spec,
            child: None,
            starts: 0,
        };
        node.spawn();
        node.wait_healthy(Duration::from_secs(20)).await;
        node
    }

    fn spawn(&mut self) {
        let spec = &self.spec;
        // Another build may be tested (a release build, an older one): SIGIL_FAULT_BINARY.
        let binary = std::env::var("SIGIL_FAULT_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_sigil").to_owned());
        let mut command = Command::new(&binary);
        if let Some(offset) = &spec.faketime {
            // libfaketime preloaded into the binary itself (the `faketime` wrapper would be the
            // child, and a SIGKILL would leave the server behind). Only the wall clock is off,
            // as on a host whose NTP failed: monotonic time runs true.
            command
                .env("LD_PRELOAD", libfaketime().expect("libfaketime"))
                .env("FAKETIME", offset)
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        // Outside the data dir, which a test may fill or make read-only.
        self.stderr = std::env::temp_dir().join(format!(
            "sigil-fault-{}-{}-{}.log",
            std::process::id(),
            spec.addr.port(),
            self.starts
        ));
        self.starts += 1;
        command
            .arg("server")
            .arg("--listen")
            .arg(spec.addr.to_string())
            .arg("--data-dir")
            .arg(&spec.data_dir)
            .arg("--public-url")
            .arg(PUBLIC_URL)
            .arg("--allow-insecure-issuers")
            .args(&spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&self.stderr).expect("stderr file"));
        for (name, _) in std::env::vars() {
            if name.starts_with("SIGIL_") {
                command.env_remove(name);
            }
        }
        command
            .env("SIGIL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SIGIL_MASTER_KEY", &spec.master_key);
        if let Some(url) = &spec.database_url {
            command.arg("--database-url").arg(url);
        }
        self.child = Some(command.spawn().expect("sigil starts"));
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Polls `/health` until it answers 200, for up to `bound`.
    pub async fn wait_healthy(&mut self, bound: Duration) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + bound;
        loop {
            if let Ok(r) = client.get(format!("{}/health", self.url)).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("sigil exited with {status}:\n{}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "no healthy /health within {bound:?}:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no graceful stop, no flush, in-flight requests cut off.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }

    /// Starts the node again (same address, store and key) after [`Node::kill9`].
    pub async fn restart(&mut self) {
        self.kill9();
        self.spawn();
        self.wait_healthy(Duration::from_secs(20)).await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}
