//! A TCP proxy between a node and PostgreSQL that the scenario can cut: while cut nothing
//! passes either way and nothing is refused or reset (bytes wait, new connections wait), as in
//! a network partition; healed, everything resumes where it stood.
//!
//! Written here rather than installed: a few lines of tokio, where a network namespace or
//! `iptables` would need privileges the tests cannot count on.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (open, gate) = watch::channel(true);
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(pipe(inbound, upstream, gate.clone()));
            }
        });
        Self { addr, open, task }
    }

    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    pub fn heal(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn wait_open(gate: &mut watch::Receiver<bool>) {
    let _ = gate.wait_for(|open| *open).await;
}

async fn pipe(inbound: TcpStream, upstream: SocketAddr, mut gate: watch::Receiver<bool>) {
    wait_open(&mut gate).await;
    let Ok(outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let (from_node, to_node) = inbound.into_split();
    let (from_db, to_db) = outbound.into_split();
    tokio::join!(
        copy(from_node, to_db, gate.clone()),
        copy(from_db, to_node, gate)
    );
}

async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut gate: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        wait_open(&mut gate).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// `url` with its host and port replaced by `addr` (a node connecting through the proxy).
pub fn through(url: &str, addr: SocketAddr) -> String {
    let mut url = url::Url::parse(url).expect("a database URL");
    url.set_ip_host(addr.ip()).expect("host");
    url.set_port(Some(addr.port())).expect("port");
    url.to_string()
}

/// The address a database URL points at.
pub fn target(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).expect("a database URL");
    let host = url.host_str().expect("host");
    let port = url.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .expect("resolves")
        .next()
        .expect("an address")
}
