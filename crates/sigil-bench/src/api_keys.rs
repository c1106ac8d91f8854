//! The Elasticsearch API keys of the scenarios: the user and role that own them, the keys
//! `ApiKey` authentication cycles through (cache hits), and key creation over HTTP
//! (`apikey-create`). Latency as the `api_keys` table grows is in `api_key_scale.rs`.

use crate::fixture::json_ok;
use crate::server::{Server, ADMIN_PASSWORD};
use crate::Args;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The role and the user that own the bench's keys: the user holds only `manage_own_api_key`.
const ROLE: &str = "bench-api-keys";
pub const USER: &str = "bench-keys";
pub const PASSWORD: &str = "bench-keys-password";
pub const WHOAMI: &str = "/_security/_authenticate";
const KEYS: &str = "/_security/api_key";
/// How many keys the ApiKey scenarios cycle through (each a cache hit once warmed).
const CACHED_KEYS: usize = 8;
/// Longer than the node's periodic read of the change log (1 s).
const SETTLE: Duration = Duration::from_millis(2_500);

pub fn millis(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

pub fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// A key created over HTTP as [`USER`]: its id and `encoded` credential.
pub async fn create_key(
    c: &Client,
    server: &Server,
    name: &str,
) -> anyhow::Result<(String, String)> {
    let key = json_ok(
        c.post(format!("{}{KEYS}", server.url))
            .basic_auth(USER, Some(PASSWORD))
            .json(&json!({ "name": name })),
        "create an Elasticsearch API key",
    )
    .await?;
    let field = |f: &str| key[f].as_str().map(str::to_owned).context("a created key");
    Ok((field("id")?, field("encoded")?))
}

/// `GET /_security/_authenticate` with `Authorization: ApiKey <encoded>`: the answer's status.
pub async fn authenticate(c: &Client, url: &str, encoded: &str) -> anyhow::Result<StatusCode> {
    let response = c
        .get(url)
        .header("authorization", format!("ApiKey {encoded}"))
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

/// What `apikey-authenticate` sends: a few keys of [`USER`], already verified by the server.
pub struct EsKeys {
    encoded: Vec<String>,
    next: AtomicUsize,
}

impl EsKeys {
    /// Creates the role, the user and [`CACHED_KEYS`] keys over HTTP, then presents the user's
    /// password and each key once, so the timed phase starts with every credential cached
    /// (32 workers presenting a never-verified credential at once would each run Argon2id or
    /// read the store, and meet the failure limit's burst).
    pub async fn create(server: &Server) -> anyhow::Result<Self> {
        let c = Client::new();
        let admin = |m: Method, path: &str| {
            c.request(m, format!("{}{path}", server.url))
                .basic_auth("admin", Some(ADMIN_PASSWORD))
        };
        json_ok(
            admin(Method::PUT, &format!("/_security/role/{ROLE}"))
                .json(&json!({"cluster": ["manage_own_api_key"]})),
            "create a role",
        )
        .await?;
        json_ok(
            admin(Method::PUT, &format!("/_security/user/{USER}"))
                .json(&json!({"password": PASSWORD, "roles": [ROLE]})),
            "create a user",
        )
        .await?;
        // The node applies its own change log too (every second, or when PostgreSQL notifies
        // it): the user's creation empties its verified-password cache once more. Only then
        // is the password verified and cached for good.
        tokio::time::sleep(SETTLE).await;
        let whoami = format!("{}{WHOAMI}", server.url);
        json_ok(
            c.get(&whoami).basic_auth(USER, Some(PASSWORD)),
            "authenticate the user",
        )
        .await?;
        let mut encoded = Vec::with_capacity(CACHED_KEYS);
        for i in 0..CACHED_KEYS {
            let (_, key) = create_key(&c, server, &format!("bench-cached-{i}")).await?;
            let status = authenticate(&c, &whoami, &key).await?;
            if status != StatusCode::OK {
                bail!("a key just created was refused: {status}");
            }
            encoded.push(key);
        }
        Ok(Self {
            encoded,
            next: AtomicUsize::new(0),
        })
    }

    /// Every key's `encoded` credential.
    pub fn all(&self) -> &[String] {
        &self.encoded
    }

    /// The next key's `encoded` credential, in turn.
    pub fn next(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.encoded[i % self.encoded.len()]
    }
}

/// `apikey-create`: `--api-keys` keys created over HTTP by `--concurrency` connections, as
/// [`USER`] (whose password the server has already verified and cached).
pub async fn run_create(server: &Server, args: &Args) -> anyhow::Result<()> {
    let total = args.api_keys;
    let client = Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .build()?;
    let next = Arc::new(AtomicU64::new(0));
    let url = format!("{}{KEYS}", server.url);
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..args.concurrency {
        let (client, next, url) = (client.clone(), next.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new(3)?;
            let mut errors = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let start = Instant::now();
                let sent = client
                    .post(&url)
                    .basic_auth(USER, Some(PASSWORD))
                    .json(&json!({ "name": format!("bench-create-{i}") }))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await?;
                        histogram.record(micros(start))?;
                    }
                    Ok(r) => {
                        errors += 1;
                        let status = r.status();
                        let body = r.text().await.unwrap_or_default();
                        eprintln!(
                            "apikey-create: {status} {}",
                            body.chars().take(200).collect::<String>()
                        );
                    }
                    Err(e) => {
                        errors += 1;
                        eprintln!("apikey-create: {e}");
                    }
                }
            }
            anyhow::Ok((histogram, errors))
        }));
    }
    let (mut histogram, mut errors) = (Histogram::<u64>::new(3)?, 0u64);
    for task in tasks {
        let (h, e) = task.await??;
        histogram.add(&h)?;
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "apikey-create: POST {KEYS} as a user with manage_own_api_key, {} connections, store {}",
        args.concurrency,
        server.store_name()
    );
    println!(
        "{:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "keys", "seconds", "keys/s", "p50 ms", "p99 ms", "errors", "peak RSS"
    );
    println!(
        "{:>9} {:>9.1} {:>9.0} {:>9.2} {:>9.2} {:>9} {:>7} MiB",
        histogram.len(),
        seconds,
        histogram.len() as f64 / seconds,
        millis(&histogram, 0.5),
        millis(&histogram, 0.99),
        errors,
        server.peak_rss_kib() / 1024
    );
    Ok(())
}
