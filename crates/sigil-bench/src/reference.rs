//! The reference server (crates/sigil-reference) in its own process: the ceiling every run
//! measures beside Sigil — a bare axum `/health`, and a token endpoint doing the irreducible
//! work of Sigil's client_credentials grant.

use crate::server::{cpu_seconds, release_build, wait_healthy};
use crate::wrk::CpuClock;
use anyhow::Context;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "reference-client";

pub struct Reference {
    pub url: String,
    pub secret: String,
    child: Child,
}

impl Reference {
    pub async fn start() -> anyhow::Result<Self> {
        let binary = release_build("sigil-reference")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let secret = hex::encode(rand::random::<[u8; 16]>());
        let child = Command::new(&binary)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--client-id",
                CLIENT_ID,
            ])
            .env("SIGIL_REFERENCE_CLIENT_SECRET", &secret)
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let reference = Self {
            url: format!("http://127.0.0.1:{port}"),
            secret,
            child,
        };
        wait_healthy(&reference.url).await?;
        Ok(reference)
    }
}

impl CpuClock for Reference {
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
