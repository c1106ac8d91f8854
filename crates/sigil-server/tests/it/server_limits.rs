//! The server's own bounds, over raw TCP where HTTP clients would hide them: a head that never
//! completes, a body that trickles, an idle connection, the connection cap; then the failure
//! limit behind a shared address, private data files, and the outbound address policy.

use crate::atlas_support::idps_path;
use reqwest::Method;
use serde_json::json;
use sigil_server::config::ServerConfig;
use sigil_testkit::{TestServer, ADMIN_PASSWORD};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ServerConfig::for_data_dir(dir.path());
    adjust(&mut config);
    TestServer::start_with(config, dir).await
}

async fn connect(server: &TestServer) -> TcpStream {
    let addr = server.url.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection or `within` passes; answers what was read
/// and whether the connection was closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), false),
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// A client that starts a request and never finishes its head is cut off at the header
/// timeout; one that connects and sends nothing is only idle, and closed at the idle timeout.
#[tokio::test]
async fn slow_heads_and_idle_connections_are_closed() {
    let server = server_with(|c| {
        c.header_read_timeout = Duration::from_millis(300);
        c.idle_timeout = Duration::from_millis(1_500);
    })
    .await;
    let mut slow = connect(&server).await;
    let mut idle = connect(&server).await;
    let started = Instant::now();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: sigil\r\n")
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a head that never completes is cut off");
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(1_400),
        "{:?}",
        started.elapsed()
    );
    let (_, closed) = read_until_closed(&mut idle, Duration::from_millis(200)).await;
    assert!(!closed, "a silent connection is idle, not slow");
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(closed, "and closed once idle for the idle timeout");

    // Between requests on a kept-alive connection, the idle timeout applies too.
    let mut kept = connect(&server).await;
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: sigil\r\n\r\n")
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut kept, Duration::from_millis(800)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!closed, "kept alive past the header timeout");
    let (_, closed) = read_until_closed(&mut kept, Duration::from_secs(5)).await;
    assert!(closed, "closed when idle");
}

/// A body that trickles is cut off at the body timeout, answered in the face's format.
#[tokio::test]
async fn a_slow_body_is_cut_off() {
    let server = server_with(|c| c.body_timeout = Duration::from_millis(500)).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(
            b"POST /api/oauth/token HTTP/1.1\r\nHost: sigil\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type",
        )
        .await
        .expect("write");
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive within 500 ms"), "{answer}");
    assert!(closed, "the rest of the body is not waited for");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// Beyond the cap, a connection waits to be accepted until another one ends.
#[tokio::test]
async fn connections_beyond_the_cap_wait() {
    let server = server_with(|c| c.max_connections = 2).await;
    let first = connect(&server).await;
    let _second = connect(&server).await;
    let mut third = connect(&server).await;
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: sigil\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let (answer, _) = read_until_closed(&mut third, Duration::from_millis(500)).await;
    assert!(answer.is_empty(), "served beyond the cap: {answer}");
    drop(first);
    let (answer, _) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Clients behind one address (a proxy) do not lock each other out: one user's failures
/// use up that user's budget from the address, not everyone's.
#[tokio::test]
async fn one_clients_failures_do_not_refuse_its_neighbours() {
    let server = server_with(|c| c.auth_failure_burst = 3).await;
    let proxy = crate::federation_support::fresh_client();
    let basic = |user: &str, password: &str| {
        proxy
            .get(format!("{}/_security/_authenticate", server.url))
            .basic_auth(user, Some(password))
    };
    for _ in 0..3 {
        let a = server.send(basic("guesser", "wrong")).await;
        assert_eq!(a.status, 401, "{}", a.text);
    }
    let a = server.send(basic("guesser", "wrong")).await;
    assert_eq!(a.status, 429, "the guesser is limited: {}", a.text);
    let a = server.send(basic("admin", ADMIN_PASSWORD)).await;
    assert_eq!(a.status, 200, "a neighbour still gets in: {}", a.text);
    let a = server.send(basic("typo", "wrong")).await;
    assert_eq!(a.status, 401, "and its failures are its own: {}", a.text);
}

/// The data directory Sigil creates is 0700, the database, its WAL and shared-memory files
/// and the generated master key 0600.
#[cfg(unix)]
#[tokio::test]
async fn data_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut config = ServerConfig::for_data_dir(&data);
    config.admin_password = Some(sigil_core::secret::SecretString::new(ADMIN_PASSWORD));
    let server = sigil_server::RunningServer::start(config)
        .await
        .expect("server starts");
    let mode = |name: &str| {
        std::fs::metadata(data.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "the data directory");
    for file in ["sigil.db", "sigil.db-wal", "sigil.db-shm", "master.key"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    server.stop().await.expect("stop");
}

/// With the policy of production, issuers on loopback, private or metadata addresses are
/// refused when they are set, naming the field.
#[tokio::test]
async fn local_issuers_are_refused_without_the_insecure_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start_strict(ServerConfig::for_data_dir(dir.path()), dir).await;
    let (_, fs) = server.default_org().await;
    for issuer in [
        "https://127.0.0.1:1",
        "https://localhost:8443/realms/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]",
        "https://10.0.0.7",
    ] {
        let body = json!({
            "protocol": "OIDC",
            "idpType": "WORKLOAD",
            "displayName": "local",
            "issuerUri": issuer,
            "audience": "sigil",
            "authorizationType": "USER",
        });
        let a = server
            .admin(Method::POST, &idps_path(&fs), Some(body))
            .await;
        assert_eq!(a.status, 400, "{issuer}: {}", a.text);
        let detail = a.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("issuerUri") && detail.contains("public host"),
            "{detail}"
        );
    }
}

/// Every face refuses a header over its bound in its own format, and no head may carry more
/// than 64 KiB of headers in all.
#[tokio::test]
async fn every_face_bounds_its_headers() {
    let server = TestServer::sqlite().await;
    let long = "x".repeat(9 * 1024);
    let send = |method: Method, path: &str| {
        server
            .client
            .request(method, format!("{}{path}", server.url))
            .header("x-padding", long.as_str())
    };
    let a = server
        .send(send(Method::GET, "/_security/_authenticate"))
        .await;
    assert_eq!(a.status, 431, "{}", a.text);
    assert_eq!(
        a.body["error"]["type"], "illegal_argument_exception",
        "{}",
        a.text
    );
    assert_eq!(a.header("x-elastic-product"), Some("Elasticsearch"));
    let a = server.send(send(Method::POST, "/api/oauth/token")).await;
    assert_eq!(a.status, 431, "{}", a.text);
    assert_eq!(a.body["error"], "invalid_request", "{}", a.text);
    let a = server.send(send(Method::GET, "/api/atlas/v2/orgs")).await;
    assert_eq!(a.status, 431, "{}", a.text);
    assert_eq!(a.body["errorCode"], "HEADER_TOO_LARGE", "{}", a.text);

    let mut many = server
        .client
        .get(format!("{}/_security/_authenticate", server.url));
    for i in 0..12 {
        many = many.header(format!("x-pad-{i}"), "y".repeat(6 * 1024));
    }
    let a = server.send(many).await;
    assert_eq!(a.status, 431, "headers of 72 KiB in all: {}", a.text);
    let reason = a.body["error"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("65536 bytes in all"), "{reason}");
}
