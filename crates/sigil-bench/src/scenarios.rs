//! The scenarios: what each worker sends, and how latencies are collected.

use crate::api_keys::{EsKeys, WHOAMI};
use crate::federation::{Federation, CACHED_TOKENS};
use crate::server::{Server, ADMIN_PASSWORD};
use crate::Args;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The floor: `GET /health`, no authentication.
    Health,
    /// `GET /api/atlas/v2/orgs/{orgId}` with Basic (the admin; Argon2id once, then cached).
    Basic,
    /// The same with Digest and a programmatic API key (one nonce per connection, nc counting up).
    Digest,
    /// The same with a Sigil access token as Bearer.
    Bearer,
    /// `POST /api/oauth/token` client_credentials.
    TokenIssuance,
    /// GET org with a WORKLOAD provider's JWT as Bearer, a few tokens repeated (cache hits).
    FederatedCached,
    /// The same, every request a fresh token (full ES256 verification), minted beforehand.
    FederatedFresh,
    /// `GET /_security/_authenticate` with `Authorization: ApiKey`, a few Elasticsearch API
    /// keys in turn (cache hits).
    ApikeyAuthenticate,
    /// Not a throughput scenario: revocation propagation between two nodes on one PostgreSQL
    /// database (see `propagation.rs`); run only when named.
    RevocationPropagation,
    /// Not a throughput scenario: `--api-keys` Elasticsearch API keys created over HTTP (see
    /// `api_keys.rs`); run only when named.
    ApikeyCreate,
    /// Not a throughput scenario: ApiKey authentication latency, cache misses and hits, as the
    /// `api_keys` table is seeded to each `--scale-sizes` size (see `api_keys.rs`); run only
    /// when named.
    ApikeyScale,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Self::Health,
        Self::Basic,
        Self::Digest,
        Self::Bearer,
        Self::TokenIssuance,
        Self::FederatedCached,
        Self::FederatedFresh,
        Self::ApikeyAuthenticate,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Health => "floor: GET /health",
            Self::Basic => "Basic GET org",
            Self::Digest => "Digest GET org",
            Self::Bearer => "Bearer GET org",
            Self::TokenIssuance => "client_credentials token",
            Self::FederatedCached => "federated JWT, cached",
            Self::FederatedFresh => "federated JWT, fresh",
            Self::ApikeyAuthenticate => "ApiKey _authenticate",
            Self::RevocationPropagation => "revocation propagation",
            Self::ApikeyCreate => "ApiKey creation",
            Self::ApikeyScale => "ApiKey with the table growing",
        }
    }
}

/// What the scenarios use: an organization, an API key, a service account and a token.
pub struct Fixture {
    org_path: String,
    public_key: String,
    private_key: String,
    client_id: String,
    secret: String,
    token: String,
    federation: Federation,
    es_keys: EsKeys,
}

async fn json_ok(request: RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let response = request.send().await.with_context(|| what.to_owned())?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{what}: {status} {body}");
    }
    Ok(body)
}

impl Fixture {
    pub async fn create(server: &Server) -> anyhow::Result<Self> {
        let c = Client::new();
        let admin = |m: Method, path: &str| {
            c.request(m, format!("{}{path}", server.url))
                .basic_auth("admin", Some(ADMIN_PASSWORD))
        };
        let orgs = json_ok(admin(Method::GET, "/api/atlas/v2/orgs"), "list orgs").await?;
        let org = orgs["results"][0]["id"]
            .as_str()
            .context("an org")?
            .to_owned();
        let key = json_ok(
            admin(Method::POST, &format!("/api/atlas/v2/orgs/{org}/apiKeys"))
                .json(&json!({"desc": "bench", "roles": ["ORG_OWNER"]})),
            "create API key",
        )
        .await?;
        let account = json_ok(
            admin(Method::POST, &format!("/api/atlas/v2/orgs/{org}/serviceAccounts")).json(&json!({
                "name": "bench", "description": "bench", "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 24
            })),
            "create service account",
        )
        .await?;
        let client_id = account["clientId"].as_str().context("clientId")?.to_owned();
        let secret = account["secrets"][0]["secret"]
            .as_str()
            .context("secret")?
            .to_owned();
        let token = json_ok(
            c.post(format!("{}/api/oauth/token", server.url))
                .basic_auth(&client_id, Some(&secret))
                .form(&[("grant_type", "client_credentials")]),
            "get a token",
        )
        .await?;
        let federation = Federation::create(server, &org).await?;
        let es_keys = EsKeys::create(server).await?;
        Ok(Self {
            federation,
            es_keys,
            org_path: format!("/api/atlas/v2/orgs/{org}"),
            public_key: key["publicKey"].as_str().context("publicKey")?.to_owned(),
            private_key: key["privateKey"].as_str().context("privateKey")?.to_owned(),
            client_id,
            secret,
            token: token["access_token"]
                .as_str()
                .context("access_token")?
                .to_owned(),
        })
    }
}

pub struct ScenarioResult {
    pub name: &'static str,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// How long the timed phase lasted (shorter than asked when fresh tokens ran out).
    pub seconds: f64,
}

/// The fresh-token scenario used every minted token.
#[derive(Debug)]
struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the minted tokens are used up")
    }
}

impl std::error::Error for Exhausted {}

/// One connection's state: Digest keeps its nonce and counts `nc` up, as real clients do.
struct Worker {
    client: Client,
    challenge: Option<String>,
    nc: u32,
}

impl Worker {
    async fn send(&mut self, scenario: Scenario, base: &str, f: &Fixture) -> anyhow::Result<bool> {
        let url = |path: &str| format!("{base}{path}");
        let request = match scenario {
            Scenario::Health => self.client.get(url("/health")),
            Scenario::Basic => self
                .client
                .get(url(&f.org_path))
                .basic_auth("admin", Some(ADMIN_PASSWORD)),
            Scenario::Bearer => self.client.get(url(&f.org_path)).bearer_auth(&f.token),
            Scenario::FederatedCached | Scenario::FederatedFresh => {
                let reuse = scenario == Scenario::FederatedCached;
                let token = f.federation.next_token(reuse).ok_or(Exhausted)?;
                self.client.get(url(&f.org_path)).bearer_auth(token)
            }
            Scenario::ApikeyAuthenticate => self
                .client
                .get(url(WHOAMI))
                .header("authorization", format!("ApiKey {}", f.es_keys.next())),
            Scenario::RevocationPropagation | Scenario::ApikeyCreate | Scenario::ApikeyScale => {
                bail!("not a throughput scenario")
            }
            Scenario::TokenIssuance => self
                .client
                .post(url("/api/oauth/token"))
                .basic_auth(&f.client_id, Some(&f.secret))
                .form(&[("grant_type", "client_credentials")]),
            Scenario::Digest => {
                let challenge = match &self.challenge {
                    Some(c) => c.clone(),
                    None => {
                        let first = self.client.get(url(&f.org_path)).send().await?;
                        let c = first
                            .headers()
                            .get("www-authenticate")
                            .context("a challenge")?
                            .to_str()?
                            .to_owned();
                        self.challenge = Some(c.clone());
                        self.nc = 0;
                        c
                    }
                };
                self.nc += 1;
                let auth = sigil_testkit::digest::authorization(
                    &challenge,
                    &Method::GET,
                    &f.org_path,
                    &f.public_key,
                    &f.private_key,
                    "MD5",
                    self.nc,
                );
                self.client
                    .get(url(&f.org_path))
                    .header("authorization", auth)
            }
        };
        let response = request.send().await?;
        let ok = response.status().is_success();
        if !ok {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            eprintln!(
                "{scenario:?}: {status} {}",
                body.chars().take(200).collect::<String>()
            );
            if scenario == Scenario::Digest {
                self.challenge = None;
            }
            return Ok(false);
        }
        if !ok && scenario == Scenario::Digest {
            self.challenge = None;
        }
        response.bytes().await?;
        Ok(ok)
    }
}

pub async fn run(
    scenario: Scenario,
    server: &Server,
    fixture: &Arc<Fixture>,
    args: &Args,
) -> anyhow::Result<ScenarioResult> {
    let client = Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .build()?;
    match scenario {
        Scenario::FederatedCached => {
            fixture.federation.mint(CACHED_TOKENS);
        }
        Scenario::FederatedFresh => {
            let took = fixture.federation.mint(args.fresh_tokens);
            eprintln!(
                "minted {} fresh tokens in {:.1} s (not timed)",
                args.fresh_tokens,
                took.as_secs_f64()
            );
        }
        _ => {}
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let mut tasks = vec![];
    for _ in 0..args.concurrency {
        let (client, fixture, base) = (client.clone(), fixture.clone(), server.url.clone());
        tasks.push(tokio::spawn(async move {
            let mut worker = Worker {
                client,
                challenge: None,
                nc: 0,
            };
            let mut histogram = Histogram::<u64>::new(3)?;
            let (mut done, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let start = Instant::now();
                match worker.send(scenario, &base, &fixture).await {
                    Ok(true) => {
                        histogram.record(start.elapsed().as_micros() as u64)?;
                        done += 1;
                    }
                    Err(e) if e.is::<Exhausted>() => break,
                    _ => errors += 1,
                }
            }
            anyhow::Ok((histogram, done, errors))
        }));
    }
    let (mut histogram, mut done, mut errors) = (Histogram::<u64>::new(3)?, 0u64, 0u64);
    for task in tasks {
        let (h, d, e) = task.await??;
        histogram.add(&h)?;
        done += d;
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64().min(args.duration as f64);
    Ok(ScenarioResult {
        name: scenario.name(),
        per_second: done as f64 / seconds,
        seconds,
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        errors,
    })
}
